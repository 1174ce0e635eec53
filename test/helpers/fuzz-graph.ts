// Random op graphs for test/fuzz.test.ts. fast-check generates raw choices (a start shape and
// tuples of small integers); `plan()` reads them against the running shape into a valid program
// and `run()` executes it. Shrinking works on the raw numbers, so a failure shrinks to a short
// program over small shapes.
import fc from 'fast-check';
import * as wg from 'webgrad-gpu';
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
/** The activations and elementwise math of issue 11 (leakyRelu has relu's kink at 0). */
type Unary2 = 'gelu' | 'geluTanh' | 'silu' | 'leakyRelu' | 'elu' | 'softplus' | 'log1p' | 'expm1' | 'sin' | 'cos' | 'erf';
const UNARY2: Unary2[] = ['gelu', 'geluTanh', 'silu', 'leakyRelu', 'elu', 'softplus', 'log1p', 'expm1', 'sin', 'cos', 'erf'];

export type Op =
  | { k: 'unary'; f: Unary | Unary2 }
  | { k: 'binary'; f: 'add' | 'sub' | 'mul' | 'div'; leaf: number | null; scalar: number; swap: boolean }
  | { k: 'matmul'; leaf: number; left: boolean }
  | { k: 'reduce'; f: 'sum' | 'mean' | 'max' | 'min'; dim: number | null; keepdim: boolean }
  | { k: 'softmax'; log: boolean; dim: number }
  | { k: 'reshape'; shape: number[] }
  | { k: 'transpose'; d0: number; d1: number }
  | { k: 'clamp'; lo: number | null; hi: number | null }
  | { k: 'minmax'; f: 'maximum' | 'minimum'; leaf: number | null; scalar: number }
  /** where(mask, cur, other): the mask is a fixed 0/1 pattern of cur's shape (`maskOf`), not a leaf. */
  | { k: 'where'; pattern: [number, number]; shape: number[]; leaf: number | null; scalar: number }
  | { k: 'cat'; leaf: number; dim: number; first: boolean }
  | { k: 'piece'; f: 'split' | 'chunk'; n: number; dim: number; index: number }
  | { k: 'narrow'; dim: number; start: number; length: number }
  | { k: 'slice'; dim: number; start: number | null; end: number | null; step: number }
  | { k: 'flip'; dims: number[] }
  | { k: 'repeat'; sizes: number[] }
  | { k: 'permute'; dims: number[] }
  | { k: 'dimReduce'; f: 'amax' | 'logsumexp' | 'var' | 'std' | 'norm'; dim: number | null; keepdim: boolean; correction: number; p: number }
  | { k: 'cumsum'; dim: number }
  /** index: host-known in-range int32 values, of shape `indexShape`. */
  | { k: 'index'; f: 'indexSelect' | 'gather'; dim: number; index: number[]; indexShape: number[] };

export interface Leaf {
  shape: number[];
  /** A divisor: its values are kept away from zero (|v| >= 0.5). */
  divisor: boolean;
}

