/** The learning curve of a run, from its progress rows, as CSV and as an SVG chart (Vega-Lite, no browser). */
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { Row } from '../../agents/common/logger.ts';

/** The curve's columns: steps, mean episode return, success rate, evaluation results where logged */
const COLUMNS = ['time/total_timesteps', 'rollout/ep_rew_mean', 'rollout/success_rate', 'eval/mean_reward', 'eval/success_rate', 'train/loss'] as const;

export function learningCurveCsv(rows: readonly Row[]): string {
  const lines = [['steps', 'ep_rew_mean', 'success_rate', 'eval_mean_reward', 'eval_success_rate', 'loss'].join(',')];
  for (const r of rows) lines.push(COLUMNS.map((c) => (r[c] === undefined || r[c] === null ? '' : String(r[c]))).join(','));
  return lines.join('\n') + '\n';
}

export async function learningCurveSvg(rows: readonly Row[], title: string): Promise<string> {
  const points: { steps: number; value: number; series: string; panel: string }[] = [];
  for (const r of rows) {
    const steps = r['time/total_timesteps'];
    const add = (key: string, series: string, panel: string) => {
      const v = r[key];
      if (typeof v === 'number' && Number.isFinite(v)) points.push({ steps, value: v, series, panel });
    };
    add('rollout/ep_rew_mean', 'training (last 100 episodes)', 'episode return');
    add('eval/mean_reward', 'evaluation', 'episode return');
    add('rollout/success_rate', 'training (last 100 episodes)', 'success rate');
    add('eval/success_rate', 'evaluation', 'success rate');
  }
  const spec = vl.compile({
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    data: { values: points },
    facet: { row: { field: 'panel', type: 'nominal', title: null } },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 520,
      height: 180,
      mark: { type: 'line', point: { size: 12 } },
      encoding: {
        x: { field: 'steps', type: 'quantitative', title: 'env steps' },
        y: { field: 'value', type: 'quantitative', title: null },
        color: { field: 'series', type: 'nominal', title: null, legend: { orient: 'bottom' } },
      },
    },
  }).spec;
  const view = new vega.View(vega.parse(spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}
