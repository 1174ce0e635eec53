// The GPT of issue 13 (a character-level nanoGPT): pre-LayerNorm blocks of causal multi-head
// self-attention (one fused QKV Linear) and a 4× GELU MLP with residuals, learned positional
// embeddings, a final LayerNorm and a linear head. State-dict names are those of
// ../shared/reference/gpt_torch.py (tok.weight, blocks.0.ln1.weight, ..., head.bias), so the
// safetensors load there. No Node imports here, so a browser page can bundle it.
import * as wg from 'webgrad-gpu';

const { nn } = wg;
const F = nn.functional;

export interface GptConfig {
  vocabSize: number;
  layers: number;
  heads: number;
  embd: number;
  block: number;
}

/**
 * Causal self-attention of q, k, v [B, H, T, d]: softmax(q·kᵀ/√d, masked above the diagonal)·v,
 * as F.scaledDotProductAttention's fused kernel (one dispatch forward, two backward, no T×T
 * matrix kept; test/attention.test.ts checks it equals the composed ops).
 */
export function attention(q: wg.Tensor, k: wg.Tensor, v: wg.Tensor): wg.Tensor {
  return F.scaledDotProductAttention(q, k, v, { isCausal: true });
}

/**
 * One pre-LayerNorm transformer block: x + attn(ln1(x)), then x + mlp(ln2(x)). The residual
 * stream is kept as rows [B·T, C] (nn.Linear takes 2-D inputs); only attention sees [B, H, T, d].
 */
export class Block extends nn.Module {
  readonly ln1: wg.nn.LayerNorm;
  readonly ln2: wg.nn.LayerNorm;
  readonly qkv: wg.nn.Linear;
  readonly proj: wg.nn.Linear;
  readonly fc: wg.nn.Linear;
  readonly out: wg.nn.Linear;
  readonly heads: number;

  constructor(embd: number, heads: number) {
    super();
    if (embd % heads !== 0) throw new Error(`embd ${embd} must be a multiple of heads ${heads}`);
    this.heads = heads;
    this.ln1 = new nn.LayerNorm(embd);
    this.ln2 = new nn.LayerNorm(embd);
    this.qkv = new nn.Linear(embd, 3 * embd);
    this.proj = new nn.Linear(embd, embd);
    this.fc = new nn.Linear(embd, 4 * embd);
    this.out = new nn.Linear(4 * embd, embd);
  }

  /** Attention of rows x [B·T, C] of B sequences of T tokens. */
  attn(x: wg.Tensor, B: number, T: number): wg.Tensor {
    const C = x.shape[1];
    const H = this.heads;
    const [q, k, v] = this.qkv.forward(x).split(C, 1).map((t) => t.reshape([B, T, H, C / H]).transpose(1, 2));
    return this.proj.forward(attention(q, k, v).transpose(1, 2).reshape([B * T, C]));
  }

  /** x: [B, T, C]; the result has its shape. */
  forward(x: wg.Tensor): wg.Tensor {
    const [B, T, C] = x.shape;
    const rows = x.reshape([B * T, C]);
    const h = rows.add(this.attn(this.ln1.forward(rows), B, T));
    return h.add(this.out.forward(F.gelu(this.fc.forward(this.ln2.forward(h))))).reshape([B, T, C]);
  }
}

/** The model: logits [B·T, vocab] for int32 token ids [B, T] (T ≤ block). */
export class GPT extends nn.Module {
  readonly tok: wg.nn.Embedding;
  readonly pos: wg.nn.Embedding;
  readonly blocks: wg.nn.ModuleList;
  readonly ln: wg.nn.LayerNorm;
  readonly head: wg.nn.Linear;
  readonly config: GptConfig;

  constructor(config: GptConfig) {
    super();
    this.config = config;
    this.tok = new nn.Embedding(config.vocabSize, config.embd);
    this.pos = new nn.Embedding(config.block, config.embd);
    this.blocks = new nn.ModuleList(Array.from({ length: config.layers }, () => new Block(config.embd, config.heads)));
    this.ln = new nn.LayerNorm(config.embd);
    this.head = new nn.Linear(config.embd, config.vocabSize);
  }

