// Voting (biểu quyết) in real browsers against the real server and the demo meeting: opening
// a poll with nobody checked in is refused and explained; members check in; the chair creates
// and opens a poll; two members vote from their own tablets over the live channel, each gets a
// receipt; the chair's tally moves live; a second ballot from another tablet of the same member
// says "already voted"; at close every tablet shows the result; a named poll lists the ballots,
// a secret one only counts; a substitute votes in an absent member's seat. Every wait is
// bounded (harness `waitText`/`until`, 10 s by default).
import { describe, expect, it } from 'vitest';
import type { Locator } from 'playwright-core';
import { cspViolations, outsideRequests, shotOf, signIn, smallTargets, takeScreenshots, until, useServerAndBrowser, waitText, type Tablet } from './harness';

const DEMO = 'Phiên họp thường kỳ tháng 11/2026 — UBND xã Cam Thủy';
const SECRET_POLL = 'Thông qua Kế hoạch xây dựng xã nông thôn mới kiểu mẫu năm 2027 (bỏ phiếu kín)';
const NAMED_POLL = 'Thông qua Tờ trình dự toán ngân sách xã năm 2027';
const NEW_POLL = 'Thông qua Báo cáo tình hình kinh tế – xã hội tháng 11';
const CUSTOM_POLL = 'Chọn phương án đầu tư nhà văn hóa thôn Tân Lập';
const CUSTOM_POLL_EDITED = 'Chọn phương án đầu tư nhà văn hóa thôn Tân Lập năm 2027';
const OPTION_A = 'Phương án A: xây mới';
const OPTION_B = 'Phương án B: cải tạo';
const MEMBER1 = 'Phạm Quốc Bảo'; // uyvien1
const MEMBER2 = 'Hoàng Thị Lan'; // uyvien2
const MEMBER3 = 'Võ Minh Tuấn'; // uyvien3, absent: their substitute attends
const SUBSTITUTE = 'Ngô Văn Thành'; // duthay

const env = useServerAndBrowser();
let chair: Tablet; // chutich
let m1: Tablet; // uyvien1
let m2: Tablet; // uyvien2
let meetingPath = '';
/** Ballots the members' tablets sent over the websocket (the live channel), by user. */
const wsBallots: Record<string, number> = { uyvien1: 0, uyvien2: 0, duthay: 0 };

async function openMeeting(t: Tablet) {
  if (meetingPath) await t.page.goto(meetingPath);
  else {
    await t.page.getByRole('link', { name: new RegExp(DEMO) }).first().click();
    meetingPath = new URL(t.page.url()).pathname;
  }
  await waitText(t.page.getByTestId('meeting-title'), DEMO);
}

async function member(username: string): Promise<Tablet> {
  const t = await signIn(env.browser, env.server.base, username);
  t.page.on('websocket', (ws) =>
    ws.on('framesent', (f) => {
      if (typeof f.payload === 'string' && f.payload.includes('"type":"ballot"')) wsBallots[username] = (wsBallots[username] ?? 0) + 1;
    }),
  );
  await openMeeting(t);
  return t;
}

/** A screenshot of part of the meeting screen, with the sticky top bar out of the way. */
async function shotPart(t: Tablet, loc: Locator, name: string) {
  if (!takeScreenshots) return;
  const style = await t.page.addStyleTag({ content: '.topbar { position: static !important; }' });
  await shotOf(loc, name);
  await style.evaluate((el) => (el as Element).remove());
}

const pollCard = (t: Tablet, title: string): Locator => t.page.getByTestId('poll').filter({ hasText: title });

/** The tally row of `option` (as the poll lists it: `yes`, or typed text with its accents). */
const tallyRow = (tally: Locator, option: string): Locator => tally.locator(`[data-testid="tally-row"][data-option=${JSON.stringify(option)}]`);
/** The count shown for `option`. */
const tallyCount = (tally: Locator, option: string): Locator => tallyRow(tally, option).getByTestId('tally-count');

