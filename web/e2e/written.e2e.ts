// A meeting held in writing (lấy ý kiến bằng văn bản) in real browsers against the real server:
// the secretary creates a consultation with a deadline under a minute away, silence counted as
// agreeing, invites the chair and three members, attaches a document and sends it; the members
// see it first in their list with the deadline counting down; one answers "Không đồng ý" and
// changes to "Đồng ý" while offline (queued, sent when back), another answers "Ý kiến khác",
// which needs a comment; the chair follows the count and who has answered; the third member and the chair stay
// silent. At the deadline the server closes it and every tablet shows the result: adopted,
// with two answers deemed to agree and each member's answer and comment; the dossier opens in
// the reader. Screenshots (list, form, result) in both languages with SCREENSHOTS=1.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiAs } from './api';
import { makePdf, pdfText, squash } from './pdf';
import { cspViolations, launchBrowser, outsideRequests, shot, signIn, smallTargets, startServer, until, waitText, type Env, type Tablet } from './harness';

const TITLE = 'Xin ý kiến về Tờ trình số 12/TTr-UBND';
const QUESTION = 'Thông qua Tờ trình số 12/TTr-UBND về dự toán sửa chữa trường mầm non';
const DOC = 'Tờ trình số 12';
const COMMENT = 'Đề nghị bổ sung dự toán kinh phí trước khi ban hành.';
/** Seconds from creation to the deadline: enough for every step before it, on a slow machine. */
const DEADLINE_SECS = 30;

const env = {} as Env;
beforeAll(async () => {
  // The server looks for past deadlines twice a second instead of every 5 s.
  env.server = await startServer({ env: { ECABINET_MEETINGS__DEADLINE_CHECK_MS: '500' } });
  env.browser = await launchBrowser();
});
afterAll(async () => {
  await env.browser?.close();
  await env.server?.stop();
});

let secretary: Tablet; // thuky
let chair: Tablet; // chutich
let m1: Tablet; // uyvien1
let m2: Tablet; // uyvien2
let meetingPath = '';

const question = (t: Tablet) => t.page.getByTestId('question').filter({ hasText: QUESTION });

async function answer(t: Tablet, choice: string, comment?: string) {
  const q = question(t);
  await q.getByRole('radio', { name: choice, exact: true }).click();
  if (comment !== undefined) await q.getByLabel('Ý kiến cụ thể').fill(comment);
  await q.getByRole('button', { name: 'Gửi ý kiến' }).click();
}