  /** Logits [B·T, vocab] (one row per position) for token ids [B, T]. */
  forward(idx: wg.Tensor): wg.Tensor {
    const [B, T] = idx.shape;
    if (T > this.config.block) throw new Error(`sequence of ${T} tokens is longer than the block size ${this.config.block}`);
    let x = this.tok.forward(idx).add(this.pos.forward(wg.arange(T, undefined, 1, { dtype: 'int32' })));
    for (const b of this.blocks) x = b.forward(x);
    return this.head.forward(this.ln.forward(x.reshape([B * T, this.config.embd])));
  }

  /**
   * Parameter groups for AdamW: weight decay on the Linear weights only; biases, LayerNorm
   * weights and embeddings get none (nanoGPT's rule, extended to embeddings). With
   * `decayAll`, one group decays everything, as ../shared/reference/gpt_torch.py does.
   */
  paramGroups(weightDecay: number, decayAll = false): { params: wg.Tensor[]; weightDecay: number }[] {
    const params = [...this.namedParameters()];
    if (decayAll) return [{ params: params.map(([, p]) => p), weightDecay }];
    const decays = (name: string): boolean => /\.(qkv|proj|fc|out)\.weight$|^head\.weight$/.test(name);
    return [
      { params: params.filter(([n]) => decays(n)).map(([, p]) => p), weightDecay },
      { params: params.filter(([n]) => !decays(n)).map(([, p]) => p), weightDecay: 0 },
    ];
  }
}

/**
 * Mean cross-entropy (nats per character) over the whole of `ids`, as gpt_torch.py's val_loss:
 * consecutive non-overlapping windows of `block` tokens, every position predicting the next,
 * in chunks of `chunk` windows. Summed on the device; one readback at the end.
 */
export async function evaluate(model: GPT, ids: Int32Array, block: number, chunk = 256): Promise<number> {
  const nw = Math.floor((ids.length - 1) / block);
  const V = model.config.vocabSize;
  const wasTraining = model.training;
  model.eval();
  let total = wg.zeros([]);
  for (let s = 0; s < nw; s += chunk) {
    const n = Math.min(nw, s + chunk) - s;
    const x = wg.tensor(ids.slice(s * block, (s + n) * block), { dtype: 'int32' });
    const y = wg.tensor(ids.slice(s * block + 1, (s + n) * block + 1), { dtype: 'int32' });
    const next = wg.scope(() =>
      wg.noGrad(() => total.add(F.crossEntropy(model.forward(x.reshape([n, block])), y, { reduction: 'sum' }))),
    );
    total.dispose();
    x.dispose();
    y.dispose();
    total = next;
  }
  const sum = await total.item();
  total.dispose();
  model.train(wasTraining);
  return sum / (nw * block);
}

/** Options of {@link generate}. */
export interface GenerateOptions {
  tokens: number;
  temperature: number;
  /** Keep only the k most likely characters at each step (0: all). */
  topK: number;
}

/**
 * Continues `prompt` (token ids) by `tokens` sampled tokens: logits of the last position (the
 * context cropped to `block`), divided by the temperature, top-k filtered, softmax, one draw
 * with wg.multinomial (seeded by manualSeed). One readback per token (the sampled id).
 */
export async function generate(model: GPT, prompt: Int32Array, o: GenerateOptions): Promise<Int32Array> {
  const block = model.config.block;
  const out = Array.from(prompt);
  const wasTraining = model.training;
  model.eval();
  for (let i = 0; i < o.tokens; i++) {
    const ctx = out.slice(-block);
    const probs = wg.scope(() =>
      wg.noGrad(() => {
        const logits = model.forward(wg.tensor([ctx], { dtype: 'int32' })).narrow(0, ctx.length - 1, 1).div(o.temperature);
        const V = logits.shape.at(-1)!;
        if (o.topK > 0 && o.topK < V) {
          const kth = logits.topk(o.topK, -1).values.narrow(-1, o.topK - 1, 1);
          return logits.maskedFill(logits.lt(kth), -Infinity).softmax(-1);
        }
        return logits.softmax(-1);
      }),
    );
    const next = wg.multinomial(probs, 1);
    out.push((await next.toArray())[0]);
    probs.dispose();
    next.dispose();
  }
  model.train(wasTraining);
  return Int32Array.from(out.slice(prompt.length));
}
