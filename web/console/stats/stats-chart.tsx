/**
 * A chart of figures with uPlot (bundled, drawn on a canvas): lines over the periods of a range,
 * or bars grouped by code for a crossing. The canvas is an image with a sentence that sums it up
 * (role="img", aria-label); the figures themselves are in the table under it, which is what a
 * screen reader reads. uPlot sizes its elements through the CSSOM (element.style), which the
 * console's CSP allows; it writes no style attribute or element. The legend is the console's own
 * list, each series marked by its colour and dash.
 */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import { t } from '../i18n.js';
import { colourOf, dashOf } from './chart-palette.js';
import type { Line } from './series-pivot.js';

const INK = '#1b1f24';
const GRID = '#dde2e8';
const FONT = '12px system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif';
const HEIGHT = 280;
/** Counts are whole: ticks at these steps only. */
const INCRS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10_000, 20_000, 50_000, 100_000];

export interface ChartProps {
  kind: 'lines' | 'bars';
  /** Along the x axis: the periods (lines) or the codes (bars). */
  categories: string[];
  /** One per series: a code over the periods (lines), or a code of the second dimension over the first's (bars). */
  lines: Line[];
  /** What the chart shows, in a sentence (the canvas's accessible name). */
  summary: string;
}

/** The categories' labels, every n-th one when they would overlap, cut when long. */
function categoryValues(categories: string[], cut: number) {
  return (u: uPlot, splits: number[]) => {
    const width = u.bbox.width / (window.devicePixelRatio || 1);
    const step = Math.max(1, Math.ceil((splits.length * Math.min(cut, 14) * 7) / Math.max(width, 1)));
    return splits.map((s, i) => {
      if (i % step !== 0) return '';
      const text = categories[s] ?? '';
      return text.length > cut ? `${text.slice(0, cut - 1)}…` : text;
    });
  };
}

function options(props: ChartProps, width: number): uPlot.Options {
  const n = props.categories.length;
  const m = props.lines.length;
  const indices = props.categories.map((_c, i) => i);
  const bars = props.kind === 'bars';
  // Grouped bars: the series side by side within 80% of each category's width, none wider than 56 CSS pixels.
  const slot = 0.8 / Math.max(m, 1);
  const bar = (u: uPlot) => {
    const unit = Math.abs(u.valToPos(1, 'x') - u.valToPos(0, 'x')) || 1;
    const step = Math.min(slot, 56 / unit);
    return { step, width: step * 0.85 };
  };
  return {
    width,
    height: HEIGHT,
    legend: { show: false },
    cursor: { show: false },
    select: { show: false, left: 0, top: 0, width: 0, height: 0 },
    scales: {
      x: { time: false, range: () => [-0.5, Math.max(n, 1) - 0.5] },
      y: { range: (_u, _min, max) => [0, Math.max(4, Math.ceil((max || 0) * 1.1))] },
    },
    axes: [
      { stroke: INK, font: FONT, grid: { show: false }, ticks: { stroke: GRID }, splits: () => indices, values: categoryValues(props.categories, bars ? 14 : 10) },
      { stroke: INK, font: FONT, grid: { stroke: GRID, width: 1 }, ticks: { stroke: GRID }, incrs: INCRS, values: (_u, splits) => splits.map((v) => String(Math.round(v))) },
    ],
    series: [
      {},
      ...props.lines.map((line, k): uPlot.Series => {
        const colour = colourOf(k, line.other);
        if (!bars) return { label: line.label, stroke: colour, width: 2, dash: dashOf(k), points: { show: true, size: 7, stroke: colour, fill: colour } };
        return {
          label: line.label,
          stroke: colour,
          fill: colour,
          width: 0,
          points: { show: false },
          paths: uPlot.paths.bars!({
            disp: {
              x0: {
                unit: 1,
                values: (u) => {
                  const { step, width } = bar(u);
                  return indices.map((i) => i - (step * m) / 2 + k * step + (step - width) / 2);
                },
              },
              size: { unit: 1, values: (u) => [bar(u).width] },
            },
          }),
        };
      }),
    ],
  };
}

export function StatsChart(props: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  // Drawn again only when what it shows changes (the summary names it all, in the reader's language).
  const key = JSON.stringify([props.kind, props.categories, props.lines, props.summary]);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const widthOf = () => Math.max(240, Math.floor(el.clientWidth));
    const data: uPlot.AlignedData = [props.categories.map((_c, i) => i), ...props.lines.map((l) => l.values)];
    const plot = new uPlot(options(props, widthOf()), data, el);
    const canvas = plot.ctx.canvas;
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', props.summary);
    let width = widthOf();
    const resized = new ResizeObserver(() => {
      if (widthOf() === width) return;
      width = widthOf();
      plot.setSize({ width, height: HEIGHT });
    });
    resized.observe(el);
    return () => {
      resized.disconnect();
      plot.destroy();
    };
  }, [key]);

  return (
    <figure class="stats-figure">
      <div class="stats-chart" ref={box} />
      <figcaption>
        <span class="visually-hidden">{t('stats.chart.legend')}</span>
        <ul class="stats-legend">
          {props.lines.map((line, k) => (
            <li key={`${k}-${line.label}`}>
              <svg class="stats-swatch" viewBox="0 0 24 12" width="24" height="12" aria-hidden="true" focusable="false">
                {props.kind === 'bars' ? (
                  <rect x="2" y="1" width="20" height="10" fill={colourOf(k, line.other)} />
                ) : (
                  <line x1="0" y1="6" x2="24" y2="6" stroke={colourOf(k, line.other)} stroke-width="3" stroke-dasharray={dashOf(k).join(' ') || undefined} />
                )}
              </svg>
              {line.label}
            </li>
          ))}
        </ul>
      </figcaption>
    </figure>
  );
}