export interface Program {
  leaves: Leaf[];
  ops: Op[];
  /** The output's shape, as the plan computed it (run() must agree). */
  shape: number[];
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
    switch (a % 16) {
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
      case 7: {
        if (smooth && kinked) {
          ops.push(tanh);
          break;
        }
        kinked = true;
        const lo = [-0.5, -1, null][b % 3];
        const hi = [0.5, 1, null][c % 3];
        ops.push({ k: 'clamp', lo: lo === null && hi === null ? 0 : lo, hi });
        break;
      }
      case 8: {
        let f = UNARY2[b % UNARY2.length];
        if (f === 'leakyRelu') {
          if (smooth && kinked) f = 'silu';
          kinked = true;
        }
        ops.push({ k: 'unary', f });
        break;
      }
      case 9: {
        const other = shape.map((s, i) => ((d >> i) & 1 ? 1 : s));
        const useLeaf = c % 3 !== 0;
        const scalar = [0.25, -0.5, 1][d % 3];
        if (b % 3 === 2) {
          // A scalar branch fills many elements with one value: ties for a later max.
          if (!useLeaf) kinked = true;
          ops.push({ k: 'where', pattern: [c, d % 2], shape: [...shape], leaf: useLeaf ? leaf(other) : null, scalar });
          break;
        }
        // Ties split the gradient, which has no finite-difference derivative: after a kink
        // (exact zeros and bounds), the smooth program adds instead.
        if (smooth && kinked) {
          ops.push({ k: 'binary', f: 'add', leaf: useLeaf ? leaf(other) : null, scalar, swap: false });
          break;
        }
        // Against a scalar it is a clamp: exact bounds from here on.
        if (!useLeaf) kinked = true;
        ops.push({ k: 'minmax', f: b % 3 === 0 ? 'maximum' : 'minimum', leaf: useLeaf ? leaf(other) : null, scalar });
        break;
      }
      case 10: {
        if (rank === 0) {
          ops.push({ k: 'unary', f: 'sin' });
          break;
        }
        const p = b % rank;
        const size = shape[p];
        if (c % 3 === 0) {
          // cat with a leaf of the same shape but for dim p.
          const n = 1 + (d % 3);
          ops.push({ k: 'cat', leaf: leaf(shape.map((s, i) => (i === p ? n : s))), dim: p - (d % 2 ? rank : 0), first: c % 2 === 0 });
          shape = shape.map((s, i) => (i === p ? s + n : s));
        } else {
          // One piece of split(n) or chunk(n): sizes as PyTorch cuts them.
          const f = c % 3 === 1 ? 'split' : 'chunk';
          const n = 1 + (d % Math.max(1, size));
          const step = f === 'split' ? n : Math.ceil(size / n);
          const pieces = Math.ceil(size / step);
          const index = (d >> 2) % pieces;
          ops.push({ k: 'piece', f, n, dim: p, index });
          shape = shape.map((s, i) => (i === p ? Math.min(step, size - index * step) : s));
        }
        break;
      }
      case 11: {
        if (rank === 0) {
          ops.push({ k: 'unary', f: 'cos' });
          break;
        }
        const p = b % rank;
        const size = shape[p];
        if (c % 3 === 0) {
          const start = d % size;
          const length = 1 + ((d >> 2) % (size - start));
          ops.push({ k: 'narrow', dim: p, start: d % 2 ? start - size : start, length });
          shape = shape.map((s, i) => (i === p ? length : s));
        } else if (c % 3 === 1) {
          // Python slice bounds, negative and past the end included; an empty result would
          // say nothing, so it falls back to a flip.
          const start = [null, 1, -2, 0][d % 4];
          const end = [null, -1, 100, 2][(d >> 2) % 4];
          const step = 1 + ((d >> 4) % 3);
          const lo = start === null ? 0 : start < 0 ? Math.max(0, start + size) : Math.min(start, size);
          const hi = end === null ? size : end < 0 ? Math.max(0, end + size) : Math.min(end, size);
          const length = hi > lo ? Math.ceil((hi - lo) / step) : 0;
          if (length === 0) {
            ops.push({ k: 'flip', dims: [p] });
            break;
          }
          ops.push({ k: 'slice', dim: p - (b % 2 ? rank : 0), start, end, step });
          shape = shape.map((s, i) => (i === p ? length : s));
        } else {
          const dims = shape.map((_, i) => i).filter((i) => (d >> i) & 1 || i === p);
          ops.push({ k: 'flip', dims });
        }
        break;
      }
      case 12: {
        if (rank >= 2 && c % 2 === 0) {
          // A permutation of the dims: rotate by b, swap the first two when d is odd.
          const dims = shape.map((_, i) => (i + b) % rank);
          if (d % 2) [dims[0], dims[1]] = [dims[1], dims[0]];
          ops.push({ k: 'permute', dims });
          shape = dims.map((i) => shape[i]);
          break;
        }
        // repeat: one size per dim (one more when rank < 3), each 1 or 2; capped in size.
        const sizes = [...(rank < 3 && c % 3 === 1 ? [1 + (b % 2)] : []), ...shape.map((_, i) => 1 + ((d >> i) & 1))];
        if (numel(shape) * numel(sizes) > 4096) {
          ops.push(tanh);
          break;
        }
        // Repeated values tie in a later max, whose split gradient finite differences do not see.
        if (sizes.some((n) => n > 1)) kinked = true;
        ops.push({ k: 'repeat', sizes });
        const padded = [...Array(sizes.length - rank).fill(1), ...shape];
        shape = padded.map((s, i) => s * sizes[i]);
        break;
      }
      case 13:
      case 14: {
        if (rank === 0) {
          ops.push({ k: 'unary', f: 'erf' });
          break;
        }
        const dim = (b % rank) - (d % 2 ? rank : 0);
        const p = dim < 0 ? dim + rank : dim;
        if (a % 16 === 13 && c % 4 === 0) {
          ops.push({ k: 'cumsum', dim });
          break;
        }
        let f = (['amax', 'logsumexp', 'var', 'std', 'norm'] as const)[c % 5];
        // amax ties and the kinks of std and norm at zero spread (after a relu or clamp, rows
        // of exact zeros or bounds) have no finite-difference derivative, and float32 cannot
        // follow them: logsumexp instead.
        if (kinked && (f === 'std' || f === 'norm' || (smooth && f === 'amax'))) f = 'logsumexp';
        // var/std/norm also reduce everything (dim null); logsumexp and amax need a dim here.
        const all = (f === 'var' || f === 'std' || f === 'norm') && d % 5 === 0;
        const keepdim = d % 3 === 0;
        const n = all ? numel(shape) : shape[p];
        // Bessel's correction needs two values; a single one gives NaN, as in PyTorch.
        const correction = n >= 2 ? (d >> 3) % 2 : 0;
        ops.push({ k: 'dimReduce', f, dim: all ? null : dim, keepdim, correction, p: [2, 3, 1.5][(d >> 2) % 3] });
        if (all) shape = keepdim ? shape.map(() => 1) : [];
        else shape = keepdim ? shape.map((s, i) => (i === p ? 1 : s)) : shape.filter((_, i) => i !== p);
        break;
      }
      default: {
        if (rank === 0) {
          ops.push({ k: 'unary', f: 'softplus' });
          break;
        }
        const n = 1 + (d % 3);
        if (b % 3 === 0 && rank <= 2) {
          // Batched matmul, the batch broadcast: leaf [2, n, m] @ cur [m, k] (or cur [k] as [k]).
          const m = shape[0];
          const l = leaf([2, n, m]);
          ops.push({ k: 'matmul', leaf: l, left: true });
          shape = rank === 1 ? [2, n] : [2, n, shape[1]];
          break;
        }
        if (b % 3 === 0 && rank === 3) {
          // cur [b, m, k] @ leaf [1, k, n]: the leaf's batch of 1 broadcast.
          ops.push({ k: 'matmul', leaf: leaf([1, shape[2], n]), left: false });
          shape = [shape[0], shape[1], n];
          break;
        }
        const p = c % rank;
        const size = shape[p];
        // Repeated indices: their gradients must add up.
        const pick = (count: number): number[] => Array.from({ length: count }, (_, i) => (i * (d + 1) + c) % size);
        // Repeated indices repeat values (ties for a later max, as repeat); marked by the caller.
        const repeats = (index: number[]): boolean => new Set(index).size < index.length;
        if (b % 3 === 1) {
          const index = pick(1 + ((d >> 2) % 4));
          if (repeats(index)) kinked = true;
          ops.push({ k: 'index', f: 'indexSelect', dim: p - (d % 2 ? rank : 0), index, indexShape: [index.length] });
          shape = shape.map((s, i) => (i === p ? index.length : s));
        } else {
          const indexShape = shape.map((s, i) => (i === p ? 1 + ((d >> 2) % 3) : s));
          const index = pick(numel(indexShape));
          // gather repeats values whenever an index along dim repeats; conservatively, any repeat.
          if (repeats(index)) kinked = true;
          ops.push({ k: 'index', f: 'gather', dim: p, index, indexShape });
          shape = indexShape;
        }
      }
    }
  }
  return { leaves, ops, shape };
}

