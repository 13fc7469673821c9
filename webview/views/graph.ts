/**
 * The model as a graph (SVG, laid out by graph-layout.ts): prunable convolutions marked, why the others are not on
 * hover, channels kept of total and FLOPs before → after as the run decides them, and the layers coupled with the
 * focused one highlighted. Click a node or focus the graph and use the arrow keys (Up/Down along edges, Left/Right
 * within a rank), Enter selects the layer in the selected-layer view; drag to pan, wheel or +/− to zoom, 0 to fit.
 * Colours are theme variables in panel.css, so theme changes need no redraw. The table is the text alternative.
 */
import type { ModelSummary, Recipe } from '../../protocol/model';
import type { RecipeLayer } from '../../protocol/recipe';
import { button, dataTable, el, fillTable, section, setText, tableBox } from '../dom';
import { DEFAULT_SIZE, edgePath, layoutGraph, type GraphLayout } from '../graph-layout';
import { budgetText, couplingText, flopsText, forecastRun, forecastText, graphNodes, type GraphNodeInfo } from '../graph-model';
import { MISSING } from '../selectors';
import type { PanelState } from '../state';
import { GraphDetail } from './graph-detail';

const SVG = 'http://www.w3.org/2000/svg';
const svg = <K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string> = {}): SVGElementTagNameMap[K] => {
  const n = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
  return n;
};
const MAX_LABEL = 24;
const short = (s: string): string => (s.length > MAX_LABEL ? `${s.slice(0, MAX_LABEL - 1)}…` : s);

interface NodeEls { g: SVGGElement; sub: SVGTextElement; title: SVGTitleElement; bar: SVGRectElement; barKept: SVGRectElement; badge: SVGTextElement }

export interface GraphActions {
  select(layer: string): void;
  budget(layer: string, budget: RecipeLayer | null): void;
}

export class GraphView {
  readonly root: HTMLElement;
  private readonly viewport: HTMLDivElement;
  private readonly svgRoot: SVGSVGElement;
  private readonly world: SVGGElement;
  private readonly detail: GraphDetail;
  private readonly table = dataTable('Layers of the model graph');
  private readonly caption: HTMLParagraphElement;
  private readonly forecast: HTMLParagraphElement;
  private layout: GraphLayout | null = null;
  private model: ModelSummary | null = null;
  private readonly els = new Map<string, NodeEls>();
  private readonly buttons = new Map<string, HTMLButtonElement>();
  private nodes = new Map<string, GraphNodeInfo>();
  private view = { k: 1, tx: 0, ty: 0 };
  private cursor: string | null = null;
  private selected: string | null = null;
  private last: { layers: PanelState['layers']; diff: PanelState['layerDiff']; recipe: Recipe | null | undefined; selected: string | null; editable: boolean; rate: number | null } | null = null;
  /** Milliseconds the last layout + render of a model took (the browser test prints it). */
  lastBuildMs = 0;

  constructor(private readonly actions: GraphActions) {
    const s = section('graph', 'Model graph');
    this.root = s.root;
    this.caption = el('p', { class: 'hint', text: 'Start a run to see the model’s layers.' });
    this.forecast = el('p', { class: 'hint forecast', attrs: { 'aria-live': 'polite' } });
    const tools = el('div', { class: 'row' }, [
      button('Zoom in', () => this.zoom(1.25)), button('Zoom out', () => this.zoom(0.8)),
      button('Fit', () => this.fit()), button('Show focused', () => this.reveal(this.cursor, true)),
    ]);
    this.svgRoot = svg('svg', { class: 'graph-svg', role: 'img', 'aria-label': 'Model graph' });
    this.world = svg('g');
    this.svgRoot.append(this.world);
    this.viewport = el('div', { class: 'graph-viewport', attrs: { tabindex: '0', role: 'application', 'aria-roledescription': 'layer graph',
      'aria-label': 'Model graph. Arrow keys move between layers, Enter selects, plus and minus zoom, 0 fits.' } }, []);
    this.viewport.append(this.svgRoot);
    this.detail = new GraphDetail((layer, budget) => actions.budget(layer, budget));
    const legend = el('p', { class: 'hint graph-legend', text: 'Solid blue border: prunable convolution (bar: kept / removed channels). Dashed: a conv or dense layer that cannot be pruned (hover for why). Orange: layers that lose channels with the focused one; purple: its residual width group.' });
    s.body.append(this.caption, this.forecast, tools, legend, el('div', { class: 'graph-wrap' }, [this.viewport, this.detail.root]), tableBox(this.table));
    this.wire();
  }

