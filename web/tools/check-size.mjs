// The JavaScript budget (docs/web.md, "Size"), from Vite's manifest (dist/.vite/manifest.json):
// - initial: what the first page loads before anything else (index.html's entry and its static
//   imports) — the app's own code, which must stay under 250 KB gzipped;
// - lazy: chunks loaded on demand (the reader with PDF.js) and the PDF.js worker, reported and
//   held to their own, larger ceiling so a runaway dependency is still caught.
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const INITIAL_LIMIT = 250 * 1024;
const LAZY_LIMIT = 900 * 1024;
const dist = join(import.meta.dirname, '..', 'dist');
const manifest = JSON.parse(readFileSync(join(dist, '.vite', 'manifest.json'), 'utf8'));
const gz = (file) => gzipSync(readFileSync(join(dist, file)), { level: 9 }).length;
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;

// The entry's static import closure.
const initial = new Set();
const visit = (key) => {
  const chunk = manifest[key];
  if (!chunk || initial.has(chunk.file)) return;
  initial.add(chunk.file);
  for (const k of chunk.imports ?? []) visit(k);
};
for (const [key, chunk] of Object.entries(manifest)) if (chunk.isEntry) visit(key);

const js = new Set();
for (const chunk of Object.values(manifest)) {
  if (chunk.file.endsWith('.js') || chunk.file.endsWith('.mjs')) js.add(chunk.file);
  for (const a of chunk.assets ?? []) if (/\.m?js$/.test(a)) js.add(a);
}
let initialBytes = 0;
let lazyBytes = 0;
const lazy = [];
for (const f of js) {
  if (!existsSync(join(dist, f))) continue;
  const n = gz(f);
  if (initial.has(f)) initialBytes += n;
  else {
    lazyBytes += n;
    lazy.push(`${f} ${kb(n)}`);
  }
}
console.log(`initial JavaScript (first page): ${kb(initialBytes)} gzipped (budget ${kb(INITIAL_LIMIT)})`);
console.log(`lazily loaded (reader, PDF.js and its worker): ${kb(lazyBytes)} gzipped (ceiling ${kb(LAZY_LIMIT)})`);
for (const l of lazy) console.log(`  ${l}`);
let failed = false;
if (initialBytes > INITIAL_LIMIT) {
  console.error(`the first page's JavaScript is over its ${kb(INITIAL_LIMIT)} budget`);
  failed = true;
}
if (lazyBytes > LAZY_LIMIT) {
  console.error(`the lazily loaded JavaScript is over its ${kb(LAZY_LIMIT)} ceiling`);
  failed = true;
}
if (initial.size === 0) {
  console.error('no entry chunk in the manifest');
  failed = true;
}
process.exit(failed ? 1 : 0);
