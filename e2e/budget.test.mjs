// The download budgets: what the desktop and the widget load at start, brotli-compressed, with
// the benchmark's own measure. Builds are deterministic, so a size is a test, not a figure.
// A feature that does not fit finds its bytes elsewhere first (code compiled once per type is
// the usual place; splitting the module off does not pay with type-erased views:
// docs/decisions/0005); a decision record in docs/decisions/
// may raise a budget once, with the measured reason, never past 280 KB.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { brotliBytes } from '../bench/size.mjs';
import { ROOT } from './support.mjs';

const KB = 1024;
const BUDGETS = [
  ['desktop', join(ROOT, 'dist'), 250 * KB], // how it fits: docs/decisions/0005
  ['widget', join(ROOT, 'crates/widget/dist'), 120 * KB],
];

for (const [app, dir, budget] of BUDGETS) {
  test(`the ${app} downloads at most ${budget / KB} KB`, () => {
    const bytes = brotliBytes(dir);
    assert.ok(
      bytes <= budget,
      `the ${app} is ${(bytes / KB).toFixed(2)} KB brotli, over its ${budget / KB} KB budget by ${bytes - budget} bytes`,
    );
  });
}
