import { readFileSync } from 'node:fs';
const cur = 'alias T = f32;\n' + readFileSync(new URL('../../shaders/matmul.wgsl', import.meta.url), 'utf8');
// The current kernel with other direct-load tiles: CFG=[[WG_X,WG_Y,TM,TN],...]
const cfgs = JSON.parse(process.env.CFG ?? '[[8,8,8,8]]');
export function kernels(m, k, n, ta, tb) {
  return cfgs.map(([wx, wy, tm, tn]) => [`c${wx}.${wy}.${tm}.${tn}`, cur, { SHARED: 0, WG_X: wx, WG_Y: wy, BK: 16, TM: tm, TN: tn, TRANS_A: ta, TRANS_B: tb }, [Math.ceil(n / (wx * tn)), Math.ceil(m / (wy * tm)), 1]]);
}
