import { chromium } from 'playwright-core';
// Usage: node tools/lighthouse-session.mjs BASE_URL [CDP_URL]: signs uyvien1 in on a Chromium
// started with --remote-debugging-port, so Lighthouse (--port, --disable-storage-reset) audits
// the signed-in screens. Prints the demo meeting's id. See docs/web.md, "Figures".
const base = process.argv[2] ?? 'http://127.0.0.1:8080';
const browser = await chromium.connectOverCDP(process.argv[3] ?? 'http://127.0.0.1:9333');
const ctx = browser.contexts()[0];
const page = ctx.pages()[0] ?? (await ctx.newPage());
await page.goto(base + '/');
const id = await page.evaluate(async () => {
  const r = await fetch('/api/v1/auth/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'uyvien1', password: 'demo1234' }) });
  const p = await r.json();
  localStorage.setItem('ecabinet.session', JSON.stringify({ access_token: p.access_token, refresh_token: p.refresh_token, expires_at: Date.now() + p.expires_in * 1000, user: p.user }));
  const m = await (await fetch('/api/v1/meetings', { headers: { Authorization: `Bearer ${p.access_token}` } })).json();
  return m.meetings[0].id;
});
console.log(id);
await browser.close();