/** Chooses `choice`, confirms, and returns the receipt shown. */
async function vote(t: Tablet, title: string, choice: string): Promise<string> {
  const card = pollCard(t, title);
  await card.getByRole('button', { name: choice, exact: true }).click();
  await waitText(card.getByRole('alertdialog'), `Bạn chọn: ${choice}. Gửi phiếu?`);
  await card.getByRole('button', { name: 'Gửi phiếu' }).click();
  await waitText(card.getByTestId('receipt'), 'Phiếu của bạn đã được ghi nhận.');
  // Shown short and grouped ("3F2A-91C0-7B44"), labelled "Mã xác nhận phiếu"; the full receipt is kept in data-receipt.
  await waitText(card.getByTestId('receipt'), 'Mã xác nhận phiếu:');
  const code = card.getByTestId('receipt-code');
  const full = (await code.getAttribute('data-receipt')) ?? '';
  expect(await code.innerText()).toBe(full.slice(0, 12).toUpperCase().replace(/(.{4})(?=.)/g, '$1-'));
  return full;
}

describe('voting', () => {
  it('tells the chair that members must check in, and explains a refused opening', async () => {
    chair = await signIn(env.browser, env.server.base, 'chutich');
    await openMeeting(chair);
    const card = pollCard(chair, NAMED_POLL);
    await waitText(card, 'Chưa bắt đầu');
    await waitText(card.getByTestId('poll-eligibility'), 'Cuộc họp cần được bắt đầu');
    await chair.page.getByRole('button', { name: 'Bắt đầu cuộc họp' }).click();
    await waitText(chair.page.locator('.meeting-meta'), 'Đang họp');
    // Live, nobody checked in: the count says 0 and the hint says what to do.
    await waitText(card.getByTestId('poll-eligibility'), 'Thành viên có quyền biểu quyết đã điểm danh: 0/5');
    await waitText(card.getByTestId('poll-eligibility'), 'Thành viên cần điểm danh');
    await card.getByRole('button', { name: 'Bắt đầu biểu quyết' }).click();
    await waitText(card.getByTestId('poll-error'), 'Chưa thể bắt đầu biểu quyết: chưa có thành viên nào điểm danh có mặt');
    await waitText(card, 'Chưa bắt đầu'); // still a draft
  });

  it('members check in; the chair creates and opens a poll; it appears at once on their tablets', async () => {
    m1 = await member('uyvien1');
    m2 = await member('uyvien2');
    for (const t of [m1, m2]) {
      await t.page.getByRole('button', { name: 'Điểm danh' }).click();
      await t.page.getByTestId('checked-in').waitFor();
    }
    // No buttons on a draft; the member sees no drafts at all.
    expect(await m1.page.getByTestId('poll').count()).toBe(0);
    await waitText(pollCard(chair, NAMED_POLL).getByTestId('poll-eligibility'), 'đã điểm danh: 2/5');
    // The refusal shown before is gone now that members are checked in.
    await until('stale refusal cleared', async () => (await pollCard(chair, NAMED_POLL).getByTestId('poll-error').count()) === 0);

    const page = chair.page;
    await page.getByRole('button', { name: 'Tạo biểu quyết' }).click();
    const form = page.getByRole('form', { name: 'Tạo biểu quyết' });
    await form.getByLabel('Nội dung biểu quyết').fill(NEW_POLL);
    await form.getByLabel('Điều kiện thông qua').selectOption({ label: 'Nhiều phiếu tán thành hơn không tán thành' });
    await form.getByLabel('Thuộc nội dung').selectOption({ index: 1 });
    await form.getByRole('button', { name: 'Tạo', exact: true }).click();
    const card = pollCard(chair, NEW_POLL);
    await waitText(card, 'Biểu quyết công khai · Nhiều phiếu tán thành hơn không tán thành');
    expect(await smallTargets(page)).toEqual([]);
    await card.getByRole('button', { name: 'Bắt đầu biểu quyết' }).click();
    await waitText(card, 'Đang biểu quyết');
    await waitText(card.getByTestId('tally'), 'Đã biểu quyết: 0/2');
    // The chair does not vote.
    expect(await card.getByRole('button', { name: 'Tán thành', exact: true }).count()).toBe(0);

    for (const t of [m1, m2]) {
      const c = pollCard(t, NEW_POLL);
      await waitText(c, 'Đang biểu quyết');
      for (const o of ['Tán thành', 'Không tán thành', 'Không biểu quyết']) await c.getByRole('button', { name: o, exact: true }).waitFor();
    }
    expect(await smallTargets(m1.page)).toEqual([]);
    await shotPart(m1, m1.page.locator('.panel.polls'), 'vi-voting-ballot');
  });

  it('two members vote over the live channel, get receipts, and the chair’s tally moves', async () => {
    const tally = pollCard(chair, NEW_POLL).getByTestId('tally');
    const r1 = await vote(m1, NEW_POLL, 'Tán thành');
    expect(r1).toMatch(/^[0-9a-f]{32}$/);
    await waitText(tally, 'Đã biểu quyết: 1/2');
    await waitText(tallyCount(tally, 'yes'), '1');
    await shotPart(chair, pollCard(chair, NEW_POLL), 'vi-voting-tally');
    const r2 = await vote(m2, NEW_POLL, 'Không biểu quyết');
    expect(r2).toMatch(/^[0-9a-f]{32}$/);
    expect(r2).not.toBe(r1);
    await waitText(tally, 'Đã biểu quyết: 2/2');
    await waitText(tallyCount(tally, 'abstain'), '1');
    expect(await tallyCount(tally, 'no').innerText()).toBe('0');
    // Both ballots went over the websocket, not the HTTP fallback.
    expect(wsBallots.uyvien1).toBe(1);
    expect(wsBallots.uyvien2).toBe(1);
    // Every tablet follows the tally, the voters' too; buttons are gone once voted.
    await waitText(pollCard(m1, NEW_POLL).getByTestId('tally'), 'Đã biểu quyết: 2/2');
    expect(await pollCard(m1, NEW_POLL).getByRole('button', { name: 'Tán thành', exact: true }).count()).toBe(0);
    // A reload keeps "your ballot has been recorded" and the receipt.
    await m1.page.reload();
    await until('the same receipt after a reload', async () => (await pollCard(m1, NEW_POLL).getByTestId('receipt-code').getAttribute('data-receipt')) === r1);
  });

  it('a second ballot by the same member, from another tablet, says "already voted"', async () => {
    const other = await member('uyvien1');
    const card = pollCard(other, NEW_POLL);
    await card.getByRole('button', { name: 'Không tán thành', exact: true }).click();
    await card.getByRole('button', { name: 'Gửi phiếu' }).click();
    await waitText(card.getByTestId('receipt'), 'Bạn đã biểu quyết.');
    expect(await card.getByTestId('receipt-code').count()).toBe(0);
    // Nothing changed in the count.
    await waitText(pollCard(chair, NEW_POLL).getByTestId('tally'), 'Đã biểu quyết: 2/2');
    expect(await tallyCount(pollCard(chair, NEW_POLL), 'no').innerText()).toBe('0');
    await other.context.close();
  });

  it('the chair closes the poll; every tablet shows the result and the named ballots', async () => {
    const card = pollCard(chair, NEW_POLL);
    await card.getByRole('button', { name: 'Kết thúc biểu quyết' }).click();
    for (const t of [chair, m1, m2]) {
      const c = pollCard(t, NEW_POLL);
      await waitText(c, 'Đã kết thúc');
      await waitText(c.getByTestId('poll-result'), 'Được thông qua'); // 1 for, 0 against: simple majority
      const ballots = c.getByTestId('poll-ballots');
      await waitText(ballots, `${MEMBER1}: Tán thành`);
      await waitText(ballots, `${MEMBER2}: Không biểu quyết`);
      expect(await ballots.locator('li').count()).toBe(2);
    }
    await shotPart(m2, m2.page.locator('.panel.polls'), 'vi-voting-result');
  });

  it('a secret poll shows only counts, before and after closing', async () => {
    const card = pollCard(chair, SECRET_POLL);
    await waitText(card.getByTestId('poll-eligibility'), 'đã điểm danh: 2/5');
    await card.getByRole('button', { name: 'Bắt đầu biểu quyết' }).click();
    await waitText(card, 'Đang biểu quyết');
    await waitText(pollCard(m1, SECRET_POLL), 'Bỏ phiếu kín');
    await vote(m1, SECRET_POLL, 'Tán thành');
    await vote(m2, SECRET_POLL, 'Không tán thành');
    await waitText(card.getByTestId('tally'), 'Đã biểu quyết: 2/2');
    // Open, it shows only how many have voted (contract v2): no counts on any tablet, none from the API.
    for (const t of [chair, m1, m2]) {
      const c = pollCard(t, SECRET_POLL);
      await c.getByTestId('poll-secret-hidden').waitFor();
      expect(await c.getByTestId('tally-row').count()).toBe(0);
    }
    const openId = await card.getAttribute('data-poll');
    const openBody = await chair.page.evaluate(async (id) => {
      const s = JSON.parse(localStorage.getItem('ecabinet.session') ?? '{}');
      const r = await fetch(`/api/v1/polls/${id}`, { headers: { Authorization: `Bearer ${s.access_token}` } });
      return r.json();
    }, openId);
    expect(openBody.tally).toBeNull();
    expect(openBody.voted).toBe(2);
    await card.getByRole('button', { name: 'Kết thúc biểu quyết' }).click();
    for (const t of [chair, m1, m2]) {
      const c = pollCard(t, SECRET_POLL);
      await waitText(c.getByTestId('poll-result'), 'Không được thông qua'); // 1 for, 1 against: a tie
      await waitText(c.getByTestId('poll-secret-note'), 'chỉ công bố số phiếu');
      expect(await tallyCount(c, 'yes').innerText()).toBe('1');
      expect(await tallyCount(c, 'no').innerText()).toBe('1');
      expect(await c.getByTestId('poll-ballots').count()).toBe(0);
      const text = await c.innerText();
      expect(text).not.toContain(MEMBER1);
      expect(text).not.toContain(MEMBER2);
    }
    // Nor does the server give names: the poll as the API returns it has no ballots.
    const pollId = await card.getAttribute('data-poll');
    const body = await chair.page.evaluate(async (id) => {
      const s = JSON.parse(localStorage.getItem('ecabinet.session') ?? '{}');
      const r = await fetch(`/api/v1/polls/${id}`, { headers: { Authorization: `Bearer ${s.access_token}` } });
      return r.json();
    }, pollId);
    expect(body).toMatchObject({ state: 'closed', secret: true, voted: 2, eligible: 2, result: 'rejected' });
    expect(body.ballots).toBeUndefined();
  });

  it('a substitute votes in the absent member’s seat; the named ballots say so', async () => {
    const sub = await member('duthay');
    await sub.page.getByRole('button', { name: 'Điểm danh' }).click();
    await sub.page.getByTestId('checked-in').waitFor();
    const card = pollCard(chair, NAMED_POLL);
    await waitText(card.getByTestId('poll-eligibility'), 'đã điểm danh: 3/5');
    await card.getByRole('button', { name: 'Bắt đầu biểu quyết' }).click();
    await waitText(card.getByTestId('tally'), 'Đã biểu quyết: 0/3');
    await vote(sub, NAMED_POLL, 'Tán thành');
    await vote(m1, NAMED_POLL, 'Tán thành');
    await waitText(card.getByTestId('tally'), 'Đã biểu quyết: 2/3');
    await card.getByRole('button', { name: 'Kết thúc biểu quyết' }).click();
    // Over half of the three present voted for it; Hoàng Thị Lan did not vote.
    await waitText(card.getByTestId('poll-result'), 'Được thông qua');
    const ballots = card.getByTestId('poll-ballots');
    await waitText(ballots, `${MEMBER3}: Tán thành (do người dự họp thay ${SUBSTITUTE} bỏ phiếu)`);
    await waitText(ballots, `${MEMBER1}: Tán thành`);
    expect(await ballots.locator('li').count()).toBe(2);
    await waitText(pollCard(m2, NAMED_POLL).getByTestId('poll-result'), 'Được thông qua');
    await sub.context.close();
  });

  it('a poll with custom options is checked, edited while a draft, deleted or opened; members vote on its options', async () => {
    const page = chair.page;
    await page.getByRole('button', { name: 'Tạo biểu quyết' }).click();
    const form = page.getByRole('form', { name: 'Tạo biểu quyết' });
    await form.getByLabel('Nội dung biểu quyết').fill(CUSTOM_POLL);
    await form.getByLabel('Điều kiện thông qua').selectOption({ label: 'Nhiều phiếu tán thành hơn không tán thành' });
    await form.locator('select[name="poll_options_mode"]').selectOption('custom');
    // Customising starts from the three default options, in the glossary's words.
    expect(await form.getByLabel(/^Phương án \d+$/).evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value))).toEqual(['Tán thành', 'Không tán thành', 'Không biểu quyết']);
    await form.getByLabel('Phương án 1', { exact: true }).fill(OPTION_A);
    // Extra spaces go; the words stay as typed, accents and all (no key line under the field).
    await form.getByLabel('Phương án 2', { exact: true }).fill('  Phương án B:   sửa chữa ');
    expect(await form.getByText(/Mã:/).count()).toBe(0);
    // A blank option and a repeated one (other case, accents typed as combining marks) are
    // refused in the form, before the server is asked.
    await form.getByRole('button', { name: 'Thêm phương án' }).click();
    await form.getByLabel('Phương án 4', { exact: true }).fill('phương án a: XÂY MỚI'.normalize('NFD'));
    await form.getByRole('button', { name: 'Tạo', exact: true }).click();
    await waitText(form.getByTestId('poll-form-errors'), 'Phương án 4 trùng với một phương án ở trên');
    await form.getByLabel('Phương án 4', { exact: true }).fill('   ');
    await waitText(form.getByTestId('poll-form-errors'), 'Phương án 4 chưa có nội dung.');
    await form.getByRole('button', { name: 'Xóa phương án 4' }).click();
    expect(await smallTargets(page)).toEqual([]);
    await shotPart(chair, form, 'vi-voting-custom-form');
    await form.getByRole('button', { name: 'Tạo', exact: true }).click();
    const card = pollCard(chair, CUSTOM_POLL);
    await waitText(card.getByTestId('poll-options'), `Phương án: ${OPTION_A} · Phương án B: sửa chữa · Không biểu quyết`);
    await waitText(card, 'Biểu quyết công khai · Nhiều phiếu tán thành hơn không tán thành');
    await shotPart(chair, card, 'vi-voting-custom-options');

    // Edited while a draft: question, majority, quorum, secrecy and one option.
    await card.getByRole('button', { name: `Sửa biểu quyết: ${CUSTOM_POLL}` }).click();
    const edit = page.getByRole('form', { name: `Sửa biểu quyết: ${CUSTOM_POLL}` });
    expect(await edit.getByLabel(/^Phương án \d+$/).evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value))).toEqual([OPTION_A, 'Phương án B: sửa chữa', 'Không biểu quyết']);
    await edit.getByLabel('Nội dung biểu quyết').fill(CUSTOM_POLL_EDITED);
    await edit.getByLabel('Điều kiện thông qua').selectOption('two_thirds');
    await edit.getByLabel('Số thành viên tối thiểu (không bắt buộc)').fill('2');
    await edit.getByLabel('Hình thức biểu quyết').selectOption('secret');
    await edit.getByLabel('Phương án 2', { exact: true }).fill(OPTION_B);
    await edit.getByRole('button', { name: 'Lưu thay đổi' }).click();
    const edited = pollCard(chair, CUSTOM_POLL_EDITED);
    await waitText(edited, 'Bỏ phiếu kín · Ít nhất hai phần ba số thành viên có mặt · Tối thiểu 2 thành viên có mặt');
    await waitText(edited.getByTestId('poll-options'), `Phương án: ${OPTION_A} · ${OPTION_B} · Không biểu quyết`);
    // The server has what the card shows.
    const pollId = await edited.getAttribute('data-poll');
    const saved = await page.evaluate(async (id) => {
      const s = JSON.parse(localStorage.getItem('ecabinet.session') ?? '{}');
      return (await fetch(`/api/v1/polls/${id}`, { headers: { Authorization: `Bearer ${s.access_token}` } })).json();
    }, pollId);
    expect(saved).toMatchObject({ title: CUSTOM_POLL_EDITED, options: [OPTION_A, OPTION_B, 'abstain'], majority: 'two_thirds', quorum: 2, secret: true, allow_change: false, state: 'draft' });

    // A draft can be deleted (confirmed first).
    await page.getByRole('button', { name: 'Tạo biểu quyết' }).click();
    const form2 = page.getByRole('form', { name: 'Tạo biểu quyết' });
    await form2.getByLabel('Nội dung biểu quyết').fill('Biểu quyết tạo nhầm');
    await form2.getByRole('button', { name: 'Tạo', exact: true }).click();
    const wrong = pollCard(chair, 'Biểu quyết tạo nhầm');
    await waitText(wrong, 'Phương án: Tán thành · Không tán thành · Không biểu quyết');
    await wrong.getByRole('button', { name: 'Xóa', exact: true }).click();
    await wrong.getByRole('button', { name: 'Đồng ý' }).click();
    await until('deleted poll gone', async () => (await pollCard(chair, 'Biểu quyết tạo nhầm').count()) === 0);

    // Opened: no more editing; the members see the custom options as buttons and vote.
    await edited.getByRole('button', { name: 'Bắt đầu biểu quyết' }).click();
    await waitText(edited, 'Đang biểu quyết');
    expect(await edited.getByRole('button', { name: `Sửa biểu quyết: ${CUSTOM_POLL_EDITED}` }).count()).toBe(0);
    for (const t of [m1, m2]) {
      const c = pollCard(t, CUSTOM_POLL_EDITED);
      for (const o of [OPTION_A, OPTION_B, 'Không biểu quyết']) await c.getByRole('button', { name: o, exact: true }).waitFor();
      expect(await c.getByRole('button', { name: 'Tán thành', exact: true }).count()).toBe(0);
    }
    await shotPart(m1, pollCard(m1, CUSTOM_POLL_EDITED), 'vi-voting-custom-ballot');
    const before = { ...wsBallots };
    await vote(m1, CUSTOM_POLL_EDITED, OPTION_A);
    await vote(m2, CUSTOM_POLL_EDITED, OPTION_A);
    // The choice went over the live channel as the option's own words, and was taken.
    expect([wsBallots.uyvien1 - before.uyvien1, wsBallots.uyvien2 - before.uyvien2]).toEqual([1, 1]);
    const tally = edited.getByTestId('tally');
    await waitText(tally, 'Đã biểu quyết: 2/3');
    // Secret (it was made secret while a draft): no counts while open (contract v2).
    expect(await tally.getByTestId('tally-row').count()).toBe(0);
    await edited.getByRole('button', { name: 'Kết thúc biểu quyết' }).click();
    // Two of the three present for the motion: two thirds reached.
    for (const t of [chair, m1, m2]) await waitText(pollCard(t, CUSTOM_POLL_EDITED).getByTestId('poll-result'), 'Được thông qua');
    // The tally shows the same words, each with its own count, on the chair's and a member's tablet.
    for (const tl of [tally, pollCard(m1, CUSTOM_POLL_EDITED).getByTestId('tally')]) {
      await waitText(tallyCount(tl, OPTION_A), '2');
      expect(await tallyRow(tl, OPTION_A).locator('.tally-label').innerText()).toBe(OPTION_A);
      expect(await tallyRow(tl, OPTION_B).locator('.tally-label').innerText()).toBe(OPTION_B);
      expect(await tallyCount(tl, OPTION_B).innerText()).toBe('0');
      expect(await tallyRow(tl, 'abstain').locator('.tally-label').innerText()).toBe('Không biểu quyết');
    }
  });

  it('shows the voting panel in English', async () => {
    await chair.page.getByRole('button', { name: 'EN' }).click();
    const c = pollCard(chair, NEW_POLL);
    await waitText(c.getByTestId('poll-result'), 'Adopted');
    await waitText(c.getByTestId('poll-ballots'), `${MEMBER1}: Yes`);
    await waitText(pollCard(chair, SECRET_POLL).getByTestId('poll-secret-note'), 'only the counts are published');
    await waitText(pollCard(chair, NAMED_POLL).getByTestId('poll-ballots'), `${MEMBER3}: Yes (cast by the substitute ${SUBSTITUTE})`);
    await shotPart(chair, chair.page.locator('.panel.polls'), 'en-voting');
    expect(outsideRequests).toEqual([]);
    expect(cspViolations).toEqual([]);
  });
});
