// Signed-in devices, the password change and the admins' "Đăng xuất mọi thiết bị" (docs/api.md
// "Signed-in devices and passwords") in real browsers against the real server. One member is
// signed in on several tablets (browser contexts, each its own storage). From the first, the
// second, which has the meeting open over its live socket, is signed out: its socket is closed
// with 4401 and it lands on the sign-in screen saying why, at once; its old token gets 401. A
// wrong current password is an error on its field and signs nobody out; a change signs the other
// tablets out and the new password signs in. An administrator ends all of the member's sessions:
// an idle tablet learns it at its next request. Every wait is bounded.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { cspViolations, outsideRequests, screenshotDir, signIn, smallTargets, takeScreenshots, until, useServerAndBrowser, waitText, type Tablet } from './harness';

const DEMO = 'Phiên họp thường kỳ tháng 11/2026 — UBND xã Cam Thủy';
const USER = 'uyvien2';
const ENDED = 'Phiên đăng nhập trên thiết bị này đã kết thúc';
const NEW_PASSWORD = 'họp không giấy ở Cam Thủy';
const env = useServerAndBrowser();

let first: Tablet;

/** Records the close codes of the page's websockets in `window.__closes` (from the next load). */
async function watchSockets(t: Tablet) {
  await t.context.addInitScript(() => {
    const Native = window.WebSocket;
    (window as any).__closes = [];
    (window as any).WebSocket = class extends Native {
      constructor(url: string | URL, protocols?: string | string[]) {
        super(url, protocols);
        this.addEventListener('close', (e) => (window as any).__closes.push(e.code));
      }
    };
  });
}

async function openMeeting(page: Page) {
  await page.goto('/');
  await page.locator('section[data-group="upcoming"]').getByRole('link', { name: new RegExp(DEMO) }).click();
  await waitText(page.getByTestId('meeting-title'), DEMO);
  await page.locator('.live-ind[data-status="socket"]').waitFor({ timeout: 15_000 });
}

async function openAccount(page: Page) {
  await page.getByRole('link', { name: 'Bảo mật', exact: true }).click();
  await page.getByRole('heading', { name: 'Thiết bị đã đăng nhập' }).waitFor();
  await page.locator('li.device').first().waitFor();
}

const stored = (page: Page) => page.evaluate(() => JSON.parse(localStorage.getItem('ecabinet.session') ?? 'null'));

async function apiStatus(base: string, token: string): Promise<{ status: number; code?: string }> {
  const r = await fetch(`${base}/api/v1/me`, { headers: { Authorization: `Bearer ${token}` } });
  return { status: r.status, code: r.ok ? undefined : (await r.json()).code };
}

/** Waits for the sign-in screen with the "session ended" notice. */
async function endedScreen(page: Page, timeout = 10_000) {
  await page.getByTestId('session-ended').waitFor({ timeout });
  await waitText(page.getByTestId('session-ended'), ENDED);
  await page.getByLabel('Tên đăng nhập').waitFor();
  expect(await stored(page)).toBeNull();
}

