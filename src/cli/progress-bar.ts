import type { ProgressReporter } from '../util/progress.js';

const BAR_WIDTH = 28;
const REDRAW_INTERVAL_MS = 100;

function formatAmount(value: number, unit: 'bytes' | 'items'): string {
  if (unit === 'items') return String(value);
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let index = 0;
  let scaled = value;
  while (scaled >= 1024 && index < units.length - 1) {
    scaled /= 1024;
    index += 1;
  }
  return `${scaled.toFixed(index === 0 ? 0 : 1)} ${units[index]}`;
}

function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const whole = Math.max(0, Math.round(seconds));
  const minutes = Math.floor(whole / 60);
  return `${String(minutes).padStart(2, '0')}:${String(whole % 60).padStart(2, '0')}`;
}

/**
 * A one-line progress bar with rate and ETA on a terminal; on a pipe (CI, logs) one line per
 * phase start and end, so logs stay readable.
 */
export class TerminalProgressBar implements ProgressReporter {
  private label = '';
  private total = 0;
  private done = 0;
  private unit: 'bytes' | 'items' = 'items';
  private startedAt = 0;
  private lastDraw = 0;
  private detailText = '';

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {}

  start(label: string, total: number, unit: 'bytes' | 'items' = 'items'): void {
    this.label = label;
    this.total = total;
    this.done = 0;
    this.unit = unit;
    this.startedAt = Date.now();
    this.lastDraw = 0;
    this.detailText = '';
    if (!this.stream.isTTY) this.stream.write(`${label}: ${formatAmount(total, unit)}\n`);
    this.draw(true);
  }

  advance(done: number): void {
    this.done += done;
    this.draw(false);
  }

  detail(text: string): void {
    this.detailText = text;
    this.draw(false);
  }

  finish(): void {
    this.draw(true);
    const seconds = (Date.now() - this.startedAt) / 1000;
    if (this.stream.isTTY) this.stream.write('\n');
    else
      this.stream.write(
        `${this.label}: done ${formatAmount(this.done, this.unit)} in ${seconds.toFixed(1)} s ${this.detailText}\n`,
      );
  }

  private draw(force: boolean): void {
    if (!this.stream.isTTY) return;
    const now = Date.now();
    if (!force && now - this.lastDraw < REDRAW_INTERVAL_MS) return;
    this.lastDraw = now;
    const fraction = this.total > 0 ? Math.min(1, this.done / this.total) : 0;
    const filled = Math.round(fraction * BAR_WIDTH);
    const elapsed = (now - this.startedAt) / 1000;
    const rate = elapsed > 0 ? this.done / elapsed : 0;
    const eta = rate > 0 ? (this.total - this.done) / rate : Number.POSITIVE_INFINITY;
    const line =
      `${this.label} [${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ` +
      `${(fraction * 100).toFixed(1)}% ${formatAmount(this.done, this.unit)}/${formatAmount(this.total, this.unit)} ` +
      `${formatAmount(Math.round(rate), this.unit)}/s ETA ${formatSeconds(eta)} ${this.detailText}`;
    this.stream.write(
      `\r${line.slice(0, (this.stream.columns ?? 120) - 1).padEnd(Math.min(120, (this.stream.columns ?? 120) - 1))}`,
    );
  }
}
