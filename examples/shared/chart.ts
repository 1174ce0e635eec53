// Training curves as a standalone SVG (opens in any browser; no plotting dependency); used by
// the MNIST and GPT jobs.

export interface Series {
  label: string;
  color: string;
  /** [x, y] points. */
  points: [number, number][];
}

export interface Panel {
  title: string;
  xLabel: string;
  series: Series[];
  yMin?: number;
  yMax?: number;
}

const W = 460;
const H = 300;
const M = { left: 56, right: 16, top: 32, bottom: 44 };

function ticks(lo: number, hi: number, n = 5): number[] {
  const step = (hi - lo) / n;
  return Array.from({ length: n + 1 }, (_, i) => lo + i * step);
}

const fmt = (v: number): string => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toFixed(3));

function panel(p: Panel, dx: number): string {
  const pts = p.series.flatMap((s) => s.points);
  if (pts.length === 0) return '';
  const xs = pts.map(([x]) => x);
  const ys = pts.map(([, y]) => y);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs, Math.min(...xs) + 1e-9)];
  const y0 = p.yMin ?? Math.min(...ys);
  const y1 = Math.max(p.yMax ?? Math.max(...ys), y0 + 1e-9);
  const px = (x: number): number => dx + M.left + ((x - x0) / (x1 - x0)) * (W - M.left - M.right);
  const py = (y: number): number => M.top + (1 - (y - y0) / (y1 - y0)) * (H - M.top - M.bottom);
  const grid = ticks(y0, y1)
    .map((t) => `<line x1="${px(x0)}" x2="${px(x1)}" y1="${py(t)}" y2="${py(t)}" stroke="#ddd"/><text x="${px(x0) - 6}" y="${py(t) + 4}" text-anchor="end">${fmt(t)}</text>`)
    .join('');
  const xt = ticks(x0, x1, 4)
    .map((t) => `<text x="${px(t)}" y="${H - M.bottom + 16}" text-anchor="middle">${fmt(t)}</text>`)
    .join('');
  const lines = p.series
    .map((s) => `<polyline fill="none" stroke="${s.color}" stroke-width="1.6" points="${s.points.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ')}"/>`)
    .join('');
  const legend = p.series
    .map((s, i) => `<rect x="${dx + W - M.right - 150}" y="${M.top + 6 + i * 16}" width="10" height="10" fill="${s.color}"/><text x="${dx + W - M.right - 135}" y="${M.top + 15 + i * 16}">${s.label}</text>`)
    .join('');
  return `<g font-family="sans-serif" font-size="11" fill="#333">
<text x="${dx + W / 2}" y="18" text-anchor="middle" font-size="13" font-weight="bold">${p.title}</text>
${grid}${xt}
<line x1="${px(x0)}" x2="${px(x0)}" y1="${py(y0)}" y2="${py(y1)}" stroke="#888"/>
<line x1="${px(x0)}" x2="${px(x1)}" y1="${py(y0)}" y2="${py(y0)}" stroke="#888"/>
<text x="${dx + W / 2}" y="${H - 8}" text-anchor="middle">${p.xLabel}</text>
${lines}${legend}</g>`;
}

/** Two panels side by side: training loss, and accuracy per epoch. */
export function trainingChart(loss: Series[], accuracy: Series[]): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${2 * W}" height="${H}" viewBox="0 0 ${2 * W} ${H}">
<rect width="100%" height="100%" fill="white"/>
${panel({ title: 'Training loss', xLabel: 'epoch', series: loss, yMin: 0 }, 0)}
${panel({ title: 'Accuracy', xLabel: 'epoch', series: accuracy }, W)}
</svg>
`;
}

/** Panels side by side (each with its own title, x label and series). */
export function panelsChart(panels: Panel[]): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${panels.length * W}" height="${H}" viewBox="0 0 ${panels.length * W} ${H}">
<rect width="100%" height="100%" fill="white"/>
${panels.map((p, i) => panel(p, i * W)).join('\n')}
</svg>
`;
}
