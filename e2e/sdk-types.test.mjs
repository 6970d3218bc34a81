// The host API's TypeScript types (embed/parley-desktop.d.ts) hold for a typed CRM page
// (e2e/types/host.ts): `tsc --strict` finds no error, and every misuse marked there is one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './support.mjs';

test('the host API types check under tsc --strict', () => {
  const tsc = join(ROOT, 'node_modules/.bin/tsc');
  const args = ['--noEmit', '--strict', '--target', 'es2022', '--module', 'es2022', '--moduleResolution', 'bundler',
    '--lib', 'es2022,dom', join(ROOT, 'e2e/types/host.ts')];
  const run = spawnSync(tsc, args, { cwd: ROOT, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stdout + run.stderr);
});