  /** `rate`: the rate the next run would use (the form's, else the settings'), for the forecast; null = none shown. */
  update(s: PanelState, selected: string | null, recipe: Recipe | null | undefined, rate: number | null): void {
    const editable = recipe !== undefined;
    if (s.model !== this.model) this.build(s.model);
    const l = this.last;
    if (l && l.layers === s.layers && l.diff === s.layerDiff && l.recipe === recipe && l.selected === selected && l.editable === editable && l.rate === rate) return;
    this.last = { layers: s.layers, diff: s.layerDiff, recipe, selected, editable, rate };
    this.showForecast(s, recipe, rate);
    const moved = selected !== this.selected;
    this.selected = selected;
    if (moved && selected) this.cursor = selected;
    this.nodes = graphNodes(s, recipe);
    for (const [name, n] of this.nodes) this.paintNode(name, n);
    this.paintFocus();
    this.detail.update(this.cursor ? this.nodes.get(this.cursor) ?? null : null, editable);
    fillTable(this.table, ['Layer', 'Type', 'Inputs', 'Output', 'Prunable', 'Channels kept', 'FLOPs', 'Coupling', 'Budget', ''],
      [...this.nodes.values()].map((n) => [
        n.info.name, n.info.className, n.info.inboundLayers.join(', ') || MISSING, `[${n.info.outputShape.join(', ')}]`,
        n.info.prunable ? 'yes' : n.info.reason ? `no: ${n.info.reason}` : MISSING,
        n.kept !== null && n.total !== null ? `${n.kept} of ${n.total}` : MISSING, flopsText(n), couplingText(n.info),
        n.info.prunable ? budgetText(n.budget) : MISSING, this.focusButton(n.info.name),
      ]));
    if (moved && selected) this.reveal(selected, false);
  }

  private showForecast(s: PanelState, recipe: Recipe | null | undefined, rate: number | null): void {
    setText(this.forecast, s.model && rate !== null ? forecastText(forecastRun(s.model, rate, recipe), rate, recipe) : '');
  }

  /** Lays out and draws the model's nodes and edges once per model. */
  private build(model: ModelSummary | null): void {
    const t0 = performance.now();
    this.model = model;
    this.els.clear();
    this.buttons.clear();
    this.world.replaceChildren();
    this.cursor = null;
    this.layout = null;
    if (!model) return;
    const layout = layoutGraph(model.layers.map((l) => ({ name: l.name, inputs: l.inboundLayers })));
    this.layout = layout;
    const info = new Map(model.layers.map((l) => [l.name, l]));
    const edges = svg('g', { class: 'gedges' });
    const w = DEFAULT_SIZE.nodeWidth;
    const h = DEFAULT_SIZE.nodeHeight;
    const paths: string[] = [];
    for (const e of layout.edges) paths.push(edgePath(layout.byName.get(e.from)!, layout.byName.get(e.to)!, e));
    // One path element for every edge: hundreds of edges, and none of them is interactive.
    edges.append(svg('path', { d: paths.join(' '), class: 'gedge' }));
    const nodes = svg('g', { class: 'gnodes' });
    for (const n of layout.nodes) {
      const li = info.get(n.name);
      const kind = !li ? 'input' : li.prunable ? 'prunable' : li.reason ? 'blocked' : 'plain';
      const g = svg('g', { class: `gnode ${kind}`, transform: `translate(${n.x - w / 2},${n.y - h / 2})`, 'data-layer': n.name });
      const title = svg('title');
      const box = svg('rect', { class: 'gbox', width: String(w), height: String(h), rx: '3' });
      const name = svg('text', { class: 'gname', x: '8', y: '16' });
      name.textContent = short(n.name);
      const sub = svg('text', { class: 'gsub', x: '8', y: '31' });
      const bar = svg('rect', { class: 'gbar', x: '0', y: String(h - 4), width: String(w), height: '4' });
      const barKept = svg('rect', { class: 'gbar-kept', x: '0', y: String(h - 4), width: '0', height: '4' });
      const badge = svg('text', { class: 'gbadge', x: String(w - 6), y: '16', 'text-anchor': 'end' });
      bar.setAttribute('visibility', 'hidden');
      g.append(title, box, name, sub, bar, barKept, badge);
      nodes.append(g);
      this.els.set(n.name, { g, sub, title, bar, barKept, badge });
      if (!li) {
        sub.textContent = 'model input';
        title.textContent = `${n.name}: model input`;
      }
    }
    this.world.append(edges, nodes);
    setText(this.caption, `${model.layers.length} layers, ${model.prunable.length} prunable convolutions.`);
    this.fit(true);
    this.lastBuildMs = performance.now() - t0;
    this.last = null;
  }

