import chainSrc from '../../../shaders/chain.wgsl';
import chainSumSrc from '../../../shaders/chain_sum.wgsl';
import coordsSrc from '../../../shaders/coords.wgsl';
import mathSrc from '../../../shaders/elementwise_math.wgsl';
import { type ArithOp, BINARY, type BinaryOp } from '../../kernels/binary.js';
import { UNARY, type UnaryOp } from '../../kernels/unary.js';
import { isRowMajor, type ReduceLayout, sameShape, type Shape } from '../../shape.js';
import type { Storage } from '../backend.js';
import type { PooledBuffer } from './buffer-pool.js';
import { groupsFor, MAX_RANK } from './dims.js';
import { clampBounds } from './elementwise.js';
import { colsChunks, reducesByRows, sumPartials } from './reduce.js';
import { defineKernel, type KernelDef } from './pipelines.js';
import type { HeldDispatch } from './recorder.js';
import type { GpuRuntime } from './runtime.js';
import { type BindingDecl, type Field, shaderInterface } from './shader-interface.js';
import type { GPUStorage } from './storage.js';
import { elementwiseShape } from './tuner-elementwise.js';

/**
 * Elementwise chains: inside a compiled step (src/compile.ts) every float32 elementwise op —
 * unary ops and their gradients, arithmetic binary ops with broadcasting and scalar operands,
 * clamp and its gradient — joins the pending chain instead of being recorded, and the chain
 * runs as one generated kernel (shaders/chain.wgsl) when something needs its results. Each op
 * is one function generated from the op tables' WGSL expressions (src/kernels/), so a chain
 * computes exactly what the separate kernels compute; intermediates stay in registers, and a
 * result whose tensor was released before the chain runs (an op's temporary) is not stored.
 *
 * The pending chain is a held dispatch of the recorder (recorder.ts): it is recorded as soon as
 * a command reads what it writes or writes what it reads, at a copy, a readback or a submit, so
 * every command still sees the values it would have seen in program order. The ops it holds
 * write fresh buffers only (every elementwise op allocates its output), and the buffers it reads
 * stay out of the pool until it has run.
 *
 * The GPT step of `npm run gpt` has chains of a bias add and GELU, residual adds, and the
 * sums and products of gradients in the backward (LayerNorm is a kernel of its own): see
 * BENCHMARKS.md for the counts.
 */

/** Ops in one chain: more would mostly lengthen the generated shader, not save dispatches. */
const MAX_NODES = 48;
/** Words of the 256-byte uniform slot: n, the sum's layout, shape (aligned to 4), strides, parameters. */
const SLOT_WORDS = 64;
/** n, the reduction's outer/size/inner/chunks/chunk_len, zero, then shape at a 16-byte boundary. */
const FIXED_WORDS = 16;

/** How a chain input is read at output element e: contiguously, one value, or strided. */
type Mode = 'contig' | 'scalar' | 'strided';
/** One letter per mode in a kernel's cache key (a wrong letter would reuse another chain's kernel). */
const MODE_KEY: Record<Mode, string> = { contig: 'c', scalar: '1', strided: 'x' };

interface Input {
  readonly buf: PooledBuffer;
  readonly mode: Mode;
  readonly strides: readonly number[] | null;
}

/** An operand of an op in the chain: input i, or the result of node i. */
type Ref = { readonly input: number } | { readonly node: number };

interface Node {
  /** The generated function applying the op (see fnSource). */
  readonly fn: string;
  readonly args: readonly Ref[];
  /** Its float parameters: p for a unary op, the bounds for clamp. */
  readonly params: readonly number[];
  readonly out: PooledBuffer;
  readonly label: string;
  /** False once the result's storage was released: nothing reads it, so it is not stored. */
  live: boolean;
}

/** An operand as the op layer hands it over: its buffer and strides over the op's output shape. */
interface Operand {
  readonly storage: Storage;
  /** Null: laid out exactly like the output (unary ops). */
  readonly strides: readonly number[] | null;
}

const FN_SOURCE = new Map<string, string>();

