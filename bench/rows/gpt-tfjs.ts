// The GPT of `npm run gpt` written with tfjs-core ops, as a tfjs user would: variables in
// PyTorch's layouts (so both libraries start from the same state dict), tf.variableGrads for
// the loss and gradients, the global-norm clip and AdamW written by hand (tfjs has neither).
import type * as TF from '@tensorflow/tfjs-core';
import type { TfModule } from '../tfjs.js';

export interface GptShape {
  vocab: number;
  layers: number;
  heads: number;
  embd: number;
  block: number;
}

export interface AdamWSettings {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  clip: number;
}

let tfNames = 0;

/** Trains the GPT of `shape` from `weights` (PyTorch state-dict names and layouts). */
export function tfGptTrainer(tf: TfModule, shape: GptShape, weights: Record<string, { data: Float32Array; shape: number[] }>, o: AdamWSettings) {
  const id = tfNames++;
  const vars = new Map<string, TF.Variable>();
  for (const [name, w] of Object.entries(weights)) vars.set(name, tf.variable(tf.tensor(w.data, w.shape), true, `gpt${id}_${name}`));
  const p = (name: string): TF.Tensor => {
    const v = vars.get(name);
    if (!v) throw new Error(`gpt-tfjs: no weight '${name}'`);
    return v;
  };
  const m = new Map([...vars].map(([n, v]) => [n, tf.variable(tf.zerosLike(v), false)]));
  const v2 = new Map([...vars].map(([n, v]) => [n, tf.variable(tf.zerosLike(v), false)]));
  let t = 0;
  const { embd: C, heads: H, vocab: V } = shape;
  const D = C / H;

  const linear = (x: TF.Tensor, name: string): TF.Tensor => {
    const inF = x.shape[x.shape.length - 1]!;
    const rows = x.size / inF;
    const y = tf.add(tf.matMul(tf.reshape(x, [rows, inF]), p(`${name}.weight`), false, true), p(`${name}.bias`));
    return tf.reshape(y, [...x.shape.slice(0, -1), y.shape[1]!]);
  };
  const layerNorm = (x: TF.Tensor, name: string): TF.Tensor => {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), p(`${name}.weight`)), p(`${name}.bias`));
  };
  const gelu = (x: TF.Tensor): TF.Tensor => tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));

  const forward = (idx: TF.Tensor2D, causal: TF.Tensor, negInf: TF.Tensor): TF.Tensor => {
    const [B, T] = idx.shape;
    const tok = tf.gather(p('tok.weight'), tf.reshape(idx, [B * T]));
    const pos = tf.gather(p('pos.weight'), tf.range(0, T, 1, 'int32'));
    let x = tf.add(tf.reshape(tok, [B, T, C]), pos);
    for (let l = 0; l < shape.layers; l++) {
      const pre = `blocks.${l}`;
      const qkv = linear(layerNorm(x, `${pre}.ln1`), `${pre}.qkv`);
      const [q, k, v] = tf.split(qkv, 3, 2).map((h) => tf.transpose(tf.reshape(h, [B, T, H, D]), [0, 2, 1, 3]));
      const scores = tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(D));
      const w = tf.softmax(tf.where(causal, scores, negInf));
      const att = tf.reshape(tf.transpose(tf.matMul(w, v), [0, 2, 1, 3]), [B, T, C]);
      x = tf.add(x, linear(att, `${pre}.proj`));
      x = tf.add(x, linear(gelu(linear(layerNorm(x, `${pre}.ln2`), `${pre}.fc`)), `${pre}.out`));
    }
    return tf.reshape(linear(layerNorm(x, 'ln'), 'head'), [B * T, V]);
  };

  return {
    /** One step: loss, gradients, global-norm clip, AdamW. Returns the loss (caller disposes). */
    step(idx: TF.Tensor2D, targets: TF.Tensor2D): TF.Scalar {
      const [, T] = idx.shape;
      t++;
      const bc1 = 1 - o.beta1 ** t;
      const bc2 = 1 - o.beta2 ** t;
      return tf.tidy(() => {
        const causal = tf.cast(tf.linalg.bandPart(tf.ones([T, T]), -1, 0), 'bool');
        const negInf = tf.fill([T, T], -Infinity);
        const onehot = tf.oneHot(tf.reshape(targets, [targets.size]), V);
        const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(onehot, forward(idx, causal, negInf)) as TF.Scalar);
        // Summed pairwise: tf.addN of the 30 per-parameter sums binds 31 storage buffers, over
        // WebGPU's limit of 8, and tfjs-webgpu's AddN pipeline then fails validation.
        const norm = tf.sqrt(Object.values(grads).map((g) => tf.sum(tf.square(g))).reduce((a, b) => tf.add(a, b)));
        const coef = tf.minimum(tf.div(o.clip, tf.add(norm, 1e-6)), 1);
        for (const [name, param] of vars) {
          const g = tf.mul(grads[param.name], coef);
          const mi = m.get(name)!;
          const vi = v2.get(name)!;
          mi.assign(tf.add(tf.mul(mi, o.beta1), tf.mul(g, 1 - o.beta1)));
          vi.assign(tf.add(tf.mul(vi, o.beta2), tf.mul(tf.square(g), 1 - o.beta2)));
          const decayed = tf.mul(param, 1 - o.lr * o.weightDecay);
          const update = tf.div(tf.div(mi, bc1), tf.add(tf.sqrt(tf.div(vi, bc2)), o.eps));
          param.assign(tf.sub(decayed, tf.mul(update, o.lr)));
        }
        return tf.keep(value);
      });
    },
    async weight(name: string): Promise<Float32Array> {
      return (await p(name).data()) as Float32Array;
    },
    dispose(): void {
      for (const map of [vars, m, v2]) for (const x of map.values()) x.dispose();
    },
  };
}
