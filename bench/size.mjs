// What a browser app costs to download: every file of its build, brotli-compressed (quality 11,
// as a server or CDN would serve it). One measure for the benchmark and the budget test.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync } from 'node:zlib';

const brotli = (path) => brotliCompressSync(readFileSync(path)).length;

/**
 * Brotli bytes of every file in a build directory, with one language: of the catalogues in
 * `i18n/` only one is loaded, and the largest counts.
 */
export function brotliBytes(dir) {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && entry.name === 'i18n') {
      // en-XA, the pseudo-language the tests use, is nobody's language.
      const languages = readdirSync(path).filter((f) => f !== 'en-XA.txt');
      total += Math.max(0, ...languages.map((f) => brotli(join(path, f))));
    } else if (entry.isDirectory()) {
      total += brotliBytes(path);
    } else {
      total += brotli(path);
    }
  }
  return total;
}

/** The same, in whole KB (1,024 bytes). */
export function brotliKb(dir) {
  return Math.round(brotliBytes(dir) / 1024);
}
