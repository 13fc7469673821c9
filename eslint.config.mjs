// Lint enforces the folder boundaries of ARCHITECTURE.md: the engine stays pure.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'out/**', 'test-results/**', '.tools/**', 'examples/**/*.js'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['server/dcp/**/*.ts', 'server/onnx/**/*.ts'],
    rules: {
      'no-console': 'error',
      'no-restricted-imports': ['error', {
        paths: ['vscode', 'vscode-languageserver', 'vscode-languageserver/node', 'vscode-languageclient', 'vscode-languageclient/node'],
        patterns: ['**/handlers/*', '**/runs/*', '**/cli/*', '**/server', '**/extension/*', '**/webview/*'],
      }],
    },
  },
  {
    files: ['protocol/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['../server/*', '../extension/*', '../webview/*', '@tensorflow/*'] }] },
  },
);
