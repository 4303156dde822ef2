// A consultation in writing prepared from an agenda item of a session, in Chromium against the
// real server (docs/api.md, `from_agenda_item`): on the demo session's agenda the secretary taps
// "Xin ý kiến bằng văn bản" on the budget item; the creation form opens with the item chosen
// (its one document counted) and the title offered; created, its console shows the copied
// document and the question titled as the item. Then from the consultations list: "Lấy từ nội
// dung phiên họp", a session picked, an item of a session the test made through the API with
// two uploaded PDFs, and one extra question of the form's own. A member sees neither the link
// nor the form. Screenshots of the picker in both languages with SCREENSHOTS=1.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiAs, type Api } from './api';
import { makePdf } from './pdf';
import { cspViolations, launchBrowser, outsideRequests, shot, signIn, smallTargets, startServer, until, waitText, type Env, type Tablet } from './harness';

/** The demo session's item with its generated document (server/src/demo/mod.rs). */
const DEMO_ITEM = 'Tờ trình dự toán ngân sách xã năm 2027';
/** The demo session (server/src/demo/mod.rs MEETING_TITLE; the October one is closed, with its record). */
const DEMO = 'Phiên họp thường kỳ tháng 11/2026';
const SESSION = 'Phiên họp giao ban tháng 12 (từ nội dung phiên họp)';
const ITEM = 'Đề án sắp xếp thôn, tổ dân phố';
const EXTRA = 'Thống nhất thời gian tổ chức lấy ý kiến cử tri';

const env = {} as Env;
let api: Api;
beforeAll(async () => {
  env.server = await startServer();
  env.browser = await launchBrowser();
  api = apiAs(env.server.base, 'thuky');
});
afterAll(async () => {
  await env.browser?.close();
  await env.server?.stop();
});

let secretary: Tablet;

/** A session with one agenda item carrying two PDFs, made through the API; its id and the item's. */
async function sessionWithItem(): Promise<{ meeting: string; item: string }> {
  const m = await api.call('POST', '/meetings', { title: SESSION, starts_at: new Date(Date.now() + 86_400_000).toISOString() });
  expect(m.status).toBe(201);
  const it = await api.call('POST', `/meetings/${m.body.id}/agenda`, { title: ITEM });
  expect(it.status).toBe(201);
  for (const [n, title, label] of [
    [1, 'Tờ trình đề án', 'To trinh de an'],
    [2, 'Dự thảo nghị quyết', 'Du thao nghi quyet'],
  ] as const) {
    const up = await api.pdf(`/meetings/${m.body.id}/documents?title=${encodeURIComponent(title)}&agenda_item_id=${it.body.id}`, makePdf(n, label));
    expect(up.status).toBe(201);
  }
  return { meeting: m.body.id, item: it.body.id };
}

