// The record of a meeting held in writing, its báo cáo tổng hợp ý kiến, in real browsers against
// the real server. The scene is set through the API: a consultation with silence counted as
// agreeing, sent to the chair and three members, two of whom answer (one "Ý kiến khác" with a
// comment). While answers come in, the meeting's secretary sees the summary panel with the
// number it will take and cannot finalise yet; members see nothing of it. The chair closes the
// consultation; the secretary writes the closing words, previews the summary in the reader
// (marked DỰ THẢO, the silent deemed to agree) and finalises it under the number the
// confirmation named. Every tablet then lists the one final document; a member opens it in the
// reader, and its text holds the number, each answer, "Coi như đồng ý" for the silent, the
// comment and the closing words. The chair signs first (no secretary's block to wait for); the
// secretary only seals, after the chair. Screenshots of the panel and the document in vi and en
// with SCREENSHOTS=1. Every wait is bounded.
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { apiAs, type Api } from './api';
import { pdfText, squash } from './pdf';
import { cspViolations, inkOnPage, outsideRequests, shot, shotOf, signIn, smallTargets, until, useServerAndBrowser, waitText, type Tablet } from './harness';

const TITLE = 'Xin ý kiến về Kế hoạch số 45/KH-UBND';
const QUESTION = 'Thông qua Kế hoạch số 45/KH-UBND tổ chức Tết Nguyên đán năm 2027';
const COMMENT = 'Đề nghị bổ sung kinh phí thăm hỏi các gia đình chính sách.';
const CLOSING = 'Văn phòng UBND xã hoàn thiện kế hoạch, trình Chủ tịch ký ban hành.';

const env = useServerAndBrowser();
let secretary: Tablet; // thuky: the meeting's secretary
let chair: Tablet; // chutich
let member: Tablet; // uyvien3, silent: deemed to agree
let meetingPath = '';
let number = '';

const panel = (p: Page) => p.getByTestId('minutes-panel');

async function open(t: Tablet) {
  await t.page.goto(meetingPath);
  await waitText(t.page.getByTestId('meeting-title'), TITLE);
}

/** Switches the tablet's language (the header's VI / EN). */
async function language(p: Page, to: 'VI' | 'EN') {
  await p.getByRole('button', { name: to, exact: true }).click();
}

