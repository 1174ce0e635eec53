// The drawing pad (pointer events: mouse, pen and touch) and the MNIST-style preprocessing of
// what was drawn: crop to the ink, scale the longer side to 20 px with area averaging (grey
// anti-aliased edges), then centre the centre of mass in a 28×28 field. That is how the MNIST
// digits themselves were made (LeCun et al.: "normalized to fit in a 20x20 pixel box …
// centered in a 28x28 image by computing the center of mass of the pixels").

export class DrawPad {
  readonly canvas: HTMLCanvasElement;
  #ctx: CanvasRenderingContext2D;
  #last: { x: number; y: number } | null = null;
  #inked = false;

  /** `onStroke` runs after each finished stroke. */
  constructor(canvas: HTMLCanvasElement, onStroke: () => void) {
    this.canvas = canvas;
    this.#ctx = canvas.getContext('2d', { willReadFrequently: true })!;
    this.clear();
    canvas.style.touchAction = 'none'; // keep touch strokes from scrolling the page
    canvas.addEventListener('pointerdown', (e) => {
      canvas.setPointerCapture(e.pointerId);
      this.#last = this.#point(e);
      this.#line(this.#last, this.#last);
    });
    canvas.addEventListener('pointermove', (e) => {
      if (!this.#last) return;
      const p = this.#point(e);
      this.#line(this.#last, p);
      this.#last = p;
    });
    const end = () => {
      if (!this.#last) return;
      this.#last = null;
      onStroke();
    };
    canvas.addEventListener('pointerup', end);
    canvas.addEventListener('pointercancel', end);
  }

  get empty(): boolean {
    return !this.#inked;
  }

  clear(): void {
    this.#ctx.fillStyle = '#000';
    this.#ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    this.#inked = false;
  }

  /** The drawing as 28×28 MNIST-style pixels in [0, 1], or null when nothing is drawn. */
  pixels(): Float32Array | null {
    const { width, height } = this.canvas;
    const rgba = this.#ctx.getImageData(0, 0, width, height).data;
    const gray = new Float32Array(width * height);
    for (let i = 0; i < gray.length; i++) gray[i] = rgba[4 * i] / 255;
    return toMnist(gray, width, height);
  }

  #point(e: PointerEvent): { x: number; y: number } {
    const r = this.canvas.getBoundingClientRect();
    return { x: ((e.clientX - r.left) * this.canvas.width) / r.width, y: ((e.clientY - r.top) * this.canvas.height) / r.height };
  }

  #line(a: { x: number; y: number }, b: { x: number; y: number }): void {
    const ctx = this.#ctx;
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = this.canvas.width / 14; // MNIST strokes are about 2 px of 28
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.beginPath();
    ctx.moveTo(a.x, a.y);
    ctx.lineTo(b.x, b.y);
    ctx.stroke();
    this.#inked = true;
  }
}

/** Crops `gray` (w×h, values in [0, 1]) to its ink, fits it in 20×20 and centres its mass in 28×28. */
export function toMnist(gray: Float32Array, w: number, h: number, threshold = 0.05): Float32Array | null {
  let [x0, y0, x1, y1] = [w, h, -1, -1];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (gray[y * w + x] <= threshold) continue;
      x0 = Math.min(x0, x);
      x1 = Math.max(x1, x);
      y0 = Math.min(y0, y);
      y1 = Math.max(y1, y);
    }
  }
  if (x1 < 0) return null;
  const [bw, bh] = [x1 - x0 + 1, y1 - y0 + 1];
  const scale = 20 / Math.max(bw, bh);
  const tw = Math.max(1, Math.round(bw * scale));
  const th = Math.max(1, Math.round(bh * scale));

  // Area averaging: each source pixel of the crop adds to the target pixel it falls in.
  const sum = new Float32Array(tw * th);
  const count = new Float32Array(tw * th);
  for (let y = y0; y <= y1; y++) {
    const ty = Math.min(th - 1, Math.floor(((y - y0) * th) / bh));
    for (let x = x0; x <= x1; x++) {
      const tx = Math.min(tw - 1, Math.floor(((x - x0) * tw) / bw));
      sum[ty * tw + tx] += gray[y * w + x];
      count[ty * tw + tx] += 1;
    }
  }
  let [mass, mx, my] = [0, 0, 0];
  for (let ty = 0; ty < th; ty++) {
    for (let tx = 0; tx < tw; tx++) {
      const v = (sum[ty * tw + tx] /= count[ty * tw + tx]);
      mass += v;
      mx += v * (tx + 0.5);
      my += v * (ty + 0.5);
    }
  }
  // Shift so the centre of mass lands on the centre of the 28×28 field, keeping it all inside.
  const ox = Math.min(28 - tw, Math.max(0, Math.round(14 - mx / mass)));
  const oy = Math.min(28 - th, Math.max(0, Math.round(14 - my / mass)));
  const out = new Float32Array(28 * 28);
  for (let ty = 0; ty < th; ty++) {
    for (let tx = 0; tx < tw; tx++) out[(oy + ty) * 28 + ox + tx] = Math.min(1, sum[ty * tw + tx]);
  }
  return out;
}

/** Paints 28×28 pixels in [0, 1] onto a 28×28 canvas (shown enlarged by CSS). */
export function showPixels(canvas: HTMLCanvasElement, pixels: Float32Array): void {
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    const v = Math.round(255 * pixels[i]);
    img.data.set([v, v, v, 255], 4 * i);
  }
  ctx.putImageData(img, 0, 0);
}