/** where's mask: 0/1 in a pattern of the raw numbers, so both branches are taken. */
function maskOf([c, d]: [number, number], shape: number[]): Tensor {
  const mask = Array.from({ length: numel(shape) }, (_, i) => ((i * 7 + c) % 5 < 2 + d ? 1 : 0));
  return wg.tensor(mask, { dtype: 'int32' }).reshape(shape);
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
        else if (op.f === 'geluTanh') cur = cur.gelu({ approximate: 'tanh' });
        // log1p needs x > -1: 0.9·tanh(x) keeps it inside, negatives included.
        else if (op.f === 'log1p') cur = cur.tanh().mul(0.9).log1p();
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
      case 'minmax':
        cur = wg[op.f](cur, op.leaf === null ? op.scalar : xs[op.leaf]);
        break;
      case 'where':
        cur = wg.where(maskOf(op.pattern, op.shape), cur, op.leaf === null ? op.scalar : xs[op.leaf]);
        break;
      case 'cat':
        cur = wg.cat(op.first ? [xs[op.leaf], cur] : [cur, xs[op.leaf]], op.dim);
        break;
      case 'piece':
        cur = (op.f === 'split' ? cur.split(op.n, op.dim) : cur.chunk(op.n, op.dim))[op.index];
        break;
      case 'narrow':
        cur = cur.narrow(op.dim, op.start, op.length);
        break;
      case 'slice':
        cur = cur.slice(op.dim, op.start, op.end, op.step);
        break;
      case 'flip':
        cur = cur.flip(op.dims);
        break;
      case 'repeat':
        cur = cur.repeat(op.sizes);
        break;
      case 'permute':
        cur = cur.permute(op.dims);
        break;
      case 'cumsum':
        cur = cur.cumsum(op.dim);
        break;
      case 'dimReduce':
        if (op.f === 'amax') cur = cur.amax(op.dim, op.keepdim);
        else if (op.f === 'logsumexp') cur = cur.logsumexp(op.dim!, op.keepdim);
        else if (op.f === 'norm') cur = cur.norm(op.p, op.dim, op.keepdim);
        else cur = cur[op.f](op.dim, { correction: op.correction, keepdim: op.keepdim });
        break;
      case 'index': {
        const index = wg.tensor(op.index, { dtype: 'int32' }).reshape(op.indexShape);
        cur = op.f === 'indexSelect' ? cur.indexSelect(op.dim, index) : cur.gather(op.dim, index);
        break;
      }
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
