// "Chữ ký của tôi" (docs/api.md "Signatures (ký số)", PUT/GET/DELETE /api/v1/me/signature-image)
// in a real browser against the real server. The chair opens the account page: the limits are
// said before any file is chosen; a file that is not a PNG is refused on the tablet (nothing
// sent); one that begins as a PNG but does not decode is refused by the server (422
// invalid_image, said next to the buttons); a PNG written by the test is uploaded and shown
// (decoded from a blob: URL under the server's Content-Security-Policy), is the server's after a
// reload and byte for byte over the API; replacing it revokes the old preview URL; removing it
// (after the confirmation) leaves none, and the API's GET answers 404. Every wait is bounded.
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { brokenPng, makePng } from '../test/png-fixture';
import { cspViolations, outsideRequests, shotOf, signIn, smallTargets, until, useServerAndBrowser, waitText } from './harness';

const env = useServerAndBrowser();

const INVALID_IMAGE = 'Ảnh chữ ký phải là tệp PNG, tối đa 512 KB và 2.000 điểm ảnh mỗi chiều.';

async function apiGet(page: Page): Promise<{ status: number; type: string | null; body: Buffer }> {
  const token = await page.evaluate(() => JSON.parse(localStorage.getItem('ecabinet.session') ?? 'null')?.access_token as string);
  const r = await fetch(`${env.server.base}/api/v1/me/signature-image`, { headers: { Authorization: `Bearer ${token}` } });
  return { status: r.status, type: r.headers.get('content-type'), body: Buffer.from(await r.arrayBuffer()) };
}

/** The preview's image once the browser has decoded it: its source and natural width. */
async function shownImage(page: Page, width: number): Promise<string> {
  const img = page.getByTestId('signature-preview').locator('img');
  await until(`a ${width}-pixel-wide picture shown`, async () => (await img.evaluate((e: HTMLImageElement) => e.complete && e.naturalWidth)) === width);
  const src = (await img.getAttribute('src')) ?? '';
  expect(src).toMatch(/^blob:http:\/\/127\.0\.0\.1/);
  expect(await img.getAttribute('alt')).toBe('Ảnh chữ ký hiện tại của bạn');
  return src;
}

