import { WebgradError } from '../errors.js';
import { options } from '../options.js';
import { Tensor } from '../tensor.js';

/**
 * An optimizer's state, in PyTorch's structure: `state` keyed by parameter index (counting
 * through the groups in order), `param_groups` with each group's options (webgrad's names)
 * and `params` as index lists. A tree `wg.save` writes and `wg.load` reads back.
 *
 * @property params In a `param_groups` entry: the indices of the group's parameters.
 */
export type OptimizerStateDict = {
  /** Each stepped parameter's state entries, keyed by its index. */
  state: { [index: string]: { [key: string]: number | Tensor } };
  /** Each group's options, with its parameters as indices. */
  param_groups: ({ [option: string]: HyperValue } & {
    /** The indices (into `state`'s numbering) of the group's parameters. */
    params: number[];
  })[];
};
/** A hyper-parameter's value in a saved param group (lr, betas, flags, names). */
export type HyperValue = number | boolean | string | number[];

/**
 * The state entries one parameter holds once stepped: tensors shaped like it, and numbers.
 *
 * @property tensors Names of the tensor entries (e.g. `expAvg`).
 * @property numbers Names of the number entries (e.g. `step`).
 */
export type StateSpec = { readonly tensors: readonly string[]; readonly numbers: readonly string[] };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks `dict` against the optimizer's groups (`current`, and `all`: every parameter with its
 * group, in index order) and returns each group's options and each parameter's state entry by
 * its index in `all`. `specFor` validates a group's options (throwing) and says what state its
 * parameters hold. Throws a WebgradError naming the first thing that does not fit.
 */
export function readStateDict(
  name: string,
  dict: OptimizerStateDict,
  current: readonly { params: readonly Tensor[] }[],
  all: readonly { p: Tensor; group: object }[],
  specFor: (group: Record<string, unknown>) => StateSpec,
  accepted: readonly string[],
): { groups: Record<string, unknown>[]; entries: Map<number, Record<string, number | Tensor>> } {
  const op = `${name}.loadStateDict`;
  const fail = (msg: string) => new WebgradError(op, msg);
  const { state, param_groups: saved } = options(op, dict, ['state', 'param_groups']);
  if (!Array.isArray(saved)) throw fail(`param_groups must be an array, got ${typeof saved}`);
  if (!isObject(state)) throw fail(`state must be an object keyed by parameter index, got ${typeof state}`);
  if (saved.length !== current.length) throw fail(`the dict has ${saved.length} parameter groups, the optimizer ${current.length}`);

  // Saved indices map to this optimizer's parameters by position, as torch's id_map does.
  const position = new Map<number, number>();
  const specs: StateSpec[] = [];
  const groups = saved.map((g, gi) => {
    if (!isObject(g)) throw fail(`param_groups[${gi}] must be an object, got ${typeof g}`);
    const { params, ...hyper } = options(`${op} (param_groups[${gi}])`, g, [...accepted, 'params']) as Record<string, unknown>;
    if (!Array.isArray(params) || !params.every((i) => Number.isSafeInteger(i) && i >= 0)) {
      throw fail(`param_groups[${gi}].params must be an array of parameter indices`);
    }
    if (params.length !== current[gi].params.length) {
      throw fail(`param_groups[${gi}] has ${params.length} parameters, the optimizer's group ${gi} has ${current[gi].params.length}`);
    }
    for (const i of params as number[]) {
      if (position.has(i)) throw fail(`parameter index ${i} appears more than once in param_groups`);
      position.set(i, position.size);
    }
    const spec = specFor({ ...hyper, params: current[gi].params });
    for (let k = 0; k < params.length; k++) specs.push(spec);
    return hyper;
  });

  const entries = new Map<number, Record<string, number | Tensor>>();
  for (const [key, entry] of Object.entries(state)) {
    const at = position.get(Number(key));
    if (!/^\d+$/.test(key) || at === undefined) throw fail(`state has an entry for parameter ${key}, which no param group lists`);
    if (!isObject(entry)) throw fail(`state[${key}] must be an object, got ${typeof entry}`);
    const p = all[at].p;
    const spec = specs[at];
    for (const k of [...spec.tensors, ...spec.numbers]) if (!(k in entry)) throw fail(`state[${key}] has no '${k}'`);
    for (const [k, v] of Object.entries(entry)) {
      if (spec.tensors.includes(k)) {
        if (!(v instanceof Tensor) || v.isDisposed) throw fail(`state[${key}].${k} must be a live tensor`);
        if (v.shape.length !== p.shape.length || v.shape.some((d, i) => d !== p.shape[i])) {
          throw fail(`state[${key}].${k} has shape [${v.shape.join(',')}], its parameter [${p.shape.join(',')}]`);
        }
      } else if (spec.numbers.includes(k)) {
        if (typeof v !== 'number' || !Number.isFinite(v)) throw fail(`state[${key}].${k} must be a finite number, got ${String(v)}`);
      } else {
        throw fail(`state[${key}] has an unknown entry '${k}' (expected: ${[...spec.numbers, ...spec.tensors].join(', ')})`);
      }
    }
    entries.set(at, entry as Record<string, number | Tensor>);
  }
  return { groups, entries };
}
