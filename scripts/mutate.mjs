#!/usr/bin/env node
// Mutation check: does the suite notice a deliberately broken library?
//
//   npm run mutate                      every mutant in MUTANTS
//   npm run mutate -- --only relu       the mutants whose name contains "relu"
//   npm run mutate -- --list            print the list and check every search string
//
// Each mutant is one small edit (an exact search string, replaced once) applied to a temporary
// COPY of the repository (src/, shaders/, test/, examples/, docs/, configs; node_modules is a
// symlink), never to this working tree. The copy first runs every listed test file unmutated
// (a mutant "killed" by a suite that fails anyway proves nothing); then, one mutant at a time,
// it applies the edit, runs only that mutant's test files (with a timeout), and restores the
// file. A mutant is killed when at least one test fails; it survives when all pass. The script
// exits non-zero when any mutant survives, when the baseline fails, or when a search string is
// missing or ambiguous in its file (the list is stale: fix it, never skip it).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The mutants. `search` must occur exactly once in `file`; `tests` are the test files run
 * against the mutant (both backends where the file runs both). Keep each edit small and
 * plausible: a bug someone could write, not a syntax error.
 */
const MUTANTS = [
  // ---- the bugs issue 16 found surviving the whole suite ----
  { name: 'min(dim, keepdim) ignores keepdim', file: 'src/tensor.ts', search: 'min(dim?: number | null, keepdim = false): Tensor | R.ValuesIndices { return R.min(this, dim, keepdim); }', replace: 'min(dim?: number | null, keepdim = false): Tensor | R.ValuesIndices { return R.min(this, dim); }', tests: ['test/api-surface.test.ts'] },
  { name: 'square() computes 2x', file: 'src/tensor.ts', search: 'square(): Tensor { return E.pow(this, 2); }', replace: 'square(): Tensor { return B.add(this, this); }', tests: ['test/api-surface.test.ts'] },
  { name: 'ge() is gt()', file: 'src/tensor.ts', search: "ge(other: Operand): Tensor { return B.compare('ge', this, other); }", replace: "ge(other: Operand): Tensor { return B.compare('gt', this, other); }", tests: ['test/api-surface.test.ts'] },
  { name: 'flatten(start, end) ignores end', file: 'src/tensor.ts', search: 'flatten(startDim = 0, endDim = -1): Tensor { return S.flatten(this, startDim, endDim); }', replace: 'flatten(startDim = 0, endDim = -1): Tensor { return S.flatten(this, startDim); }', tests: ['test/api-surface.test.ts'] },
  { name: "to('int32') returns float32", file: 'src/tensor.ts', search: 'return E.cast(this, dtype);', replace: "return E.cast(this, dtype === 'int32' ? 'float32' : dtype);", tests: ['test/api-surface.test.ts'] },
  { name: 'tolist() strides by the last dim only (wrong on 3-D)', file: 'src/tensor.ts', search: 'const stride = numelOf(this.shape.slice(dim + 1));', replace: 'const stride = numelOf(this.shape.slice(-1));', tests: ['test/api-surface.test.ts'] },
  { name: 'argmin ignores keepdim', file: 'src/tensor.ts', search: 'argmin(dim?: number | null, keepdim = false): Tensor { return R.argmin(this, dim, keepdim); }', replace: 'argmin(dim?: number | null, keepdim = false): Tensor { return R.argmin(this, dim); }', tests: ['test/api-surface.test.ts'] },
  { name: 'save() writes int32 tensors as F32', file: 'src/serialize.ts', search: 'entries[name] = { dtype: t.dtype, shape: [...t.shape], data: await t.toArray() };', replace: "entries[name] = t.dtype === 'int32' ? { dtype: 'float32', shape: [...t.shape], data: Float32Array.from(await t.toArray()) } : { dtype: t.dtype, shape: [...t.shape], data: await t.toArray() };", tests: ['test/api-surface.test.ts'] },

  // ---- gradients ----
  { name: 'relu gradient passes at x = 0 (CPU)', file: 'src/kernels/unary.ts', search: 'dx[i] = x[i] <= 0 ? 0 : dy[i];', replace: 'dx[i] = x[i] < 0 ? 0 : dy[i];', tests: ['test/api-surface.test.ts'] },
  { name: 'relu gradient passes at x = 0 (WGSL)', file: 'src/kernels/unary.ts', search: "wgslGrad: 'select(T(0), g, s > T(0) || is_nan(s))',", replace: "wgslGrad: 'select(T(0), g, s >= T(0) || is_nan(s))',", tests: ['test/api-surface.test.ts'] },
  { name: 'clamp gradient excludes its bounds (CPU)', file: 'src/backend/cpu/unary.ts', search: 'dx[i] = v >= lo && v <= hi ? dy[i] : 0;', replace: 'dx[i] = v > lo && v < hi ? dy[i] : 0;', tests: ['test/api-surface.test.ts'] },
  { name: 'clamp gradient excludes its bounds (WGSL)', file: 'shaders/unary.wgsl', search: 'let keep = !is_nan(v) && v >= P.lo && v <= P.hi;', replace: 'let keep = !is_nan(v) && v > P.lo && v < P.hi;', tests: ['test/api-surface.test.ts'] },
  { name: 'sumTo keeps the last row instead of the sum (broadcast gradients)', file: 'src/backend/cpu/movement.ts', search: 'acc[walk.bOff] += s;', replace: 'acc[walk.bOff] = s;', tests: ['test/api-surface.test.ts', 'test/ops.test.ts'] },
  { name: 'matmul backward dA reads B untransposed', file: 'src/ops/matmul.ts', search: 'needs[0] ? reduceTo(gemm(op, dy, b, false, true), a.shape) : null,', replace: 'needs[0] ? reduceTo(gemm(op, dy, b, false, false), a.shape) : null,', tests: ['test/ops.test.ts'] },
  { name: 'backward overwrites a leaf gradient instead of accumulating', file: 'src/autograd/engine.ts', search: '    into.add_(g);\n    g.dispose();', replace: '    into.copy_(g);\n    g.dispose();', tests: ['test/api-surface.test.ts'] },
  { name: 'backward overwrites an intermediate used twice', file: 'src/autograd/engine.ts', search: '    prev.add_(g);', replace: '    prev.copy_(g);', tests: ['test/autograd.test.ts'] },

  // ---- the machinery every kernel launch rests on ----
  { name: 'machinery: uniform arrays not 16-byte aligned', file: 'src/backend/webgpu/shader-interface.ts', search: '    if (isArray(field)) word = Math.ceil(word / 4) * 4;\n', replace: '', tests: ['test/units.test.ts'] },
  { name: 'machinery: a held dispatch is recorded after a command that reads its result', file: 'src/backend/webgpu/recorder.ts', search: 'h.writes.some((w) => reads.includes(w) || writes.includes(w))', replace: 'h.writes.some((w) => writes.includes(w))', tests: ['test/ops.test.ts'] },
  { name: 'machinery: opScope frees a temporary the graph saved', file: 'src/ops/util.ts', search: 'if (saves || !owners.has(t)) owners.set(t, node);', replace: 'if (!saves && !owners.has(t)) owners.set(t, node);', tests: ['test/gradcheck.test.ts'] },
  { name: 'machinery: generated op constants off by one', file: 'src/backend/webgpu/op-header.ts', search: 'const ${constName(op)}: u32 = ${i}u;', replace: 'const ${constName(op)}: u32 = ${i + 1}u;', tests: ['test/units.test.ts'] },

  // ---- kernels ----
  { name: 'conv input gradient (CPU-emulated): weights not mirrored', file: 'shaders/conv.wgsl', search: '* P.ocg + row) * k_hw() + k_hw() - 1u - kk % k_hw(); }', replace: '* P.ocg + row) * k_hw() + kk % k_hw(); }', tests: ['test/conv-gpu.test.ts'] },
  { name: 'conv input gradient (CPU-emulated): padding ignores dilation', file: 'src/backend/webgpu/conv.ts', search: 'const padH = a.dilH * (a.kH - 1) - a.padH;', replace: 'const padH = a.kH - 1 - a.padH;', tests: ['test/conv-gpu.test.ts'] },
  { name: 'conv weight gradient (conv_dw): a split starts at its sample\'s first row', file: 'shaders/conv.wgsl', search: 'var oh = r0 % P.out_h;', replace: 'var oh = 0u;', tests: ['test/conv-gpu.test.ts'] },
  { name: 'conv weight gradient (conv_dw): the next sample not carried', file: 'shaders/conv.wgsl', search: '      oh = 0u;\n      nn += 1u;', replace: '      oh = 0u;', tests: ['test/conv-gpu.test.ts'] },
  { name: 'softmax without max subtraction (CPU)', file: 'src/backend/cpu/softmax.ts', search: 'const t = Math.exp(x[xi] - max);', replace: 'const t = Math.exp(x[xi]);', tests: ['test/api-surface.test.ts'] },
  { name: 'softmax without max subtraction (WGSL: the max is never raised above 0)', file: 'shaders/softmax.wgsl', search: '  if (is_nan(b) || b > a) { return b; }\n  return a;', replace: '  if (is_nan(b)) { return b; }\n  return max(a, 0.0);', tests: ['test/api-surface.test.ts'] },
  { name: 'broadcast strides: size-1 dims keep their stride', file: 'src/shape.ts', search: "return outShape.map((_, i) => (i < off || shape[i - off] === 1 ? 0 : strides[i - off]));", replace: 'return outShape.map((_, i) => (i < off ? 0 : strides[i - off]));', tests: ['test/api-surface.test.ts'] },
  { name: 'matmul transB ignored in thin products (CPU)', file: 'src/backend/cpu/matmul.ts', search: 'const bCs = transB ? k : 1;', replace: 'const bCs = 1;', tests: ['test/backend-cpu.test.ts'] },
  { name: 'Adam without bias correction of the first moment (CPU)', file: 'src/backend/cpu/optim.ts', search: 'const stepSize = lr / (1 - Math.pow(beta1, step));', replace: 'const stepSize = lr;', tests: ['test/api-surface.test.ts'] },
  { name: 'Adam without bias correction of the first moment (WebGPU host side)', file: 'src/backend/webgpu/optim.ts', search: 'const stepSize = a.lr / (1 - Math.pow(a.beta1, a.step));', replace: 'const stepSize = a.lr;', tests: ['test/api-surface.test.ts'] },
  { name: 'multi-tensor optim: a slot reads its neighbour\'s uniform values', file: 'src/backend/webgpu/optim.ts', search: 'const args = argNames.map((f) => `P.${f}_${s}`).join(\', \');', replace: 'const args = argNames.map((f) => `P.${f}_${Math.max(0, s - 1)}`).join(\', \');', tests: ['test/optim-foreach-gpu.test.ts'] },
  { name: 'multi-tensor optim: every slot loops over the first slot\'s element count', file: 'src/backend/webgpu/optim.ts', search: '`  for (var i = first; i < P.n_${s}; i += stride) {\\n`', replace: '`  for (var i = first; i < P.n_0; i += stride) {\\n`', tests: ['test/optim-foreach-gpu.test.ts'] },
  { name: 'multi-tensor optim: steps differing only in a flag (nesterov) share a dispatch', file: 'src/backend/webgpu/optim.ts', search: 'const variant = `${u.args.kind}|${Object.keys(flags).sort().map((f) => `${f}=${flags[f]}`).join(\',\')}`;', replace: 'const variant = `${u.args.kind}|${state.join(\',\')}`;', tests: ['test/optim-foreach-gpu.test.ts'] },
  { name: 'multi-tensor optim: updates sharing a storage still share a dispatch', file: 'src/backend/webgpu/optim.ts', search: 'const shared = new Set(all).size !== all.length;', replace: 'const shared = false;', tests: ['test/optim-foreach-gpu.test.ts'] },
  { name: 'foreach scale: the last slot of a dispatch is left unscaled', file: 'src/backend/webgpu/foreach.ts', search: '    body += `  for (var i = first;', replace: '    if (s < slots - 1) body += `  for (var i = first;', tests: ['test/foreach-scale.test.ts'] },
  { name: 'foreach scale: a storage listed twice shares a dispatch', file: 'src/backend/webgpu/foreach.ts', search: 'if (batch.length === k || batch.some((j) => bufs[j] === bufs[i])) {', replace: 'if (batch.length === k) {', tests: ['test/foreach-scale.test.ts'] },
  { name: 'foreach scale: targets written by the backend keep their version', file: 'src/ops/foreach.ts', search: '    for (const t of batch) t.markModified();\n', replace: '', tests: ['test/foreach-scale.test.ts'] },
  { name: 'crossEntropy reads the next class as the target (CPU)', file: 'src/backend/cpu/softmax.ts', search: 'loss[r] = -(logits[r * classes + targets[r]] - max - logSum);', replace: 'loss[r] = -(logits[r * classes + ((targets[r] + 1) % classes)] - max - logSum);', tests: ['test/api-surface.test.ts'] },
  { name: 'crossEntropy gradient subtracts one at the wrong class (WGSL)', file: 'shaders/cross_entropy.wgsl', search: 'return select(p, p - 1.0, u32(tgt[r]) == c) * dloss[r];', replace: 'return select(p, p - 1.0, u32(tgt[r]) == (c + 1u) % P.classes) * dloss[r];', tests: ['test/api-surface.test.ts'] },

  // ---- issue 12 and 13 kernels ----
  { name: 'maxPool2d takes the last maximum on ties (CPU)', file: 'src/backend/cpu/pool.ts', search: 'if (v > max || Number.isNaN(v)) {', replace: 'if (v >= max || Number.isNaN(v)) {', tests: ['test/pooling.test.ts'] },
  { name: 'batch norm updates running_var with the biased variance', file: 'src/ops/batch-norm.ts', search: 'variance.mul((momentum * n) / (n - 1))', replace: 'variance.mul(momentum)', tests: ['test/batch-norm.test.ts'] },
  { name: 'compiled chains: scalar and strided inputs share a kernel cache key', file: 'src/backend/webgpu/chain.ts', search: "const MODE_KEY: Record<Mode, string> = { contig: 'c', scalar: '1', strided: 'x' };", replace: "const MODE_KEY: Record<Mode, string> = { contig: 'c', scalar: 's', strided: 's' };", tests: ['test/compile-gpu.test.ts'] },
  { name: 'compiled chains: a result still read later is not stored', file: 'src/backend/webgpu/chain.ts', search: '    if (i < 0 || !c.nodes[i].live) return false;', replace: '    if (i < 0 || !c.nodes[i].live) {\n      if (c.nodes.length > 1) c.nodes[0].live = false;\n      return false;\n    }', tests: ['test/compile-gpu.test.ts'] },
  { name: 'compiled chains: an op joins a chain that a submit already recorded', file: 'src/backend/webgpu/chain.ts', search: '      if (chain === current && !gpu.recorder.held.includes(current!)) continue;\n', replace: '', tests: ['test/chain-sum-gpu.test.ts', 'test/compile-plan.test.ts'] },
  { name: 'compiled chains: a chain started when the pending one is full is not held', file: 'src/backend/webgpu/chain.ts', search: '      if (chain === current && !gpu.recorder.held.includes(current!)) continue;\n      if (chain !== current) {', replace: '      if (current !== null && !gpu.recorder.held.includes(current)) continue;\n      if (current === null) {', tests: ['test/compile-gpu.test.ts'] },
  { name: 'compiled chains: the shader compiler may fold ops across a chain', file: 'shaders/chain.wgsl', search: 'fn opaque(v: T, k: u32) -> T { return bitcast<T>(bitcast<u32>(v) ^ (P.zero * k)); }', replace: 'fn opaque(v: T, k: u32) -> T { return v; }', tests: ['test/compile-gpu.test.ts'] },
  { name: 'compiled chains: a clone in a chain shares its source\'s buffer', file: 'src/backend/webgpu/data.ts', search: '  if (chained) return chained;', replace: '  if (chained) return gpu.storage(x, \'cast\');', tests: ['test/compile-gpu.test.ts'] },
  { name: 'compiled chains: a dead result\'s buffer still names its node', file: 'src/backend/webgpu/chain.ts', search: 'return this.nodes.findIndex((nd) => nd.live && nd.out === buf);', replace: 'return this.nodes.findIndex((nd) => nd.out === buf);', tests: ['test/compile-gpu.test.ts'] },
  { name: 'compiled chains: a result released after its chain was recorded is reused before the submit', file: 'src/backend/webgpu/chain.ts', search: '    if (c === null || !this.gpu.recorder.held.includes(c)) return false;', replace: '    if (c === null) return false;', tests: ['test/compile-gpu.test.ts'] },
  { name: 'strided coordinates: a digit equal to its dim does not carry', file: 'shaders/coords.wgsl', search: 'carry = select(0u, 1u, v >= size_of(d));', replace: 'carry = select(0u, 1u, v > size_of(d));', tests: ['test/backend-webgpu.test.ts'] },
  { name: 'strided coordinates: the outermost dim steps without the carry in', file: 'shaders/coords.wgsl', search: '  r[0] = c[0] + step[0] + carry;', replace: '  r[0] = c[0] + step[0];', tests: ['test/backend-webgpu.test.ts'] },
  { name: 'strided coordinates: a vec4 gather starts at the word offset', file: 'src/backend/webgpu/data.ts', search: 'offset: vec4 ? offset / 4 : offset,', replace: 'offset,', tests: ['test/backend-webgpu.test.ts'] },
  { name: 'strided coordinates: a row kernel repeats a lane of the vec4 operand', file: 'shaders/binary.wgsl', search: 'out4[i] = vec4<U>(op(x.x, y), op(x.y, y), op(x.z, y), op(x.w, y));', replace: 'out4[i] = vec4<U>(op(x.x, y), op(x.y, y), op(x.z, y), op(x.z, y));', tests: ['test/backend-webgpu.test.ts'] },
  { name: 'strided coordinates: a row kernel reads vec4 operands with element strides', file: 'src/backend/webgpu/elementwise.ts', search: "(m === 'v' ? [...s.slice(0, -1).map((v) => v / 4), 1] : [...s])", replace: "(m === 'v' ? [...s.slice(0, -1), 1] : [...s])", tests: ['test/backend-webgpu.test.ts'] },
  { name: 'matmul vec4 B reads: every group reads the first', file: 'shaders/matmul.wgsl', search: 'load_b4((b_off + kk * N + min(out_col(col0, tx, j), N - 4u)) / 4u);', replace: 'load_b4((b_off + kk * N + min(out_col(col0, tx, 0u), N - 4u)) / 4u);', tests: ['test/backend-webgpu.test.ts'] },
  { name: 'matmul vec4 A reads: lanes y and z swapped', file: 'shaders/matmul.wgsl', search: 'ar[i] = v.x; ar[i + 1u] = v.y; ar[i + 2u] = v.z;', replace: 'ar[i] = v.x; ar[i + 1u] = v.z; ar[i + 2u] = v.y;', tests: ['test/backend-webgpu.test.ts'] },
  { name: 'matmul bias epilogue indexes the bias by row', file: 'shaders/matmul.wgsl', search: 'out2[o] = epilogue(o, c, acc[i * 8u + j]);', replace: 'out2[o] = epilogue(o, r, acc[i * 8u + j]);', tests: ['test/backend-webgpu.test.ts'] },
  { name: 'matmul bias epilogue takes a full-size operand as a row vector', file: 'src/backend/webgpu/fusion.ts', search: "size === 1 || strides[d] === (d === last ? 1 : 0)", replace: "size === 1 || d !== last || strides[d] === 1", tests: ['test/backend-webgpu.test.ts'] },
  { name: 'matmul bias epilogue: bias - p computed as p - bias', file: 'src/backend/webgpu/fusion.ts', search: "op === 'add' ? 'add' : left ? 'sub' : 'rsub'", replace: "op === 'add' ? 'add' : 'sub'", tests: ['test/backend-webgpu.test.ts'] },
  { name: 'compiled chains: a strided gather never joins a chain', file: 'src/backend/webgpu/data.ts', search: "const gathered = !run && offset === 0 && x.dtype === 'float32'", replace: "const gathered = false && !run && offset === 0 && x.dtype === 'float32'", tests: ['test/compile-gpu.test.ts'] },
  { name: 'attention reads every operand contiguously (head splits copied first)', file: 'src/ops/attention.ts', search: '  if (view.perm !== null) {', replace: '  if (view.perm === undefined) {', tests: ['test/attention.test.ts'] },
  { name: 'attention layouts: the batch index splits with the outer stride twice', file: 'shaders/attention.wgsl', search: 'return (b / inner) * outer + (b % inner) * istride + r * row;', replace: 'return (b / inner) * outer + (b % inner) * outer + r * row;', tests: ['test/attention.test.ts'] },
  { name: 'permuted views: a view of a view forgets the first permutation', file: 'src/tensor.ts', search: 'const perm = this.#copy === null ? order : order.map((d) => this.#copy!.perm[d]);', replace: 'const perm = order;', tests: ['test/transpose-view.test.ts'] },
  { name: 'fusion: a held producer is taken back before what the consumer reads is recorded (a submit may fall between)', file: 'src/backend/webgpu/recorder.ts', search: '    this.encodeWriters(reads, d);\n    if (this.#slots === this.#limit) this.submit();\n', replace: '', tests: ['test/chain-sum-gpu.test.ts'] },
  { name: 'where reads cond through a\'s strides', file: 'shaders/where.wgsl', search: 'let c = cond[offset(at, P.c_strides)];', replace: 'let c = cond[offset(at, P.a_strides)];', tests: ['test/activations-gpu.test.ts'] },
  { name: 'memory plan: a buffer a held dispatch reads is handed out while that dispatch records', file: 'src/backend/webgpu/recorder.ts', search: ' || this.#encoding.some(uses);', replace: ';', tests: ['test/compile-gpu.test.ts'] },
  { name: 'memory plan: a buffer a fused dispatch reads is handed to its result', file: 'src/backend/webgpu/recorder.ts', search: '    this.#held.splice(i, 1);\n    this.#taken = d;', replace: '    this.#held.splice(i, 1);', tests: ['test/compile-plan.test.ts'] },
  { name: 'memory plan: an upload lands before the batch that still reads the buffer', file: 'src/backend/webgpu/runtime.ts', search: '    if (this.planOf.get(buf)?.uploadHazard(buf)) this.recorder.submit();', replace: '    this.planOf.get(buf)?.uploadHazard(buf);', tests: ['test/compile-plan.test.ts'] },
  { name: 'memory plan: a buffer a live tensor holds is handed out again', file: 'src/backend/webgpu/step-plan.ts', search: '    return !p.inUse && (p.dedicatedTo', replace: '    return (p.dedicatedTo', tests: ['test/compile-plan.test.ts'] },
  { name: 'memory plan: results a caller keeps pile up in the plan', file: 'src/backend/webgpu/step-plan.ts', search: 'for (const p of [...this.#buffers.values()]) if (p.users.size === 0) this.#leave(p);', replace: 'for (const p of [...this.#buffers.values()]) if (p.users.size === 0 && !p.inUse) this.#drop(p);', tests: ['test/compile-plan.test.ts'] },
  { name: 'memory plan: survivors share buffers with earlier slots (never settles)', file: 'src/backend/webgpu/step-plan.ts', search: '      p.dedicatedTo = j;\n      this.#slots[j].dedicated = true;', replace: '      this.#slots[j].dedicated = false;', tests: ['test/compile-plan.test.ts'] },
  { name: 'causal attention lets a query see the next key (CPU)', file: 'src/backend/cpu/attention.ts', search: '    if (causal && j > i) {', replace: '    if (causal && j > i + 1) {', tests: ['test/attention.test.ts'] },
  { name: 'layerNorm variance without the centring (WGSL, invocation per row)', file: 'shaders/layer_norm.wgsl', search: 'for (var j = 0u; j < P.cols; j++) { let d = x[base + j] - m; q += d * d; }', replace: 'for (var j = 0u; j < P.cols; j++) { let d = x[base + j]; q += d * d; }', tests: ['test/layer-norm-fused.test.ts'] },
  { name: 'layerNorm dx without the mean(dy·w) term (WGSL, invocation per row)', file: 'shaders/layer_norm.wgsl', search: '  let mg = sg / n;', replace: '  let mg = 0.0;', tests: ['test/layer-norm-fused.test.ts'] },
  { name: 'layerNorm dbias partials summed along the wrong axis (WGSL)', file: 'shaders/layer_norm.wgsl', search: 'sb += pb[k * P.cols + c];', replace: 'sb += pb[c * P.chunks + k];', tests: ['test/layer-norm-fused.test.ts'] },
  { name: 'layerNorm dbias summed along the wrong axis (CPU)', file: 'src/backend/cpu/layer-norm.ts', search: 'db[c] += dy[base + c];', replace: 'db[r % cols] += dy[base + c];', tests: ['test/layer-norm-fused.test.ts'] },
  { name: 'layerNorm weight and bias gradients swapped', file: 'src/nn/layer-norm.ts', search: '      if (w) grads.push(dw);\n      if (b) grads.push(db);', replace: '      if (w) grads.push(db ?? dw);\n      if (b) grads.push(dw ?? db);', tests: ['test/layer-norm-fused.test.ts'] },
];