describe('signed-in devices', () => {
  it('lists the devices, renames this one, and signs the other tablet out at once (socket 4401, then 401)', async () => {
    first = await signIn(env.browser, env.server.base, USER);
    const second = await signIn(env.browser, env.server.base, USER);
    await watchSockets(second);
    await openMeeting(second.page);
    const secondTokens = await stored(second.page);

    await openAccount(first.page);
    const devices = first.page.getByTestId('devices');
    await until('two devices listed', async () => (await devices.locator('li.device').count()) === 2);
    const mine = devices.locator('li.device[data-current="true"]');
    await waitText(mine, 'Thiết bị này');
    await waitText(mine, 'Hoạt động lần cuối');
    expect(await devices.locator('li.device').first().getAttribute('data-current')).toBe('true');
    const other = devices.locator('li.device:not([data-current])');
    expect(await other.innerText()).not.toContain('Thiết bị này');
    expect(await mine.getByRole('button', { name: 'Đăng xuất thiết bị này' }).count()).toBe(0);

    // Rename this device; a name of only spaces is refused in place; the name stays after a reload.
    await mine.getByRole('button', { name: 'Đổi tên' }).click();
    await mine.getByLabel('Tên thiết bị').fill('   ');
    await mine.getByRole('button', { name: 'Lưu' }).click();
    await waitText(mine.getByRole('alert'), 'Tên thiết bị không hợp lệ');
    await mine.getByLabel('Tên thiết bị').fill('Máy tính bảng phòng họp 1');
    await mine.getByRole('button', { name: 'Lưu' }).click();
    await waitText(mine.locator('.device-name'), 'Máy tính bảng phòng họp 1');
    await first.page.reload();
    await first.page.locator('li.device[data-current="true"]').waitFor();
    await waitText(first.page.locator('li.device[data-current="true"] .device-name'), 'Máy tính bảng phòng họp 1');
    expect(await smallTargets(first.page)).toEqual([]);

    // Sign the other tablet out: a confirmation first, "Không" keeps it.
    const row = first.page.locator('li.device:not([data-current])');
    await row.getByRole('button', { name: 'Đăng xuất thiết bị này' }).click();
    await row.getByRole('button', { name: 'Không' }).click();
    expect(await first.page.locator('li.device').count()).toBe(2);
    await row.getByRole('button', { name: 'Đăng xuất thiết bị này' }).click();
    await waitText(row, 'Đăng xuất thiết bị');
    const t0 = Date.now();
    await row.getByRole('button', { name: 'Đồng ý' }).click();
    await until('one device left', async () => (await first.page.locator('li.device').count()) === 1);

    // The other tablet, in the meeting, is on the sign-in screen saying why within seconds.
    await endedScreen(second.page, 5_000);
    const took = Date.now() - t0;
    expect(took).toBeLessThan(5_000);
    expect(await second.page.evaluate(() => (window as any).__closes)).toContain(4401);
    // Its old access token is refused too (the next request of a tablet that was not listening).
    expect(await apiStatus(env.server.base, secondTokens.access_token)).toEqual({ status: 401, code: 'invalid_token' });
    // This tablet is still signed in.
    await first.page.getByRole('button', { name: 'Đăng xuất', exact: true }).waitFor();
    await second.context.close();
    console.log(`devices: the other tablet showed the sign-in screen ${took} ms after "Đồng ý"`);
  }, 60_000);

  it('the screenshot of the list', async () => {
    if (!takeScreenshots) return;
    // A third tablet, so that the list shows another device with its time and address.
    const third = await signIn(env.browser, env.server.base, USER);
    await first.page.reload();
    await until('two devices listed', async () => (await first.page.locator('li.device').count()) === 2);
    // Below the sticky header, with the second factor's card above it just out of view.
    await first.page.getByTestId('devices').evaluate((el) => window.scrollTo(0, el.getBoundingClientRect().top + window.scrollY - 72));
    await first.page.waitForTimeout(300);
    mkdirSync(screenshotDir, { recursive: true });
    await first.page.screenshot({ path: join(screenshotDir, 'vi-devices.png') });
    await third.context.close();
  });

  it('a wrong current password is a field error and signs nobody out; a change signs the others out', async () => {
    const other = await signIn(env.browser, env.server.base, USER);
    await watchSockets(other);
    await openMeeting(other.page);
    const page = first.page;
    const form = page.getByTestId('password-form');
    await form.scrollIntoViewIfNeeded();
    await form.getByLabel('Mật khẩu hiện tại').fill('khong-phai-mat-khau');
    await form.getByLabel('Mật khẩu mới', { exact: true }).fill(NEW_PASSWORD);
    await form.getByLabel('Nhập lại mật khẩu mới').fill(NEW_PASSWORD);
    await form.getByRole('button', { name: 'Đổi mật khẩu' }).click();
    await waitText(page.getByTestId('pw-current-error'), 'Mật khẩu hiện tại không đúng');
    // Still signed in on both tablets, still on this page.
    expect(new URL(page.url()).pathname).toBe('/account/security');
    await page.getByRole('button', { name: 'Đăng xuất', exact: true }).waitFor();
    expect(await page.getByTestId('session-ended').count()).toBe(0);
    expect(await stored(page)).not.toBeNull();
    expect(await other.page.locator('.live-ind[data-status="socket"]').count()).toBe(1);

    // Too short: said on the tablet, nothing sent.
    await form.getByLabel('Mật khẩu hiện tại').fill('demo1234');
    await form.getByLabel('Mật khẩu mới', { exact: true }).fill('ngắn');
    await form.getByLabel('Nhập lại mật khẩu mới').fill('ngắn');
    await form.getByRole('button', { name: 'Đổi mật khẩu' }).click();
    await waitText(page.getByTestId('pw-next-error'), 'ít nhất 8 ký tự');

    await form.getByLabel('Mật khẩu mới', { exact: true }).fill(NEW_PASSWORD);
    await form.getByLabel('Nhập lại mật khẩu mới').fill(NEW_PASSWORD);
    await form.getByRole('button', { name: 'Đổi mật khẩu' }).click();
    await waitText(page.getByTestId('password-changed'), 'Các thiết bị khác đã được đăng xuất');
    // The list is read again: only this device is left.
    await until('only this device', async () => (await page.locator('li.device').count()) === 1);
    await endedScreen(other.page, 5_000);
    expect(await other.page.evaluate(() => (window as any).__closes)).toContain(4401);

    // The old password no longer signs in; the new one does.
    await other.page.getByLabel('Tên đăng nhập').fill(USER);
    await other.page.getByLabel('Mật khẩu').fill('demo1234');
    await other.page.getByRole('button', { name: 'Đăng nhập' }).click();
    await waitText(other.page.getByRole('alert'), 'Tên đăng nhập hoặc mật khẩu không đúng');
    await other.page.getByLabel('Mật khẩu').fill(NEW_PASSWORD);
    await other.page.getByRole('button', { name: 'Đăng nhập' }).click();
    await other.page.getByRole('button', { name: 'Đăng xuất', exact: true }).waitFor();
    await waitText(other.page.locator('main'), DEMO);
    // The notice belonged to the ended session: gone after signing out by hand.
    await other.page.getByRole('button', { name: 'Đăng xuất', exact: true }).click();
    await other.page.getByLabel('Tên đăng nhập').waitFor();
    expect(await other.page.getByTestId('session-ended').count()).toBe(0);
    await other.context.close();
  }, 60_000);

  it("an administrator's 'Đăng xuất mọi thiết bị': an idle tablet learns it at its next request", async () => {
    // `first` sits on the account page (no live socket there).
    const admin = await signIn(env.browser, env.server.base, 'admin');
    await admin.page.getByRole('link', { name: 'Người dùng' }).click();
    const row = admin.page.locator(`tr[data-user="${USER}"]`);
    await row.getByRole('button', { name: 'Đăng xuất mọi thiết bị' }).click();
    await waitText(row, 'khỏi mọi thiết bị?');
    await row.getByRole('button', { name: 'Đồng ý' }).click();
    await waitText(row, 'Đã đăng xuất mọi thiết bị');
    expect(await smallTargets(admin.page)).toEqual([]);
    const tokens = await stored(first.page);
    expect(await apiStatus(env.server.base, tokens.access_token)).toEqual({ status: 401, code: 'invalid_token' });

    await first.page.getByRole('navigation').getByRole('link', { name: 'Cuộc họp' }).click();
    await endedScreen(first.page);
    // They can sign in again (with the password they set).
    await first.page.getByLabel('Tên đăng nhập').fill(USER);
    await first.page.getByLabel('Mật khẩu').fill(NEW_PASSWORD);
    await first.page.getByRole('button', { name: 'Đăng nhập' }).click();
    await waitText(first.page.locator('main'), DEMO);
    await first.context.close();
    await admin.context.close();
    expect(outsideRequests).toEqual([]);
    expect(cspViolations).toEqual([]);
  }, 60_000);
});