describe('a meeting held in writing', () => {
  it('the secretary creates it, invites, attaches the dossier and sends it', async () => {
    [secretary, chair, m1, m2] = await Promise.all(['thuky', 'chutich', 'uyvien1', 'uyvien2'].map((u) => signIn(env.browser, env.server.base, u)));
    const page = secretary.page;
    await page.getByRole('link', { name: 'Xin ý kiến', exact: true }).click();
    await page.getByRole('link', { name: 'Tạo phiếu xin ý kiến' }).click();
    const form = page.getByRole('form', { name: 'Tạo phiếu xin ý kiến' });
    await form.getByLabel('Tên cuộc họp').fill(TITLE);
    // The deadline in the tablet's local time (Asia/Ho_Chi_Minh), to the second.
    const deadline = await page.evaluate((secs) => {
      const d = new Date(Date.now() + secs * 1000);
      // Chromium writes a time with zero seconds without them, which fill() takes as refused.
      if (d.getSeconds() === 0) d.setSeconds(1);
      const p = (n: number) => String(n).padStart(2, '0');
      return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
    }, DEADLINE_SECS);
    await form.locator('input[name="deadline"]').fill(deadline);
    await form.getByLabel('Thành viên không trả lời').selectOption('agree');
    await form.getByLabel('Câu hỏi 1').fill(QUESTION);
    await form.getByRole('button', { name: 'Tạo và tiếp tục' }).click();
    await waitText(page.getByTestId('meeting-title'), TITLE);
    meetingPath = new URL(page.url()).pathname;
    // Not sendable without anyone to answer.
    await waitText(page.getByTestId('send-hint'), 'Cần có ít nhất một thành viên trả lời');
    for (const [name, username, role] of [
      ['Nguyễn Văn Hùng', 'chutich', 'chair'],
      ['Phạm Quốc Bảo', 'uyvien1', 'member'],
      ['Hoàng Thị Lan', 'uyvien2', 'member'],
      ['Võ Minh Tuấn', 'uyvien3', 'member'],
    ]) {
      const invite = page.getByRole('form', { name: 'Mời tham dự' });
      await invite.locator('select[name="invite_user"]').selectOption({ label: `${name} (${username})` });
      await invite.locator('select[name="invite_role"]').selectOption(role);
      await invite.getByRole('button', { name: 'Mời tham dự' }).click();
      await page.locator(`tr[data-user="${username}"]`).waitFor();
    }
    const editor = page.locator('.documents-editor');
    await editor.locator('input[name="doc_file"]').setInputFiles({ name: 'to-trinh-12.pdf', mimeType: 'application/pdf', buffer: makePdf(2, 'To trinh 12') });
    await editor.getByLabel('Tên tài liệu').fill(DOC);
    await editor.getByRole('button', { name: 'Tải lên', exact: true }).click();
    await waitText(page.getByTestId('upload-done'), DOC);
    await page.getByRole('button', { name: 'Gửi', exact: true }).click();
    await page.getByRole('group', { name: /Gửi phiếu xin ý kiến đến các thành viên/ }).getByRole('button', { name: 'Đồng ý' }).click();
    await waitText(page.getByTestId('written-state'), 'Đang lấy ý kiến');
    await page.getByRole('tab', { name: 'Lấy ý kiến' }).click();
    await question(secretary).and(page.locator('[data-state="open"]')).waitFor();
  });

  it('a member finds it first in their list, reads the dossier and answers; “Ý kiến khác” needs a comment', async () => {
    // The list: awaiting the answer, the deadline counting down.
    await m2.page.getByRole('link', { name: 'Xin ý kiến', exact: true }).click();
    const card = m2.page.locator('.written-card').filter({ hasText: TITLE });
    await waitText(card.getByTestId('written-standing'), 'Chờ bạn trả lời');
    await waitText(card.getByTestId('written-countdown'), /Còn 0:\d\d/);
    expect(await m2.page.locator('.written-card').first().innerText()).toContain(TITLE);
    await shot(m2.page, 'vi-written-list');
    await card.click();
    await waitText(m2.page.getByTestId('meeting-title'), TITLE);
    await waitText(m2.page.getByTestId('written-silence'), 'coi như đồng ý');
    await waitText(m2.page.getByTestId('doc'), DOC);
    // "Ý kiến khác" without a comment cannot be sent.
    const q = question(m2);
    await q.getByRole('radio', { name: 'Ý kiến khác', exact: true }).click();
    await waitText(q.getByTestId('answer-problem'), 'Chọn “Ý kiến khác” thì cần ghi rõ ý kiến.');
    expect(await q.getByRole('button', { name: 'Gửi ý kiến' }).isDisabled()).toBe(true);
    await q.getByLabel('Ý kiến cụ thể').fill(COMMENT);
    await waitText(q.getByTestId('counter-comment'), `${COMMENT.length}/2.000`);
    await shot(m2.page, 'vi-written-form');
    expect(await smallTargets(m2.page)).toEqual([]);
    await m2.page.getByRole('button', { name: 'EN' }).click();
    await waitText(q.getByRole('radio', { name: 'Other opinion' }), 'Other opinion');
    await shot(m2.page, 'en-written-form');
    await m2.page.getByRole('button', { name: 'VI' }).click();
    await q.getByRole('button', { name: 'Gửi ý kiến' }).click();
    const mine = q.getByTestId('my-answer');
    await waitText(mine, 'Ý kiến khác');
    await waitText(mine, COMMENT);
    expect(await mine.getAttribute('data-state')).toBe('sent');
  });

  it('another answers, then changes the answer while offline: queued, sent when back', async () => {
    // The meeting list points to it.
    await m1.page.goto('/');
    await waitText(m1.page.getByTestId('written-awaiting'), '1 phiếu xin ý kiến đang chờ bạn trả lời.');
    await m1.page.goto(meetingPath);
    await answer(m1, 'Không đồng ý');
    await waitText(question(m1).getByTestId('my-answer'), 'Không đồng ý');
    // The chair follows the count and who has answered (what each answered comes at closing).
    await chair.page.goto(meetingPath);
    await waitText(chair.page.getByTestId('answered-count'), 'Đã trả lời: 2/4');
    const who = question(chair).getByTestId('answered-list');
    await waitText(who, 'Phạm Quốc Bảo');
    await waitText(who, 'Hoàng Thị Lan');
    await waitText(question(chair).getByTestId('waiting-list'), 'Võ Minh Tuấn');
    await m1.context.setOffline(true);
    await question(m1).getByRole('button', { name: 'Sửa ý kiến' }).click();
    await answer(m1, 'Đồng ý');
    await waitText(question(m1).getByTestId('answer-queued'), 'Chưa có mạng');
    await m1.context.setOffline(false);
    await until('the queued answer sent', async () => (await question(m1).getByTestId('my-answer').getAttribute('data-state')) === 'sent', 15_000);
    await waitText(chair.page.locator('[data-testid="written-progress"] [data-option="agree"]'), '1');
    // Answered: no longer first in m1's list.
    await m1.page.getByRole('link', { name: 'Xin ý kiến', exact: true }).click();
    await waitText(m1.page.locator('.written-card').filter({ hasText: TITLE }).getByTestId('written-standing'), 'Bạn đã trả lời');
    await m1.page.getByRole('button', { name: 'EN' }).click();
    await waitText(m1.page.locator('.written-card').filter({ hasText: TITLE }).getByTestId('written-standing'), 'You have answered');
    await shot(m1.page, 'en-written-list');
    await m1.page.getByRole('button', { name: 'VI' }).click();
    await m1.page.goto(meetingPath);
  });

  it('the deadline closes it: the result counts the silent as agreeing, with each answer and comment', async () => {
    // The countdown reaches the deadline; the server closes it within a second.
    for (const t of [chair, m1, m2]) await waitText(t.page.getByTestId('written-state'), 'Đã kết thúc', (DEADLINE_SECS + 10) * 1000);
    const result = chair.page.getByTestId('written-result');
    await waitText(result.getByTestId('poll-result'), 'Được thông qua');
    await waitText(result.locator('[data-option="agree"]'), '3');
    await waitText(result.locator('[data-option="agree"]'), '1 trả lời + 2 coi như đồng ý');
    await waitText(result.locator('[data-option="other"]'), '1');
    await waitText(result.getByTestId('written-turnout'), 'Đã trả lời: 2/4 · Không trả lời, coi như đồng ý: 2');
    const ballots = result.getByTestId('written-ballots');
    await waitText(ballots.locator('[data-user="uyvien1"]'), 'Đồng ý');
    await waitText(ballots.locator('[data-user="uyvien2"]'), COMMENT);
    await waitText(ballots.locator('[data-user="uyvien3"]'), 'Không trả lời (coi như đồng ý)');
    // The members' tablets too; nobody can answer any more.
    await waitText(question(m2).getByTestId('poll-result'), 'Được thông qua');
    expect(await question(m1).getByRole('button', { name: 'Sửa ý kiến' }).count()).toBe(0);
    await shot(chair.page, 'vi-written-result');
    await chair.page.getByRole('button', { name: 'EN' }).click();
    await waitText(result.getByTestId('poll-result'), 'Adopted');
    await waitText(result.locator('[data-option="agree"]'), '1 answered + 2 deemed to agree');
    await shot(chair.page, 'en-written-result');
    // The dossier stays readable, in the reader (opened after the deadline: PDF.js takes a few
    // seconds to load here, which the steps before the deadline cannot spare).
    await m2.page.getByRole('button', { name: `Mở tài liệu: ${DOC}` }).click();
    await m2.page.locator('[data-testid="reader-canvas"][data-rendered-page="1"]').waitFor({ timeout: 20_000 });
    await m2.page.keyboard.press('Escape');
    await m2.page.getByRole('link', { name: 'Xin ý kiến', exact: true }).click();
    await waitText(m2.page.locator('.written-card').filter({ hasText: TITLE }).getByTestId('written-standing'), 'Đã kết thúc');
    expect(outsideRequests).toEqual([]);
    expect(cspViolations).toEqual([]);
  });

  it('its summary, finalised after the deadline, names the deemed answers and the comment', async () => {
    // The panel's own steps are driven in written-record.e2e.ts; here the record of this very
    // consultation, closed by its deadline, is finalised by its chair and read back.
    const id = decodeURIComponent(meetingPath.split('/').pop() ?? '');
    const api = apiAs(env.server.base, 'chutich');
    const done = await api.call('POST', `/meetings/${encodeURIComponent(id)}/minutes/finalize`, {});
    expect(done.status, JSON.stringify(done.body)).toBe(201);
    expect(done.body.number).toMatch(/^\d{2}\/BC-/);
    const file = await api.bytes(`/documents/${done.body.minutes_document_id}/file`);
    expect(file.status).toBe(200);
    const text = squash(await pdfText(file.bytes));
    for (const want of ['BÁO CÁO', QUESTION, 'Coi như đồng ý', COMMENT, 'trong đó coi như đồng ý: 2']) expect(text, want).toContain(squash(want));
    // The member's tablet lists the final summary among the meeting's record.
    await m2.page.goto(meetingPath);
    await waitText(m2.page.getByTestId('minutes-panel'), done.body.number, 20_000);
  });
});
