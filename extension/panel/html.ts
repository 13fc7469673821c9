/**
 * The pruning panel's HTML, shared by the extension (PruningPanel) and the browser-test harness, so tests exercise
 * exactly what VS Code shows. Deliberately free of `vscode`: URIs arrive as strings already mapped by the caller
 * (`webview.asWebviewUri`), and the CSP source as `webview.cspSource`.
 */
import { randomBytes } from 'node:crypto';

export interface PanelHtmlOptions {
  /** `webview.cspSource`: the origin the bundle and stylesheet load from. */
  cspSource: string;
  /** Fresh for every HTML load; only scripts and styles carrying it run. */
  nonce: string;
  /** URI of dist/webview.js and dist/webview.css as the webview can load them. */
  scriptUri: string;
  styleUri: string;
  title?: string;
}

/** A 128-bit random nonce, base64 without padding (valid in a CSP source expression). */
export function makeNonce(): string {
  return randomBytes(16).toString('base64').replace(/=+$/, '');
}

/**
 * `default-src 'none'` so nothing loads unless listed: scripts only with the nonce (the bundle), styles from the
 * extension's dist folder or with the nonce, images only from there or inline data (Chart.js exports none).
 */
export function panelCsp(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `img-src ${cspSource} data:`,
  ].join('; ') + ';';
}

/** Escapes text for an HTML attribute or text node. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

/** The whole document. The body is an empty mount point: webview/main.ts builds the panel with DOM calls. */
export function buildPanelHtml(o: PanelHtmlOptions): string {
  const nonce = escapeHtml(o.nonce);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(panelCsp(o.cspSource, o.nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escapeHtml(o.styleUri)}" nonce="${nonce}">
<title>${escapeHtml(o.title ?? 'DCP pruning')}</title>
</head>
<body>
<div id="app"><p>Loading the pruning panel…</p></div>
<script nonce="${nonce}" src="${escapeHtml(o.scriptUri)}"></script>
</body>
</html>
`;
}