/** What the copy needs to run the test files. */
const COPY = ['src', 'shaders', 'test', 'examples', 'scripts', 'docs', 'README.md', 'package.json', 'tsconfig.json', 'tsconfig.build.json', 'vitest.config.ts'];
/** Per test run; api-surface.test.ts takes ~10 s on both backends on a 2-core machine. */
const TIMEOUT_S = Number(process.env.MUTATE_TIMEOUT_S ?? 300);

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : null;
const listOnly = args.includes('--list');
const selected = MUTANTS.filter((m) => only === null || m.name.includes(only));

const count = (hay, needle) => hay.split(needle).length - 1;

// A stale list must fail loudly, before anything runs.
const stale = [];
for (const m of selected) {
  const path = join(root, m.file);
  if (!existsSync(path)) {
    stale.push(`${m.name}: ${m.file} does not exist`);
    continue;
  }
  const n = count(readFileSync(path, 'utf8'), m.search);
  if (n !== 1) stale.push(`${m.name}: the search string occurs ${n} times in ${m.file} (expected exactly once):\n    ${JSON.stringify(m.search)}`);
  for (const t of m.tests) if (!existsSync(join(root, t))) stale.push(`${m.name}: test file ${t} does not exist`);
}
if (listOnly) for (const m of selected) console.log(`${m.name}\n  ${m.file}  ->  ${m.tests.join(' ')}`);
if (stale.length) {
  console.error(`mutate: the mutant list is stale; fix these entries in scripts/mutate.mjs:\n  ${stale.join('\n  ')}`);
  process.exit(2);
}
if (selected.length === 0) {
  console.error(`mutate: no mutant matches --only ${only}`);
  process.exit(2);
}
if (listOnly) process.exit(0);

