// The e2e tests' harness: the real `ecabinet` binary on a loopback port with demo data in a
// temporary directory (started by tools/server.mjs, shared with the measuring tools), and
// Debian's Chromium through playwright-core.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { CHROMIUM, CHROMIUM_ARGS, repoRoot, startServer as startRealServer, webDir } from '../tools/server.mjs';

export { CHROMIUM_ARGS, repoRoot, webDir };
export const screenshotDir = join(repoRoot, 'docs', 'screenshots');
export const takeScreenshots = process.env.SCREENSHOTS === '1';

export interface Server {
  base: string;
  stop: () => Promise<void>;
}

/** Settings beyond the harness's own, for one file's server (tools/server.mjs). */
export interface ServerOptions {
  env?: Record<string, string>;
  demo?: boolean;
  users?: { username: string; role: 'admin' | 'secretary' | 'member'; password: string; displayName?: string }[];
}

export async function startServer(opts: ServerOptions = {}): Promise<Server> {
  // E2E_SERVER_BIN names an already built binary (skips the cargo build).
  let bin = process.env.E2E_SERVER_BIN;
  if (!bin) {
    execFileSync('cargo', ['build', '--bin', 'ecabinet'], { cwd: repoRoot, stdio: 'inherit' });
    bin = join(repoRoot, 'target', 'debug', 'ecabinet');
  }
  return startRealServer({
    bin,
    tmpPrefix: 'ecabinet-e2e-',
    requireDist: false,
    // Short-lived access tokens, so the run exercises refreshing them (HTTP and socket).
    env: { ECABINET_AUTH__ACCESS_TOKEN_TTL_SECS: '20', ...opts.env },
    demo: opts.demo,
    users: opts.users,
  });
}

/** Headless Chromium from Debian; playwright-core gives each launch a fresh profile directory. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: 30_000,
  });
}

/** The server and the browser of one test file: set by its `beforeAll`, closed by its `afterAll`. */
export interface Env {
  server: Server;
  browser: Browser;
}

/** Registers the file's `beforeAll` (start the server, launch Chromium) and `afterAll` hooks. */
export function useServerAndBrowser(): Env {
  const env = {} as Env;
  beforeAll(async () => {
    env.server = await startServer();
    env.browser = await launchBrowser();
  });
  afterAll(async () => {
    await env.browser?.close();
    await env.server?.stop();
  });
  return env;
}

/** Requests that tried to leave the loopback interface (must stay empty). */
export const outsideRequests: string[] = [];

/**
 * What the server's Content-Security-Policy refused on any page (must stay empty: the client
 * runs under the policy every response carries, server/src/headers.rs).
 */
export const cspViolations: string[] = [];

export interface Tablet {
  context: BrowserContext;
  page: Page;
}

/** A separate browser context (its own storage) signed in as `username`. */
export async function signIn(
  browser: Browser,
  base: string,
  username: string,
  viewport = { width: 1280, height: 800 },
  opts: {
    noWebSocket?: boolean;
    /** Default: the demo accounts' password. */
    password?: string;
    /** What shows that the password step is done (default: signed in, "Đăng xuất" is shown). */
    until?: (page: Page) => Promise<unknown>;
  } = {},
): Promise<Tablet> {
  const context = await browser.newContext({
    baseURL: base,
    viewport,
    locale: 'vi-VN',
    timezoneId: 'Asia/Ho_Chi_Minh',
    deviceScaleFactor: 1,
    hasTouch: viewport.width < 1000,
  });
  context.setDefaultTimeout(10_000);
  // Only loopback: anything else is a bug (no CDN, no remote font).
  await context.route(/^(?!http:\/\/127\.0\.0\.1[:/]|data:|blob:)/, (route) => {
    outsideRequests.push(route.request().url());
    return route.abort();
  });
  if (opts.noWebSocket) {
    // As behind a proxy that refuses upgrades: the client must fall back to polling.
    await context.addInitScript(() => {
      (window as any).WebSocket = function NoWebSocket() {
        throw new Error('websockets are disabled in this test');
      };
    });
  }
  // Violations are reported both as page events and on the console (a worker's only there).
  await context.exposeBinding('__cspViolation', (_source, text: string) => {
    cspViolations.push(text);
  });
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      (window as any).__cspViolation(`${e.effectiveDirective} refused ${e.blockedURI} (${e.sourceFile}:${e.lineNumber})`);
    });
  });
  const page = await context.newPage();
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
  });
  const first = await page.goto('/');
  if (!first?.headers()['content-security-policy']?.includes("default-src 'self'")) {
    throw new Error(`the client was served without the Content-Security-Policy: ${JSON.stringify(first?.headers())}`);
  }
  await page.getByLabel('Tên đăng nhập').fill(username);
  await page.getByLabel('Mật khẩu').fill(opts.password ?? 'demo1234');
  await page.getByRole('button', { name: 'Đăng nhập' }).click();
  await (opts.until ? opts.until(page) : page.getByRole('button', { name: 'Đăng xuất' }).waitFor());
  return { context, page };
}

export function sleep(ms: number) {
  return new Promise((r) => setTimeout(r, ms));
}

/** Waits until the locator's text matches, failing with what it showed last. */
export async function waitText(loc: Locator, want: RegExp | string, timeout = 10_000): Promise<string> {
  const deadline = Date.now() + timeout;
  let last = '';
  while (Date.now() < deadline) {
    last = (await loc.innerText({ timeout: 1000 }).catch(() => '')) ?? '';
    if (typeof want === 'string' ? last.includes(want) : want.test(last)) return last;
    await sleep(150);
  }
  throw new Error(`timed out waiting for ${String(want)}; last text: ${JSON.stringify(last.slice(0, 400))}`);
}

/** Waits until `fn` returns true. */
export async function until(what: string, fn: () => Promise<boolean>, timeout = 10_000) {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    if (await fn().catch(() => false)) return;
    await sleep(150);
  }
  throw new Error(`timed out waiting for ${what}`);
}

export async function shot(page: Page, name: string) {
  if (!takeScreenshots) return;
  mkdirSync(screenshotDir, { recursive: true });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: false });
}

/** Visible controls smaller than 44 × 44 CSS pixels (the touch-target bar). */
export async function smallTargets(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    for (const el of Array.from(document.querySelectorAll('button, a[href], input, select, textarea, [role="tab"]'))) {
      const r = (el as HTMLElement).getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue; // not rendered
      if (r.width < 44 || r.height < 44)
        out.push(`${el.tagName.toLowerCase()} "${(el.textContent || (el as HTMLInputElement).name || '').trim().slice(0, 30)}" ${Math.round(r.width)}×${Math.round(r.height)}`);
    }
    return out;
  });
}

/** A screenshot of one element (e.g. a panel below the fold). */
export async function shotOf(loc: Locator, name: string) {
  if (!takeScreenshots) return;
  mkdirSync(screenshotDir, { recursive: true });
  await loc.screenshot({ path: join(screenshotDir, `${name}.png`) });
}

/** Non-white samples on the reader's canvas once page `n` is drawn (waits up to `timeout`). */
export async function inkOnPage(page: Page, n: number, timeout = 20_000): Promise<number> {
  await page.locator(`[data-testid="reader-canvas"][data-rendered-page="${n}"]`).waitFor({ timeout });
  return page.evaluate(() => {
    const c = document.querySelector('[data-testid="reader-canvas"]') as HTMLCanvasElement;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let ink = 0;
    for (let i = 0; i < d.length; i += 4 * 7) if (d[i] < 200 || d[i + 1] < 200 || d[i + 2] < 200) ink++;
    return ink;
  });
}
