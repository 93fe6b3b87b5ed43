/**
 * The two charts under the view, drawn with uPlot: the episode's return over simulated time (with
 * the returns of the episodes before it as a bar of dots), and each reward term per step.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

const TERM_COLOURS = ['#4cc9f0', '#f72585', '#ffd166', '#06d6a0', '#b388ff', '#ff8c42', '#90be6d', '#e0e0e0'];
/** Points kept per chart; older ones are thinned out by half when it fills */
const MAX_POINTS = 4000;

export class Charts {
  private returnPlot: uPlot;
  private termsPlot: uPlot | null = null;
  private readonly time: number[] = [];
  private readonly returns: number[] = [];
  private termNames: string[] = [];
  private readonly terms: number[][] = [];
  /** Returns of finished episodes, newest last */
  readonly history: { seed: number; value: number; outcome: string }[] = [];

  constructor(private readonly returnHost: HTMLElement, private readonly termsHost: HTMLElement, private readonly historyHost: HTMLElement) {
    this.returnPlot = new uPlot(this.options('episode return', [{ label: 'return', stroke: '#4cc9f0', width: 2 }]), [[], []], returnHost);
  }

  private options(title: string, series: uPlot.Series[]): uPlot.Options {
    const { width, height } = size(this.returnHost);
    return {
      title,
      width,
      height,
      scales: { x: { time: false } },
      axes: [
        { stroke: '#bbb', grid: { stroke: '#333' }, label: 'simulated time [s]', labelSize: 16, size: 30 },
        { stroke: '#bbb', grid: { stroke: '#333' }, size: 46 },
      ],
      legend: { show: true, live: false },
      cursor: { show: false },
      series: [{ label: 't' }, ...series],
    };
  }

  /** Starts a new episode's curves */
  reset(termNames: string[] = []): void {
    this.time.length = 0;
    this.returns.length = 0;
    this.terms.length = 0;
    this.setTerms(termNames);
    this.redraw();
  }

  /** Adds one step's point */
  add(time: number, episodeReturn: number, rewards: Record<string, number>): void {
    const names = Object.keys(rewards);
    if (names.some((n) => !this.termNames.includes(n))) this.setTerms([...this.termNames, ...names.filter((n) => !this.termNames.includes(n))]);
    if (this.time.length >= MAX_POINTS) this.thin();
    this.time.push(time);
    this.returns.push(episodeReturn);
    this.termNames.forEach((n, i) => this.terms[i].push(rewards[n] ?? 0));
  }

  /** Replaces the curves at once (a replay's whole episode up to the scrubbed step) */
  setAll(time: number[], returns: number[], terms: Record<string, number[]>): void {
    this.time.splice(0, this.time.length, ...time);
    this.returns.splice(0, this.returns.length, ...returns);
    this.setTerms(Object.keys(terms));
    this.termNames.forEach((n, i) => (this.terms[i] = [...terms[n]]));
    this.redraw();
  }

  endEpisode(seed: number, value: number, outcome: string): void {
    this.history.push({ seed, value, outcome });
    if (this.history.length > 50) this.history.shift();
    const max = Math.max(1e-9, ...this.history.map((h) => Math.abs(h.value)));
    this.historyHost.replaceChildren(
      ...this.history.map((h) => {
        const bar = document.createElement('div');
        bar.className = `episode-bar ${h.outcome}`;
        bar.style.height = `${Math.max(2, (40 * Math.abs(h.value)) / max)}px`;
        bar.title = `seed ${h.seed}: return ${h.value.toFixed(2)}, ${h.outcome}`;
        return bar;
      }),
    );
  }

  redraw(): void {
    this.returnPlot.setData([this.time, this.returns]);
    this.termsPlot?.setData([this.time, ...this.terms]);
  }

  resize(): void {
    const s = size(this.returnHost);
    this.returnPlot.setSize(s);
    this.termsPlot?.setSize(size(this.termsHost));
  }

  private setTerms(names: string[]): void {
    const keep = new Map(this.termNames.map((n, i) => [n, this.terms[i]]));
    this.termNames = names;
    this.terms.length = 0;
    for (const n of names) this.terms.push(keep.get(n) ?? new Array<number>(this.time.length).fill(0));
    this.termsPlot?.destroy();
    this.termsHost.replaceChildren();
    const o = this.options('reward terms per step', names.map((n, i) => ({ label: n, stroke: TERM_COLOURS[i % TERM_COLOURS.length], width: 1.5 })));
    Object.assign(o, size(this.termsHost));
    this.termsPlot = new uPlot(o, [this.time, ...this.terms], this.termsHost);
  }

  private thin(): void {
    const keep = (a: number[]) => a.filter((_, i) => i % 2 === 0);
    const t = keep(this.time), r = keep(this.returns);
    this.time.splice(0, this.time.length, ...t);
    this.returns.splice(0, this.returns.length, ...r);
    for (let i = 0; i < this.terms.length; i++) this.terms[i] = keep(this.terms[i]);
  }
}

function size(host: HTMLElement): { width: number; height: number } {
  const r = host.getBoundingClientRect();
  // Room for the title and a legend of up to two rows under the plot.
  return { width: Math.max(200, Math.floor(r.width)), height: Math.max(100, Math.floor(r.height) - 56) };
}
