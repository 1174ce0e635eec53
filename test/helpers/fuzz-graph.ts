// Random op graphs for test/fuzz.test.ts. fast-check generates raw choices (a start shape and
// tuples of small integers); `plan()` reads them against the running shape into a valid program
// and `run()` executes it. Shrinking works on the raw numbers, so a failure shrinks to a short
// program over small shapes.
import fc from 'fast-check';
import type { Tensor } from 'webgrad-gpu';

export interface RawCase {
  /** Seeds the leaves' values. */
  seed: number;
  shape: number[];
  steps: [number, number, number, number][];
}

/**
 * Raw cases. `large` also draws dims up to 40 (one in four), so GPU kernels see sizes past
 * their workgroup and tile edges (16, 32, 64, 256 elements); gradcheck keeps dims <= 4.
 */
export const rawCase = (large: boolean): fc.Arbitrary<RawCase> => {
  const dim = large
    ? fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 1, max: 4 }) }, { weight: 1, arbitrary: fc.integer({ min: 5, max: 40 }) })
    : fc.integer({ min: 1, max: 4 });
  return fc.record({
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    shape: fc.array(dim, { minLength: 0, maxLength: 3 }),
    steps: fc.array(fc.tuple(fc.nat(99), fc.nat(99), fc.nat(99), fc.nat(99)), { minLength: 1, maxLength: 6 }),
  });
};

type Unary = 'neg' | 'exp' | 'log' | 'sqrt' | 'abs' | 'sigmoid' | 'tanh' | 'relu' | 'square' | 'cube';
const UNARY: Unary[] = ['neg', 'exp', 'log', 'sqrt', 'abs', 'sigmoid', 'tanh', 'relu', 'square', 'cube'];

export type Op =
  | { k: 'unary'; f: Unary }
  | { k: 'binary'; f: 'add' | 'sub' | 'mul' | 'div'; leaf: number | null; scalar: number; swap: boolean }
  | { k: 'matmul'; leaf: number; left: boolean }
  | { k: 'reduce'; f: 'sum' | 'mean' | 'max' | 'min'; dim: number | null; keepdim: boolean }
  | { k: 'softmax'; log: boolean; dim: number }
  | { k: 'reshape'; shape: number[] }
  | { k: 'transpose'; d0: number; d1: number }
  | { k: 'clamp'; lo: number | null; hi: number | null };

export interface Leaf {
  shape: number[];
  /** A divisor: its values are kept away from zero (|v| >= 0.5). */
  divisor: boolean;
}

export interface Program {
  leaves: Leaf[];
  ops: Op[];
}

const numel = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

function broadcast(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  return Array.from({ length: n }, (_, i) => {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    return da === 1 ? db : da;
  });
}

/**
 * Reads the raw choices into a program whose every op is valid for the shape it gets.
 * `smooth` (for finite differences) keeps the program differentiable where it is evaluated:
 * after a relu or clamp has produced exact zeros or bounds, later kinks (relu, clamp, max, min)
 * become tanh or sum, since a kink at an exact tie has no derivative to check.
 */
