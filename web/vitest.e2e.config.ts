import { defineConfig } from 'vitest/config';

// End-to-end tests: the real server binary and Debian's Chromium (playwright-core).
export default defineConfig({
  test: {
    include: ['e2e/**/*.e2e.ts'],
    environment: 'node',
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 300_000, // includes `cargo build --bin ecabinet`
    teardownTimeout: 15_000,
  },
});
