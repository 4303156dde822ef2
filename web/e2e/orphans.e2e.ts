// Annotations whose page a new version of the document no longer has (docs/annotations.md,
// "Versions"), in a real browser against the real server: the secretary uploads a 3-page PDF,
// two members annotate page 3 (one private ink, one shared note), the secretary replaces the
// content with a 1-page PDF; the reader lists both apart with their kind, old page and author,
// and the author moves their own onto page 1 (PATCH), where it is drawn. Every wait is bounded.
import { describe, expect, it } from 'vitest';
import { signIn, smallTargets, until, useServerAndBrowser, waitText } from './harness';
import { makePdf } from './pdf';

const DEMO = 'Phiên họp thường kỳ tháng 11/2026 — UBND xã Cam Thủy';
const TITLE = 'Tờ trình có trang bị bỏ';
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

async function api(tok: string, method: string, path: string, body?: unknown, type = 'application/json') {
  const r = await fetch(`${env.server.base}/api/v1${path}`, {
    method,
    headers: { Authorization: `Bearer ${tok}`, ...(body !== undefined ? { 'Content-Type': type } : {}) },
    body: body === undefined ? undefined : type === 'application/json' ? JSON.stringify(body) : new Uint8Array(body as Buffer),
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}

describe('annotations without a page', () => {
  it('are listed in the reader after a new version drops their page, and their author moves one back', async () => {
    const sec = await token('thuky');
    const u1 = await token('uyvien1');
    const u2 = await token('uyvien2');
    const meetings = await api(sec, 'GET', '/meetings');
    const meetingId = meetings.body.meetings.find((m: any) => m.title === DEMO).id;
    const up = await api(sec, 'POST', `/meetings/${meetingId}/documents?${new URLSearchParams({ title: TITLE })}`, makePdf(3, 'Three'), 'application/pdf');
    expect(up.status).toBe(201);
    const docId: string = up.body.id;

    const ink = { page: 3, kind: 'ink', data: { strokes: [{ points: [[0.2, 0.3], [0.6, 0.35]], color: '#d01010', width: 0.003 }] } };
    const mine = await api(u1, 'POST', `/documents/${docId}/annotations`, ink);
    expect(mine.status).toBe(201);
    const note = { page: 3, kind: 'note', shared: true, data: { x: 0.5, y: 0.5, text: 'Trang 3 cần xem lại' } };
    expect((await api(u2, 'POST', `/documents/${docId}/annotations`, note)).status).toBe(201);

    const put = await api(sec, 'PUT', `/documents/${docId}/content`, makePdf(1, 'One'), 'application/pdf');
    expect(put.status).toBe(200);
    expect(put.body.version).toBe(2);
    const after = await api(u1, 'GET', `/documents/${docId}/annotations`);
    expect(after.body.annotations.map((a: any) => [a.kind, a.page, a.orphaned])).toEqual([
      ['ink', 3, true],
      ['note', 3, true],
    ]);

    const m = await signIn(env.browser, env.server.base, 'uyvien1');
    const page = m.page;
    await page.getByRole('link', { name: new RegExp(DEMO) }).first().click();
    await waitText(page.getByTestId('meeting-title'), DEMO);
    await page.getByRole('button', { name: `Mở tài liệu: ${TITLE}`, exact: true }).click();
    await page.locator('[data-testid="reader-canvas"][data-rendered-page="1"]').waitFor({ timeout: 15_000 });
    // Neither is drawn on the page that exists.
    expect(await page.locator('[data-testid="ann-ink"]').count()).toBe(0);

    const toggle = page.getByTestId('ann-orphans-toggle');
    await waitText(toggle, /Ghi chú không còn trang\s*2/);
    await toggle.click();
    const rows = page.getByTestId('ann-orphan');
    await until('two orphans listed', async () => (await rows.count()) === 2);
    const inkRow = page.locator('[data-testid="ann-orphan"][data-kind="ink"]');
    const noteRow = page.locator('[data-testid="ann-orphan"][data-kind="note"]');
    expect(await inkRow.innerText()).toMatch(/Nét bút · trước ở trang 3 · Bạn/);
    const noteText = await noteRow.innerText();
    expect(noteText).toMatch(/Ghi chú · trước ở trang 3 · Hoàng Thị Lan/);
    expect(noteText).toContain('Trang 3 cần xem lại');
    // Only the author may move or delete: none of that on the other member's note.
    expect(await noteRow.getByRole('button').count()).toBe(0);
    expect(await inkRow.getByRole('button', { name: 'Xóa ghi chú' }).count()).toBe(1);
    expect(await smallTargets(page)).toEqual([]);

    // Move the own ink onto page 1 (the only page): the server clears the flag.
    expect(await inkRow.getByLabel('Chuyển sang trang').inputValue()).toBe('1');
    await inkRow.getByRole('button', { name: 'Chuyển', exact: true }).click();
    await until('the ink on page 1', async () => (await page.locator('[data-testid="ann-ink"]').count()) === 1);
    await waitText(toggle, /Ghi chú không còn trang\s*1/);
    await until('the move stored', async () => {
      const list = (await api(u1, 'GET', `/documents/${docId}/annotations`)).body.annotations;
      const moved = list.find((a: any) => a.id === mine.body.id);
      return moved?.page === 1 && moved.orphaned === false;
    });
    await m.context.close();
  });
});