/** The WGSL function `fn` applies, built from the op tables once. */
function fnSource(fn: string): string {
  let src = FN_SOURCE.get(fn);
  if (src !== undefined) return src;
  const [kind, op] = fn.split(':');
  const name = fnName(fn);
  if (kind === 'u') src = `fn ${name}(v: T, p: f32) -> T { return ${UNARY[op as UnaryOp].wgsl}; }\n`;
  else if (kind === 'g') src = `fn ${name}(s: T, g: T, p: f32) -> T { return ${UNARY[op as UnaryOp].wgslGrad}; }\n`;
  else if (kind === 'b') src = `fn ${name}(x: T, y: T) -> T {\n  let nan = is_nan(x) || is_nan(y);\n  return ${BINARY[op as BinaryOp].wgsl};\n}\n`;
  else if (fn === 'clamp') {
    // As unary.wgsl's clamp_op for float32, whose bounds are their own values (clampBounds).
    src = `fn ${name}(x: T, lo: f32, hi: f32) -> T {\n  var v = x;\n  if (!is_nan(v)) {\n    if (v < lo) { v = lo; }\n    if (v > hi) { v = hi; }\n  }\n  return v;\n}\n`;
  } else if (fn === 'copy') {
    src = `fn ${name}(x: T) -> T { return x; }\n`;
  } else if (fn === 'clampGrad') {
    src = `fn ${name}(v: T, g: T, lo: f32, hi: f32) -> T { return select(T(0), g, !is_nan(v) && v >= lo && v <= hi); }\n`;
  } else throw new Error(`webgrad internal: no chain function ${fn}`);
  FN_SOURCE.set(fn, src);
  return src;
}

const fnName = (fn: string): string => `op_${fn.replace(':', '_')}`;

/** Generated kernels by chain structure: a training step's chains repeat every step. */
const KERNELS = new Map<string, KernelDef>();
const MAX_KERNELS = 512;

/**
 * A sum over [outer, size, inner] of one node's values, computed as the chain runs: the chain's
 * grid becomes the reduction's (an invocation per line and chunk, as reduce.ts's `cols`), and
 * chunks > 1 leave partials that one more reduction pass sums into `out`.
 */
interface Tail {
  readonly node: number;
  readonly layout: ReduceLayout;
  readonly out: GPUStorage;
  readonly chunks: number;
  readonly chunkLen: number;
}

/** A pending chain: held by the recorder until something needs its results. */
class Chain implements HeldDispatch {
  readonly inputs: Input[] = [];
  readonly nodes: Node[] = [];
  /** The output shape strided inputs index into (null until one is added). */
  shape: Shape | null = null;
  tail: Tail | null = null;
  constructor(
    readonly gpu: GpuRuntime,
    readonly n: number,
  ) {}

  get reads(): readonly PooledBuffer[] {
    return this.inputs.map((i) => i.buf);
  }
  /** What the chain will write: results no longer wanted are not bound (their buffers may be reused). */
  get writes(): readonly PooledBuffer[] {
    const w = this.nodes.filter((nd) => nd.live).map((nd) => nd.out);
    if (this.tail !== null) w.push(this.tail.out.buffer!);
    return w;
  }

  /** Dims the kernel steps coordinates over: the shape's when an input is strided, else 1. */
  get rank(): number {
    return this.strided > 0 && this.shape !== null ? Math.max(1, this.shape.length) : 1;
  }

  get strided(): number {
    return this.inputs.reduce((c, i) => c + (i.mode === 'strided' ? 1 : 0), 0);
  }
  get paramWords(): number {
    return this.nodes.reduce((c, nd) => c + nd.params.length, 0);
  }

  /**
   * The live node whose result is `buf`, if it is in this chain. A released result's buffer goes
   * back to the pool unwritten (ChainBuilder.released) and may come back as another op's result,
   * even as a later node's: the buffer then names that one.
   */
  nodeOf(buf: PooledBuffer): number {
    return this.nodes.findIndex((nd) => nd.live && nd.out === buf);
  }

  encode(): void {
    const tail = this.tail;
    const live = this.nodes.filter((nd) => nd.live);
    if (live.length === 0 && tail === null) return;   // nothing reads any of its results
    const gpu = this.gpu;
    const def = this.#kernel();
    const buffers: Record<string, PooledBuffer> = {};
    this.inputs.forEach((inp, i) => (buffers[`in${i}`] = inp.buf));
    this.nodes.forEach((nd, i) => nd.live && (buffers[`out${i}`] = nd.out));
    const { outer, size, inner } = tail?.layout ?? { outer: 1, size: 1, inner: 1 };
    const params: Record<string, number | readonly number[]> = {
      n: this.n, outer, size, inner,
      chunks: tail?.chunks ?? 1, chunk_len: tail?.chunkLen ?? 1, zero: 0, shape: this.shape ?? [],
    };
    this.inputs.forEach((inp, i) => inp.mode === 'strided' && (params[`s${i}`] = inp.strides!));
    this.nodes.forEach((nd, i) => nd.params.forEach((v, j) => (params[`p${i}_${j}`] = v)));
    const label = this.nodes.map((nd) => nd.label).join('+') + (tail ? '+sum' : '');
    if (tail === null) {
      const { wg, groups } = elementwiseShape(this.n, gpu.profile);
      gpu.run(def, { types: { T: 'f32' }, constants: { WG: wg } }, buffers as never, params as never, [groups, 1, 1], label);
      return;
    }
    const variant = { types: { T: 'f32' as const } };
    const lines = outer * inner;
    const partials = tail.chunks === 1 ? tail.out : gpu.alloc(lines * tail.chunks, 'float32', label);
    buffers.red = partials.buffer!;
    gpu.run(def, variant, buffers as never, params as never, groupsFor(lines * tail.chunks, 256), label);
    if (partials !== tail.out) {
      sumPartials(gpu, partials.buffer!, { outer, size: tail.chunks, inner }, tail.out, label);
      gpu.release(partials);
    }
  }

