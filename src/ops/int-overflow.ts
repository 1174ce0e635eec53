import { WebgradError, fmtShape } from '../errors.js';
import type { HostRange } from '../memory.js';
import type { Tensor } from '../tensor.js';
import { hostValues } from './util.js';

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/**
 * int32 `sum`, `cumsum` and `prod` accumulate in int32, which wraps: 3 * 2^30 summed to
 * -1073741824. PyTorch returns int64; webgrad has no int64, and a float32 result would round
 * above 2^24, so neither is exact either. The rule instead: such a reduction runs only when
 * the host can prove its result fits int32, from the input's bounds (`Tensor.hostRange`, known
 * for tensors built on the host: tensor(), arange, randint, the DataLoader, argmax...) or, on
 * the CPU backend, from its values. Otherwise it is refused, naming the fix (cast to float32).
 * Never silently wrong, and the result carries its bounds, so a sum of sums is checked too.
 *
 * Returns the result's bounds (null for float inputs, which are not checked).
 */
export function int32Accumulation(op: 'sum' | 'cumsum' | 'prod', x: Tensor, count: number): HostRange | null {
  if (x.dtype !== 'int32') return null;
  if (x.numel === 0 || count === 0) return op === 'prod' ? { min: 1, max: 1 } : { min: 0, max: 0 };
  let range = x.hostRange;
  if (range === null) {
    const values = hostValues(x);
    if (values !== null) {
      let min = Infinity;
      let max = -Infinity;
      for (let i = 0; i < values.length; i++) {
        if (values[i] < min) min = values[i];
        if (values[i] > max) max = values[i];
      }
      range = { min, max };
    }
  }
  const fix = "cast first with .to('float32') (exact up to 2^24), or sum smaller parts";
  if (range === null) {
    throw new WebgradError(op, `the ${op} of an int32 tensor of shape ${fmtShape(x.shape)} computed on the GPU could overflow int32 and wrap, and its values are not known on the host (PyTorch returns int64; webgrad has no int64): ${fix}, or build the tensor on the host (tensor(), arange, randint, the DataLoader) so its bounds are known`);
  }
  const { min: lo, max: hi } = range;
  let out: HostRange;
  if (op === 'sum') out = { min: count * lo, max: count * hi };
  else if (op === 'cumsum') out = { min: Math.min(lo, count * lo), max: Math.max(hi, count * hi) };
  else {
    const m = Math.max(Math.abs(lo), Math.abs(hi)) ** count;
    // Every factor non-negative: so is the product; |product| <= max|x|^count; with |x| <= 1
    // the bound stays 1.
    const bound = Math.max(m, 1);
    out = { min: lo >= 0 ? 0 : -bound, max: bound };
  }
  if (out.min < INT32_MIN || out.max > INT32_MAX) {
    const reach = out.max > INT32_MAX ? out.max : out.min;
    throw new WebgradError(op, `the ${op} of ${count} int32 values in [${lo}, ${hi}] (shape ${fmtShape(x.shape)}) may reach ${reach}, outside int32: it would wrap (PyTorch returns int64; webgrad has no int64): ${fix}`);
  }
  return out;
}