export function plan(raw: RawCase, smooth: boolean): Program {
  let shape = [...raw.shape];
  const leaves: Leaf[] = [{ shape: [...shape], divisor: false }];
  const ops: Op[] = [];
  let kinked = false;
  const leaf = (s: number[], divisor = false): number => leaves.push({ shape: s, divisor }) - 1;
  const tanh: Op = { k: 'unary', f: 'tanh' };
  for (const [a, b, c, d] of raw.steps) {
    const rank = shape.length;
    switch (a % 8) {
      case 0: {
        let f = UNARY[b % UNARY.length];
        if (f === 'relu') {
          if (smooth && kinked) f = 'tanh';
          kinked = true;
        }
        ops.push({ k: 'unary', f });
        break;
      }
      case 1: {
        const f = (['add', 'sub', 'mul', 'div'] as const)[b % 4];
        if (c % 4 === 0) {
          ops.push({ k: 'binary', f, leaf: null, scalar: [0.5, -2, 3, 1.5][d % 4], swap: false });
          break;
        }
        // A broadcast-compatible operand: some dims set to 1, leading dims dropped, or one added.
        let other = shape.map((s, i) => ((d >> i) & 1 ? 1 : s)).slice(c % 3 === 0 ? Math.min(1, rank) : 0);
        if (c % 5 === 1 && rank < 3) other = [2, ...shape];
        ops.push({ k: 'binary', f, leaf: leaf([...other], f === 'div'), scalar: 0, swap: f === 'sub' && b >= 50 });
        shape = broadcast(shape, other);
        break;
      }
      case 2: {
        if (rank === 0) {
          ops.push(tanh);
          break;
        }
        // Mostly small, sometimes past a tile edge (n in 17..40 when the case's dims are large).
        const n = d >= 90 && numel(shape) > 64 ? 17 + 3 * (d - 90) : 1 + (d % 4);
        if (rank === 2 && c % 2 === 0) {
          // leaf [n, m] @ cur [m, k]
          ops.push({ k: 'matmul', leaf: leaf([n, shape[0]]), left: true });
          shape = [n, shape[1]];
        } else if (rank === 3 && c % 3 === 0) {
          ops.push({ k: 'matmul', leaf: leaf([shape[0], shape[2], n]), left: false });
          shape = [shape[0], shape[1], n];
        } else {
          ops.push({ k: 'matmul', leaf: leaf([shape[rank - 1], n]), left: false });
          shape = [...shape.slice(0, -1), n];
        }
        break;
      }
      case 3: {
        let f = (['sum', 'mean', 'max', 'min'] as const)[b % 4];
        if (smooth && kinked && (f === 'max' || f === 'min')) f = 'sum';
        const dim = rank === 0 || c % 4 === 0 ? null : (c % rank) - (d % 2 ? rank : 0);
        const keepdim = d % 3 === 0;
        ops.push({ k: 'reduce', f, dim, keepdim });
        if (dim === null) shape = keepdim ? shape.map(() => 1) : [];
        else {
          const p = dim < 0 ? dim + rank : dim;
          shape = keepdim ? shape.map((s, i) => (i === p ? 1 : s)) : shape.filter((_, i) => i !== p);
        }
        break;
      }
      case 4:
        ops.push({ k: 'softmax', log: c % 2 === 0, dim: rank === 0 ? 0 : (b % rank) - (d % 2 ? rank : 0) });
        break;
      case 5: {
        const modes = [[numel(shape)], [...shape].reverse(), [...shape.slice(0, b % (rank + 1)), 1, ...shape.slice(b % (rank + 1))]];
        const next = modes[c % modes.length];
        if (next.length > 3) {
          ops.push(tanh);
          break;
        }
        ops.push({ k: 'reshape', shape: next });
        shape = next;
        break;
      }
      case 6:
        if (rank < 2) {
          ops.push(tanh);
          break;
        }
        ops.push({ k: 'transpose', d0: b % rank, d1: -1 - (c % rank) });
        shape = [...shape];
        [shape[b % rank], shape[rank - 1 - (c % rank)]] = [shape[rank - 1 - (c % rank)], shape[b % rank]];
        break;
      default: {
        if (smooth && kinked) {
          ops.push(tanh);
          break;
        }
        kinked = true;
        const lo = [-0.5, -1, null][b % 3];
        const hi = [0.5, 1, null][c % 3];
        ops.push({ k: 'clamp', lo: lo === null && hi === null ? 0 : lo, hi });
      }
    }
  }
  return { leaves, ops };
}

/** Runs the program on tensors for its leaves (same order as `program.leaves`). */
export function run(program: Program, xs: Tensor[]): Tensor {
  let cur = xs[0];
  for (const op of program.ops) {
    switch (op.k) {
      case 'unary':
        // log and sqrt get a positive argument; pow stays integral so negatives are fine.
        if (op.f === 'log') cur = cur.abs().add(0.5).log();
        else if (op.f === 'sqrt') cur = cur.abs().add(0.5).sqrt();
        else if (op.f === 'square') cur = cur.pow(2);
        else if (op.f === 'cube') cur = cur.pow(3);
        else cur = cur[op.f]();
        break;
      case 'binary': {
        const other = op.leaf === null ? op.scalar : xs[op.leaf];
        if (op.swap && typeof other !== 'number') cur = other[op.f](cur);
        else cur = cur[op.f](other);
        break;
      }
      case 'matmul':
        cur = op.left ? xs[op.leaf].matmul(cur) : cur.matmul(xs[op.leaf]);
        break;
      case 'reduce':
        // max(dim)/min(dim) return { values, indices }.
        if ((op.f === 'max' || op.f === 'min') && op.dim !== null) cur = cur[op.f](op.dim, op.keepdim).values;
        else cur = cur[op.f](op.dim, op.keepdim) as Tensor;
        break;
      case 'softmax':
        cur = op.log ? cur.logSoftmax(op.dim) : cur.softmax(op.dim);
        break;
      case 'reshape':
        cur = cur.reshape(op.shape);
        break;
      case 'transpose':
        cur = cur.transpose(op.d0, op.d1);
        break;
      case 'clamp':
        cur = cur.clamp(op.lo, op.hi);
        break;
    }
  }
  return cur;
}

/** mulberry32 normals (Box–Muller) for the leaves' values: the same on every backend. */
export function leafValues(program: Program, seed: number): Float64Array[] {
  let s = seed >>> 0;
  const uniform = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  const normal = (): number => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  return program.leaves.map((l) =>
    Float64Array.from({ length: numel(l.shape) }, () => {
      const v = normal();
      return l.divisor ? Math.sign(v || 1) * (0.5 + Math.abs(v)) : v;
    }),
  );
}

export function describeProgram(p: Program): string {
  const args = (o: Op): string => Object.entries(o).filter(([k]) => k !== 'k').map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ');
  return [`leaves ${p.leaves.map((l) => `[${l.shape.join(',')}]`).join(' ')}`, ...p.ops.map((o) => `${o.k} ${args(o)}`)].join('; ');
}
