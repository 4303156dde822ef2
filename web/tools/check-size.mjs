// Fails the build when the app's own JavaScript exceeds the quality bar (250 KB gzipped).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const LIMIT = 250 * 1024;
const dir = join(import.meta.dirname, '..', 'dist', 'assets');
let total = 0;
for (const f of readdirSync(dir).filter((f) => f.endsWith('.js'))) {
  total += gzipSync(readFileSync(join(dir, f)), { level: 9 }).length;
}
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
if (total > LIMIT) {
  console.error(`app JavaScript is ${kb(total)} gzipped, over the ${kb(LIMIT)} budget`);
  process.exit(1);
}
console.log(`app JavaScript: ${kb(total)} gzipped (budget ${kb(LIMIT)})`);
