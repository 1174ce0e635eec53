// A one-line progress bar for a terminal (plain log lines when stdout is not a TTY).

export class ProgressBar {
  readonly #total: number;
  readonly #label: string;
  readonly #start = performance.now();
  readonly #tty = Boolean(process.stdout.isTTY);
  #lastDraw = 0;

  constructor(label: string, total: number) {
    this.#label = label;
    this.#total = total;
  }

  /** `done` steps of `total`; `samples` seen so far (for samples/s); extra text after the bar. */
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
    const line = `${this.#label} ${bar} ${done}/${this.#total} ${extra} ${rate.toFixed(0)} samples/s ${finished ? `${secs.toFixed(1)}s` : `ETA ${eta.toFixed(0)}s`}`;
    if (this.#tty) process.stdout.write(`\r${line}\x1b[K${finished ? '\n' : ''}`);
    else console.log(line);
  }
}
