// matmul.wgsl on main against this tree's (VEC_A/VEC_B: vec4 reads along the contiguous
// dimension), the GPT bench step's shapes, same tiles, interleaved per repetition, GPU timestamps.
//   XDG_RUNTIME_DIR=/tmp/xdg REPS=11 node bench/experiments/mm-gpt-vec4.mjs
import { bench, oldSrc, newSrc, curTiles, GPT, done } from './mm-gpt-harness.mjs';
const uni = (m, n, k) => [m, n, k, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0];
await bench(process.env.SHAPES ? JSON.parse(process.env.SHAPES) : GPT, (m, k, n, ta, tb) => {
  const t = curTiles(m, n);
  const grid = [Math.ceil(n / (t.WG_X * t.TN)), Math.ceil(m / (t.WG_Y * t.TM)), 1];
  const VEC_A = !!ta && m % 4 === 0 && t.TM % 4 === 0;
  const VEC_B = !tb && n % 4 === 0 && t.TN % 4 === 0;
  return [
    { name: 'main', code: oldSrc, consts: { ...t, TRANS_A: ta, TRANS_B: tb }, grid, uni: uni(m, n, k) },
    { name: `vec${VEC_A ? 'A' : ''}${VEC_B ? 'B' : ''}`, code: newSrc(VEC_A, VEC_B), consts: { ...t, TRANS_A: ta, TRANS_B: tb }, grid, uni: uni(m, n, k) },
  ];
});
done();
