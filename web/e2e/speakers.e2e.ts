// The chair manages the speaker queue of the demo meeting (the secretary console's "during the
// meeting" part): two members ask to speak, the chair reorders the queue, gives the floor, ends
// the speech and removes the other request; every tablet follows live. Every wait is bounded.
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { signIn, until, useServerAndBrowser, waitText } from './harness';

const DEMO = 'Phiên họp thường kỳ tháng 11/2026 — UBND xã Cam Thủy';
const env = useServerAndBrowser();

const queueNames = (page: Page) => page.getByTestId('queue').locator('.queue-item .queue-name').evaluateAll((els) => els.map((e) => (e.firstChild?.textContent ?? '').trim()));

describe('the speaker queue', () => {
  it('the chair reorders it, gives the floor, ends the speech and removes a request', async () => {
    const chair = await signIn(env.browser, env.server.base, 'chutich');
    await chair.page.getByRole('link', { name: new RegExp(DEMO) }).first().click();
    await waitText(chair.page.getByTestId('meeting-title'), DEMO);
    const path = new URL(chair.page.url()).pathname;
    await chair.page.getByRole('button', { name: 'Bắt đầu cuộc họp' }).click();
    await waitText(chair.page.locator('.meeting-meta'), 'Đang họp');

    const members = [];
    for (const u of ['uyvien1', 'uyvien2']) {
      const t = await signIn(env.browser, env.server.base, u);
      await t.page.goto(path);
      await waitText(t.page.getByTestId('meeting-title'), DEMO);
      await t.page.getByRole('button', { name: 'Đăng ký phát biểu' }).click();
      await waitText(t.page.locator('.panel.speakers'), 'Bạn đã đăng ký phát biểu');
      members.push(t);
    }
    const [m1, m2] = members;
    await until('both in the chair’s queue', async () => (await queueNames(chair.page)).join('|') === 'Phạm Quốc Bảo|Hoàng Thị Lan');

    // Hoàng Thị Lan moves up; the members' tablets follow.
    await chair.page.getByRole('button', { name: 'Lên trên: Hoàng Thị Lan' }).click();
    for (const p of [chair.page, m1.page, m2.page]) await until('reordered queue', async () => (await queueNames(p)).join('|') === 'Hoàng Thị Lan|Phạm Quốc Bảo');
    await waitText(m2.page.locator('.panel.speakers'), 'thứ tự 1');

    // The floor, then the end of the speech.
    await chair.page.getByRole('button', { name: 'Mời phát biểu: Hoàng Thị Lan' }).click();
    await waitText(m1.page.getByTestId('now-speaking'), 'Hoàng Thị Lan', 8000);
    await waitText(m2.page.locator('.panel.speakers'), 'Bạn đang phát biểu.');
    // Nobody else gets the floor while someone speaks.
    expect(await chair.page.getByRole('button', { name: 'Mời phát biểu: Phạm Quốc Bảo' }).isDisabled()).toBe(true);
    await chair.page.getByRole('button', { name: 'Kết thúc phát biểu' }).click();
    await waitText(m1.page.getByTestId('now-speaking'), 'Chưa có ai đang phát biểu.', 8000);

    // The remaining request is removed by the chair.
    await chair.page.getByRole('button', { name: 'Hủy: Phạm Quốc Bảo' }).click();
    for (const p of [chair.page, m1.page]) await waitText(p.locator('.panel.speakers'), 'Chưa có ai đăng ký phát biểu.', 8000);
    await waitText(m1.page.locator('.panel.speakers'), 'Đăng ký phát biểu');
    for (const t of [chair, m1, m2]) await t.context.close();
  });
});
