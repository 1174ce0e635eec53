import type { TypedArray } from '../../dtype.js';
import type { AttentionArgs } from '../backend.js';
import { matrixRowOffset as at } from '../../shape.js';
import { allocLike } from './storage.js';

// Scaled dot-product attention, the oracle of shaders/attention.wgsl: the same recurrence
// written plainly, one row at a time, accumulating in float64. A row's scores are kept (a row,
// never the [l, s] matrix), its max subtracted before exp. Every operand is read (and every
// result written) at its layout's offsets, as the shader does.

/** Scores of query row i of matrix b against every key: scale·q_i·k_j + mask, -Infinity past the causal diagonal. */
function scoreRow(q: TypedArray, k: TypedArray, mask: TypedArray | null, a: AttentionArgs, b: number, i: number, row: Float64Array): void {
  const { s, e, scale, causal } = a;
  const qo = at(a.layouts.q, b, i);
  const mo = b * a.maskBatchStride + i * s;
  for (let j = 0; j < s; j++) {
    if (causal && j > i) {
      row[j] = -Infinity;
      continue;
    }
    const ko = at(a.layouts.k, b, j);
    let dot = 0;
    for (let c = 0; c < e; c++) dot += q[qo + c] * k[ko + c];
    row[j] = scale * dot + (mask ? mask[mo + j] : 0);
  }
}

/** The row max, NaN if any score is NaN (so a NaN input makes its row NaN, as softmax does). */
function rowMax(row: Float64Array): number {
  let m = -Infinity;
  for (const v of row) {
    if (Number.isNaN(v)) return NaN;
    if (v > m) m = v;
  }
  return m;
}

export function attention(q: TypedArray, k: TypedArray, v: TypedArray, mask: TypedArray | null, a: AttentionArgs): { out: TypedArray; lse: TypedArray } {
  const { batch, l, s, ev } = a;
  const out = allocLike(q, batch * l * ev);
  const lse = allocLike(q, batch * l);
  const row = new Float64Array(s);
  const acc = new Float64Array(ev);
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < l; i++) {
      scoreRow(q, k, mask, a, b, i, row);
      const m = rowMax(row);
      const oo = at(a.layouts.o, b, i);
      if (m === -Infinity) {
        // Every key masked out: output 0 (out is zeroed already), and no probability anywhere.
        lse[b * l + i] = -Infinity;
        continue;
      }
      acc.fill(0);
      let sum = 0;
      for (let j = 0; j < s; j++) {
        const p = Math.exp(row[j] - m);
        sum += p;
        const vo = at(a.layouts.v, b, j);
        for (let c = 0; c < ev; c++) acc[c] += p * v[vo + c];
      }
      for (let c = 0; c < ev; c++) out[oo + c] = acc[c] / sum;
      lse[b * l + i] = m + Math.log(sum);
    }
  }
  return { out, lse };
}

/**
 * With p_ij = exp(s_ij - lse_i), D_i = Σ_c dO_ic·O_ic and ds_ij = p_ij·(dO_i·v_j - D_i):
 * dq_i = scale·Σ_j ds_ij·k_j, dk_j = scale·Σ_i ds_ij·q_i, dv_j = Σ_i p_ij·dO_i.
 */
export function attentionBackward(q: TypedArray, k: TypedArray, v: TypedArray, mask: TypedArray | null, out: TypedArray,
  lse: TypedArray, dout: TypedArray, a: AttentionArgs): { dq: TypedArray; dk: TypedArray; dv: TypedArray } {
  const { batch, l, s, e, ev, scale } = a;
  const dq = new Float64Array(batch * l * e);
  const dk = new Float64Array(batch * s * e);
  const dv = new Float64Array(batch * s * ev);
  const row = new Float64Array(s);
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < l; i++) {
      const li = lse[b * l + i];
      if (li === -Infinity) continue; // a fully masked row: no probability, no gradient
      scoreRow(q, k, mask, a, b, i, row);
      const oo = at(a.layouts.o, b, i);
      const go = at(a.layouts.dout, b, i);
      let d = 0;
      for (let c = 0; c < ev; c++) d += dout[go + c] * out[oo + c];
      const qo = at(a.layouts.q, b, i);
      for (let j = 0; j < s; j++) {
        const p = Math.exp(row[j] - li);
        const vo = at(a.layouts.v, b, j);
        const ko = at(a.layouts.k, b, j);
        let dp = 0;
        for (let c = 0; c < ev; c++) {
          dp += dout[go + c] * v[vo + c];
          dv[vo + c] += p * dout[go + c];
        }
        const ds = scale * p * (dp - d);
        for (let c = 0; c < e; c++) {
          dq[qo + c] += ds * k[ko + c];
          dk[ko + c] += ds * q[qo + c];
        }
      }
    }
  }
  const cast = (x: Float64Array): TypedArray => {
    const r = allocLike(q, x.length);
    r.set(x);
    return r;
  };
  return { dq: cast(dq), dk: cast(dk), dv: cast(dv) };
}
