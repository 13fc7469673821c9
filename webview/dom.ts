/**
 * Tiny DOM helpers. Every string goes in through `textContent` or `setAttribute`, never `innerHTML`: layer names
 * come from model files, which may be hostile.
 */

export interface ElOptions {
  class?: string;
  text?: string;
  attrs?: Record<string, string>;
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, opts: ElOptions = {}, children: Node[] = []): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (opts.class) node.className = opts.class;
  if (opts.text !== undefined) node.textContent = opts.text;
  for (const [k, v] of Object.entries(opts.attrs ?? {})) node.setAttribute(k, v);
  for (const child of children) node.append(child);
  return node;
}

/** A titled region of the panel; `body` receives the content. Headings make the panel navigable by screen readers. */
export function section(id: string, title: string): { root: HTMLElement; heading: HTMLHeadingElement; body: HTMLDivElement } {
  const heading = el('h2', { text: title, attrs: { id: `${id}-title` } });
  const body = el('div', { class: 'section-body' });
  const root = el('section', { class: 'card', attrs: { id, 'aria-labelledby': `${id}-title` } }, [heading, body]);
  return { root, heading, body };
}

/** A cell: text, or a node (e.g. a button) built by the caller. */
export type Cell = string | Node;

/**
 * Brings a table (the text alternative of a chart) up to date in place: only cells whose content changed are
 * touched, so a live run does not rebuild the DOM every frame, and a focused button in a row keeps its focus.
 * Node cells are placed as given: pass the same node again (e.g. a cached button) to leave it alone.
 */
export function fillTable(table: HTMLTableElement, head: string[], rows: Cell[][]): void {
  if (!table.tHead) {
    const tr = el('tr', {}, head.map((h) => el('th', { text: h, attrs: { scope: 'col' } })));
    table.createTHead().append(tr);
  }
  const body = table.tBodies[0] ?? table.appendChild(document.createElement('tbody'));
  rows.forEach((row, r) => {
    const tr = body.rows[r] ?? body.appendChild(document.createElement('tr'));
    row.forEach((cell, i) => {
      const td = tr.cells[i] ?? tr.appendChild(document.createElement(i === 0 ? 'th' : 'td'));
      if (i === 0) td.setAttribute('scope', 'row');
      if (typeof cell !== 'string') {
        if (td.firstChild !== cell || td.childNodes.length !== 1) td.replaceChildren(cell);
      } else if (td.childElementCount > 0 || td.textContent !== cell) {
        td.textContent = cell;
      }
    });
    while (tr.cells.length > row.length) tr.lastChild?.remove();
  });
  while (body.rows.length > rows.length) body.lastChild?.remove();
}

/**
 * A chart's table alternative: in the DOM for screen readers at all times, shown on screen when the user turns on
 * "Show data tables" (the `show-tables` class on body). Append it wrapped in `tableBox`.
 */
export function dataTable(caption: string): HTMLTableElement {
  const table = el('table', { class: 'data-table' });
  table.createCaption().textContent = caption;
  return table;
}

/**
 * The box a chart's table lives in. The box, not the table, is visually hidden: a table cannot be shrunk below its
 * content's height, so a hidden table would still stretch the page.
 */
export function tableBox(table: HTMLTableElement): HTMLDivElement {
  return el('div', { class: 'table-box' }, [table]);
}

/** A canvas in a sized box (Chart.js sizes itself to its parent). Hidden from screen readers: the table speaks for it. */
export function chartBox(label: string, extraClass = ''): { box: HTMLDivElement; canvas: HTMLCanvasElement } {
  const canvas = el('canvas', { attrs: { role: 'img', 'aria-label': label } });
  const box = el('div', { class: `chart ${extraClass}`.trim() }, [canvas]);
  return { box, canvas };
}

export function button(text: string, onClick: () => void, opts: ElOptions = {}): HTMLButtonElement {
  const b = el('button', { ...opts, text, attrs: { type: 'button', ...opts.attrs } });
  b.addEventListener('click', onClick);
  return b;
}

/** Sets text only when it changed: avoids layout work and screen-reader chatter on every frame. */
export function setText(node: Node, text: string): void {
  if (node.textContent !== text) node.textContent = text;
}
