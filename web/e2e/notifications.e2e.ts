// Notifications on the tablet (docs/notifications.md, "On the tablet") in a real browser against
// the real server: the secretary schedules a session and sends a consultation held in writing
// with a member among the participants (over the API); the member's bell shows 2, the list words
// both in Vietnamese (and in English) with their times, newest first; tapping one marks it read
// and opens its meeting (the consultation opens its written view), the badge dropping each time;
// a moved meeting says where it was; older ones come with "Xem thông báo cũ hơn"; "Đánh dấu đã
// đọc tất cả" clears the badge on the server too. Live: with the member inside a meeting's screen,
// a meeting scheduled meanwhile raises the badge without a reload. Screenshots in both languages
// with SCREENSHOTS=1. Every wait is bounded.
import { describe, expect, it } from 'vitest';
import { shot, signIn, smallTargets, until, useServerAndBrowser, waitText, type Tablet } from './harness';

const SESSION = 'Phiên họp chuyên đề về quy hoạch xã Cam Thủy';
const WRITTEN = 'Xin ý kiến về Tờ trình số 15/TTr-UBND';
const LIVE = 'Họp giao ban tuần 2 tháng 1/2027';
const PLACE = 'Phòng họp số 2';
// 08:00 and 17:00 in Hà Nội (the tablets' zone, harness.ts).
const STARTS = '2027-01-05T01:00:00Z';
const STARTS_VI = 'Thứ Ba, 5 tháng 1, 2027 · 08:00';
const STARTS_EN = 'Tuesday, 5 January 2027 · 08:00';
const WRITTEN_START = '2027-01-04T01:00:00Z';
const DEADLINE = '2027-01-08T10:00:00Z';
const DEADLINE_VI = 'Thứ Sáu, 8 tháng 1, 2027 · 17:00';

const env = useServerAndBrowser();

