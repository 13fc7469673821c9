/**
 * Colours and chart styling from VS Code's theme. Canvas drawing cannot use CSS variables, so they are read from
 * computed styles and re-read when VS Code swaps the theme (it changes the body's `vscode-light/-dark/-high-contrast`
 * class). Chart.js set-up shared by every chart: only the pieces we use are registered (smaller bundle), animation
 * is off (thousands of updates per run; the webview batches them per frame).
 * Charts are redrawn with `update()`, not `update('none')`: in 'none' mode Chart.js hands bars the previous shared
 * options, so a re-colour would show one update late.
 */
import {
  BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip,
  type ChartOptions, type ChartType, type ScaleOptions,
} from 'chart.js';

export interface Palette {
  foreground: string;
  muted: string;
  grid: string;
  background: string;
  /** Kept channels/kernels, and the L_M series. */
  kept: string;
  removed: string;
  pending: string;
  /** The channels/kernels added at the shown iteration, and the λ·L_S series. */
  added: string;
  lossM: string;
  lossS: string;
  accuracy: string;
  focus: string;
  /** High-contrast themes outline every mark; null elsewhere. */
  contrastBorder: string | null;
  fontFamily: string;
  fontSize: number;
  highContrast: boolean;
}

function cssVar(style: CSSStyleDeclaration, name: string, fallback: string): string {
  const v = style.getPropertyValue(name).trim();
  return v === '' ? fallback : v;
}

/** Reads the palette; fallbacks are VS Code's Dark Modern defaults, for a page opened outside VS Code. */
export function readPalette(): Palette {
  const style = getComputedStyle(document.body);
  const v = (name: string, fallback: string): string => cssVar(style, `--vscode-${name}`, fallback);
  const foreground = v('charts-foreground', v('foreground', '#cccccc'));
  // High-contrast light themes get `vscode-high-contrast-light` (recent VS Code adds `vscode-high-contrast` too).
  const highContrast = ['vscode-high-contrast', 'vscode-high-contrast-light'].some((c) => document.body.classList.contains(c));
  const border = style.getPropertyValue('--vscode-contrastBorder').trim();
  return {
    foreground,
    muted: v('descriptionForeground', foreground),
    grid: v('charts-lines', '#cccccc80'),
    background: v('editor-background', '#1f1f1f'),
    kept: v('charts-blue', '#3794ff'),
    removed: v('charts-red', '#f14c4c'),
    pending: v('charts-lines', '#cccccc80'),
    added: v('charts-orange', '#d18616'),
    lossM: v('charts-purple', '#b180d7'),
    lossS: v('charts-orange', '#d18616'),
    accuracy: v('charts-green', '#89d185'),
    focus: v('focusBorder', '#0078d4'),
    contrastBorder: highContrast && border !== '' ? border : null,
    fontFamily: v('font-family', 'system-ui, sans-serif'),
    fontSize: Number.parseFloat(v('font-size', '13px')) || 13,
    highContrast,
  };
}

/** Calls `onChange` when VS Code changes the theme; returns the unsubscribe function. */
export function watchTheme(onChange: () => void): () => void {
  const observer = new MutationObserver(() => onChange());
  observer.observe(document.body, { attributes: true, attributeFilter: ['class'] });
  return () => observer.disconnect();
}

let probe: CanvasRenderingContext2D | null = null;

/** `color` at opacity `alpha` (multiplied with its own), in a form every canvas accepts. */
export function withAlpha(color: string, alpha: number): string {
  probe ??= document.createElement('canvas').getContext('2d');
  if (!probe) return color;
  probe.fillStyle = '#000000';
  probe.fillStyle = color;
  // Canvas normalises to "#rrggbb" when opaque, else "rgba(r, g, b, a)".
  const v = probe.fillStyle;
  if (v.startsWith('#')) {
    const n = Number.parseInt(v.slice(1), 16);
    return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
  }
  const m = /rgba?\(([^,]+),([^,]+),([^,)]+)(?:,([^)]+))?\)/.exec(v);
  return m ? `rgba(${m[1].trim()}, ${m[2].trim()}, ${m[3].trim()}, ${Number(m[4] ?? 1) * alpha})` : color;
}

// ---- Chart.js ----------------------------------------------------------------------------------------------------

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
