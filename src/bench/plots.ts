/** Per-scenario bar charts with 95% CI error bars, rendered to SVG by Vega-Lite without a browser. */
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { Report } from './report.ts';

interface Bar {
  scenario: string;
  mean: number;
  low: number;
  high: number;
}

function bars(report: Report, metric: string, scale: number): Bar[] {
  return Object.entries(report.scenarios).map(([scenario, a]) => {
    const e = a.metrics[metric];
    const m = (e.mean ?? 0) * scale;
    return { scenario, mean: m, low: (e.low ?? e.mean ?? 0) * scale, high: (e.high ?? e.mean ?? 0) * scale };
  });
}

async function render(title: string, data: Bar[], axis: string, max?: number): Promise<string> {
  const y = { field: 'mean', type: 'quantitative' as const, title: axis, ...(max !== undefined ? { scale: { domain: [0, max] } } : {}) };
  const spec = vl.compile({
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    width: Math.max(240, 70 * data.length),
    height: 220,
    data: { values: data },
    encoding: { x: { field: 'scenario', type: 'nominal', sort: null, axis: { labelAngle: -30, title: null } } },
    layer: [
      { mark: { type: 'bar', color: '#4c78a8' }, encoding: { y } },
      { mark: { type: 'errorbar', ticks: true, color: '#222' }, encoding: { y: { field: 'low', type: 'quantitative' }, y2: { field: 'high' } } },
    ],
  }).spec;
  const view = new vega.View(vega.parse(spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

/** `{ file name: SVG text }` for the report's plots. */
export async function renderPlots(report: Report): Promise<Record<string, string>> {
  return {
    'driving-score.svg': await render(`Driving score · ${report.agent} on ${report.suite.id} (95% CI)`, bars(report, 'drivingScore', 1), 'driving score', 1),
    'success.svg': await render(`Success rate · ${report.agent} on ${report.suite.id} (95% CI)`, bars(report, 'success', 100), 'success %', 100),
  };
}