async function token(username: string): Promise<string> {
  const r = await fetch(`${env.server.base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username, password: 'demo1234' }),
  });
  expect(r.status).toBe(200);
  return (await r.json()).access_token;
}

async function api(tok: string, method: string, path: string, body?: unknown): Promise<any> {
  const r = await fetch(`${env.server.base}/api/v1${path}`, {
    method,
    headers: { Authorization: `Bearer ${tok}`, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** A session with the member invited, scheduled (which tells the member). */
async function scheduleSession(sec: string, memberId: string, title: string, startsAt = STARTS): Promise<string> {
  const m = await api(sec, 'POST', '/meetings', { title, starts_at: startsAt, location: PLACE });
  await api(sec, 'POST', `/meetings/${m.id}/participants`, { user_id: memberId, role: 'member' });
  await api(sec, 'POST', `/meetings/${m.id}/state`, { state: 'scheduled' });
  return m.id;
}

let sec = '';
let memberId = '';
let sessionId = '';
let writtenId = '';
let member: Tablet;

const bell = (t: Tablet) => t.page.getByTestId('notif-bell');
const items = (t: Tablet) => t.page.getByTestId('notif');
const bellName = (t: Tablet) => bell(t).getAttribute('aria-label');

async function openList(t: Tablet) {
  await bell(t).click();
  await t.page.getByRole('heading', { name: 'Thông báo', level: 1 }).waitFor();
  await t.page.getByTestId('notif-list').waitFor();
}

describe('notifications on the tablet', () => {
  it('the member sees the count, the list in Vietnamese, and a tap opens the meeting', async () => {
    sec = await token('thuky');
    const mine = await token('uyvien2');
    memberId = (await api(sec, 'GET', '/users')).users.find((u: any) => u.username === 'uyvien2').id;
    // Whatever the demo told them before: start from nothing unread.
    await api(mine, 'POST', '/me/notifications/read-all');

    member = await signIn(env.browser, env.server.base, 'uyvien2');
    expect(await bellName(member)).toBe('Thông báo');
    expect(await member.page.getByTestId('notif-count').count()).toBe(0);

    sessionId = await scheduleSession(sec, memberId, SESSION);
    const w = await api(sec, 'POST', '/meetings', { title: WRITTEN, starts_at: WRITTEN_START, kind: 'written', deadline: DEADLINE, silence: 'none' });
    writtenId = w.id;
    await api(sec, 'POST', `/meetings/${writtenId}/polls`, { title: 'Thông qua Tờ trình số 15/TTr-UBND' });
    await api(sec, 'POST', `/meetings/${writtenId}/participants`, { user_id: memberId, role: 'member' });
    await api(sec, 'POST', `/meetings/${writtenId}/state`, { state: 'scheduled' });

    // Read when the app loads.
    await member.page.reload();
    await waitText(member.page.getByTestId('notif-count'), '2');
    expect(await bellName(member)).toBe('Thông báo: 2 thông báo chưa đọc');

    await openList(member);
    await waitText(member.page.getByTestId('notif-unread'), '2 thông báo chưa đọc');
    expect(await items(member).count()).toBe(2);
    // Newest first: the consultation was sent after the session was scheduled.
    expect(await items(member).nth(0).getByTestId('notif-text').innerText()).toBe(`Xin ý kiến bằng văn bản: “${WRITTEN}”. Hạn trả lời ${DEADLINE_VI}.`);
    expect(await items(member).nth(1).getByTestId('notif-text').innerText()).toBe(`Giấy mời họp: “${SESSION}” lúc ${STARTS_VI} tại ${PLACE}.`);
    expect(await items(member).nth(0).getAttribute('data-read')).toBe('false');
    // Said to a screen reader too, not only by colour.
    expect(await items(member).nth(1).innerText()).toContain('Chưa đọc');
    expect(await smallTargets(member.page)).toEqual([]);
    await shot(member.page, 'vi-notifications');

    await member.page.getByRole('button', { name: 'EN' }).click();
    await waitText(items(member).nth(1).getByTestId('notif-text'), `Invitation: “${SESSION}” at ${STARTS_EN} in ${PLACE}.`);
    expect(await bellName(member)).toBe('Notifications: 2 unread notifications');
    await shot(member.page, 'en-notifications');
    await member.page.getByRole('button', { name: 'VI' }).click();
    await waitText(items(member).nth(1).getByTestId('notif-text'), 'Giấy mời họp');

    // Tapping the invitation opens the session; the badge drops at once.
    await items(member).nth(1).click();
    await waitText(member.page.getByTestId('meeting-title'), SESSION);
    expect(new URL(member.page.url()).pathname).toBe(`/meetings/${sessionId}`);
    await waitText(member.page.getByTestId('notif-count'), '1');
    expect(await bellName(member)).toBe('Thông báo: 1 thông báo chưa đọc');

    // Back in the list it is read; the consultation opens its written view.
    await openList(member);
    await until('the invitation read', async () => (await items(member).nth(1).getAttribute('data-read')) === 'true');
    await items(member).nth(0).click();
    await waitText(member.page.getByTestId('meeting-title'), WRITTEN);
    expect(new URL(member.page.url()).pathname).toBe(`/meetings/${writtenId}`);
    await member.page.getByTestId('written-deadline').waitFor();
    await until('no badge', async () => (await member.page.getByTestId('notif-count').count()) === 0);
    expect(await bellName(member)).toBe('Thông báo');
    // The server agrees.
    expect((await api(mine, 'GET', '/me/notifications?limit=1')).unread).toBe(0);
  });

  it('a moved meeting says where it was; older ones page in; mark all read clears the badge', async () => {
    // On the meeting list no meeting's channel is open: nothing is pushed.
    await member.page.locator('.topnav').getByRole('link', { name: 'Cuộc họp' }).click();
    await member.page.locator('[data-group="upcoming"]').waitFor();
    // 21 moves of half an hour: more than a page (20); the last from 18:00 to 18:30, into the Hội trường.
    let at = new Date(STARTS).getTime();
    for (let i = 0; i < 21; i++) {
      at += 30 * 60_000;
      await api(sec, 'PATCH', `/meetings/${sessionId}`, i === 20 ? { starts_at: new Date(at).toISOString(), location: 'Hội trường' } : { starts_at: new Date(at).toISOString() });
    }
    // The tablet comes back to the app (focus): the count is read again.
    await member.page.evaluate(() => window.dispatchEvent(new Event('focus')));
    await waitText(member.page.getByTestId('notif-count'), '21');
    await openList(member);
    expect(await items(member).count()).toBe(20);
    const first = items(member).nth(0);
    expect(await first.getByTestId('notif-text').innerText()).toBe(`Thay đổi lịch họp: “${SESSION}” nay lúc Thứ Ba, 5 tháng 1, 2027 · 18:30 tại Hội trường.`);
    expect(await first.innerText()).toContain(`Trước đây: Thứ Ba, 5 tháng 1, 2027 · 18:00 tại ${PLACE}.`);

    await member.page.getByRole('button', { name: 'Xem thông báo cũ hơn' }).click();
    await until('older notifications', async () => (await items(member).count()) === 23);
    // The oldest two are the ones read before.
    expect(await items(member).nth(22).getAttribute('data-read')).toBe('true');
    expect(await member.page.getByRole('button', { name: 'Xem thông báo cũ hơn' }).count()).toBe(0);

    await member.page.getByRole('button', { name: 'Đánh dấu đã đọc tất cả' }).click();
    await until('no badge', async () => (await member.page.getByTestId('notif-count').count()) === 0);
    await waitText(member.page.getByTestId('notif-unread'), 'Không có thông báo chưa đọc');
    expect(await member.page.locator('[data-testid="notif"][data-read="false"]').count()).toBe(0);
    expect(await member.page.getByRole('button', { name: 'Đánh dấu đã đọc tất cả' }).isDisabled()).toBe(true);
    const mine = await token('uyvien2');
    expect((await api(mine, 'GET', '/me/notifications?limit=1')).unread).toBe(0);
  });

  it('inside a meeting, one scheduled meanwhile raises the badge without a reload', async () => {
    await member.page.goto(`/meetings/${sessionId}`);
    await member.page.locator('.live-ind[data-status="socket"]').waitFor({ timeout: 15_000 });
    // A mark that a reload would wipe.
    await member.page.evaluate(() => ((window as any).__sameDocument = true));
    expect(await member.page.getByTestId('notif-count').count()).toBe(0);

    const started = Date.now();
    const liveId = await scheduleSession(sec, memberId, LIVE, '2027-01-11T01:00:00Z');
    // Well before the minute's look: from notification.new on the open channel.
    await waitText(member.page.getByTestId('notif-count'), '1', 10_000);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(await member.page.evaluate(() => (window as any).__sameDocument)).toBe(true);
    await waitText(member.page.getByTestId('meeting-title'), SESSION);
    await shot(member.page, 'vi-notification-badge');

    await openList(member);
    expect(await items(member).nth(0).getByTestId('notif-text').innerText()).toBe(`Giấy mời họp: “${LIVE}” lúc Thứ Hai, 11 tháng 1, 2027 · 08:00 tại ${PLACE}.`);
    await items(member).nth(0).click();
    expect(new URL(member.page.url()).pathname).toBe(`/meetings/${liveId}`);
    await until('no badge', async () => (await member.page.getByTestId('notif-count').count()) === 0);
    await member.context.close();
  });
});
