/** A one-line terminal progress bar with throughput and ETA (a plain line every 30 s when not a TTY). */
export class ProgressBar {
  private lastPrint = 0;
  private readonly started = Date.now();
  /** `initial`: work already done before this process started (a resumed run), excluded from the rate. */
  constructor(private readonly label: string, private readonly total: number, private readonly unit = 'items', private readonly stream: NodeJS.WriteStream = process.stderr, private readonly initial = 0) {}

  update(done: number, extra = ''): void {
    const now = Date.now();
    const tty = this.stream.isTTY;
    if (done < this.total && now - this.lastPrint < (tty ? 200 : 30_000)) return;
    this.lastPrint = now;
    const secs = (now - this.started) / 1000;
    const rate = (done - this.initial) / Math.max(secs, 1e-9);
    const eta = rate > 0 ? (this.total - done) / rate : Infinity;
    const frac = this.total ? done / this.total : 1;
    const width = 24;
    const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '.');
    const line = `${this.label} [${bar}] ${(frac * 100).toFixed(0).padStart(3)}% ${done}/${this.total} ${this.unit} ${rate.toFixed(1)} ${this.unit}/s ETA ${formatDuration(eta)} ${extra}`;
    this.stream.write(tty ? `\r${line}\x1b[K` : `${line}\n`);
    if (tty && done >= this.total) this.stream.write('\n');
  }
}

export function formatDuration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = Math.floor(s % 60);
  return h ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(sec).padStart(2, '0')}s`;
}
