import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { defineConfig, type Plugin } from 'vitest/config';

/**
 * Emits the data files PDF.js loads on demand (character maps, standard fonts, image decoders,
 * colour profiles) from the `pdfjs-dist` package into dist/pdfjs/, so the reader needs nothing
 * from outside on a closed network.
 */
function pdfjsAssets(): Plugin {
  const root = join(import.meta.dirname, 'node_modules', 'pdfjs-dist');
  const dirs = ['cmaps', 'standard_fonts', 'wasm', 'iccs'];
  const walk = (d: string): string[] =>
    readdirSync(d).flatMap((f) => (statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : [join(d, f)]));
  return {
    name: 'ecabinet-pdfjs-assets',
    apply: 'build',
    generateBundle() {
      for (const dir of dirs) {
        for (const file of walk(join(root, dir))) {
          this.emitFile({ type: 'asset', fileName: `pdfjs/${relative(root, file)}`, source: readFileSync(file) });
        }
      }
    },
  };
}

/**
 * Writes dist/asset-list.json: every built file under assets/ (the lazily loaded reader and the
 * PDF.js worker included), for the service worker to keep before the network drops.
 */
function assetList(): Plugin {
  return {
    name: 'ecabinet-asset-list',
    apply: 'build',
    enforce: 'post',
    generateBundle(_options, bundle) {
      const files = Object.keys(bundle)
        .filter((f) => f.startsWith('assets/'))
        .sort()
        .map((f) => `/${f}`);
      this.emitFile({ type: 'asset', fileName: 'asset-list.json', source: JSON.stringify(files) });
    },
  };
}

// The client is served by `ecabinet serve` from web/dist; during `npm run dev` the API is
// proxied to a server on 127.0.0.1:8080.
export default defineConfig({
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  plugins: [pdfjsAssets(), assetList()],
  build: {
    target: 'es2022',
    outDir: 'dist',
    assetsInlineLimit: 0,
    sourcemap: false,
    // dist/.vite/manifest.json: tools/check-size.mjs tells the first page's code from the
    // lazily loaded reader with it, and the service worker precaches every asset it lists.
    manifest: true,
  },
  server: {
    proxy: { '/api': { target: 'http://127.0.0.1:8080', ws: true } },
  },
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    environment: 'node',
    testTimeout: 5000,
  },
});
