/**
 * A layered layout of a model's layer graph, top to bottom, small enough to bundle and fast on a few hundred layers
 * (a conv net is nearly a chain, so a general layout library buys little): longest-path ranks, then barycenter
 * ordering sweeps within ranks, then x positions pulled toward the node's neighbours with overlaps pushed apart.
 * Pure (no DOM): unit-tested and timed without a browser.
 */

export interface LayoutInput {
  name: string;
  inputs: readonly string[];
}

export interface LayoutNode {
  name: string;
  rank: number;
  /** Position within its rank, left to right. */
  order: number;
  /** Centre of the node box. */
  x: number;
  y: number;
}

export interface LayoutEdge {
  from: string;
  to: string;
  /** Ranks the edge spans: 1 = adjacent ranks; longer edges are drawn bowed so they do not cross the nodes between. */
  span: number;
}

export interface GraphLayout {
  nodes: LayoutNode[];
  byName: Map<string, LayoutNode>;
  edges: LayoutEdge[];
  /** Names per rank, in order. */
  ranks: string[][];
  width: number;
  height: number;
  preds: Map<string, string[]>;
  succs: Map<string, string[]>;
}

export interface LayoutSize {
  nodeWidth: number;
  nodeHeight: number;
  gapX: number;
  gapY: number;
}

export const DEFAULT_SIZE: LayoutSize = { nodeWidth: 168, nodeHeight: 40, gapX: 28, gapY: 30 };

/** `layers` in forward order (producers first); inputs naming no listed layer become source nodes of their own. */
export function layoutGraph(layers: readonly LayoutInput[], size: LayoutSize = DEFAULT_SIZE): GraphLayout {
  const names: string[] = [];
  const known = new Set(layers.map((l) => l.name));
  for (const l of layers) for (const i of l.inputs) if (!known.has(i)) { known.add(i); names.push(i); }
  for (const l of layers) names.push(l.name);
  const preds = new Map<string, string[]>(names.map((n) => [n, []]));
  const succs = new Map<string, string[]>(names.map((n) => [n, []]));
  for (const l of layers) {
    for (const i of new Set(l.inputs)) {
      preds.get(l.name)!.push(i);
      succs.get(i)!.push(l.name);
    }
  }
  // Longest path from the sources; a cycle (a malformed summary) cannot loop: each name is ranked once, in order.
  const rank = new Map<string, number>();
  for (const n of names) rank.set(n, Math.max(-1, ...preds.get(n)!.map((p) => rank.get(p) ?? -1)) + 1);
  const ranks: string[][] = [];
  for (const n of names) (ranks[rank.get(n)!] ??= []).push(n);
  const pos = new Map<string, number>();
  const renumber = (r: string[]): void => r.forEach((n, i) => pos.set(n, i));
  ranks.forEach(renumber);
  const sweep = (list: string[][], neighbours: Map<string, string[]>): void => {
    for (const r of list) {
      const key = new Map(r.map((n) => {
        const ns = neighbours.get(n)!;
        return [n, ns.length === 0 ? pos.get(n)! : ns.reduce((s, m) => s + pos.get(m)!, 0) / ns.length];
      }));
      r.sort((a, b) => key.get(a)! - key.get(b)! || pos.get(a)! - pos.get(b)!);
      renumber(r);
    }
  };
  for (let i = 0; i < 3; i++) {
    sweep(ranks.slice(1), preds);
    sweep(ranks.slice(0, -1).reverse(), succs);
  }
  const step = size.nodeWidth + size.gapX;
  const x = new Map<string, number>();
  for (const r of ranks) r.forEach((n, i) => x.set(n, (i - (r.length - 1) / 2) * step));
  const place = (list: string[][], neighbours: Map<string, string[]>): void => {
    for (const r of list) {
      const want = r.map((n) => {
        const ns = neighbours.get(n)!;
        return ns.length === 0 ? x.get(n)! : ns.reduce((s, m) => s + x.get(m)!, 0) / ns.length;
      });
      // Keep the order, push apart to one step, then shift the rank so it sits on its neighbours on average.
      const got = [...want];
      for (let i = 1; i < got.length; i++) got[i] = Math.max(got[i], got[i - 1] + step);
      const shift = want.reduce((s, w, i) => s + w - got[i], 0) / got.length;
      r.forEach((n, i) => x.set(n, got[i] + shift));
    }
  };
  for (let i = 0; i < 2; i++) {
    place(ranks.slice(1), preds);
    place(ranks.slice(0, -1).reverse(), succs);
  }
  const xs = [...x.values()];
  const minX = Math.min(...xs) - size.nodeWidth / 2 - size.gapX;
  const maxX = Math.max(...xs) + size.nodeWidth / 2 + size.gapX;
  const nodes: LayoutNode[] = names.map((n) => ({
    name: n, rank: rank.get(n)!, order: pos.get(n)!, x: x.get(n)! - minX,
    y: size.gapY + rank.get(n)! * (size.nodeHeight + size.gapY) + size.nodeHeight / 2,
  }));
  const edges: LayoutEdge[] = [];
  for (const l of layers) for (const i of new Set(l.inputs)) edges.push({ from: i, to: l.name, span: rank.get(l.name)! - rank.get(i)! });
  return {
    nodes, byName: new Map(nodes.map((n) => [n.name, n])), edges, ranks, preds, succs,
    width: maxX - minX, height: size.gapY * 2 + ranks.length * (size.nodeHeight + size.gapY),
  };
}

/** SVG path of an edge from the bottom of `a` to the top of `b`; long edges bow out to the right of the column. */
export function edgePath(a: LayoutNode, b: LayoutNode, e: LayoutEdge, size: LayoutSize = DEFAULT_SIZE): string {
  const h = size.nodeHeight / 2;
  if (e.span <= 1) {
    const my = (a.y + h + b.y - h) / 2;
    return `M${a.x},${a.y + h} C${a.x},${my} ${b.x},${my} ${b.x},${b.y - h}`;
  }
  const out = Math.max(a.x, b.x) + size.nodeWidth / 2 + 8 + Math.min(e.span, 8) * 3;
  return `M${a.x + size.nodeWidth / 4},${a.y + h} C${out},${a.y + h + size.gapY} ${out},${b.y - h - size.gapY} ${b.x + size.nodeWidth / 4},${b.y - h}`;
}