  private paintNode(name: string, n: GraphNodeInfo): void {
    const e = this.els.get(name);
    if (!e) return;
    const i = n.info;
    const channels = n.kept !== null && n.total !== null ? ` · ${n.kept}/${n.total}` : i.inChannels !== undefined && i.prunable ? ` · ${i.inChannels} in` : '';
    setText(e.sub, `${i.className}${channels}`);
    const verdict = i.prunable ? 'prunable convolution' : i.reason ? `not prunable: ${i.reason}` : i.className;
    setText(e.title, `${i.name} (${i.className}), ${verdict}. FLOPs ${flopsText(n)}.${i.coupling ? ` ${couplingText(i)}.` : ''}`);
    const show = n.kept !== null && n.total !== null && n.total > 0;
    e.bar.setAttribute('visibility', show ? 'visible' : 'hidden');
    e.barKept.setAttribute('width', show ? String((DEFAULT_SIZE.nodeWidth * n.kept!) / n.total!) : '0');
    setText(e.badge, n.budget === null ? '' : n.budget === 'never' ? 'never' : `η ${n.budget}`);
  }

  /** Selection, cursor and the cursor's coupled layers, as classes. */
  private paintFocus(): void {
    const info = this.cursor ? this.nodes.get(this.cursor)?.info : undefined;
    const coupled = new Set<string>();
    const group = info?.coupling?.widthGroup;
    if (info?.coupling?.removesWith) for (const p of info.coupling.removesWith) coupled.add(p.layer);
    if (info?.coupling?.prunedBy) {
      coupled.add(info.coupling.prunedBy);
      for (const p of this.nodes.get(info.coupling.prunedBy)?.info.coupling?.removesWith ?? []) coupled.add(p.layer);
    }
    for (const [name, e] of this.els) {
      const cl = e.g.classList;
      cl.toggle('selected', name === this.selected);
      cl.toggle('cursor', name === this.cursor);
      cl.toggle('coupled', coupled.has(name) && name !== this.cursor);
      cl.toggle('width', group !== undefined && this.nodes.get(name)?.info.coupling?.widthGroup === group && name !== this.cursor);
    }
    this.viewport.setAttribute('aria-label', `Model graph. Focused: ${this.cursor ?? 'none'}; selected: ${this.selected ?? 'none'}. Arrow keys move, Enter selects, plus and minus zoom, 0 fits.`);
  }

  private focusButton(name: string): HTMLButtonElement {
    let b = this.buttons.get(name);
    if (!b) {
      b = button('Focus', () => this.moveTo(name, true), { attrs: { 'aria-label': `Focus layer ${name} in the graph` } });
      this.buttons.set(name, b);
    }
    return b;
  }

  private moveTo(name: string, select: boolean): void {
    this.cursor = name;
    if (select && this.nodes.get(name)?.planned) this.actions.select(name);
    this.paintFocus();
    this.detail.update(this.nodes.get(name) ?? null, this.last?.editable ?? false);
    this.reveal(name, false);
  }

