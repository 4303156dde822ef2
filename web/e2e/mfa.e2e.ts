// The second factor (docs/api.md "Second factor (TOTP)") in a real browser against the real
// server. The test computes TOTP codes itself (RFC 6238, checked against the RFC's vectors) from
// the secret the enrolment page shows. On the demo server: a member enrols (QR code, secret,
// recovery codes downloaded and printed), signs out, signs in with the password and a code (a
// wrong code first), then with a recovery code; an administrator resets their second factor.
// On a server without demo data whose admins must have a second factor: the admin is led to
// enrolment, enrols, reaches the meeting list, and turns it off again with a recovery code.
// The server accepts each 30-second step once per user, so the test waits for the next step
// after confirming before it signs in with a code. Every wait is bounded.
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { cspViolations, outsideRequests, shot, signIn, sleep, smallTargets, startServer, until, useServerAndBrowser, waitText } from './harness';

const DEMO = 'Phiên họp thường kỳ tháng 11/2026 — UBND xã Cam Thủy';
const env = useServerAndBrowser();

// --- RFC 6238 (TOTP over RFC 4226's HOTP, HMAC-SHA1), written for this test ----------------

function base32Decode(s: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const ch of s.replace(/[\s=]/g, '').toUpperCase()) {
    const v = alphabet.indexOf(ch);
    if (v < 0) throw new Error(`not base32: ${ch}`);
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

function hotp(key: Buffer, counter: number, digits: number): string {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const h = createHmac('sha1', key).update(msg).digest();
  const o = h[h.length - 1] & 0x0f;
  const bin = ((h[o] & 0x7f) << 24) | (h[o + 1] << 16) | (h[o + 2] << 8) | h[o + 3];
  return String(bin % 10 ** digits).padStart(digits, '0');
}

const step = (unixSecs: number) => Math.floor(unixSecs / 30);
const totp = (key: Buffer, unixSecs: number, digits = 6) => hotp(key, step(unixSecs), digits);
const nowSecs = () => Date.now() / 1000;

/** Waits until the clock is in a later time step than `used` (the server takes a step once). */
async function nextStep(used: number) {
  for (let i = 0; i < 70 && step(nowSecs()) <= used; i++) await sleep(500);
  expect(step(nowSecs())).toBeGreaterThan(used);
}

describe('TOTP written for the test', () => {
  it("matches RFC 6238's SHA-1 vectors", () => {
    const key = Buffer.from('12345678901234567890', 'ascii');
    expect(totp(key, 59, 8)).toBe('94287082');
    expect(totp(key, 1111111109, 8)).toBe('07081804');
    expect(totp(key, 20000000000, 8)).toBe('65353130');
    expect(base32Decode('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ').toString('ascii')).toBe('12345678901234567890');
  });
});

/** Enrols the signed-in user on the page: the secret (as the page shows it), the recovery codes and the step used. */
async function enrol(page: Page, screenshot?: string): Promise<{ key: Buffer; codes: string[]; used: number }> {
  await page.getByRole('button', { name: 'Bật xác thực hai lớp' }).click();
  const qr = page.getByRole('img', { name: 'Mã QR để thêm tài khoản vào ứng dụng xác thực' });
  await qr.waitFor();
  // A real symbol, drawn here: many dark modules in one path, nothing loaded from elsewhere.
  const modules = await qr.evaluate((svg) => (svg.querySelector('path')?.getAttribute('d') ?? '').split('M').length - 1);
  expect(modules).toBeGreaterThan(200);
  const secretEl = page.getByTestId('mfa-secret');
  const secret = (await secretEl.getAttribute('data-secret'))!;
  expect(secret).toMatch(/^[A-Z2-7]{16,}=*$/);
  // Shown in groups of four for typing by hand.
  expect((await secretEl.innerText()).trim()).toBe(secret.match(/.{1,4}/g)!.join(' '));
  const key = base32Decode(secret);
  if (screenshot) await shot(page, screenshot);
  expect(await smallTargets(page)).toEqual([]);
  const t = nowSecs();
  const field = page.getByLabel('Mã xác thực (6 số)');
  expect(await field.getAttribute('inputmode')).toBe('numeric');
  await field.fill(totp(key, t));
  await page.getByRole('button', { name: 'Xác nhận và bật' }).click();
  const box = page.getByTestId('mfa-codes');
  await box.waitFor();
  await waitText(box, 'chỉ hiển thị một lần');
  const codes = (await box.locator('ol.recovery-codes code').allInnerTexts()).map((c) => c.trim());
  expect(codes).toHaveLength(10);
  expect(new Set(codes).size).toBe(10);
  return { key, codes, used: step(t) };
}

async function signOut(page: Page) {
  await page.getByRole('button', { name: 'Đăng xuất' }).click();
  await page.getByLabel('Tên đăng nhập').waitFor();
}

async function passwordStep(page: Page, username: string, password = 'demo1234') {
  await page.getByLabel('Tên đăng nhập').fill(username);
  await page.getByLabel('Mật khẩu').fill(password);
  await page.getByRole('button', { name: 'Đăng nhập' }).click();
  await page.getByTestId('mfa-step').waitFor();
}

describe('second factor on the demo server', () => {
  let key: Buffer;
  let codes: string[];
  let used: number;
  let page: Page;

  it('a member enrols: QR code, secret, code, ten recovery codes downloaded and printed', async () => {
    const m = await signIn(env.browser, env.server.base, 'uyvien1');
    page = m.page;
    await page.getByRole('link', { name: 'Bảo mật', exact: true }).click();
    await page.getByRole('heading', { name: 'Xác thực hai lớp', exact: true }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/account/security');
    // A wrong first code: refused in place, the same secret stays.
    await page.getByRole('button', { name: 'Bật xác thực hai lớp' }).click();
    const secret = await page.getByTestId('mfa-secret').getAttribute('data-secret');
    const k = base32Decode(secret!);
    const t = nowSecs();
    const wrong = ['000000', '111111', '222222'].find((c) => ![-30, 0, 30].some((d) => totp(k, t + d) === c))!;
    await page.getByLabel('Mã xác thực (6 số)').fill(wrong);
    await page.getByRole('button', { name: 'Xác nhận và bật' }).click();
    await waitText(page.getByRole('alert'), 'Mã xác thực không đúng');
    expect(await page.getByTestId('mfa-secret').getAttribute('data-secret')).toBe(secret);
    // "Tạo khóa mới" replaces the pending secret; enrol with the new one.
    await page.getByRole('button', { name: 'Tạo khóa mới' }).click();
    await page.waitForFunction((old) => document.querySelector('[data-testid="mfa-secret"]')?.getAttribute('data-secret') !== old, secret);
    // Back to the start of the helper's path: it presses "Bật" itself, so reload the page view.
    await page.reload();
    await page.getByRole('heading', { name: 'Xác thực hai lớp', exact: true }).waitFor();
    ({ key, codes, used } = await enrol(page, 'vi-mfa-enrol'));

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Tải xuống' }).click()]);
    expect(download.suggestedFilename()).toBe('ecabinet-recovery-codes.txt');
    const text = readFileSync((await download.path())!, 'utf8');
    for (const c of codes) expect(text).toContain(c);
    expect(text).toContain('Phạm Quốc Bảo');

    await page.evaluate(() => {
      (window as any).__prints = [];
      window.print = () => (window as any).__prints.push(document.documentElement.classList.contains('printing-codes'));
    });
    await page.getByRole('button', { name: 'In' }).click();
    expect(await page.evaluate(() => (window as any).__prints)).toEqual([true]);
    await page.evaluate(() => window.dispatchEvent(new Event('afterprint')));
    expect(await page.evaluate(() => document.documentElement.classList.contains('printing-codes'))).toBe(false);

    await page.getByRole('button', { name: 'Tôi đã lưu các mã' }).click();
    await page.getByTestId('mfa-on').waitFor();
    expect(await page.getByTestId('mfa-codes').count()).toBe(0);
    await page.getByRole('heading', { name: 'Tắt xác thực hai lớp' }).waitFor();
    await page.getByRole('link', { name: 'Về danh sách cuộc họp' }).click();
    await waitText(page.locator('main'), DEMO);
  });

  it('signs out, then in with the password and a code (a wrong code first), and sees the meetings', async () => {
    await signOut(page);
    await passwordStep(page, 'uyvien1');
    const field = page.getByLabel('Mã xác thực (6 số)');
    expect(await field.getAttribute('inputmode')).toBe('numeric');
    expect(await field.getAttribute('autocomplete')).toBe('one-time-code');
    expect(await smallTargets(page)).toEqual([]);
    await shot(page, 'vi-mfa-code');
    await nextStep(used);
    const t = nowSecs();
    const wrong = ['000000', '111111', '222222'].find((c) => ![-30, 0, 30].some((d) => totp(key, t + d) === c))!;
    await field.fill(wrong);
    await page.getByRole('button', { name: 'Xác nhận' }).click();
    await waitText(page.getByRole('alert'), 'Mã xác thực không đúng');
    // Still the code step, with an empty field, for another try with the same mfa_token.
    // Emptied by an effect after the render that shows the alert: wait for it (bounded).
    await until('the code field emptied', async () => (await field.inputValue()) === '');
    await field.fill(totp(key, nowSecs()));
    await page.getByRole('button', { name: 'Xác nhận' }).click();
    await page.getByRole('button', { name: 'Đăng xuất' }).waitFor();
    await waitText(page.locator('main'), DEMO);
  }, 90_000);

  it('signs in with a recovery code instead', async () => {
    await signOut(page);
    await passwordStep(page, 'uyvien1');
    await page.getByRole('button', { name: 'Dùng mã khôi phục' }).click();
    await page.getByLabel('Mã khôi phục').fill(codes[0]);
    await page.getByRole('button', { name: 'Xác nhận' }).click();
    await page.getByRole('button', { name: 'Đăng xuất' }).waitFor();
    await waitText(page.locator('main'), DEMO);
    await page.context().close();
  });

  it("an administrator resets the member's second factor; the member signs in with the password alone", async () => {
    const a = await signIn(env.browser, env.server.base, 'admin');
    await a.page.getByRole('link', { name: 'Người dùng' }).click();
    const row = a.page.locator('tr[data-user="uyvien1"]');
    await row.getByRole('button', { name: 'Đặt lại xác thực hai lớp' }).click();
    await row.getByRole('button', { name: 'Đồng ý' }).click();
    await waitText(row, 'Đã đặt lại');
    expect(await smallTargets(a.page)).toEqual([]);
    await a.context.close();
    // signIn waits for "Đăng xuất": no code step now.
    const m = await signIn(env.browser, env.server.base, 'uyvien1');
    await waitText(m.page.locator('main'), DEMO);
    await m.context.close();
    expect(outsideRequests).toEqual([]);
    expect(cspViolations).toEqual([]);
  });

  it('on a phone, the page is one tap away from the header and the QR code fits the screen', async () => {
    const m = await signIn(env.browser, env.server.base, 'uyvien2', { width: 390, height: 844 });
    // The header's navigation is hidden on phones; the lock button is what is left.
    await m.page.getByRole('link', { name: 'Bảo mật', exact: true }).click();
    await m.page.getByRole('button', { name: 'Bật xác thực hai lớp' }).click();
    const qr = m.page.getByTestId('mfa-qr');
    await qr.waitFor();
    const box = (await qr.boundingBox())!;
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width).toBeLessThanOrEqual(390);
    expect(box.width).toBeGreaterThan(150);
    expect(await smallTargets(m.page)).toEqual([]);
    await m.context.close();
  });
});

describe('a role that needs a second factor', () => {
  it('leads the admin to enrolment, then to the meetings; turning it off needs a code', async () => {
    const password = 'Phong-hop-khong-giay-2026';
    const server = await startServer({
      demo: false,
      users: [{ username: 'quantri', role: 'admin', password, displayName: 'Nguyễn Văn Quản' }],
      env: { ECABINET_AUTH__MFA_REQUIRED_ROLES: '["admin"]' },
    });
    try {
      // Before enrolling, the server refuses the admin's requests.
      const login = await fetch(`${server.base}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ username: 'quantri', password }),
      });
      const tok = (await login.json()).access_token;
      const refused = await fetch(`${server.base}/api/v1/meetings`, { headers: { Authorization: `Bearer ${tok}` } });
      expect(refused.status).toBe(403);
      expect((await refused.json()).code).toBe('mfa_enrollment_required');

      const { page, context } = await signIn(env.browser, server.base, 'quantri', undefined, { password });
      await page.getByTestId('mfa-required').waitFor();
      await waitText(page.getByTestId('mfa-required'), 'Vai trò của bạn cần xác thực hai lớp');
      expect(new URL(page.url()).pathname).toBe('/account/security');
      // Other pages lead back here while the refusal stands.
      await page.getByRole('navigation').getByRole('link', { name: 'Cuộc họp' }).click();
      await page.getByTestId('mfa-required').waitFor();
      const { codes } = await enrol(page);
      await page.getByRole('button', { name: 'Tôi đã lưu các mã' }).click();
      await page.getByRole('link', { name: 'Về danh sách cuộc họp' }).click();
      await page.getByRole('heading', { name: 'Lịch họp' }).waitFor();
      await waitText(page.locator('main'), 'Chưa có cuộc họp sắp tới');
      expect(await page.locator('main [role="alert"]').count()).toBe(0);

      // Turning it off: a wrong code is refused, a recovery code works.
      await page.getByRole('link', { name: 'Bảo mật', exact: true }).click();
      const off = page.getByLabel('Mã xác thực hoặc mã khôi phục');
      await off.fill('ZZZZ-ZZZZ-ZZZZ-ZZZZ');
      await page.getByRole('button', { name: 'Tắt xác thực hai lớp' }).click();
      await waitText(page.getByRole('alert'), 'Mã xác thực không đúng');
      await off.fill(codes[1]);
      await page.getByRole('button', { name: 'Tắt xác thực hai lớp' }).click();
      await page.getByRole('button', { name: 'Bật xác thực hai lớp' }).waitFor();
      await context.close();
    } finally {
      await server.stop();
    }
  }, 90_000);
});