const work = mkdtempSync(join(tmpdir(), 'webgrad-mutate-'));
for (const p of COPY) if (existsSync(join(root, p))) cpSync(join(root, p), join(work, p), { recursive: true });
symlinkSync(realpathSync(join(root, 'node_modules')), join(work, 'node_modules'), 'dir');
const env = { ...process.env };
if (!env.XDG_RUNTIME_DIR) {
  env.XDG_RUNTIME_DIR = join(work, '.xdg');
  mkdirSync(env.XDG_RUNTIME_DIR, { mode: 0o700 });
}
const vitest = join(work, 'node_modules', '.bin', 'vitest');

/** Runs `tests` in the copy: { failed, passed, seconds, note }. */
function runTests(tests) {
  const report = join(work, '.mutate-report.json');
  rmSync(report, { force: true });
  const t0 = performance.now();
  const r = spawnSync(vitest, ['run', ...tests, '--bail=1', '--reporter=json', `--outputFile=${report}`], {
    cwd: work,
    env,
    encoding: 'utf8',
    timeout: TIMEOUT_S * 1000,
    killSignal: 'SIGKILL',
  });
  const seconds = (performance.now() - t0) / 1000;
  if (r.error?.code === 'ETIMEDOUT' || r.signal) return { failed: null, passed: 0, seconds, note: `timed out after ${TIMEOUT_S} s` };
  let failed = null;
  let passed = 0;
  let note = '';
  try {
    const j = JSON.parse(readFileSync(report, 'utf8'));
    failed = j.numFailedTests;
    passed = j.numPassedTests;
    const first = j.testResults.flatMap((f) => f.assertionResults).find((a) => a.status === 'failed');
    if (first) note = `${first.fullName}: ${String(first.failureMessages[0] ?? '').split('\n')[0].replace(/\x1b\[[0-9;]*m/g, '').slice(0, 160)}`;
    else if (r.status !== 0) note = `exit ${r.status} with no failed test (a suite failed to load?)`;
  } catch {
    note = `no report (exit ${r.status}): ${(r.stderr || r.stdout).split('\n').filter(Boolean).slice(-3).join(' | ').slice(0, 300)}`;
  }
  return { failed, passed, seconds, note, status: r.status };
}

