import { mergeDims, type Shape } from '../../shape.js';

/**
 * Walks a contiguous row-major iteration over `shape` one row (last dim) at a time, tracking
 * where each row starts in two strided operands `a` and `b`. Kernels run a plain inner loop over
 * the row (steps `aStep`, `bStep`) and call `next()` between rows, so the per-element cost is a
 * typed-array read, never index arithmetic over every dim.
 *
 * Dims are merged first (mergeDims, src/shape.ts, as the WebGPU kernels do): a same-shape
 * elementwise op becomes one long row, and `[n,1] + [1,m]` or a 2-D transpose stay two dims
 * however they were written.
 */
export class RowWalk {
  /** Elements per row (0 when the shape is empty). */
  readonly rowLen: number;
  readonly rows: number;
  readonly aStep: number;
  readonly bStep: number;
  aOff: number;
  bOff: number;
  readonly #sizes: number[];
  readonly #aStr: number[];
  readonly #bStr: number[];
  readonly #idx: Int32Array;

  constructor(shape: Shape, aStrides: readonly number[], bStrides: readonly number[], aOffset = 0, bOffset = 0) {
    const empty = shape.includes(0);
    const merged = mergeDims(shape, [aStrides, bStrides]);
    const sizes = merged.shape.length > 0 ? merged.shape : [1];
    const [as, bs] = merged.shape.length > 0 ? merged.strides : [[0], [0]];
    const last = sizes.length - 1;
    this.rowLen = empty ? 0 : sizes[last];
    this.rows = empty ? 0 : sizes.slice(0, last).reduce((x, y) => x * y, 1);
    this.aStep = as[last];
    this.bStep = bs[last];
    this.aOff = aOffset;
    this.bOff = bOffset;
    this.#sizes = sizes.slice(0, last);
    this.#aStr = as.slice(0, last);
    this.#bStr = bs.slice(0, last);
    this.#idx = new Int32Array(last);
  }

  /** Advances to the next row (an odometer over the outer dims). */
  next(): void {
    const idx = this.#idx;
    for (let d = idx.length - 1; d >= 0; d--) {
      if (++idx[d] < this.#sizes[d]) {
        this.aOff += this.#aStr[d];
        this.bOff += this.#bStr[d];
        return;
      }
      idx[d] = 0;
      this.aOff -= this.#aStr[d] * (this.#sizes[d] - 1);
      this.bOff -= this.#bStr[d] * (this.#sizes[d] - 1);
    }
  }
}