describe('Chữ ký của tôi', () => {
  it('uploads a PNG, shows it after a reload, replaces and removes it; GET is 404 afterwards', async () => {
    const { page, context } = await signIn(env.browser, env.server.base, 'chutich');
    const puts: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'PUT' && r.url().endsWith('/api/v1/me/signature-image')) puts.push(r.headers()['content-type'] ?? '');
    });
    await page.getByRole('link', { name: 'Bảo mật', exact: true }).click();
    const section = page.getByTestId('signature-image');
    await section.getByRole('heading', { name: 'Chữ ký của tôi' }).waitFor();
    await waitText(section, 'Bạn chưa có ảnh chữ ký.');
    const said = await section.innerText();
    expect(said).toContain('Tệp PNG, tối đa 512 KB, mỗi chiều không quá 2.000 điểm ảnh.');
    expect(said).toContain('Ảnh PNG nền trong suốt trông đẹp nhất');
    expect(said).toContain('khung chữ ghi tên người ký và thời gian ký');
    expect(await section.getByRole('button', { name: 'Xóa ảnh chữ ký' }).count()).toBe(0);
    expect((await apiGet(page)).status).toBe(404);

    const input = section.locator('input[type="file"][name="signature_image"]');
    const errorBox = section.getByTestId('signature-image-error');

    // Not a PNG: refused on the tablet, nothing sent.
    await input.setInputFiles({ name: 'chu-ky.png', mimeType: 'image/png', buffer: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>') });
    await waitText(errorBox, 'Tệp đã chọn không phải ảnh PNG.');
    expect(puts).toEqual([]);

    // Begins as a PNG, so it is sent; the server cannot decode it and says so.
    await input.setInputFiles({ name: 'hong.png', mimeType: 'image/png', buffer: brokenPng() });
    await waitText(errorBox, INVALID_IMAGE);
    expect(puts).toEqual(['image/png']);
    expect((await apiGet(page)).status).toBe(404);

    // A good one.
    const first = makePng(360, 120);
    await input.setInputFiles({ name: 'chu-ky.png', mimeType: 'image/png', buffer: first });
    await waitText(section.getByTestId('signature-image-done'), 'Đã lưu ảnh chữ ký.');
    expect(await errorBox.count()).toBe(0);
    await shownImage(page, 360);
    await section.getByRole('button', { name: 'Thay ảnh' }).waitFor();
    const got = await apiGet(page);
    expect(got.status).toBe(200);
    expect(got.type).toBe('image/png');
    expect(got.body.equals(first)).toBe(true);
    await shotOf(section, 'vi-signature-image');

    // After a reload the picture comes from the server.
    await page.reload();
    await page.getByTestId('signature-image').getByRole('heading', { name: 'Chữ ký của tôi' }).waitFor();
    const before = await shownImage(page, 360);
    expect(await smallTargets(page)).toEqual([]);

    // Replacing shows the new one and revokes the old preview's URL.
    const second = makePng(200, 100);
    await input.setInputFiles({ name: 'chu-ky-moi.png', mimeType: 'image/png', buffer: second });
    const after = await shownImage(page, 200);
    expect(after).not.toBe(before);
    expect(await page.evaluate((u) => fetch(u).then(() => 'alive', () => 'revoked'), before)).toBe('revoked');
    expect((await apiGet(page)).body.equals(second)).toBe(true);

    // Removing asks first; "Không" keeps it.
    await section.getByRole('button', { name: 'Xóa ảnh chữ ký' }).click();
    await waitText(section, 'Xóa ảnh chữ ký? Các lần ký số sau sẽ hiện khung chữ thay cho ảnh.');
    await section.getByRole('button', { name: 'Không' }).click();
    expect((await apiGet(page)).status).toBe(200);
    await section.getByRole('button', { name: 'Xóa ảnh chữ ký' }).click();
    await section.getByRole('button', { name: 'Đồng ý' }).click();
    await waitText(section.getByTestId('signature-image-done'), 'Đã xóa ảnh chữ ký.');
    await waitText(section.getByTestId('signature-preview'), 'Bạn chưa có ảnh chữ ký.');
    expect(await section.getByTestId('signature-preview').locator('img').count()).toBe(0);
    await section.getByRole('button', { name: 'Tải ảnh chữ ký lên' }).waitFor();
    const gone = await apiGet(page);
    expect(gone.status).toBe(404);
    expect(JSON.parse(gone.body.toString()).code).toBe('not_found');

    await page.reload();
    await waitText(page.getByTestId('signature-preview'), 'Bạn chưa có ảnh chữ ký.');
    expect(cspViolations).toEqual([]);
    expect(outsideRequests).toEqual([]);
    await context.close();
  }, 60_000);

  it('on a phone, a picture of the largest size fits the screen and every control is tappable', async () => {
    const { page, context } = await signIn(env.browser, env.server.base, 'thuky', { width: 390, height: 844 });
    await page.getByRole('link', { name: 'Bảo mật', exact: true }).filter({ visible: true }).click();
    const section = page.getByTestId('signature-image');
    await waitText(section, 'Bạn chưa có ảnh chữ ký.');
    const widest = makePng(2000, 500);
    expect(widest.length).toBeLessThan(512 * 1024);
    await section.locator('input[type="file"][name="signature_image"]').setInputFiles({ name: 'rong.png', mimeType: 'image/png', buffer: widest });
    await shownImage(page, 2000);
    const box = await section.getByTestId('signature-preview').locator('img').boundingBox();
    expect(box!.x).toBeGreaterThanOrEqual(0);
    expect(box!.x + box!.width).toBeLessThanOrEqual(390);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await section.getByRole('button', { name: 'Xóa ảnh chữ ký' }).scrollIntoViewIfNeeded();
    expect(await smallTargets(page)).toEqual([]);
    await section.getByRole('button', { name: 'Xóa ảnh chữ ký' }).click();
    await section.getByRole('button', { name: 'Đồng ý' }).click();
    await waitText(section.getByTestId('signature-preview'), 'Bạn chưa có ảnh chữ ký.');
    expect((await apiGet(page)).status).toBe(404);
    await context.close();
  }, 60_000);
});