const t0 = performance.now();
let code = 0;
try {
  const allTests = [...new Set(selected.flatMap((m) => m.tests))];
  console.log(`mutate: copy in ${work}; baseline: ${allTests.join(' ')}`);
  const base = runTests(allTests);
  if (base.failed !== 0 || base.status !== 0) {
    throw new Error(`the unmutated copy does not pass (${base.note || `${base.failed} failed`}); mutants would prove nothing`);
  }
  console.log(`mutate: baseline passes (${base.passed} tests, ${base.seconds.toFixed(0)} s); ${selected.length} mutants\n`);

  const survived = [];
  for (const [i, m] of selected.entries()) {
    const path = join(work, m.file);
    const original = readFileSync(path, 'utf8');
    writeFileSync(path, original.replace(m.search, () => m.replace));
    let r;
    try {
      r = runTests(m.tests);
    } finally {
      writeFileSync(path, original);
    }
    const killed = r.failed === null || r.failed > 0 || r.status !== 0;
    if (!killed) survived.push(m);
    const tag = !killed ? 'SURVIVED' : r.failed === null ? 'KILLED (timeout or crash)' : 'KILLED  ';
    console.log(`[${String(i + 1).padStart(2)}/${selected.length}] ${tag} ${m.name} (${r.seconds.toFixed(0)} s)${killed ? `\n          by ${r.note}` : ''}`);
  }
  const total = (performance.now() - t0) / 1000;
  console.log(`\nmutate: ${selected.length - survived.length}/${selected.length} killed, ${survived.length} survived, ${total.toFixed(0)} s in all`);
  if (survived.length) {
    console.log(`survivors (the suite does not notice these bugs):\n${survived.map((m) => `  - ${m.name} (${m.file}; ran ${m.tests.join(' ')})`).join('\n')}`);
    code = 1;
  }
} catch (e) {
  console.error(`mutate: ${e.message}`);
  code = 3;
} finally {
  rmSync(work, { recursive: true, force: true });
}
process.exit(code);
