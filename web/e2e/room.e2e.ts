// The meeting room on tablets (issue 22), in real browsers against the real server and the demo
// meeting: an open poll reaches a member reading a document (a banner over the reader, one tap
// to the ballot, back on the same page), errors shown where the action was, the portrait layout
// (speak and vote without scrolling at 800 × 1280), following the presenter opening a document
// at the presenter's page, absence with and without a reason, and the voting rules of contract v2
// (the chair's ballot, a majority of all members, the quorum asked before opening and explained
// after). Every wait is bounded.
import { describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { makePdf } from './pdf';
import { inkOnPage, shot, shotOf, signIn, smallTargets, until, useServerAndBrowser, waitText, type Tablet } from './harness';

const DEMO = 'Phiên họp thường kỳ tháng 11/2026 — UBND xã Cam Thủy';
const LONG_DOC = 'Báo cáo chi tiết kèm theo (10 trang)';
const NAMED_POLL = 'Thông qua Tờ trình dự toán ngân sách xã năm 2027';
const SECRET_POLL = 'Thông qua Kế hoạch xây dựng xã nông thôn mới kiểu mẫu năm 2027 (bỏ phiếu kín)';

const env = useServerAndBrowser();
let chair: Tablet; // chutich
let m1: Tablet; // uyvien1
let meetingPath = '';

async function openMeeting(t: Tablet) {
  if (meetingPath) await t.page.goto(meetingPath);
  else {
    await t.page.getByRole('link', { name: new RegExp(DEMO) }).first().click();
    meetingPath = new URL(t.page.url()).pathname;
  }
  await waitText(t.page.getByTestId('meeting-title'), DEMO);
}

/** The secretary uploads a 10-page document to the meeting over the API (the demo's are short). */
async function uploadLongDoc() {
  const base = env.server.base;
  const login = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'thuky', password: 'demo1234' }) });
  const { access_token } = (await login.json()) as { access_token: string };
  const id = meetingPath.split('/').pop()!;
  const r = await fetch(`${base}/api/v1/meetings/${id}/documents?title=${encodeURIComponent(LONG_DOC)}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${access_token}`, 'Content-Type': 'application/pdf' },
    body: new Uint8Array(makePdf(10, 'Bao cao chi tiet')),
  });
  expect(r.status).toBe(201);
}

/** Records navigator.vibrate calls (headless Chromium has no vibrator) and the chime's tones. */
async function recordVibrations(t: Tablet) {
  await t.context.addInitScript(() => {
    (window as any).__vibrations = [];
    (window as any).__tones = [];
    const Real = window.AudioContext;
    // The real context plays (silently, headless); each tone started is noted.
    class Recording extends Real {
      createOscillator() {
        const osc = super.createOscillator();
        const start = osc.start.bind(osc);
        osc.start = (when?: number) => {
          (window as any).__tones.push(osc.frequency.value);
          start(when);
        };
        return osc;
      }
    }
    Object.defineProperty(window, 'AudioContext', { configurable: true, value: Recording });
    Object.defineProperty(navigator, 'vibrate', {
      configurable: true,
      value: (pattern: unknown) => {
        (window as any).__vibrations.push(pattern);
        return true;
      },
    });
  });
}

/** Opens a poll from the chair's card, confirming when the card asks (below quorum, or a majority of all members out of reach). */
async function openPoll(card: Locator) {
  await card.getByRole('button', { name: 'Bắt đầu biểu quyết' }).click();
  await until('opened or asking', async () => (await card.getAttribute('data-state')) === 'open' || (await card.getByTestId('poll-open-confirm').count()) > 0);
  if ((await card.getAttribute('data-state')) !== 'open') await card.getByTestId('poll-open-confirm').getByRole('button', { name: 'Đồng ý' }).click();
  await waitText(card, 'Đang biểu quyết');
}

/** Whether the element lies wholly inside the viewport (no scrolling needed to reach it). */
async function inViewport(page: Page, loc: Locator): Promise<boolean> {
  const box = await loc.boundingBox();
  const vp = page.viewportSize()!;
  return !!box && box.y >= 0 && box.x >= 0 && box.y + box.height <= vp.height && box.x + box.width <= vp.width;
}

