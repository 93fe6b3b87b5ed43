/**
 * Scalars of a training run under Stable-Baselines3's keys (`rollout/ep_rew_mean`, `train/loss`,
 * `time/fps`, ...). Values recorded between two dumps are averaged; each dump appends one row to
 * `progress.csv` and one line to `progress.jsonl`, written through at once so that an interrupted
 * run keeps every row before the interrupt. With no directory it only keeps the rows in memory.
 */
import { nodeFs, nodePath } from './nodeBuiltins.ts';

export type Row = Record<string, number>;

export class Logger {
  /** Every dumped row, oldest first */
  readonly rows: Row[] = [];
  private readonly sums = new Map<string, number>();
  private readonly counts = new Map<string, number>();
  private columns: string[] = [];

  /** `dir`: where progress.csv and progress.jsonl go; rows already there are kept (a resumed run) */
  constructor(private readonly dir?: string) {
    if (!dir) return;
    const { existsSync, mkdirSync, readFileSync } = nodeFs(), { join } = nodePath();
    mkdirSync(dir, { recursive: true });
    const jsonl = join(dir, 'progress.jsonl');
    if (existsSync(jsonl)) {
      for (const line of readFileSync(jsonl, 'utf8').split('\n')) if (line.trim()) this.rows.push(JSON.parse(line) as Row);
      const header = readFileSync(join(dir, 'progress.csv'), 'utf8').split('\n')[0];
      this.columns = header ? header.split(',') : [];
    }
  }

  /** Adds a value to the mean of `key` for the next row; non-finite values are kept, as NaN */
  record(key: string, value: number): void {
    this.sums.set(key, (this.sums.get(key) ?? 0) + value);
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  /** The sums and counts recorded since the last dump, for a checkpoint (NaN sums as null) */
  pending(): [string, number | null, number][] {
    return [...this.sums].map(([key, sum]) => [key, Number.isNaN(sum) ? null : sum, this.counts.get(key)!]);
  }

  /** Takes up `pending()` from a checkpoint, so the next row averages what the uninterrupted run's would */
  restorePending(pending: [string, number | null, number][]): void {
    for (const [key, sum, count] of pending) {
      this.sums.set(key, sum ?? NaN);
      this.counts.set(key, count);
    }
  }

  /** Sets `key` for the next row to `value` alone: a counter or a schedule's current value, not a mean */
  set(key: string, value: number): void {
    this.sums.set(key, value);
    this.counts.set(key, 1);
  }

  /** Drops rows after `step`, so that a run resumed from a checkpoint does not log a step twice */
  truncateAfter(step: number): void {
    const keep = this.rows.filter((r) => r['time/total_timesteps'] <= step);
    if (keep.length === this.rows.length) return;
    this.rows.length = 0;
    this.rows.push(...keep);
    if (!this.dir) return;
    const { writeFileSync } = nodeFs(), { join } = nodePath();
    writeFileSync(join(this.dir, 'progress.jsonl'), keep.map((r) => JSON.stringify(r) + '\n').join(''));
    writeFileSync(join(this.dir, 'progress.csv'), [this.columns.join(','), ...keep.map((r) => this.csvLine(r))].map((l) => l + '\n').join(''));
  }

  /** Writes the means recorded since the last dump as one row at `step`; returns the row */
  dump(step: number): Row {
    const row: Row = { 'time/total_timesteps': step };
    for (const [key, sum] of this.sums) row[key] = sum / this.counts.get(key)!;
    this.sums.clear();
    this.counts.clear();
    this.rows.push(row);
    if (this.dir) this.write(row);
    return row;
  }

  private write(row: Row): void {
    const { appendFileSync, existsSync, writeFileSync } = nodeFs(), { join } = nodePath();
    appendFileSync(join(this.dir!, 'progress.jsonl'), JSON.stringify(row) + '\n');
    const csv = join(this.dir!, 'progress.csv');
    const fresh = Object.keys(row).filter((k) => !this.columns.includes(k));
    if (fresh.length > 0 || !existsSync(csv)) {
      // A new column: the CSV is rewritten with the wider header, earlier rows blank there.
      this.columns = [...this.columns, ...fresh].sort();
      writeFileSync(csv, [this.columns.join(','), ...this.rows.map((r) => this.csvLine(r))].map((l) => l + '\n').join(''));
    } else {
      appendFileSync(csv, this.csvLine(row) + '\n');
    }
  }

  private csvLine(row: Row): string {
    return this.columns.map((c) => (row[c] === undefined ? '' : String(row[c]))).join(',');
  }
}
