/** The heads-up display: speed, reward and its terms, return, and the agent's action values. */
import type { ActionValues, EpisodeMessage, FrameMessage } from '../protocol.ts';

const OUTCOME_TEXT: Record<string, string> = { goal: 'Goal reached', collision: 'Collision', 'off-road': 'Left the road', 'time-limit': 'Time limit' };

export class Hud {
  private readonly el: Record<string, HTMLElement>;
  private actions: EpisodeMessage['actions'] = { type: 'continuous', names: [] };

  constructor(root: HTMLElement) {
    const get = (id: string) => {
      const e = root.querySelector<HTMLElement>(`#${id}`);
      if (!e) throw new Error(`viewer page: no #${id}`);
      return e;
    };
    this.el = Object.fromEntries(['hud-speed', 'hud-step', 'hud-reward', 'hud-return', 'hud-terms', 'hud-values', 'hud-values-title', 'hud-driver', 'hud-title', 'hud-legend', 'banner'].map((id) => [id, get(id)]));
  }

  episode(m: EpisodeMessage, mode: string): void {
    this.el['hud-title'].textContent = `${m.scenario.id} · seed ${m.seed} · ${m.agent}${m.detector ? ` · detector ${m.detector}` : ''}${mode === 'live' ? '' : ` · ${mode}`}`;
    this.el['banner'].textContent = '';
    this.el['banner'].className = '';
    this.el['hud-values'].replaceChildren();
    this.actions = m.actions;
  }

  /** An action as the page names it: a meta-action's name, or each control's value */
  private describe(action: number[]): string {
    const names = this.actions.names;
    if (this.actions.type === 'discrete') return names[action[0]] ?? String(action[0]);
    return action.map((a, i) => `${names[i] ?? i} ${a >= 0 ? '+' : '−'}${Math.abs(a).toFixed(2)}`).join(', ');
  }

  /** Shows a frame; `rate` is simulated seconds per wall second lately, when known */
  frame(f: FrameMessage, rate: number | null = null): void {
    const kmh = Math.round(f.speed * 3.6);
    this.el['hud-speed'].textContent = String(kmh === 0 ? 0 : kmh);
    this.el['hud-step'].textContent = `step ${f.step} · ${f.time.toFixed(1)} s${rate === null ? '' : ` · ${rate.toFixed(rate < 1 ? 2 : 1)}× real time`}`;
    this.el['hud-legend'].hidden = !(f.detections || f.lidar || f.tracks);
    this.el['hud-reward'].textContent = signed(f.reward, 3);
    this.el['hud-return'].textContent = signed(f.return, 2);
    this.el['hud-driver'].textContent = f.driver === 'manual' ? 'you are driving' : 'agent driving';
    this.el['hud-driver'].className = f.driver;
    this.el['hud-terms'].replaceChildren(
      ...Object.entries(f.rewards).map(([name, v]) => {
        const row = document.createElement('div');
        row.className = 'term';
        const fill = document.createElement('span');
        fill.className = `term-bar ${v < 0 ? 'neg' : 'pos'}`;
        fill.style.width = `${Math.min(100, Math.abs(v) * 100)}%`;
        const bar = document.createElement('span');
        bar.className = 'term-track';
        bar.append(fill);
        row.append(span(name, 'term-name'), span(signed(v, 3), 'num'), bar);
        return row;
      }),
    );
    this.values(f.values, f.action);
    if (f.outcome) {
      this.el['banner'].textContent = `${OUTCOME_TEXT[f.outcome] ?? f.outcome} · return ${signed(f.return, 2)}`;
      this.el['banner'].className = `show ${f.outcome}`;
    } else if (this.el['banner'].className) {
      this.el['banner'].textContent = '';
      this.el['banner'].className = '';
    }
  }

  /** Live bars of Q-values or action probabilities, the chosen one marked */
  private values(v: ActionValues | null, action: number[] | null): void {
    const host = this.el['hud-values'];
    const title = this.el['hud-values-title'];
    if (!v) {
      title.textContent = action ? `action: ${this.describe(action)}` : 'action values';
      host.replaceChildren();
      return;
    }
    title.textContent = v.kind === 'q' ? 'Q-values: how good each action looks (yellow: taken)' : v.kind === 'probability' ? 'action probabilities' : 'action mean ± std';
    // Probabilities fill [0, 1]. Q-values of a trained agent sit close together far from 0, so
    // their bars start a little below the smallest: what matters is how they differ. Gaussian
    // means and their spread show on the action range [-1, 1] around 0.
    let lo: number, hi: number;
    if (v.kind === 'probability') [lo, hi] = [0, 1];
    else if (v.kind === 'q') {
      const min = Math.min(...v.values), max = Math.max(...v.values);
      const span = Math.max(max - min, 1e-6);
      [lo, hi] = [min - 0.5 * span, max];
    } else {
      const reach = Math.max(1, ...v.values.map((x, i) => Math.abs(x) + (v.std?.[i] ?? 0)));
      [lo, hi] = [-reach, reach];
    }
    const scale = (x: number) => (100 * (x - lo)) / (hi - lo || 1);
    const taken = v.chosen ?? -1;
    const best = v.kind === 'gaussian' ? -1 : v.values.indexOf(Math.max(...v.values));
    host.replaceChildren(
      ...v.values.map((x, i) => {
        const row = document.createElement('div');
        row.className = `value-row${i === taken ? ' chosen' : ''}${i === best ? ' best' : ''}`;
        const label = document.createElement('span');
        label.className = 'value-label';
        label.textContent = v.labels[i] ?? String(i);
        if (i === best) label.title = 'the highest value';
        const track = document.createElement('span');
        track.className = 'value-track';
        const fill = document.createElement('span');
        fill.className = 'value-fill';
        const zero = v.kind === 'q' ? 0 : scale(0);
        const at = scale(x);
        fill.style.left = `${Math.min(zero, at)}%`;
        fill.style.width = `${Math.max(1, Math.abs(at - zero))}%`;
        track.append(fill);
        if (v.std) {
          const err = document.createElement('span');
          err.className = 'value-std';
          err.style.left = `${scale(x - v.std[i])}%`;
          err.style.width = `${scale(x + v.std[i]) - scale(x - v.std[i])}%`;
          track.append(err);
        }
        const num = document.createElement('span');
        num.className = 'value-num';
        num.textContent = v.kind === 'probability' ? `${(100 * x).toFixed(0)}%` : x.toFixed(2);
        row.append(label, track, num);
        return row;
      }),
    );
  }
}

function span(text: string, cls: string): HTMLSpanElement {
  const e = document.createElement('span');
  e.textContent = text;
  e.className = cls;
  return e;
}

function signed(v: number, digits: number): string {
  return `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(digits)}`;
}
