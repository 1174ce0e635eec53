import type { TypedArray } from '../../dtype.js';

// LayerNorm's oracles over the rows of x viewed as [rows, cols]: plain loops, float64
// accumulation, two passes per row for the variance (mean first, then Σ(x - mean)²), results
// in the input's dtype.

function newLike(x: TypedArray, n: number): TypedArray {
  return new (x.constructor as new (n: number) => TypedArray)(n);
}

export function layerNorm(x: TypedArray, weight: TypedArray | null, bias: TypedArray | null, rows: number, cols: number,
  eps: number): { y: TypedArray; mean: TypedArray; rstd: TypedArray } {
  const y = newLike(x, rows * cols);
  const mean = newLike(x, rows);
  const rstd = newLike(x, rows);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let s = 0;
    for (let c = 0; c < cols; c++) s += x[base + c];
    const m = s / cols;
    let q = 0;
    for (let c = 0; c < cols; c++) q += (x[base + c] - m) ** 2;
    const inv = 1 / Math.sqrt(q / cols + eps);
    for (let c = 0; c < cols; c++) {
      let v = (x[base + c] - m) * inv;
      if (weight) v *= weight[c];
      if (bias) v += bias[c];
      y[base + c] = v;
    }
    mean[r] = m;
    rstd[r] = inv;
  }
  return { y, mean, rstd };
}

export function layerNormBackward(dy: TypedArray, x: TypedArray, mean: TypedArray, rstd: TypedArray, weight: TypedArray | null,
  rows: number, cols: number, paramGrads: boolean): { dx: TypedArray; dweight: TypedArray | null; dbias: TypedArray | null } {
  const dx = newLike(x, rows * cols);
  const dw = paramGrads ? new Float64Array(cols) : null;
  const db = paramGrads ? new Float64Array(cols) : null;
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    const m = mean[r];
    const inv = rstd[r];
    let sg = 0;
    let sgx = 0;
    for (let c = 0; c < cols; c++) {
      const xhat = (x[base + c] - m) * inv;
      const g = dy[base + c] * (weight ? weight[c] : 1);
      sg += g;
      sgx += g * xhat;
      if (dw && db) {
        dw[c] += dy[base + c] * xhat;
        db[c] += dy[base + c];
      }
    }
    const mg = sg / cols;
    const mgx = sgx / cols;
    for (let c = 0; c < cols; c++) {
      const xhat = (x[base + c] - m) * inv;
      const g = dy[base + c] * (weight ? weight[c] : 1);
      dx[base + c] = inv * (g - mg - xhat * mgx);
    }
  }
  const cast = (a: Float64Array | null): TypedArray | null => {
    if (a === null) return null;
    const out = newLike(x, cols);
    out.set(a);
    return out;
  };
  return { dx, dweight: cast(dw), dbias: cast(db) };
}