describe('the meeting room on tablets', () => {
  it('an open poll reaches a member in the reader: banner, one tap to the ballot, back on the same page', async () => {
    chair = await signIn(env.browser, env.server.base, 'chutich');
    await openMeeting(chair);
    await chair.page.getByRole('button', { name: 'Bắt đầu cuộc họp' }).click();
    await waitText(chair.page.locator('.meeting-meta'), 'Đang họp');
    // The chair's header names his role in this meeting.
    await waitText(chair.page.getByTestId('who-role'), 'Chủ tọa');

    m1 = await signIn(env.browser, env.server.base, 'uyvien1');
    await recordVibrations(m1);
    await openMeeting(m1);
    await waitText(m1.page.getByTestId('who-role'), 'Thành viên');
    await m1.page.getByRole('button', { name: 'Điểm danh' }).click();
    await m1.page.getByTestId('checked-in').waitFor();

    // The member reads page 3 of a document.
    await uploadLongDoc();
    await m1.page.getByRole('button', { name: `Mở tài liệu: ${LONG_DOC}` }).click();
    const reader = m1.page.getByTestId('reader');
    await reader.waitFor();
    await inkOnPage(m1.page, 1);
    await m1.page.getByRole('button', { name: 'Trang sau' }).click();
    await m1.page.getByRole('button', { name: 'Trang sau' }).click();
    await waitText(m1.page.getByTestId('page-count'), /Trang 3\//);

    // The chair opens the vote; the reader shows the call at once.
    const card = chair.page.getByTestId('poll').filter({ hasText: NAMED_POLL });
    await openPoll(card);
    const call = reader.getByTestId('vote-call');
    await waitText(call, `Đang biểu quyết: ${NAMED_POLL}`, 8000);
    expect(await inViewport(m1.page, call.getByRole('button', { name: 'Biểu quyết ngay' }))).toBe(true);
    await until('vibrated', async () => (await m1.page.evaluate(() => (window as any).__vibrations.length)) === 1);
    // And chimed: two tones, once (the sound is on unless turned off in the banner).
    await until('chimed', async () => (await m1.page.evaluate(() => (window as any).__tones.length)) === 2);
    await waitText(call.getByTestId('vote-sound'), 'Âm báo: bật');
    await shot(m1.page, 'vi-vote-call-reader');

    // One tap: the ballot, over the reader.
    await call.getByRole('button', { name: 'Biểu quyết ngay' }).click();
    const dialog = m1.page.getByTestId('vote-dialog');
    await dialog.getByRole('button', { name: 'Tán thành', exact: true }).click();
    await dialog.getByRole('button', { name: 'Gửi phiếu' }).click();
    await waitText(dialog.getByTestId('receipt'), 'Phiếu của bạn đã được ghi nhận.');
    await shot(m1.page, 'vi-vote-call-ballot');
    await dialog.getByRole('button', { name: 'Quay lại' }).click();
    await dialog.waitFor({ state: 'detached' });
    // Back in the same document on the same page; the call is gone.
    await waitText(m1.page.getByTestId('page-count'), /Trang 3\//);
    expect(await m1.page.getByTestId('vote-call').count()).toBe(0);
    await m1.page.getByRole('button', { name: /Đóng/ }).click();
    await reader.waitFor({ state: 'detached' });
    // The chair closes the vote (the chair may have a ballot too, contract v2: not needed here).
    await card.getByRole('button', { name: 'Kết thúc biểu quyết' }).click();
    await waitText(card, 'Đã kết thúc');
  });

  it('shows a failed action next to the button pressed, and the "back online" banner goes away', async () => {
    // Uyvien1 asks to speak and gets the floor.
    await m1.page.getByRole('button', { name: 'Đăng ký phát biểu' }).click();
    await waitText(m1.page.locator('.panel.speakers'), 'Bạn đã đăng ký phát biểu');
    await chair.page.getByRole('button', { name: 'Mời phát biểu: Phạm Quốc Bảo' }).click();
    const now = chair.page.getByTestId('now-speaking');
    await waitText(now, 'Phạm Quốc Bảo');
    // The chair's tablet loses the network and he ends the speech.
    await chair.context.setOffline(true);
    await chair.page.getByTestId('banner-offline').waitFor();
    await now.getByRole('button', { name: 'Kết thúc phát biểu' }).click();
    const err = now.getByTestId('action-error');
    await waitText(err, 'Không kết nối được máy chủ');
    // Not at the top of the page.
    expect(await chair.page.locator('.toast').count()).toBe(0);
    await shotOf(chair.page.locator('.panel.speakers'), 'vi-error-at-action');
    await chair.context.setOffline(false);
    await chair.page.getByTestId('banner-back').waitFor({ timeout: 20_000 });
    await chair.page.getByTestId('banner-back').waitFor({ state: 'detached', timeout: 9000 });
    // The action works now; its error goes with a new attempt.
    await now.getByRole('button', { name: 'Kết thúc phát biểu' }).click();
    await waitText(now, 'Chưa có ai đang phát biểu.', 8000);
    expect(await now.getByTestId('action-error').count()).toBe(0);
  });

  it('on a portrait tablet (800 × 1280) check-in, speaking, voting and documents need no scrolling', async () => {
    const m2 = await signIn(env.browser, env.server.base, 'uyvien2', { width: 800, height: 1280 });
    await openMeeting(m2);
    const page = m2.page;
    const bar = page.getByTestId('quick-bar');
    await bar.waitFor();
    const checkIn = bar.getByRole('button', { name: 'Điểm danh' });
    expect(await inViewport(page, checkIn)).toBe(true);
    await checkIn.click();
    await page.getByTestId('checked-in').waitFor();
    for (const name of ['Đăng ký phát biểu', 'Tài liệu họp']) expect(await inViewport(page, bar.getByRole('button', { name })), name).toBe(true);
    // Still there with the page scrolled to its end.
    await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
    expect(await inViewport(page, bar.getByRole('button', { name: 'Đăng ký phát biểu' }))).toBe(true);
    await bar.getByRole('button', { name: 'Tài liệu họp' }).click();
    await until('the documents on screen', () => inViewport(page, page.getByRole('heading', { name: 'Chương trình họp' })));
    await bar.getByRole('button', { name: 'Đăng ký phát biểu' }).click();
    await bar.getByRole('button', { name: 'Rút đăng ký phát biểu' }).waitFor();
    expect(await inViewport(page, bar.getByRole('button', { name: 'Rút đăng ký phát biểu' }))).toBe(true);

    // A secret vote opens: the member's bar calls him; the counts stay hidden until it closes.
    const card = chair.page.getByTestId('poll').filter({ hasText: SECRET_POLL });
    await openPoll(card);
    const voteNow = bar.getByRole('button', { name: 'Biểu quyết ngay' });
    await voteNow.waitFor({ timeout: 8000 });
    expect(await inViewport(page, voteNow)).toBe(true);
    await shot(page, 'vi-portrait-quick-bar');
    await voteNow.click();
    const dialog = page.getByTestId('vote-dialog');
    await dialog.getByRole('button', { name: 'Không tán thành', exact: true }).click();
    await dialog.getByRole('button', { name: 'Gửi phiếu' }).click();
    await waitText(dialog.getByTestId('receipt'), 'Mã xác nhận phiếu:');
    await dialog.getByRole('button', { name: 'Quay lại' }).click();
    await until('the call is gone', async () => (await bar.getByRole('button', { name: 'Biểu quyết ngay' }).count()) === 0);
    await waitText(card.getByTestId('turnout'), /Đã biểu quyết: 1\/\d+/);
    await card.getByTestId('poll-secret-hidden').waitFor();
    expect(await card.getByTestId('tally-row').count()).toBe(0);
    await card.getByRole('button', { name: 'Kết thúc biểu quyết' }).click();
    await waitText(card, 'Đã kết thúc');
    await until('the counts at close', async () => (await card.getByTestId('tally-row').count()) > 0);
    await m2.context.close();
  });

  it('following the presenter, a document opened by hand opens at the presenter’s page', async () => {
    const cp = chair.page;
    await cp.getByRole('button', { name: `Mở tài liệu: ${LONG_DOC}` }).click();
    await inkOnPage(cp, 1);
    await cp.getByTestId('present-toggle').click();
    await waitText(cp.getByTestId('presenting'), 'Đang trình chiếu');
    await cp.getByRole('button', { name: 'Trang sau' }).click();
    await cp.getByRole('button', { name: 'Trang sau' }).click();
    await waitText(cp.getByTestId('page-count'), /Trang 3\//);
    // The member follows (the default): his reader opens on page 3; he closes it, still following.
    const mp = m1.page;
    await waitText(mp.getByTestId('page-count'), /Trang 3\//, 8000);
    await mp.getByRole('button', { name: /Đóng/ }).click();
    await mp.getByTestId('reader').waitFor({ state: 'detached' });
    // He opens the document himself: at the presenter's page, not page 1.
    await mp.getByRole('button', { name: `Mở tài liệu: ${LONG_DOC}` }).click();
    await waitText(mp.getByTestId('page-count'), /Trang 3\//);
    // A tablet that joins now is told where the presenter is, without being thrown into the
    // reader; one tap on the notice opens the document at that page.
    const late = await signIn(env.browser, env.server.base, 'uyvien2');
    await openMeeting(late);
    await waitText(late.page.getByTestId('presenter-notice'), /trang 3/, 8000);
    expect(await late.page.getByTestId('reader').count()).toBe(0);
    await late.page.getByTestId('presenter-notice').getByRole('button').click();
    await waitText(late.page.getByTestId('page-count'), /Trang 3\//);
    await late.context.close();
    await cp.getByTestId('present-toggle').click();
    await cp.getByRole('button', { name: /Đóng/ }).click();
    await mp.getByRole('button', { name: /Đóng/ }).click();
  });

  it('the chair marks absence with a reason (asked for) and without one', async () => {
    const cp = chair.page;
    const m1row = m1.page.locator('li[data-user="uyvien3"]');
    // With a reason: the reason is asked for before saving.
    await cp.getByRole('button', { name: 'Vắng: Võ Minh Tuấn' }).click();
    const form = cp.getByTestId('absence-form');
    const save = form.getByRole('button', { name: 'Lưu' });
    expect(await save.isDisabled()).toBe(true);
    await form.getByLabel('Lý do', { exact: true }).fill('Đi học tập trung tại tỉnh');
    expect(await smallTargets(cp)).toEqual([]);
    await shotOf(cp.locator('li[data-user="uyvien3"]'), 'vi-absence-reason');
    await save.click();
    await form.waitFor({ state: 'detached' });
    await waitText(m1row, 'Vắng có lý do', 8000);
    await waitText(m1row, 'Lý do: Đi học tập trung tại tỉnh');
    // Without a reason.
    const row2 = m1.page.locator('li[data-user="uyvien2"]');
    await cp.getByRole('button', { name: 'Vắng: Hoàng Thị Lan' }).click();
    await form.getByLabel('Vắng không có lý do', { exact: true }).check();
    await form.getByRole('button', { name: 'Lưu' }).click();
    await waitText(row2, 'Vắng không có lý do', 8000);
    expect(await row2.innerText()).not.toContain('Lý do:');
    // A reason given later turns it into "có lý do".
    await cp.getByRole('button', { name: 'Sửa lý do vắng: Hoàng Thị Lan' }).click();
    await form.getByLabel('Vắng có lý do', { exact: true }).check();
    await form.getByLabel('Lý do', { exact: true }).fill('Ốm');
    await form.getByRole('button', { name: 'Lưu' }).click();
    await waitText(row2, 'Vắng có lý do', 8000);
  });

  it('voting rules v2: the chair votes, a majority of all members, the quorum asked before opening and explained after', async () => {
    const cp = chair.page;
    // The chair checks in: he holds a voting seat (5 seats: the chair and four members).
    await cp.getByRole('button', { name: 'Điểm danh' }).click();
    await cp.getByTestId('checked-in').waitFor();
    await waitText(cp.getByTestId('count-voting'), '2/5');

    const create = async (title: string, quorum: string, majority?: string) => {
      await cp.getByRole('button', { name: 'Tạo biểu quyết' }).click();
      const form = cp.getByRole('form', { name: 'Tạo biểu quyết' });
      await form.getByLabel('Nội dung biểu quyết').fill(title);
      if (majority) await form.getByLabel('Điều kiện thông qua').selectOption({ label: majority });
      await form.getByLabel('Số thành viên tối thiểu (không bắt buộc)').fill(quorum);
      await form.getByRole('button', { name: 'Tạo', exact: true }).click();
      await form.waitFor({ state: 'detached' });
      return cp.getByTestId('poll').filter({ hasText: title });
    };
    const ballot = async (card: Locator, choice: string) => {
      await card.getByRole('button', { name: choice, exact: true }).click();
      await card.getByRole('button', { name: 'Gửi phiếu' }).click();
      await waitText(card.getByTestId('receipt'), 'Mã xác nhận phiếu:');
    };

    // Quorum 3 with 2 present: the rule and the count are shown, and opening asks first.
    const q = 'Thông qua Nghị quyết về kế hoạch đầu tư công năm 2027';
    const card = await create(q, '3', 'Quá nửa tổng số thành viên');
    await waitText(card, 'Quá nửa tổng số thành viên · Tối thiểu 3 thành viên có mặt');
    await waitText(card.getByTestId('poll-eligibility'), 'đã điểm danh: 2/5');
    await waitText(card.getByTestId('poll-quorum'), 'Số thành viên tối thiểu để biểu quyết hợp lệ: 3.');
    await waitText(card.getByTestId('poll-below-quorum'), 'Số thành viên có mặt (2) thấp hơn số tối thiểu (3)');
    await waitText(card.getByTestId('poll-cannot-pass'), 'chưa quá nửa tổng số thành viên');
    await card.getByRole('button', { name: 'Bắt đầu biểu quyết' }).click();
    const confirm = card.getByTestId('poll-open-confirm');
    await waitText(confirm, 'Vẫn bắt đầu biểu quyết?');
    expect(await card.getAttribute('data-state')).toBe('draft');
    await shotOf(card, 'vi-voting-quorum-confirm');
    await confirm.getByRole('button', { name: 'Đồng ý' }).click();
    await waitText(card, 'Đang biểu quyết');
    // The chair has a ballot, like a member.
    await ballot(card, 'Tán thành');
    await ballot(m1.page.getByTestId('poll').filter({ hasText: q }), 'Tán thành');
    await waitText(card.getByTestId('turnout'), 'Đã biểu quyết: 2/2 · Tổng số thành viên: 5');
    await card.getByRole('button', { name: 'Kết thúc biểu quyết' }).click();
    await waitText(card.getByTestId('poll-result'), 'Không đủ số thành viên theo quy định');
    await waitText(card.getByTestId('poll-result-why'), 'Khi bắt đầu biểu quyết chỉ có 2 thành viên có mặt, thấp hơn số tối thiểu 3.');
    await shotOf(card, 'vi-voting-no-quorum');

    // No quorum, both present for: 2 of 5 members is not more than half of all members.
    const q2 = 'Thông qua Đề án sắp xếp thôn, tổ dân phố năm 2027';
    // No majority chosen: the organisation's rule (polls.default_majority, absolute_all by default).
    const card2 = await create(q2, '');
    await waitText(card2, 'Quá nửa tổng số thành viên');
    await openPoll(card2);
    await ballot(card2, 'Tán thành');
    await ballot(m1.page.getByTestId('poll').filter({ hasText: q2 }), 'Tán thành');
    await waitText(card2.getByTestId('turnout'), 'Đã biểu quyết: 2/2');
    await card2.getByRole('button', { name: 'Kết thúc biểu quyết' }).click();
    await waitText(card2.getByTestId('poll-result'), 'Không được thông qua');
    await waitText(card2.getByTestId('tally'), 'Tổng số thành viên: 5');
  });

  it('the secretary sets that the chair does not vote; the counts leave his seat out', async () => {
    const sec = await signIn(env.browser, env.server.base, 'thuky');
    await openMeeting(sec);
    await sec.page.getByRole('tab', { name: 'Chuẩn bị cuộc họp' }).click();
    const details = sec.page.locator('form').filter({ has: sec.page.getByRole('heading', { name: 'Thông tin cuộc họp' }) });
    await details.getByLabel('Chủ tọa biểu quyết').selectOption('no');
    await details.getByRole('button', { name: 'Lưu' }).click();
    await waitText(details, 'Đã lưu.');
    // The chair, checked in, no longer holds a seat: 1 of 4 (uyvien1 present).
    await waitText(chair.page.getByTestId('count-voting'), '1/4', 8000);
    await sec.context.close();
  });

  it('the secretary deletes a draft meeting from its page; a scheduled one offers the calendar', async () => {
    const base = env.server.base;
    const login = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'thuky', password: 'demo1234' }) });
    const { access_token } = (await login.json()) as { access_token: string };
    const title = 'Cuộc họp nháp sẽ xóa';
    const r = await fetch(`${base}/api/v1/meetings`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${access_token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ title, starts_at: '2026-12-20T01:00:00Z' }),
    });
    expect(r.status).toBe(201);
    const { id } = (await r.json()) as { id: string };
    const sec = await signIn(env.browser, base, 'thuky');
    await sec.page.goto(`${base}/meetings/${id}`);
    await waitText(sec.page.getByTestId('meeting-title'), title);
    // A draft has no invitation yet.
    expect(await sec.page.getByTestId('calendar').count()).toBe(0);
    await sec.page.getByRole('button', { name: 'Xóa cuộc họp nháp' }).click();
    await sec.page.getByRole('group', { name: /Xóa cuộc họp nháp này/ }).getByRole('button', { name: 'Đồng ý' }).click();
    await until('back at the list', async () => new URL(sec.page.url()).pathname === '/');
    expect((await fetch(`${base}/api/v1/meetings/${id}`, { headers: { Authorization: `Bearer ${access_token}` } })).status).toBe(404);
    // The demo meeting (scheduled or live) offers its invitation as a file.
    await openMeeting(sec);
    const download = sec.page.waitForEvent('download', { timeout: 10_000 });
    await sec.page.getByTestId('calendar').click();
    const file = await download;
    expect(file.suggestedFilename()).toBe('cuoc-hop.ics');
    await sec.context.close();
  });

  it('the secretary cancels a scheduled meeting; the member’s tablet shows it cancelled at once and in the past', async () => {
    const base = env.server.base;
    const login = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'thuky', password: 'demo1234' }) });
    const { access_token } = (await login.json()) as { access_token: string };
    const api = (method: string, path: string, body?: unknown) =>
      fetch(`${base}/api/v1${path}`, {
        method,
        headers: { Authorization: `Bearer ${access_token}`, 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const title = 'Cuộc họp chuyên đề sẽ hủy';
    const created = await api('POST', '/meetings', { title, starts_at: '2026-12-21T01:00:00Z' });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const { users } = (await (await api('GET', '/users')).json()) as { users: { id: string; username: string }[] };
    const member = users.find((u) => u.username === 'uyvien2')!;
    expect((await api('POST', `/meetings/${id}/participants`, { user_id: member.id, role: 'member' })).status).toBe(201);
    expect((await api('POST', `/meetings/${id}/state`, { state: 'scheduled' })).status).toBe(200);

    const m2 = await signIn(env.browser, base, 'uyvien2');
    await m2.page.goto(`${base}/meetings/${id}`);
    await waitText(m2.page.getByTestId('meeting-title'), title);
    await waitText(m2.page.locator('.meeting-meta'), 'Đã lên lịch');
    // Members do not get the button.
    expect(await m2.page.getByRole('button', { name: 'Hủy cuộc họp' }).count()).toBe(0);

    const sec = await signIn(env.browser, base, 'thuky');
    await sec.page.goto(`${base}/meetings/${id}`);
    await waitText(sec.page.getByTestId('meeting-title'), title);
    await sec.page.getByRole('button', { name: 'Hủy cuộc họp' }).click();
    await sec.page.getByRole('group', { name: /Hủy cuộc họp này\?/ }).getByRole('button', { name: 'Đồng ý' }).click();
    await waitText(sec.page.locator('.meeting-meta'), 'Đã hủy');
    await sec.page.getByTestId('cancelled-note').waitFor();
    expect(await sec.page.getByRole('button', { name: 'Bắt đầu cuộc họp' }).count()).toBe(0);

    // The member's open page hears the `meeting.state` event.
    await waitText(m2.page.locator('.meeting-meta'), 'Đã hủy', 8000);
    await waitText(m2.page.getByTestId('cancelled-note'), 'Cuộc họp này đã bị hủy và sẽ không diễn ra.');
    // The list puts it with the past meetings, struck out.
    await m2.page.goto(`${base}/`);
    const card = m2.page.locator('[data-group="past"] .meeting-card', { hasText: title });
    await waitText(card, 'Đã hủy');
    expect(await m2.page.locator('[data-group="upcoming"] .meeting-card', { hasText: title }).count()).toBe(0);
    await sec.context.close();
    await m2.context.close();
  });
});
