import type * as vl from 'vega-lite';

/**
 * Plots as standalone SVG, rendered in Node without a browser: a Vega-Lite spec is compiled to Vega and
 * rendered by a headless `vega.View` (renderer `none`, text measured by Vega's estimator).
 */
export type Row = Record<string, string | number | boolean | null>;

export interface ChartSpec {
  title: string;
  data: Row[];
  mark: 'line' | 'point' | 'bar' | 'circle';
  x: Axis;
  y: Axis;
  /** a field that colours (and, for lines, separates) the series; bars with a colour are stacked */
  color?: string;
  /** bars: place bars of this field side by side (grouped, not stacked) and colour them by it */
  group?: string;
  /** extra fields shown in the tooltip / SVG title of each mark */
  tooltip?: string[];
  width?: number;
  height?: number;
}

export interface Axis {
  field: string;
  title?: string;
  type?: 'quantitative' | 'ordinal' | 'nominal';
  scale?: 'linear' | 'log';
  /** bar charts: sort the categories by this order */
  sort?: string[];
}

/** Builds the Vega-Lite spec for a chart (exported so reports can embed the spec next to the SVG). */
export function vegaLiteSpec(c: ChartSpec): vl.TopLevelSpec {
  const enc = (a: Axis) => ({
    field: a.field,
    type: a.type ?? 'quantitative',
    title: a.title ?? a.field,
    // bars start at zero (their length is the value); other marks zoom to the data
    ...(a.scale === 'log' ? { scale: { type: 'log' as const } } : c.mark === 'bar' ? {} : { scale: { zero: false } }),
    ...(a.sort ? { sort: a.sort } : {}),
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: c.title,
    width: c.width ?? 420,
    height: c.height ?? 260,
    data: { values: c.data },
    mark: c.mark === 'line' ? { type: 'line', point: true } : { type: c.mark, tooltip: true },
    encoding: {
      x: enc(c.x),
      y: enc(c.y),
      ...(c.color ?? c.group ? { color: { field: c.group ?? c.color, type: 'nominal' as const } } : {}),
      ...(c.group ? { xOffset: { field: c.group, type: 'nominal' as const } } : {}),
      ...(c.tooltip ? { tooltip: c.tooltip.map((f) => ({ field: f })) } : {}),
    },
  } as vl.TopLevelSpec;
}

/** Renders a chart to an SVG string. */
export async function renderChart(c: ChartSpec): Promise<string> {
  // vega and vega-lite load here, not with the module (start-up time of commands that never plot)
  const [vega, vegaLite] = await Promise.all([import('vega'), import('vega-lite')]);
  const compiled = vegaLite.compile(vegaLiteSpec(c)).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