  #kernel(): KernelDef {
    const key =
      this.inputs.map((i) => MODE_KEY[i.mode]).join('') + '|' +
      this.nodes.map((nd) => `${nd.fn}(${nd.args.map(ref).join(',')})${nd.live ? '' : '~'}`).join(';') +
      `|${this.nodes.map((nd) => nd.params.length).join('')}|r${this.rank}` + (this.tail ? `|sum(t${this.tail.node})` : '');
    let def = KERNELS.get(key);
    if (def !== undefined) return def;
    const fields: Record<string, Field> = {
      n: 'u32', outer: 'u32', size: 'u32', inner: 'u32', chunks: 'u32', chunk_len: 'u32', zero: 'u32', shape: 'u32x8',
    };
    const bindings: Record<string, BindingDecl> = {};
    let binding = 1;
    this.inputs.forEach((inp, i) => {
      bindings[`in${i}`] = { binding: binding++, access: 'r', type: 'T' };
      if (inp.mode === 'strided') fields[`s${i}`] = 'u32x8';
    });
    this.nodes.forEach((nd, i) => {
      if (nd.live) bindings[`out${i}`] = { binding: binding++, access: 'w', type: 'T' };
      nd.params.forEach((_, j) => (fields[`p${i}_${j}`] = 'f32'));
    });
    if (this.tail) bindings.red = { binding: binding++, access: 'w', type: 'T' };
    const iface = shaderInterface(fields, bindings);
    const fns = [...new Set(this.nodes.map((nd) => nd.fn))].map(fnSource).join('');
    let body = `const RANK: u32 = ${this.rank}u;\nfn chain_at(e: u32, c: Coords) -> T {\n`;
    this.inputs.forEach((inp, i) => {
      const at = inp.mode === 'contig' ? 'e' : inp.mode === 'scalar' ? '0u' : `offset(c, P.s${i})`;
      body += `  let i${i} = in${i}[${at}];\n`;
    });
    this.nodes.forEach((nd, i) => {
      const args = [...nd.args.map(ref), ...nd.params.map((_, j) => `P.p${i}_${j}`)];
      // opaque(): each result as the separate kernels store it, not an expression the shader
      // compiler may fold with the next op's ((a + b) - a -> b lost Inf and NaN on lavapipe).
      body += `  let t${i} = opaque(${fnName(nd.fn)}(${args.join(', ')}), ${i + 1}u);\n`;
      if (nd.live) body += `  out${i}[e] = t${i};\n`;
    });
    body += `  return ${this.tail ? `t${this.tail.node}` : 'T(0)'};\n}\n`;
    const entry = this.tail ? 'chain_sum' : 'chain';
    def = defineKernel('chain', this.tail ? chainSrc + chainSumSrc : chainSrc, entry, iface, Object.keys(bindings), mathSrc + coordsSrc + fns + body);
    if (KERNELS.size >= MAX_KERNELS) KERNELS.clear();
    KERNELS.set(key, def);
    return def;
  }
}

const ref = (r: Ref): string => ('input' in r ? `i${r.input}` : `t${r.node}`);

/**
 * Collects the elementwise ops of a compiled step into chains. Each method returns the op's
 * result, or null when the op cannot join a chain (another dtype, a broadcast read of a result
 * the chain holds, more than MAX_RANK dims): the caller then records it as usual, after the
 * chain if it depends on it.
 */
export class ChainBuilder {
  #chain: Chain | null = null;
  readonly #maxBindings: number;
  /** Ops that joined a chain, and chains recorded: for the compiled step's report. */
  ops = 0;

  constructor(readonly gpu: GpuRuntime) {
    this.#maxBindings = Math.max(4, gpu.limits.maxStorageBuffersPerShaderStage);
  }

