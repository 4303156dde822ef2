// The whole meeting in real browsers against the real server: the secretary prepares and
// schedules a meeting, members check in and ask to speak, the chair runs it, and every
// tablet follows live (websocket when the server has it, polling otherwise).
import { describe, expect, it } from 'vitest';
import { cspViolations, outsideRequests, shot, shotOf, signIn, sleep, smallTargets, until, useServerAndBrowser, waitText, type Tablet } from './harness';

const TITLE = `Phiên họp kiểm thử ${new Date().toISOString().slice(0, 16)}`;
const ITEMS = [
  'Báo cáo tình hình kinh tế – xã hội tháng 11',
  'Tờ trình dự toán ngân sách xã năm 2027',
  'Kế hoạch xây dựng xã nông thôn mới kiểu mẫu',
];
const SUB = 'Dự toán chi đầu tư phát triển';

const env = useServerAndBrowser();
let secretary: Tablet;
let member: Tablet; // uyvien1
let chair: Tablet; // chutich
let meetingUrl = '';
let memberFirstRefresh = '';

describe('a meeting from preparation to the end', () => {
  it('signs in and lists the demo meeting, with a wrong password refused', async () => {
    const ctx = await env.browser.newContext({ baseURL: env.server.base, locale: 'vi-VN', viewport: { width: 1280, height: 800 } });
    const page = await ctx.newPage();
    await page.goto('/');
    await shot(page, 'vi-sign-in');
    await page.getByLabel('Tên đăng nhập').fill('thuky');
    await page.getByLabel('Mật khẩu').fill('wrong-password');
    await page.getByRole('button', { name: 'Đăng nhập' }).click();
    await waitText(page.getByRole('alert'), 'Tên đăng nhập hoặc mật khẩu không đúng');
    await page.getByRole('button', { name: 'EN' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await page.getByLabel('Username').count()).toBe(1);
    await waitText(page.getByRole('alert'), 'The username or password is wrong.');
    await shot(page, 'en-sign-in');
    await ctx.close();

    // The secretary's tablet has no websocket: it follows the meeting by polling /events.
    secretary = await signIn(env.browser, env.server.base, 'thuky', undefined, { noWebSocket: true });
    const page2 = secretary.page;
    await waitText(page2.getByTestId('who'), 'Trần Thị Thu');
    const upcoming = page2.locator('section[data-group="upcoming"]');
    await waitText(upcoming, 'Phiên họp thường kỳ tháng 11/2026 — UBND xã Cam Thủy');
    await waitText(upcoming, 'Hội trường UBND xã');
    await waitText(page2.getByRole('heading', { name: /Sắp diễn ra/ }), 'Sắp diễn ra (1)');
    await shot(page2, 'vi-meeting-list');
  });

  it('the secretary creates a meeting and builds its agenda', async () => {
    const page = secretary.page;
    await page.getByRole('link', { name: 'Tạo cuộc họp' }).click();
    await page.getByLabel('Tên cuộc họp').fill(TITLE);
    await page.getByLabel('Địa điểm').fill('Phòng họp số 2, UBND xã Cam Thủy');
    await page.getByLabel('Thời gian bắt đầu').fill('2026-12-01T08:00');
    await page.getByRole('button', { name: 'Tạo cuộc họp' }).click();
    await waitText(page.getByTestId('meeting-title'), TITLE);
    meetingUrl = new URL(page.url()).pathname;
    expect(meetingUrl).toMatch(/^\/meetings\/[0-9a-f-]+$/);
    await waitText(page.locator('.meeting-meta'), 'Bản nháp');
    // Vietnamese date: "thứ Ba, 1 tháng 12, 2026" style from Intl in the vi-VN locale.
    await waitText(page.locator('.meeting-meta'), /tháng 12.*2026/);

    const editor = page.locator('.agenda-editor');
    // Added in the order 3, 1, 2 so that reordering is needed.
    for (const [title, mins] of [
      [ITEMS[2], '30'],
      [ITEMS[0], '20'],
      [ITEMS[1], '40'],
    ]) {
      await editor.getByLabel('Nội dung mới').fill(title);
      await editor.getByLabel('Số phút').fill(mins);
      await editor.getByRole('button', { name: 'Thêm', exact: true }).click();
      await waitText(editor, title);
    }
    // Move item 1 ("Kế hoạch…") down with the button: order becomes 0-item, 2-item, 1-item.
    await editor.getByRole('button', { name: `Xuống dưới: ${ITEMS[2]}` }).click();
    await until('reorder by button', async () => (await rowTitles(page)).join('|') === [ITEMS[0], ITEMS[2], ITEMS[1]].join('|'));
    // Drag the last item ("Tờ trình…") above the second by its handle.
    const handle = editor.getByRole('button', { name: `Kéo để sắp xếp: ${ITEMS[1]}` });
    const target = editor.getByRole('button', { name: `Kéo để sắp xếp: ${ITEMS[2]}` });
    const hb = (await handle.boundingBox())!;
    const tb = (await target.boundingBox())!;
    await page.mouse.move(hb.x + hb.width / 2, hb.y + hb.height / 2);
    await page.mouse.down();
    for (let i = 1; i <= 8; i++) await page.mouse.move(hb.x + hb.width / 2, hb.y + hb.height / 2 + ((tb.y + 2 - hb.y - hb.height / 2) * i) / 8);
    await page.mouse.up();
    await until('reorder by drag and drop', async () => (await rowTitles(page)).join('|') === ITEMS.join('|'));

    // A sub-item under item 2, then rename it.
    const row2 = editor.getByTestId('agenda-edit-row').filter({ hasText: ITEMS[1] }).first();
    await row2.getByRole('button', { name: 'Thêm mục con' }).click();
    await row2.getByLabel('Tên mục con').fill('Dự toán chi');
    await row2.getByRole('button', { name: 'Thêm', exact: true }).click();
    const sub = editor.getByTestId('agenda-edit-row').filter({ hasText: 'Dự toán chi' });
    await sub.waitFor();
    await sub.getByRole('button', { name: 'Sửa' }).click();
    await editor.getByLabel('Tên nội dung').fill(SUB);
    await editor.getByRole('button', { name: 'Lưu' }).click();
    await until('sub-item renamed', async () => (await rowTitles(page)).includes(SUB));
    expect(await rowTitles(page)).toEqual([ITEMS[0], ITEMS[1], SUB, ITEMS[2]]);
    await waitText(editor, '2.1.');
    // An item added by mistake is deleted (after confirming).
    await editor.getByLabel('Nội dung mới').fill('Các vấn đề khác (nhầm)');
    await editor.getByRole('button', { name: 'Thêm', exact: true }).click();
    const extra = editor.getByTestId('agenda-edit-row').filter({ hasText: 'Các vấn đề khác (nhầm)' });
    await extra.getByRole('button', { name: 'Xóa' }).click();
    await extra.getByRole('button', { name: 'Đồng ý' }).click();
    await until('item deleted', async () => (await rowTitles(page)).length === 4);
    expect(await rowTitles(page)).toEqual([ITEMS[0], ITEMS[1], SUB, ITEMS[2]]);
    // Move the sub-item to the top level and back under item 2 (PATCH parent_id).
    const moveUnder = async (label: string) => {
      await editor.getByTestId('agenda-edit-row').filter({ hasText: SUB }).getByRole('button', { name: 'Sửa' }).click();
      await editor.locator('select[name="edit_parent"]').selectOption({ label });
      await editor.getByRole('button', { name: 'Lưu' }).click();
    };
    await moveUnder('(Mục cấp cao nhất)');
    await until('moved to the top level', async () => (await rowTitles(page)).join('|') === [...ITEMS, SUB].join('|'));
    await waitText(editor, `4.\n${SUB}`);
    await moveUnder(`2. ${ITEMS[1]}`);
    await until('moved back under item 2', async () => (await rowTitles(page)).join('|') === [ITEMS[0], ITEMS[1], SUB, ITEMS[2]].join('|'));
  });

  it('the secretary invites participants with roles and a substitute, then schedules', async () => {
    const page = secretary.page;
    const pe = page.locator('.participants-editor');
    const invite = async (name: string, role: string, substitute?: string) => {
      await pe.getByLabel('Người được mời').selectOption({ label: name });
      await pe.locator('select[name="invite_role"]').selectOption({ label: role });
      if (substitute) await pe.locator('select[name="invite_substitute"]').selectOption({ label: substitute });
      await pe.getByRole('button', { name: 'Mời tham dự' }).click();
      await waitText(pe.locator('tbody'), name.replace(/ \(.*$/, ''));
    };
    await invite('Nguyễn Văn Hùng (chutich)', 'Chủ tọa');
    await invite('Phạm Quốc Bảo (uyvien1)', 'Thành viên');
    await invite('Hoàng Thị Lan (uyvien2)', 'Thành viên');
    await invite('Võ Minh Tuấn (uyvien3)', 'Thành viên', 'Ngô Văn Thành');
    await invite('Đặng Văn Nam (khachmoi)', 'Khách mời');
    await waitText(pe.locator('tr[data-user="uyvien3"]'), 'Võ Minh Tuấn');
    expect(await pe.getByLabel('Người dự họp thay: Võ Minh Tuấn').inputValue()).not.toBe('');
    // The presenter of item 1.
    const editor = page.locator('.agenda-editor');
    const row1 = editor.getByTestId('agenda-edit-row').filter({ hasText: ITEMS[0] }).first();
    await row1.getByRole('button', { name: 'Sửa' }).click();
    await editor.getByLabel('Người trình bày').selectOption({ label: 'Hoàng Thị Lan' });
    await editor.getByRole('button', { name: 'Lưu' }).click();
    await waitText(editor, 'Người trình bày: Hoàng Thị Lan');
    // Edit the details: a 2-minute speaking limit.
    const details = page.locator('form').filter({ has: page.getByRole('heading', { name: 'Thông tin cuộc họp' }) });
    await details.getByLabel('Thời gian phát biểu tối đa (phút)').fill('2');
    await details.getByRole('button', { name: 'Lưu' }).click();
    await waitText(details, 'Đã lưu.');
    await shot(page, 'vi-secretary-console');
    await shotOf(page.locator('.agenda-editor'), 'vi-agenda-editor');
    expect(await smallTargets(page)).toEqual([]);

    await page.getByRole('button', { name: 'Lên lịch họp' }).click();
    await waitText(page.locator('.meeting-meta'), 'Đã lên lịch');
  });

  it('members see the scheduled meeting, check in and ask to speak', async () => {
    member = await signIn(env.browser, env.server.base, 'uyvien1');
    const page = member.page;
    memberFirstRefresh = await page.evaluate(() => JSON.parse(localStorage.getItem('ecabinet.session')!).refresh_token);
    const upcoming = page.locator('section[data-group="upcoming"]');
    await waitText(upcoming, TITLE);
    await upcoming.getByRole('link', { name: new RegExp(TITLE) }).click();
    await waitText(page.getByTestId('meeting-title'), TITLE);
    // The agenda tree in its order, with the sub-item numbered 2.1.
    const agenda = page.locator('.panel.agenda');
    await waitText(agenda, /1\.\s*Báo cáo tình hình[\s\S]*2\.\s*Tờ trình[\s\S]*2\.1\.\s*Dự toán chi đầu tư[\s\S]*3\.\s*Kế hoạch/);
    await waitText(agenda, 'Người trình bày: Hoàng Thị Lan');
    // No secretary console for a member.
    expect(await page.getByRole('tab', { name: 'Chuẩn bị cuộc họp' }).count()).toBe(0);
    await waitText(page.getByTestId('count-present'), '0/5');
    await page.getByRole('button', { name: 'Điểm danh' }).click();
    await waitText(page.getByTestId('checked-in'), /Bạn đã điểm danh lúc \d{2}:\d{2}/);
    await waitText(page.getByTestId('count-present'), '1/5');
    await waitText(page.getByTestId('count-voting'), '1/4');
    await page.getByRole('button', { name: 'Đăng ký phát biểu' }).click();
    await waitText(page.locator('.panel.speakers'), 'Bạn đã đăng ký phát biểu — thứ tự 1.');
    await waitText(page.getByTestId('queue'), 'Phạm Quốc Bảo');

    // The substitute checks in for uyvien3; the observer has no check-in button.
    const sub = await signIn(env.browser, env.server.base, 'duthay', { width: 800, height: 1280 });
    await sub.page.goto(meetingUrl);
    await sub.page.getByRole('button', { name: 'Điểm danh' }).click();
    await waitText(sub.page.locator('li[data-user="uyvien3"]'), 'Có người dự họp thay');
    await waitText(page.locator('li[data-user="uyvien3"]'), 'Có người dự họp thay', 8000); // live on the member's tablet
    await waitText(page.getByTestId('count-voting'), '2/4');
    await sub.context.close();

    const observer = await signIn(env.browser, env.server.base, 'khachmoi');
    await observer.page.goto(meetingUrl);
    await waitText(observer.page.getByTestId('meeting-title'), TITLE);
    expect(await observer.page.getByRole('button', { name: 'Điểm danh' }).count()).toBe(0);
    expect(await observer.page.getByRole('button', { name: 'Đăng ký phát biểu' }).count()).toBe(0);
    await observer.context.close();
  });

  it('the chair starts the meeting and gives the floor; the others follow live', async () => {
    chair = await signIn(env.browser, env.server.base, 'chutich');
    const page = chair.page;
    await page.goto(meetingUrl);
    await waitText(page.getByTestId('queue'), 'Phạm Quốc Bảo');
    await page.getByRole('button', { name: 'Bắt đầu cuộc họp' }).click();
    await waitText(page.locator('.meeting-meta'), 'Đang họp');
    await waitText(member.page.locator('.meeting-meta'), 'Đang họp', 8000);
    await waitText(secretary.page.locator('.meeting-meta'), 'Đang họp', 8000);
    // The secretary follows by polling; the others by the socket when the server has one.
    expect(await secretary.page.locator('.live-ind').getAttribute('data-status')).toBe('polling');
    const mode = await member.page.locator('.live-ind').getAttribute('data-status');
    expect(['socket', 'polling']).toContain(mode);
    if (mode === 'socket') {
      // Live presence over the socket: the chair's and the member's own tablets are online.
      const dot = (u: string) => member.page.locator(`li[data-user="${u}"] [data-testid="presence"]`);
      await until('presence of the chair', async () => (await dot('chutich').getAttribute('aria-label')) === 'Đã kết nối');
      expect(await dot('uyvien1').getAttribute('aria-label')).toBe('Đã kết nối');
      expect(await dot('uyvien2').getAttribute('aria-label')).toBe('Chưa kết nối');
    }

    await page.getByRole('button', { name: `Chuyển đến nội dung này: ${ITEMS[1]}` }).click();
    const current = member.page.locator('.agenda-item[aria-current="step"]');
    await waitText(current, ITEMS[1], 8000);
    await waitText(current, 'Đang thảo luận');

    await page.getByRole('button', { name: 'Mời phát biểu: Phạm Quốc Bảo' }).click();
    const now = member.page.getByTestId('now-speaking');
    await waitText(now, 'Phạm Quốc Bảo', 8000);
    await waitText(member.page.locator('.panel.speakers'), 'Bạn đang phát biểu.');
    // The countdown runs from the 2-minute limit towards the deadline.
    const first = await waitText(member.page.getByTestId('countdown'), /^[12]:\d\d$/);
    await sleep(2200);
    const second = await member.page.getByTestId('countdown').innerText();
    expect(toSecs(second)).toBeLessThan(toSecs(first));
    expect(toSecs(first)).toBeLessThanOrEqual(120);
    await secretary.page.getByRole('tab', { name: 'Phiên họp' }).click();
    await waitText(secretary.page.getByTestId('now-speaking'), 'Phạm Quốc Bảo', 8000);
    await shot(member.page, 'vi-meeting-live');
    expect(await smallTargets(member.page)).toEqual([]);
    expect(await smallTargets(page)).toEqual([]); // the chair's controls

    // Another member asks to speak and withdraws; the chair sees both.
    const other = await signIn(env.browser, env.server.base, 'uyvien2', { width: 800, height: 1280 });
    await other.page.goto(meetingUrl);
    await other.page.getByRole('button', { name: 'Đăng ký phát biểu' }).click();
    await waitText(page.getByTestId('queue'), 'Hoàng Thị Lan', 8000);
    await shot(other.page, 'vi-meeting-portrait');
    await other.page.getByRole('button', { name: 'Rút đăng ký phát biểu' }).click();
    await waitText(page.locator('.panel.speakers'), 'Chưa có ai đăng ký phát biểu.', 8000);
    await other.context.close();

    // The chair marks the absent member; every tablet shows it.
    await page.getByRole('button', { name: 'Vắng: Hoàng Thị Lan' }).click();
    const absence = page.getByTestId('absence-form');
    await absence.getByLabel('Lý do', { exact: true }).fill('Đi công tác');
    await absence.getByRole('button', { name: 'Lưu' }).click();
    await waitText(member.page.locator('li[data-user="uyvien2"]'), 'Vắng có lý do', 8000);
    await waitText(member.page.locator('li[data-user="uyvien2"]'), 'Lý do: Đi công tác');
  });

  it('shows a banner when the connection is lost and when it is back', async () => {
    const page = member.page;
    await member.context.setOffline(true);
    await waitText(page.getByTestId('banner-offline'), 'Mất kết nối', 10_000);
    // A change made meanwhile is caught up after reconnecting.
    await chair.page.getByRole('button', { name: 'Kết thúc phát biểu' }).click();
    await waitText(chair.page.getByTestId('now-speaking'), 'Chưa có ai đang phát biểu.');
    await member.context.setOffline(false);
    await waitText(page.getByTestId('banner-back'), 'Đã kết nối lại', 15_000);
    await waitText(page.getByTestId('now-speaking'), 'Chưa có ai đang phát biểu.', 8000);
  });

  it('switches the language to English', async () => {
    const page = member.page;
    await page.getByRole('button', { name: 'EN' }).click();
    await waitText(page.locator('.meeting-meta'), 'In progress');
    await page.getByRole('heading', { name: 'Agenda' }).waitFor();
    await page.getByRole('heading', { name: 'Speakers' }).waitFor();
    await page.getByRole('heading', { name: 'Attendance' }).waitFor();
    await waitText(page.locator('.agenda-item[aria-current="step"]'), 'Under discussion');
    await waitText(page.getByTestId('checked-in'), /You checked in at \d{2}:\d{2}/);
    await waitText(page.locator('.meeting-meta'), /December.*2026/);
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('en');
    await page.getByRole('button', { name: 'Request to speak' }).waitFor();
    // Give the floor again so the English screenshot shows a countdown.
    await page.getByRole('button', { name: 'Request to speak' }).click();
    await chair.page.getByRole('button', { name: 'Mời phát biểu: Phạm Quốc Bảo' }).click();
    await waitText(page.getByTestId('now-speaking'), /speaking/i, 8000);
    await shot(page, 'en-meeting-live');

    await secretary.page.getByRole('button', { name: 'EN' }).click();
    await secretary.page.getByRole('tab', { name: 'Prepare the meeting' }).click();
    await secretary.page.getByRole('heading', { name: 'Meeting details' }).waitFor();
    await shot(secretary.page, 'en-secretary-console');
    await secretary.page.getByRole('link', { name: 'Meetings' }).first().click();
    await waitText(secretary.page.locator('section[data-group="live"]'), TITLE);
    await waitText(secretary.page.getByRole('heading', { name: /In progress/ }), 'In progress (1)');
    await shot(secretary.page, 'en-meeting-list');
  });

  it('the chair ends the meeting; it moves to the past', async () => {
    const page = chair.page;
    await page.getByRole('button', { name: 'Kết thúc phát biểu' }).click();
    await page.getByRole('button', { name: 'Kết thúc cuộc họp' }).click();
    await page.getByRole('button', { name: 'Đồng ý' }).click();
    await waitText(page.locator('.meeting-meta'), 'Đã kết thúc');
    // When it was held (today), not the planned date; no item under discussion any more.
    const today = await page.evaluate(() => {
      const d = new Date();
      const p = (n: number) => String(n).padStart(2, '0');
      return `${p(d.getDate())}/${p(d.getMonth() + 1)}/${d.getFullYear()}`;
    });
    await waitText(page.getByTestId('held-on'), new RegExp(`^Đã họp ngày ${today.replace(/\//g, '\\/')}, \\d{2}:\\d{2}–\\d{2}:\\d{2}$`));
    expect(await page.locator('.panel.agenda').innerText()).not.toContain('Đang thảo luận');
    await waitText(member.page.locator('.meeting-meta'), 'Ended', 8000);
    await waitText(member.page.getByTestId('held-on'), /^Held on \d{1,2} \w+ \d{4}, /);
    expect(await member.page.getByRole('button', { name: 'Request to speak' }).count()).toBe(0);
    await page.getByRole('link', { name: 'Cuộc họp' }).first().click();
    await waitText(page.locator('section[data-group="past"]'), TITLE);
    await waitText(page.locator('section[data-group="past"] .meeting-card').filter({ hasText: TITLE }), `Đã họp ngày ${today}`);
    const phone = await signIn(env.browser, env.server.base, 'uyvien1', { width: 390, height: 844 });
    await phone.page.goto('/meetings/' + meetingUrl.split('/').pop());
    await waitText(phone.page.getByTestId('meeting-title'), TITLE);
    await shot(phone.page, 'vi-meeting-phone');
    expect(await smallTargets(phone.page)).toEqual([]);
    await phone.context.close();
  });

  it('refreshed the short-lived access tokens along the way', async () => {
    // The server runs with 20-second access tokens, refreshed at 80 % of their life: wait
    // (bounded) for the first refresh instead of assuming enough time has passed.
    await member.page.waitForFunction(
      (first) => {
        const s = JSON.parse(localStorage.getItem('ecabinet.session') || 'null');
        return s !== null && s.refresh_token !== first;
      },
      memberFirstRefresh,
      { timeout: 30_000 },
    );
    const stored = await member.page.evaluate(() => JSON.parse(localStorage.getItem('ecabinet.session') || 'null'));
    expect(stored.refresh_token).not.toBe(memberFirstRefresh);
    expect(stored.expires_at).toBeGreaterThan(Date.now());
    const me = await member.page.evaluate(async (tok) => (await fetch('/api/v1/me', { headers: { Authorization: `Bearer ${tok}` } })).status, stored.access_token);
    expect(me).toBe(200);
    expect(['socket', 'polling']).toContain(await member.page.locator('.live-ind').getAttribute('data-status'));
  });

  it('keeps the app itself available offline (service worker)', async () => {
    const page = member.page;
    await page.evaluate(async () => {
      await navigator.serviceWorker.ready;
    });
    await member.context.setOffline(true);
    await page.reload();
    // The shell comes from the cache; the meeting itself needs the server.
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    await waitText(page.getByRole('alert'), 'Cannot reach the server');
    await member.context.setOffline(false);
    await page.reload();
    await waitText(page.getByTestId('meeting-title'), TITLE);
  });

  it('loaded nothing from outside the loopback interface, and the CSP refused nothing', () => {
    expect(outsideRequests).toEqual([]);
    expect(cspViolations).toEqual([]);
  });
});

async function rowTitles(page: import('playwright-core').Page): Promise<string[]> {
  return page.locator('.agenda-editor .agenda-edit-row .agenda-title').allInnerTexts();
}

function toSecs(clock: string): number {
  const [m, s] = clock.split(':').map(Number);
  return m * 60 + s;
}
