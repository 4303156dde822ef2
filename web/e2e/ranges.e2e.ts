// A document not yet on the tablet opens by ranges (docs/web.md "Documents and the reader"),
// in a real browser against the real server, over an emulated slow link: PDF.js gets the bytes
// it needs through authenticated Range requests (206) while the whole file downloads once, page
// 1 and a later page are drawn, the whole file is kept, and then the document opens from the
// kept copy, with no range request, offline too. Every wait is bounded.
import { describe, expect, it } from 'vitest';
import { inkOnPage, signIn, until, useServerAndBrowser, waitText } from './harness';
import { makePdf } from './pdf';

const DEMO = 'Phiên họp thường kỳ tháng 11/2026 — UBND xã Cam Thủy';
const TITLE = 'Bản chụp hồ sơ dự án (30 trang)';
const env = useServerAndBrowser();

describe('opening a large document not yet on the tablet', () => {
  it('reads by ranges, keeps the whole file in the background, then opens from the copy', async () => {
    const login = await fetch(`${env.server.base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: 'thuky', password: 'demo1234' }),
    });
    const tok = (await login.json()).access_token;
    const list = await (await fetch(`${env.server.base}/api/v1/meetings`, { headers: { Authorization: `Bearer ${tok}` } })).json();
    const meetingId = list.meetings.find((m: any) => m.title === DEMO).id;
    const pdf = makePdf(30, 'Scan', { imageBytes: 60_000 }); // ~1.8 MB, every page its own image
    const up = await fetch(`${env.server.base}/api/v1/meetings/${meetingId}/documents?${new URLSearchParams({ title: TITLE })}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${tok}`, 'Content-Type': 'application/pdf' },
      body: new Uint8Array(pdf),
    });
    expect(up.status).toBe(201);

    const m = await signIn(env.browser, env.server.base, 'uyvien1');
    const page = m.page;
    const fileRequests: { range: string | null; status: number }[] = [];
    page.on('response', (res) => {
      const q = res.request();
      if (q.url().includes('/file?version=')) fileRequests.push({ range: q.headers()['range'] ?? null, status: res.status() });
    });
    // A slow link (4 Mbit/s, 20 ms; Chromium's emulation), so the whole file's download does not
    // overtake the ranges PDF.js asks for, as it does on the bare loopback.
    const cdp = await m.context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 20, downloadThroughput: 4e6 / 8, uploadThroughput: 4e6 / 8 });
    await page.goto(`/meetings/${meetingId}`);
    const row = page.getByTestId('doc').filter({ hasText: TITLE });
    expect(await row.getByTestId('offline-mark').count()).toBe(0);
    await page.getByRole('button', { name: `Mở tài liệu: ${TITLE}`, exact: true }).click();
    expect(await inkOnPage(page, 1)).toBeGreaterThan(50);
    const ranged = fileRequests.filter((r) => r.range);
    expect(ranged.length).toBeGreaterThanOrEqual(2);
    expect(ranged.every((r) => r.status === 206)).toBe(true);
    expect(ranged[0].range).toBe('bytes=0-65535');

    // A later page comes by ranges too (or from the whole file if it is already here).
    await page.getByLabel('Số trang', { exact: true }).fill('27');
    await page.getByLabel('Số trang', { exact: true }).press('Enter');
    expect(await inkOnPage(page, 27)).toBeGreaterThan(50);

    // The whole file is fetched once, and kept: the document is marked available offline.
    await page.getByRole('button', { name: /Đóng/ }).click();
    await until('the document kept on the tablet', async () => (await row.getByTestId('offline-mark').count()) === 1, 30_000);
    expect(fileRequests.filter((r) => !r.range)).toHaveLength(1);
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });

    // Opened again: from the kept copy (revalidated), no range request; offline as well.
    const before = fileRequests.length;
    await page.getByRole('button', { name: `Mở tài liệu: ${TITLE}`, exact: true }).click();
    expect(await inkOnPage(page, 1)).toBeGreaterThan(50);
    await until('the revalidation answered', async () => fileRequests.length > before);
    expect(fileRequests.slice(before)).toEqual([{ range: null, status: 304 }]);
    await page.getByRole('button', { name: /Đóng/ }).click();
    await m.context.setOffline(true);
    await page.getByRole('button', { name: `Mở tài liệu: ${TITLE}`, exact: true }).click();
    expect(await inkOnPage(page, 1)).toBeGreaterThan(50);
    await waitText(page.getByTestId('reader-source'), 'Mất kết nối — đang đọc bản lưu trên thiết bị');
    await m.context.setOffline(false);
    await m.context.close();
  });
});
