/**
 * `npm run gen:settings`: rewrites package.json's `contributes.configuration` and docs/settings.md from the settings
 * tables. Each file is written via a temporary name and a rename; a file already up to date is left untouched.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { settingsDoc, withConfiguration } from './settings-manifest';

const root = join(__dirname, '..');

function update(path: string, next: string): void {
  if (existsSync(path) && readFileSync(path, 'utf8') === next) {
    process.stdout.write(`${path}: up to date\n`);
    return;
  }
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, next);
  renameSync(tmp, path);
  process.stdout.write(`${path}: written\n`);
}

const pkg = join(root, 'package.json');
update(pkg, withConfiguration(readFileSync(pkg, 'utf8')));
update(join(root, 'docs', 'settings.md'), settingsDoc());
