/**
 * Chart.js set-up shared by every chart: only the pieces we use are registered (smaller bundle), animation is off
 * (thousands of updates per run; the webview batches them per frame), and colours come from the theme palette.
 * Charts are redrawn with `update()`, not `update('none')`: in 'none' mode Chart.js hands bars the previous shared
 * options, so a re-colour would show one update late.
 */
import {
  BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip,
  type ChartOptions, type ChartType, type ScaleOptions,
} from 'chart.js';
import { withAlpha, type Palette } from './theme';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LineController, LineElement, PointElement, Tooltip, Legend);

export type AxisOptions = ScaleOptions<'linear' | 'category'>;

/** Axis styling from the palette; `title` names the unit so a chart reads without its section heading. */
export function axis(p: Palette, title: string, extra: AxisOptions = {}): AxisOptions {
  return {
    ...extra,
    title: { display: title !== '', text: title, color: p.muted },
    ticks: { color: p.foreground, ...(extra.ticks ?? {}) },
    // Grid lines at a fraction of charts.lines: at full strength they compete with the data.
    grid: { color: withAlpha(p.grid, 0.45), ...(extra.grid ?? {}) },
    border: { color: p.contrastBorder ?? p.grid },
  };
}

/** Options every chart shares. */
export function baseOptions<T extends ChartType>(p: Palette): ChartOptions<T> {
  const options: ChartOptions<'bar' | 'line'> = {
    animation: false,
    responsive: true,
    maintainAspectRatio: false,
    normalized: true,
    color: p.foreground,
    font: { family: p.fontFamily, size: p.fontSize },
    plugins: {
      legend: { labels: { color: p.foreground, boxWidth: 12, font: { family: p.fontFamily } } },
      tooltip: {
        backgroundColor: p.background, titleColor: p.foreground, bodyColor: p.foreground,
        borderColor: p.contrastBorder ?? p.grid, borderWidth: 1,
      },
    },
  };
  // The shared keys mean the same for every chart type; TypeScript cannot see that through the generic.
  return options as ChartOptions<T>;
}

/** Applies the palette's font globally; Chart.js reads it when it lays out text. */
export function applyChartDefaults(p: Palette): void {
  Chart.defaults.font.family = p.fontFamily;
  Chart.defaults.font.size = p.fontSize;
  Chart.defaults.color = p.foreground;
  Chart.defaults.borderColor = p.grid;
}

/** Marks with an outline in high-contrast themes, none otherwise. */
export function outline(p: Palette): { borderColor: string; borderWidth: number } {
  return p.contrastBorder ? { borderColor: p.contrastBorder, borderWidth: 1 } : { borderColor: 'transparent', borderWidth: 0 };
}

export { Chart };
