/**
 * The `--vscode-*` variables VS Code injects into webviews, with the values of its built-in themes (Light Modern,
 * Dark Modern, Dark High Contrast), and the body class it sets. Enough for the panel's styles and charts.
 */

export type ThemeName = 'light' | 'dark' | 'high-contrast';

export interface ThemeVars {
  bodyClass: 'vscode-light' | 'vscode-dark' | 'vscode-high-contrast';
  vars: Record<string, string>;
}

const common = {
  '--vscode-font-family': '-apple-system, BlinkMacSystemFont, "Segoe WPC", "Segoe UI", "Ubuntu", "Droid Sans", sans-serif',
  '--vscode-font-size': '13px',
  '--vscode-font-weight': 'normal',
  '--vscode-editor-font-family': 'Consolas, "Courier New", monospace',
};

export const THEMES: Record<ThemeName, ThemeVars> = {
  light: {
    bodyClass: 'vscode-light',
    vars: {
      ...common,
      '--vscode-foreground': '#3b3b3b', '--vscode-descriptionForeground': '#3b3b3b', '--vscode-errorForeground': '#f85149',
      '--vscode-focusBorder': '#005fb8', '--vscode-editor-background': '#ffffff', '--vscode-editor-foreground': '#3b3b3b',
      '--vscode-sideBar-background': '#f8f8f8', '--vscode-panel-border': '#e5e5e5', '--vscode-widget-border': '#e5e5e5',
      '--vscode-editorWidget-background': '#f8f8f8', '--vscode-button-background': '#005fb8', '--vscode-button-foreground': '#ffffff',
      '--vscode-button-hoverBackground': '#0258a8', '--vscode-button-border': 'rgba(0, 0, 0, 0.1)',
      '--vscode-button-secondaryBackground': '#e5e5e5', '--vscode-button-secondaryForeground': '#3b3b3b',
      '--vscode-button-secondaryHoverBackground': '#cccccc', '--vscode-input-background': '#ffffff', '--vscode-input-foreground': '#3b3b3b',
      '--vscode-input-border': '#cecece', '--vscode-dropdown-background': '#ffffff', '--vscode-dropdown-foreground': '#3b3b3b',
      '--vscode-dropdown-border': '#cecece', '--vscode-badge-background': '#cccccc', '--vscode-badge-foreground': '#3b3b3b',
      '--vscode-progressBar-background': '#005fb8', '--vscode-inputValidation-errorBackground': '#f2dede',
      '--vscode-inputValidation-errorBorder': '#be1100', '--vscode-inputValidation-infoBackground': '#d6ecf2',
      '--vscode-inputValidation-infoBorder': '#007acc', '--vscode-charts-foreground': '#3b3b3b',
      '--vscode-charts-lines': 'rgba(59, 59, 59, 0.5)', '--vscode-charts-red': '#e51400', '--vscode-charts-blue': '#1a85ff',
      '--vscode-charts-yellow': '#bf8803', '--vscode-charts-orange': '#d18616', '--vscode-charts-green': '#388a34',
      '--vscode-charts-purple': '#652d90',
    },
  },
  dark: {
    bodyClass: 'vscode-dark',
    vars: {
      ...common,
      '--vscode-foreground': '#cccccc', '--vscode-descriptionForeground': '#9d9d9d', '--vscode-errorForeground': '#f85149',
      '--vscode-focusBorder': '#0078d4', '--vscode-editor-background': '#1f1f1f', '--vscode-editor-foreground': '#cccccc',
      '--vscode-sideBar-background': '#181818', '--vscode-panel-border': '#2b2b2b', '--vscode-widget-border': '#313131',
      '--vscode-editorWidget-background': '#202020', '--vscode-button-background': '#0078d4', '--vscode-button-foreground': '#ffffff',
      '--vscode-button-hoverBackground': '#026ec1', '--vscode-button-border': 'rgba(255, 255, 255, 0.07)',
      '--vscode-button-secondaryBackground': '#313131', '--vscode-button-secondaryForeground': '#cccccc',
      '--vscode-button-secondaryHoverBackground': '#3c3c3c', '--vscode-input-background': '#313131', '--vscode-input-foreground': '#cccccc',
      '--vscode-input-border': '#3c3c3c', '--vscode-dropdown-background': '#313131', '--vscode-dropdown-foreground': '#cccccc',
      '--vscode-dropdown-border': '#3c3c3c', '--vscode-badge-background': '#616161', '--vscode-badge-foreground': '#f8f8f8',
      '--vscode-progressBar-background': '#0078d4', '--vscode-inputValidation-errorBackground': '#5a1d1d',
      '--vscode-inputValidation-errorBorder': '#be1100', '--vscode-inputValidation-infoBackground': '#063b49',
      '--vscode-inputValidation-infoBorder': '#007acc', '--vscode-charts-foreground': '#cccccc',
      '--vscode-charts-lines': 'rgba(204, 204, 204, 0.5)', '--vscode-charts-red': '#f14c4c', '--vscode-charts-blue': '#3794ff',
      '--vscode-charts-yellow': '#cca700', '--vscode-charts-orange': '#d18616', '--vscode-charts-green': '#89d185',
      '--vscode-charts-purple': '#b180d7',
    },
  },
  'high-contrast': {
    bodyClass: 'vscode-high-contrast',
    vars: {
      ...common,
      '--vscode-foreground': '#ffffff', '--vscode-descriptionForeground': 'rgba(255, 255, 255, 0.7)', '--vscode-errorForeground': '#f48771',
      '--vscode-focusBorder': '#f38518', '--vscode-contrastBorder': '#6fc3df', '--vscode-contrastActiveBorder': '#f38518',
      '--vscode-editor-background': '#000000', '--vscode-editor-foreground': '#ffffff', '--vscode-sideBar-background': '#000000',
      '--vscode-panel-border': '#6fc3df', '--vscode-widget-border': '#6fc3df', '--vscode-editorWidget-background': '#0c141f',
      '--vscode-button-background': '#000000', '--vscode-button-foreground': '#ffffff', '--vscode-button-border': '#6fc3df',
      '--vscode-button-secondaryBackground': '#000000', '--vscode-button-secondaryForeground': '#ffffff',
      '--vscode-input-background': '#000000', '--vscode-input-foreground': '#ffffff', '--vscode-input-border': '#6fc3df',
      '--vscode-dropdown-background': '#000000', '--vscode-dropdown-foreground': '#ffffff', '--vscode-dropdown-border': '#6fc3df',
      '--vscode-badge-background': '#000000', '--vscode-badge-foreground': '#ffffff', '--vscode-progressBar-background': '#6fc3df',
      '--vscode-inputValidation-errorBackground': '#000000', '--vscode-inputValidation-errorBorder': '#be1100',
      '--vscode-inputValidation-infoBackground': '#000000', '--vscode-inputValidation-infoBorder': '#6fc3df',
      '--vscode-charts-foreground': '#ffffff', '--vscode-charts-lines': 'rgba(255, 255, 255, 0.5)', '--vscode-charts-red': '#f48771',
      '--vscode-charts-blue': '#3794ff', '--vscode-charts-yellow': '#ffd370', '--vscode-charts-orange': '#ff9a00',
      '--vscode-charts-green': '#89d185', '--vscode-charts-purple': '#b180d7',
    },
  },
};

/** "#rrggbb" → [r, g, b], for finding a theme's colours in canvas pixels. */
export function rgb(hex: string): [number, number, number] {
  const n = Number.parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}