  unary(op: UnaryOp, x: Storage, param: number): GPUStorage | null {
    return this.#join(op, `u:${op}`, null, x.numel, [{ storage: x, strides: null }], [param]);
  }

  unaryGrad(op: UnaryOp, x: Storage, y: Storage, dy: Storage, param: number): GPUStorage | null {
    const reads = UNARY[op].gradReads;
    const saved = reads === 'x' ? x : reads === 'y' ? y : dy;
    return this.#join(`${op} backward`, `g:${op}`, null, dy.numel, [{ storage: saved, strides: null }, { storage: dy, strides: null }], [param]);
  }

  clamp(x: Storage, min: number, max: number): GPUStorage | null {
    const { lo, hi } = clampBounds('float32', min, max);
    return this.#join('clamp', 'clamp', null, x.numel, [{ storage: x, strides: null }], [lo, hi]);
  }

  clampGrad(x: Storage, dy: Storage, min: number, max: number): GPUStorage | null {
    const { lo, hi } = clampBounds('float32', min, max);
    return this.#join('clamp backward', 'clampGrad', null, dy.numel, [{ storage: x, strides: null }, { storage: dy, strides: null }], [lo, hi]);
  }

  /**
   * A copy of x (clone: autograd hands each input its own gradient) while a chain is pending:
   * as a buffer copy it would record the chain first and split it, and a sum of the gradient
   * (a bias's) could no longer end it. Null when no chain is pending: then a buffer copy is the
   * cheaper way (no dispatch).
   */
  copy(x: Storage): GPUStorage | null {
    const c = this.#chain;
    if (c === null || c.n !== x.numel || !this.gpu.recorder.held.includes(c)) return null;
    return this.#join('clone', 'copy', null, x.numel, [{ storage: x, strides: null }], []);
  }

  /**
   * x read with `strides` as a tensor of `shape` (a broadcast copy: expand, the gradient of a
   * mean or a sum; a permuted view's contiguous copy): the chain reads x through the strides
   * and the ops that use the copy join it. Started fresh when no chain is pending, since it
   * costs the one dispatch the gather kernel would and what follows may join it: a LayerNorm
   * backward's two broadcast copies of row gradients each joined the chain after them.
   */
  gather(x: Storage, shape: Shape, strides: readonly number[]): GPUStorage | null {
    let n = 1;
    for (const d of shape) n *= d;
    return this.#join('strided', 'copy', shape, n, [{ storage: x, strides }], []);
  }

  binary(op: ArithOp, a: Storage, b: Storage, outShape: Shape, aStrides: readonly number[], bStrides: readonly number[]): GPUStorage | null {
    let n = 1;
    for (const d of outShape) n *= d;
    return this.#join(op, `b:${op}`, outShape, n, [{ storage: a, strides: aStrides }, { storage: b, strides: bStrides }], []);
  }

