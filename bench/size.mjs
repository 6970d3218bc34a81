// What a browser app costs to download: every file of its build, brotli-compressed (quality 11,
// as a server or CDN would serve it). One measure for the benchmark and the budget test.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync } from 'node:zlib';

/** Brotli bytes of every file in a build directory. */
export function brotliBytes(dir) {
  let total = 0;
  for (const f of readdirSync(dir)) total += brotliCompressSync(readFileSync(join(dir, f))).length;
  return total;
}

/** The same, in whole KB (1,024 bytes). */
export function brotliKb(dir) {
  return Math.round(brotliBytes(dir) / 1024);
}