describe('a consultation prepared from an agenda item of a session', () => {
  it('from the session’s agenda: the item chosen, the title offered; its console shows the copied document and the question', async () => {
    secretary = await signIn(env.browser, env.server.base, 'thuky');
    const page = secretary.page;
    const list = await api.call('GET', '/meetings');
    const demo = list.body.meetings.find((m: any) => m.title.startsWith(DEMO));
    await page.goto(`/meetings/${demo.id}`);
    const item = page.getByTestId('agenda-item').filter({ hasText: DEMO_ITEM });
    await item.getByTestId('ask-in-writing').waitFor();
    expect(await smallTargets(page)).toEqual([]);
    await item.getByRole('link', { name: `Xin ý kiến bằng văn bản: ${DEMO_ITEM}` }).click();
    const form = page.getByRole('form', { name: 'Tạo phiếu xin ý kiến' });
    await form.getByTestId('item-picker').waitFor();
    expect(await form.getByRole('radio', { name: 'Lấy từ nội dung phiên họp' }).isChecked()).toBe(true);
    await until('the title offered', async () => (await form.getByLabel('Tên cuộc họp').inputValue()) === `Xin ý kiến về ${DEMO_ITEM}`);
    const chosen = form.getByTestId('item-choice').filter({ hasText: DEMO_ITEM });
    expect(await chosen.getByRole('radio').isChecked()).toBe(true);
    await waitText(chosen.getByTestId('item-docs'), '1 tài liệu');
    await waitText(form.getByTestId('from-item-summary'), `Phiếu xin ý kiến sẽ kèm bản sao 1 tài liệu của nội dung này và câu hỏi “${DEMO_ITEM}”.`);
    expect(await form.getByLabel('Mô tả').inputValue()).toContain(`Theo nội dung 2 “${DEMO_ITEM}”`);
    expect(await smallTargets(page)).toEqual([]);
    await shot(page, 'vi-written-from-item');
    await page.getByRole('button', { name: 'EN' }).click();
    // The form's name is English now: found by its summary.
    await waitText(page.getByTestId('from-item-summary'), 'The consultation will carry copies of this item’s 1 document');
    await shot(page, 'en-written-from-item');
    await page.getByRole('button', { name: 'VI' }).click();
    await form.getByRole('button', { name: 'Tạo và tiếp tục' }).click();
    await waitText(page.getByTestId('meeting-title'), `Xin ý kiến về ${DEMO_ITEM}`);
    expect(new URL(page.url()).search).toBe('?tab=console');
    await waitText(page.locator('.documents-editor [data-testid="doc-edit"]'), DEMO_ITEM);
    const questions = page.getByTestId('question-row');
    await waitText(questions, DEMO_ITEM);
    expect(await questions.count()).toBe(1);
    // A draft question (poll.state.draft), opened when the consultation is sent.
    await waitText(questions, 'Chưa bắt đầu');
  });

  it('from the list: a session picked, one of its items with two documents, an extra question', async () => {
    const made = await sessionWithItem();
    const page = secretary.page;
    await page.getByRole('link', { name: 'Xin ý kiến', exact: true }).click();
    await page.getByRole('link', { name: 'Tạo phiếu xin ý kiến' }).click();
    const form = page.getByRole('form', { name: 'Tạo phiếu xin ý kiến' });
    await form.getByRole('radio', { name: 'Lấy từ nội dung phiên họp' }).check();
    const sessions = form.locator('select[name="from_meeting"]');
    await sessions.locator(`option[value="${made.meeting}"]`).waitFor({ state: 'attached' });
    // The most recent session first: the one just made starts tomorrow.
    expect(await sessions.locator('option').nth(1).getAttribute('value')).toBe(made.meeting);
    await sessions.selectOption(made.meeting);
    const choice = form.getByTestId('item-choice').filter({ hasText: ITEM });
    await waitText(choice.getByTestId('item-docs'), '2 tài liệu');
    await choice.getByRole('radio').check();
    await until('the title offered', async () => (await form.getByLabel('Tên cuộc họp').inputValue()) === `Xin ý kiến về ${ITEM}`);
    await form.getByLabel('Câu hỏi 2').fill(EXTRA);
    await form.getByRole('button', { name: 'Tạo và tiếp tục' }).click();
    await waitText(page.getByTestId('meeting-title'), `Xin ý kiến về ${ITEM}`);
    const docs = page.locator('.documents-editor [data-testid="doc-edit"]');
    await waitText(docs.nth(1), 'Dự thảo nghị quyết');
    expect(await docs.allInnerTexts()).toEqual([expect.stringContaining('Tờ trình đề án'), expect.stringContaining('Dự thảo nghị quyết')]);
    const questions = page.getByTestId('question-row');
    await waitText(questions.nth(1), EXTRA);
    expect(await questions.allInnerTexts()).toEqual([expect.stringContaining(ITEM), expect.stringContaining(EXTRA)]);
    // The copies are the same bytes: the server reports the same digests.
    const id = new URL(page.url()).pathname.split('/').pop()!;
    const [copy, source] = await Promise.all([api.call('GET', `/meetings/${id}`), api.call('GET', `/meetings/${made.meeting}`)]);
    expect(copy.body.documents.map((d: any) => d.sha256).sort()).toEqual(source.body.documents.map((d: any) => d.sha256).sort());
    expect(copy.body.documents.every((d: any) => d.agenda_item_id === null)).toBe(true);
    // The refusal the form words with `err.invalid_agenda_item`: an item that is not a session's.
    const refused = await api.call('POST', '/meetings', {
      title: 'Không tạo được',
      starts_at: new Date().toISOString(),
      kind: 'written',
      deadline: new Date(Date.now() + 86_400_000).toISOString(),
      from_agenda_item: 'not-an-item',
    });
    expect([refused.status, refused.body.code]).toEqual([422, 'invalid_agenda_item']);
  });

  it('on a phone, the agenda’s link sits under its item, a full touch target', async () => {
    const phone = await signIn(env.browser, env.server.base, 'thuky', { width: 390, height: 844 });
    const list = await api.call('GET', '/meetings');
    const demo = list.body.meetings.find((m: any) => m.title.startsWith(DEMO));
    await phone.page.goto(`/meetings/${demo.id}`);
    const item = phone.page.getByTestId('agenda-item').filter({ hasText: DEMO_ITEM });
    const link = item.getByTestId('ask-in-writing');
    await link.waitFor();
    expect(await smallTargets(phone.page)).toEqual([]);
    const [a, b] = await Promise.all([item.locator('.agenda-title').boundingBox(), link.boundingBox()]);
    expect(b!.y).toBeGreaterThanOrEqual(a!.y + a!.height);
    await phone.context.close();
  });

  it('a member sees no link on the agenda', async () => {
    const member = await signIn(env.browser, env.server.base, 'uyvien1');
    const list = await apiAs(env.server.base, 'uyvien1').call('GET', '/meetings');
    const demo = list.body.meetings.find((m: any) => m.title.startsWith(DEMO));
    await member.page.goto(`/meetings/${demo.id}`);
    await member.page.getByTestId('agenda-item').first().waitFor();
    expect(await member.page.getByTestId('ask-in-writing').count()).toBe(0);
    await member.context.close();
  });

  it('nothing left the loopback, nothing broke the page policy', () => {
    expect(outsideRequests).toEqual([]);
    expect(cspViolations).toEqual([]);
  });
});
