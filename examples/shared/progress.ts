// A one-line progress bar for a terminal (plain log lines when stdout is not a TTY).

export class ProgressBar {
  readonly #total: number;
  readonly #label: string;
  readonly #start = performance.now();
  readonly #tty = Boolean(process.stdout.isTTY);
  readonly #unit: string;
  #lastDraw = 0;

  /** `unit` names what `update` counts for the rate: 'samples' (MNIST images) or 'tokens' (GPT). */
  constructor(label: string, total: number, unit = 'samples') {
    this.#label = label;
    this.#total = total;
    this.#unit = unit;
  }

  /** `done` steps of `total`; `samples` seen so far (for the rate per second); extra text after the bar. */
  update(done: number, samples: number, extra: string): void {
    const now = performance.now();
    const finished = done >= this.#total;
    // Redraw at most 10×/s on a TTY, every 10% otherwise: progress must not cost training time.
    if (this.#tty ? now - this.#lastDraw < 100 && !finished : !finished && Math.floor((done * 10) / this.#total) === Math.floor(((done - 1) * 10) / this.#total)) return;
    this.#lastDraw = now;
    const secs = (now - this.#start) / 1000;
    const rate = samples / Math.max(secs, 1e-9);
    const eta = done > 0 ? (secs / done) * (this.#total - done) : 0;
    const width = 24;
    const filled = Math.round((done / this.#total) * width);
    const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
    const line = `${this.#label} ${bar} ${done}/${this.#total} ${extra} ${rate.toFixed(0)} ${this.#unit}/s ${finished ? `${secs.toFixed(1)}s` : `ETA ${eta.toFixed(0)}s`}`;
    if (this.#tty) process.stdout.write(`\r${line}\x1b[K${finished ? '\n' : ''}`);
    else console.log(line);
  }
}