  private wire(): void {
    let drag: { x: number; y: number; tx: number; ty: number; moved: boolean } | null = null;
    this.viewport.addEventListener('pointerdown', (e) => {
      drag = { x: e.clientX, y: e.clientY, tx: this.view.tx, ty: this.view.ty, moved: false };
    });
    this.viewport.addEventListener('pointermove', (e) => {
      if (!drag || (e.buttons & 1) === 0) return;
      const dx = e.clientX - drag.x;
      const dy = e.clientY - drag.y;
      if (!drag.moved && Math.hypot(dx, dy) < 4) return;
      if (!drag.moved) this.viewport.setPointerCapture(e.pointerId);
      drag.moved = true;
      this.setView(this.view.k, drag.tx + dx, drag.ty + dy);
    });
    this.viewport.addEventListener('pointerup', (e) => {
      const wasDrag = drag?.moved ?? false;
      drag = null;
      if (wasDrag) return;
      const node = (e.target as Element).closest?.('.gnode');
      const name = node?.getAttribute('data-layer');
      if (name) this.moveTo(name, true);
    });
    this.viewport.addEventListener('wheel', (e) => {
      e.preventDefault();
      const r = this.viewport.getBoundingClientRect();
      this.zoom(Math.exp(-e.deltaY * 0.0015), e.clientX - r.left, e.clientY - r.top);
    }, { passive: false });
    this.viewport.addEventListener('keydown', (e) => this.onKey(e));
  }

  private onKey(e: KeyboardEvent): void {
    const L = this.layout;
    if (!L || L.nodes.length === 0) return;
    const cur = this.cursor && L.byName.has(this.cursor) ? L.byName.get(this.cursor)! : null;
    const byX = (names: string[]): string[] => [...names].sort((a, b) => L.byName.get(a)!.x - L.byName.get(b)!.x);
    let next: string | null = null;
    if (e.key === 'Enter' || e.key === ' ') {
      if (this.cursor) this.moveTo(this.cursor, true);
      e.preventDefault();
      return;
    } else if (e.key === '+' || e.key === '=') this.zoom(1.25);
    else if (e.key === '-') this.zoom(0.8);
    else if (e.key === '0') this.fit();
    else if (!cur) next = L.nodes[0].name;
    else if (e.key === 'ArrowDown') next = byX(L.succs.get(cur.name)!)[0] ?? null;
    else if (e.key === 'ArrowUp') next = byX(L.preds.get(cur.name)!)[0] ?? null;
    else if (e.key === 'ArrowLeft' || e.key === 'ArrowRight') {
      const r = L.ranks[cur.rank];
      next = r[cur.order + (e.key === 'ArrowLeft' ? -1 : 1)] ?? null;
    } else if (e.key === 'Home') next = L.nodes[0].name;
    else if (e.key === 'End') next = L.nodes.at(-1)!.name;
    else return;
    e.preventDefault();
    if (next) this.moveTo(next, false);
  }

  private setView(k: number, tx: number, ty: number): void {
    this.view = { k, tx, ty };
    this.world.setAttribute('transform', `translate(${tx.toFixed(1)},${ty.toFixed(1)}) scale(${k.toFixed(4)})`);
  }

  /** Zooms by `factor` around a point of the viewport (its centre by default). */
  private zoom(factor: number, cx?: number, cy?: number): void {
    const r = this.viewport.getBoundingClientRect();
    const px = cx ?? r.width / 2;
    const py = cy ?? r.height / 2;
    const k = Math.min(3, Math.max(0.02, this.view.k * factor));
    const f = k / this.view.k;
    this.setView(k, px - (px - this.view.tx) * f, py - (py - this.view.ty) * f);
  }

  /** Whole graph in view; `initial` fits the width only (a deep net would be unreadably small) and shows the top. */
  private fit(initial = false): void {
    const L = this.layout;
    if (!L) return;
    const r = this.viewport.getBoundingClientRect();
    const vw = r.width || 800;
    const vh = r.height || 480;
    const k = Math.min(1.2, vw / L.width, initial ? Infinity : vh / L.height);
    this.setView(k, (vw - L.width * k) / 2, initial ? 0 : (vh - L.height * k) / 2);
  }

  /** Pans so the node is in view (centred when `center` or when it is outside). */
  private reveal(name: string | null, center: boolean): void {
    const n = name ? this.layout?.byName.get(name) : undefined;
    if (!n) return;
    const r = this.viewport.getBoundingClientRect();
    const { k, tx, ty } = this.view;
    const sx = n.x * k + tx;
    const sy = n.y * k + ty;
    const m = 40;
    if (!center && sx > m && sx < r.width - m && sy > m && sy < r.height - m) return;
    this.setView(k, r.width / 2 - n.x * k, r.height / 2 - n.y * k);
  }
}
