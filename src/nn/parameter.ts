import { WebgradError, fmtShape } from '../errors.js';
import { keep } from '../memory.js';
import { Tensor } from '../tensor.js';

/**
 * A tensor that a Module registers as a parameter when assigned to one of its fields, as
 * torch.nn.Parameter: `this.w = new nn.Parameter(wg.randn(4, 2))`. It shares `data`'s storage,
 * is a leaf that requires grad (unless `requiresGrad` is false), and is kept out of `scope()`:
 * it lives until `dispose()` (or the module's).
 */
export class Parameter extends Tensor {
  constructor(data: Tensor, requiresGrad = true) {
    if (!(data instanceof Tensor)) throw new WebgradError('Parameter', `expected a Tensor, got ${data === null ? 'null' : typeof data}`);
    if (requiresGrad && data.dtype === 'int32') {
      throw new WebgradError('Parameter', `only floating point tensors can require gradients (got int32 of shape ${fmtShape(data.shape)}); pass requiresGrad false or cast with .float()`);
    }
    super(Tensor.shareRef(data, 'Parameter'), data.shape, data.dtype);
    if (requiresGrad) this.requiresGrad = true;
    keep(this);
  }

  override toString(): string {
    return `Parameter containing:\n${super.toString()}`;
  }
}