describe('the summary of a meeting held in writing', () => {
  it('while answers come in, the secretary sees the number it will take; finalising waits; members see nothing', async () => {
    const sec: Api = apiAs(env.server.base, 'thuky');
    const users = (await sec.call('GET', '/users')).body.users as { id: string; username: string }[];
    const id = (name: string) => users.find((u) => u.username === name)!.id;
    const now = Date.now();
    const created = await sec.call('POST', '/meetings', {
      title: TITLE,
      kind: 'written',
      starts_at: new Date(now - 60_000).toISOString(),
      deadline: new Date(now + 3600_000).toISOString(),
      silence: 'agree',
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const m = created.body.id as string;
    meetingPath = `/meetings/${encodeURIComponent(m)}`;
    for (const [who, role] of [
      ['chutich', 'chair'],
      ['thuky', 'secretary'],
      ['uyvien1', 'member'],
      ['uyvien2', 'member'],
      ['uyvien3', 'member'],
    ])
      expect((await sec.call('POST', `/meetings/${m}/participants`, { user_id: id(who), role })).status, who).toBe(201);
    const poll = await sec.call('POST', `/meetings/${m}/polls`, { title: QUESTION });
    expect(poll.status).toBe(201);
    expect((await sec.call('POST', `/meetings/${m}/state`, { state: 'scheduled' })).status).toBe(200);
    const answer = async (who: string, body: unknown) => expect((await apiAs(env.server.base, who).call('POST', `/polls/${poll.body.id}/ballots`, body)).status, who).toBe(201);
    await answer('uyvien1', { choice: 'agree' });
    await answer('uyvien2', { choice: 'other', comment: COMMENT });

    [secretary, chair, member] = await Promise.all(['thuky', 'chutich', 'uyvien3'].map((u) => signIn(env.browser, env.server.base, u)));
    await open(secretary);
    const sp = secretary.page;
    await waitText(panel(sp).locator('h2'), 'Báo cáo tổng hợp ý kiến');
    number = (await waitText(panel(sp).getByTestId('minutes-next-number'), /Sẽ được cấp số: \S+\/BC-\S+/)).replace('Sẽ được cấp số: ', '').trim();
    expect(await panel(sp).getByTestId('minutes-finalize').isDisabled()).toBe(true);
    await waitText(panel(sp), 'Hoàn thành báo cáo được sau khi kết thúc lấy ý kiến.');
    // No agenda: the opening and closing words only.
    expect(await panel(sp).getByRole('textbox').count()).toBe(2);

    await open(member);
    await waitText(member.page.getByTestId('question'), QUESTION);
    expect(await panel(member.page).count()).toBe(0);
  });

  it('the chair closes it; the secretary writes the closing words, previews the draft and finalises it', async () => {
    await open(chair);
    await chair.page.getByRole('button', { name: 'Kết thúc lấy ý kiến' }).click();
    await chair.page.getByRole('group', { name: /Kết thúc lấy ý kiến ngay/ }).getByRole('button', { name: 'Đồng ý' }).click();
    const sp = secretary.page;
    await waitText(sp.getByTestId('written-state'), 'Đã kết thúc', 15_000);
    await until('finalising allowed', async () => !(await panel(sp).getByTestId('minutes-finalize').isDisabled()));

    await panel(sp).getByRole('textbox', { name: 'Phần kết thúc', exact: true }).fill(CLOSING);
    await waitText(panel(sp).getByTestId('minutes-save'), 'Đã lưu');
    await panel(sp).getByTestId('minutes-preview').click();
    const reader = sp.getByTestId('reader');
    await reader.waitFor();
    await waitText(reader.locator('.reader-title'), 'Báo cáo tổng hợp ý kiến (bản xem trước)');
    expect(await inkOnPage(sp, 1)).toBeGreaterThan(50);
    await sp.keyboard.press('Escape');
    await reader.waitFor({ state: 'detached' });
    // What the reader showed: the draft, marked so, the silent deemed to agree.
    const draft = await apiAs(env.server.base, 'thuky').bytes(`${meetingPath}/minutes/preview.pdf`);
    expect(draft.status).toBe(200);
    const draftText = squash(await pdfText(draft.bytes));
    for (const want of ['DỰ THẢO', 'Coi như đồng ý', COMMENT]) expect(draftText, want).toContain(squash(want));

    // The panel before finalising, in both languages.
    await sp.evaluate(() => {
      (document.querySelector('.topbar') as HTMLElement).style.position = 'static';
      (document.activeElement as HTMLElement | null)?.blur();
    });
    expect(await smallTargets(sp)).toEqual([]);
    await shotOf(panel(sp), 'vi-written-summary-panel');
    await language(sp, 'EN');
    await waitText(panel(sp).locator('h2'), 'Summary of answers');
    await waitText(panel(sp).getByTestId('minutes-next-number'), `Will be numbered ${number}`);
    await shotOf(panel(sp), 'en-written-summary-panel');
    await language(sp, 'VI');

    await panel(sp).getByTestId('minutes-finalize').click();
    const confirm = panel(sp).getByTestId('minutes-confirm');
    await waitText(confirm, `Báo cáo tổng hợp ý kiến sẽ được cấp số ${number} và`);
    await confirm.getByRole('button', { name: 'Hoàn thành báo cáo' }).click();
    await waitText(panel(sp).getByTestId('minutes-number'), `Số: ${number}`, 15_000);
    await waitText(panel(sp), `Đã hoàn thành báo cáo tổng hợp ý kiến số ${number}.`);
    expect(await panel(sp).getByRole('textbox').count()).toBe(0);
  });

  it('every tablet lists the one final summary; a member opens it and it holds each answer, the deemed ones too', async () => {
    for (const p of [secretary.page, chair.page, member.page])
      await until('the final summary listed', async () => (await panel(p).getByTestId('record-docs').getByTestId('doc').count()) === 1, 15_000);
    const mp = member.page;
    const item = panel(mp).getByTestId('record-docs').getByTestId('doc');
    await waitText(item, `Báo cáo tổng hợp ý kiến ${number}`);
    // The record has its own place: not in the dossier.
    expect(await mp.locator('.panel.agenda').getByText('Báo cáo tổng hợp ý kiến').count()).toBe(0);

    await item.locator('.doc-open').click();
    await mp.getByTestId('reader').waitFor();
    expect(await inkOnPage(mp, 1)).toBeGreaterThan(50);
    await shot(mp, 'vi-written-summary');
    await mp.keyboard.press('Escape');
    await mp.getByTestId('reader').waitFor({ state: 'detached' });
    await language(mp, 'EN');
    await waitText(panel(mp).locator('h2'), 'Summary of answers');
    await shotOf(panel(mp), 'en-written-summary');
    await language(mp, 'VI');

    const docId = await item.getAttribute('data-doc');
    const file = await apiAs(env.server.base, 'uyvien3').bytes(`/documents/${docId}/file`);
    expect(file.status).toBe(200);
    const text = squash(await pdfText(file.bytes));
    for (const want of [number, 'BÁO CÁO', 'CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM', QUESTION, 'Phạm Quốc Bảo', 'Võ Minh Tuấn', 'Coi như đồng ý', COMMENT, CLOSING]) expect(text, want).toContain(squash(want));
    expect(text).not.toContain(squash('DỰ THẢO'));
  });

  it('the chair signs first; the secretary has no block to sign, only the seal once the chair has signed', async () => {
    const cp = chair.page;
    const signing = panel(cp).getByTestId('record-signing');
    await signing.getByTestId('sign-open').click();
    const help = signing.getByTestId('sign-help');
    await waitText(help, 'Đã đến lượt bạn ký.');
    await waitText(help, 'Thứ tự ký báo cáo tổng hợp ý kiến: chủ tọa, rồi đóng dấu cơ quan.');
    expect(await help.getByTestId('sign-waiting').count()).toBe(0);

    const sp = secretary.page;
    await waitText(panel(sp).getByTestId('seal-waiting'), 'Chưa đóng dấu được: chủ tọa cần ký số trước.');
    expect(await panel(sp).getByTestId('sign-open').count()).toBe(0);

    for (const t of [secretary, chair, member]) await t.context.close();
    expect(outsideRequests).toEqual([]);
    expect(cspViolations).toEqual([]);
  });
});