  /**
   * The sum of x over `layout` ([outer, size, inner], x contiguous), computed by the pending
   * chain as it runs when x is one of its results (`x.pow(2).sum()`, a LayerNorm's variance, a
   * gradient's sumTo); null otherwise, or when the chain already has a sum or no room for one.
   */
  reduceSum(x: Storage, layout: ReduceLayout): GPUStorage | null {
    const gpu = this.gpu;
    const c = this.#chain;
    if (c === null || c.tail !== null || x.dtype !== 'float32' || !gpu.recorder.held.includes(c)) return null;
    const node = c.nodeOf(gpu.buf(x, 'sum'));
    const { outer, size, inner } = layout;
    const lines = outer * inner;
    if (node < 0 || size === 0 || lines === 0 || lines * size !== c.n) return null;
    // Long contiguous lines go to reduce.ts's workgroup-tree kernel, as they would eagerly: the
    // sum then has eager's order exactly, and those lines are where a tree pays.
    if (reducesByRows(size, inner)) return null;
    if (c.inputs.length + c.nodes.filter((nd) => nd.live).length + 1 > this.#maxBindings) return null;
    let chunks = colsChunks(size, lines);
    const chunkLen = Math.ceil(size / chunks);
    chunks = Math.ceil(size / chunkLen);
    gpu.live('sum');
    const out = gpu.alloc(lines, 'float32', 'sum');
    c.tail = { node, layout, out, chunks, chunkLen };
    this.ops++;
    return out;
  }

  /**
   * A storage was released: if it holds a result of the pending chain, that result is not
   * stored, and true says that nothing recorded uses the buffer (a chain is recorded before any
   * command that reads its results), so the pool may hand it out again at once. Within a
   * compiled step, a chain's temporaries then take no memory beyond the chain's own stores.
   */
  released(buf: PooledBuffer): boolean {
    const c = this.#chain;
    if (c === null || !this.gpu.recorder.held.includes(c)) return false;
    const i = c.nodeOf(buf);
    if (i < 0 || !c.nodes[i].live) return false;
    c.nodes[i].live = false;
    return true;
  }

  #join(label: string, fn: string, shape: Shape | null, n: number, operands: readonly Operand[], params: readonly number[]): GPUStorage | null {
    const gpu = this.gpu;
    if (n === 0 || operands.some((o) => o.storage.dtype !== 'float32')) return null;
    if (shape !== null && shape.length > MAX_RANK) return null;
    const bufs = operands.map((o) => gpu.buf(o.storage, label));
    gpu.live(label);
    for (;;) {
      const current = this.#chain !== null && gpu.recorder.held.includes(this.#chain) && this.#chain.n === n ? this.#chain : null;
      let chain = current;
      let plan = current && this.#plan(current, shape, operands, bufs, params);
      if (plan === null) {
        // A fresh chain: any result of the old one this op reads is then an ordinary input.
        chain = new Chain(gpu, n);
        plan = this.#plan(chain, shape, operands, bufs, params);
        if (plan === null) return null;
      }
      // What other held dispatches write and this op reads is recorded first (held dispatches
      // never depend on each other, so it may go before the chain). Recording may submit, and
      // a submit records every held dispatch: the chain this op meant to join, too. It then
      // holds no more ops (they would never run): plan again. A fresh chain is held here, also
      // one started because the pending chain had no room for the op (bindings, nodes,
      // parameter words): a chain the recorder does not hold never runs, and when the op reads
      // none of the full chain's results, nothing else records that one first.
      gpu.recorder.encodeWriters(plan.newInputs.map((i) => i.buf), chain!);
      if (chain === current && !gpu.recorder.held.includes(current!)) continue;
      if (chain !== current) {
        gpu.recorder.hold(chain!);   // held last, after whatever holding records first
        this.#chain = chain;
      }
      const out = gpu.alloc(n, 'float32', label);
      for (const inp of plan.newInputs) chain!.inputs.push(inp);
      if (plan.shape !== null) chain!.shape = plan.shape;
      chain!.nodes.push({ fn, args: plan.args, params, out: out.buffer!, label, live: true });
      this.ops++;
      return out;
    }
  }

  /** How the op would join `chain`, or null if it cannot. */
  #plan(chain: Chain, shape: Shape | null, operands: readonly Operand[], bufs: readonly PooledBuffer[], params: readonly number[]):
    { args: Ref[]; newInputs: Input[]; shape: Shape | null } | null {
    if (chain.nodes.length >= MAX_NODES) return null;
    const args: Ref[] = [];
    const newInputs: Input[] = [];
    let chainShape = chain.shape;
    for (let k = 0; k < operands.length; k++) {
      const o = operands[k];
      const buf = bufs[k];
      const mode = modeOf(o, shape, chain.n);
      const node = chain.nodeOf(buf);
      if (node >= 0) {
        if (mode !== 'contig') return null;   // a broadcast read of a pending result
        args.push({ node });
        continue;
      }
      if (buf === chain.tail?.out.buffer) return null;   // the chain's own sum: known only when it ends
      if (mode === 'strided') {
        if (chainShape !== null && !sameShape(chainShape, shape!)) return null;
        chainShape = shape;
      }
      const strides = mode === 'strided' ? o.strides : null;
      const all = [...chain.inputs, ...newInputs];
      let i = all.findIndex((inp) => inp.buf === buf && inp.mode === mode && sameShape(inp.strides ?? [], strides ?? []));
      if (i < 0) {
        i = all.length;
        newInputs.push({ buf, mode, strides });
      }
      args.push({ input: i });
    }
    const inputs = chain.inputs.length + newInputs.length;
    const outputs = chain.nodes.filter((nd) => nd.live).length + 1;
    if (inputs + outputs > this.#maxBindings) return null;
    const strided = chain.strided + newInputs.filter((i) => i.mode === 'strided').length;
    if (FIXED_WORDS + 8 * strided + chain.paramWords + params.length > SLOT_WORDS) return null;
    return { args, newInputs, shape: chainShape };
  }
}

/** How an operand with these strides over `shape` is read at output element e. */
function modeOf(o: Operand, shape: Shape | null, n: number): Mode {
  if (o.strides === null) return 'contig';
  if (o.storage.numel === 1 && n !== 1) return 'scalar';
  return o.storage.numel === n && isRowMajor(shape!, o.strides) ? 'contig' : 'strided';
}
