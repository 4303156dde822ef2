// Lighthouse (npm `lighthouse`, a devDependency) on the client's main screens, against the real
// server with its demo data and Debian's Chromium. A measurement, not a test: docs/benchmarks.md
// ("Tablet client") records the figures and this command.
//
//   npm run build && E2E_SERVER_BIN=/path/to/ecabinet node tools/lighthouse.mjs [--phone] [--out DIR]
//
// Screens: sign-in, meeting list, the demo meeting (a member; the chair, with the poll and
// speaker controls), the secretary console, all as page
// loads (Lighthouse "navigation": performance, accessibility, best practices); the reader, which
// opens with a tap, as a Lighthouse "snapshot" of the page once the first page is drawn
// (accessibility and best practices; performance needs a page load). The session is put in
// localStorage the way the client keeps it, and Lighthouse is told not to clear storage.
// --phone: a 390 × 844 touch screen instead of the 1280 × 800 tablet. Exit status 1 when the
// meeting or the reader screen scores under 90 for accessibility (the bar).
import { mkdirSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import lighthouse, { snapshot, generateReport } from 'lighthouse';
import puppeteer from 'puppeteer-core';
import { apiSession, CHROMIUM, CHROMIUM_ARGS, demoMeetingId, startServer } from './server.mjs';

const args = process.argv.slice(2);
const phone = args.includes('--phone');
const outIdx = args.indexOf('--out');
const outDir = outIdx >= 0 ? args[outIdx + 1] : null;
const BAR = 90;

const screen = phone
  ? { mobile: true, width: 390, height: 844, deviceScaleFactor: 1, disabled: false }
  : { mobile: false, width: 1280, height: 800, deviceScaleFactor: 1, disabled: false };
const flags = {
  formFactor: phone ? 'mobile' : 'desktop',
  screenEmulation: screen,
  // No network throttling or CPU slow-down: this machine and loopback, as they are.
  throttlingMethod: 'provided',
  throttling: { rttMs: 0, throughputKbps: 0, cpuSlowdownMultiplier: 1, requestLatencyMs: 0, downloadThroughputKbps: 0, uploadThroughputKbps: 0 },
  disableStorageReset: true,
  logLevel: 'error',
};
const NAV = ['performance', 'accessibility', 'best-practices'];
const SNAP = ['accessibility', 'best-practices'];

const server = await startServer();
const profile = mkdtempSync(join(tmpdir(), 'ecabinet-lh-profile-'));
const browser = await puppeteer.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: [...CHROMIUM_ARGS, '--lang=vi-VN'],
  userDataDir: profile,
  defaultViewport: null,
});
const rows = [];
let failed = false;
try {
  const page = await browser.newPage();
  await page.setViewport({ width: screen.width, height: screen.height, isMobile: screen.mobile, hasTouch: screen.mobile });
  await page.goto(server.base + '/');
  await page.evaluate(() => localStorage.clear());

  const signInAs = async (username) => {
    const s = await apiSession(server.base, username);
    await page.evaluate((v) => localStorage.setItem('ecabinet.session', v), JSON.stringify(s));
    return s;
  };
  const record = async (name, lhr, gate) => {
    const cat = (k) => (lhr.categories[k] ? Math.round(lhr.categories[k].score * 100) : null);
    const row = {
      screen: name,
      performance: cat('performance'),
      accessibility: cat('accessibility'),
      'best-practices': cat('best-practices'),
      fcp: lhr.audits['first-contentful-paint']?.displayValue ?? '',
      lcp: lhr.audits['largest-contentful-paint']?.displayValue ?? '',
    };
    rows.push(row);
    // What keeps accessibility below 100, so it can be fixed.
    for (const ref of lhr.categories.accessibility?.auditRefs ?? []) {
      const a = lhr.audits[ref.id];
      if (ref.weight > 0 && a.score !== null && a.score < 1) {
        const items = (a.details?.items ?? []).slice(0, 5).map((i) => i.node?.snippet ?? i.node?.selector ?? '').filter(Boolean);
        console.log(`  [${name}] ${a.id}: ${a.title}${items.length ? '\n      ' + items.join('\n      ') : ''}`);
      }
    }
    if (gate && row.accessibility < BAR) failed = true;
    if (outDir) {
      mkdirSync(outDir, { recursive: true });
      writeFileSync(join(outDir, `${name}${phone ? '-phone' : ''}.html`), generateReport(lhr, 'html'));
    }
  };
  /** Audits a page load; `shows` is a selector proving the screen was the one meant (signed in…). */
  const nav = async (name, url, shows, gate = false) => {
    const r = await lighthouse(url, { ...flags, onlyCategories: NAV }, undefined, page);
    if (!(await page.$(shows))) throw new Error(`${name}: the page at ${page.url()} has no ${shows}`);
    await record(name, r.lhr, gate);
  };

  await nav('sign-in', server.base + '/', 'input[name="username"], input[autocomplete="username"]');
  const member = await signInAs('uyvien1');
  const id = await demoMeetingId(server.base, member);
  await nav('meeting-list', server.base + '/', 'section[data-group="upcoming"]');
  await nav('meeting', `${server.base}/meetings/${encodeURIComponent(id)}`, '[data-testid="doc"]', true);

  // The reader: opened with a tap on the meeting screen, audited as it stands.
  await page.goto(`${server.base}/meetings/${encodeURIComponent(id)}`);
  const open = await page.waitForSelector('button.doc-open', { timeout: 15_000 });
  await open.click();
  await page.waitForFunction(() => (document.querySelector('[data-testid="page-count"]')?.textContent ?? '').length > 0 && !!document.querySelector('[data-testid="reader-canvas"]'), { timeout: 15_000 });
  const snap = await snapshot(page, { flags: { ...flags, onlyCategories: SNAP } });
  await record('reader', snap.lhr, true);

  await signInAs('chutich');
  await nav('meeting-chair', `${server.base}/meetings/${encodeURIComponent(id)}`, '[data-testid="poll"]', true);
  await signInAs('thuky');
  await nav('console', `${server.base}/meetings/${encodeURIComponent(id)}?tab=console`, '.agenda-editor');
} finally {
  await browser.close();
  await server.stop();
  rmSync(profile, { recursive: true, force: true });
}

const pad = (s, n) => String(s ?? '—').padEnd(n);
console.log(`\nLighthouse ${phone ? 'phone 390×844' : 'desktop 1280×800'}, throttling: provided; server ${server.bin}`);
console.log(`${pad('screen', 14)}${pad('perf', 6)}${pad('a11y', 6)}${pad('best', 6)}${pad('FCP', 9)}LCP`);
for (const r of rows) console.log(`${pad(r.screen, 14)}${pad(r.performance, 6)}${pad(r.accessibility, 6)}${pad(r['best-practices'], 6)}${pad(r.fcp, 9)}${r.lcp}`);
if (failed) console.error(`\nthe meeting or the reader screen is under ${BAR} for accessibility`);
process.exit(failed ? 1 : 0);
