// The live loss chart: training loss against step on a canvas, redrawn whole at each readback
// (a few hundred points at most, so there is nothing to gain from drawing incrementally).

export function drawLossChart(canvas: HTMLCanvasElement, points: readonly (readonly [number, number])[]): void {
  const dpr = globalThis.devicePixelRatio || 1;
  const cssW = canvas.clientWidth || canvas.width;
  const cssH = canvas.clientHeight || canvas.height;
  if (canvas.width !== Math.round(cssW * dpr)) {
    canvas.width = Math.round(cssW * dpr);
    canvas.height = Math.round(cssH * dpr);
  }
  const ctx = canvas.getContext('2d')!;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, cssW, cssH);

  const pad = { l: 44, r: 12, t: 12, b: 28 };
  const w = cssW - pad.l - pad.r;
  const h = cssH - pad.t - pad.b;
  const maxStep = Math.max(100, ...points.map((p) => p[0]));
  const maxLoss = niceCeil(Math.max(0.5, ...points.map((p) => p[1])));
  const x = (s: number) => pad.l + (w * s) / maxStep;
  const y = (l: number) => pad.t + h * (1 - l / maxLoss);

  ctx.font = '11px system-ui, sans-serif';
  ctx.fillStyle = '#8a93a6';
  ctx.strokeStyle = '#2a3142';
  ctx.lineWidth = 1;
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (let i = 0; i <= 4; i++) {
    const l = (maxLoss * i) / 4;
    ctx.beginPath();
    ctx.moveTo(pad.l, y(l));
    ctx.lineTo(pad.l + w, y(l));
    ctx.stroke();
    ctx.fillText(l.toFixed(2), pad.l - 6, y(l));
  }
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  for (let i = 0; i <= 4; i++) {
    const s = Math.round((maxStep * i) / 4);
    ctx.fillText(String(s), x(s), pad.t + h + 6);
  }
  ctx.textAlign = 'left';
  ctx.fillText('step', pad.l + w - 24, pad.t + h + 6 - 14);

  if (points.length === 0) return;
  ctx.strokeStyle = '#4ea1ff';
  ctx.lineWidth = 2;
  ctx.lineJoin = 'round';
  ctx.beginPath();
  points.forEach(([s, l], i) => (i === 0 ? ctx.moveTo(x(s), y(l)) : ctx.lineTo(x(s), y(l))));
  ctx.stroke();
}

/** 2.31 -> 2.5, 0.7 -> 1: a round upper bound for the axis. */
function niceCeil(v: number): number {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}
