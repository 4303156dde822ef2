// Annotations (ghi chú) in real browsers against the real server and the demo meeting: a member
// draws a shared stroke with pointer events and another member's tablet shows it being drawn
// and then stored, while a private stroke stays on its author's tablet; a stylus stroke keeps
// its pressure; a member annotates offline (ink and a sticky note), reloads while the server
// is unreachable, and everything reaches the server once when the connection returns; undo
// and the eraser delete on the server; an observer gets no share toggle. Every wait is bounded.
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { cspViolations, outsideRequests, shot, signIn, smallTargets, until, useServerAndBrowser, waitText, type Tablet } from './harness';

const DEMO = 'Phiên họp thường kỳ tháng 11/2026 — UBND xã Cam Thủy';
const ITEM1 = 'Báo cáo tình hình kinh tế – xã hội tháng 11, phương hướng nhiệm vụ tháng 12';

const env = useServerAndBrowser();
let m1: Tablet; // uyvien1
let m2: Tablet; // uyvien2
let meetingPath = '';
let docId = '';
const tokens: Record<string, string> = {};

interface Ann {
  id: string;
  kind: string;
  shared: boolean;
  user_id: string;
  page: number;
  data: any;
}

/** The document's annotations as `username` sees them, straight from the API. */
async function listed(username: string): Promise<Ann[]> {
  if (!tokens[username]) {
    const r = await fetch(`${env.server.base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username, password: 'demo1234' }),
    });
    tokens[username] = (await r.json()).access_token;
  }
  const r = await fetch(`${env.server.base}/api/v1/documents/${docId}/annotations`, { headers: { Authorization: `Bearer ${tokens[username]}` } });
  if (r.status === 401) {
    delete tokens[username];
    return listed(username);
  }
  expect(r.status).toBe(200);
  return (await r.json()).annotations;
}

async function openReader(t: Tablet) {
  if (meetingPath) await t.page.goto(meetingPath);
  else {
    await t.page.getByRole('link', { name: new RegExp(DEMO) }).first().click();
    meetingPath = new URL(t.page.url()).pathname;
  }
  await waitText(t.page.getByTestId('meeting-title'), DEMO);
  await t.page.getByRole('button', { name: `Mở tài liệu: ${ITEM1}` }).click();
  await t.page.locator('[data-testid="reader-canvas"][data-rendered-page="1"]').waitFor({ timeout: 15_000 });
  const layer = t.page.getByTestId('ann-layer');
  await layer.waitFor();
  docId = (await layer.getAttribute('data-doc')) ?? '';
  expect(docId).not.toBe('');
}

async function tool(page: Page, name: string) {
  await page.getByTestId('ann-bar').getByRole('button', { name, exact: true }).click();
}

/**
 * A point at page fractions (x, y) in the viewport; the reader's stage is scrolled first so
 * that height `y` of the page is in the middle of the screen (a page at fit-width is taller
 * than the screen).
 */
async function at(page: Page, x: number, y: number) {
  await page.getByTestId('ann-layer').evaluate((el, y) => {
    const stage = el.closest('.reader-stage') as HTMLElement;
    const b = el.getBoundingClientRect();
    const s = stage.getBoundingClientRect();
    stage.scrollTop += b.top + y * b.height - (s.top + s.height / 2);
  }, y);
  const b = (await page.getByTestId('ann-layer').boundingBox())!;
  return { x: b.x + x * b.width, y: b.y + y * b.height };
}

/** Draws with the mouse (pointer events) from (x0, y0) to (x1, y1) in `steps` moves. */
async function draw(page: Page, x0: number, y0: number, x1: number, y1: number, steps = 12, between?: () => Promise<void>) {
  await at(page, (x0 + x1) / 2, (y0 + y1) / 2);
  const b = (await page.getByTestId('ann-layer').boundingBox())!;
  const pt = (x: number, y: number) => ({ x: b.x + x * b.width, y: b.y + y * b.height });
  const a = pt(x0, y0);
  const c = pt(x1, y1);
  await page.mouse.move(a.x, a.y);
  await page.mouse.down();
  for (let i = 1; i <= steps; i++) {
    await page.mouse.move(a.x + ((c.x - a.x) * i) / steps, a.y + ((c.y - a.y) * i) / steps);
    if (i === Math.floor(steps / 2) && between) await between();
  }
  await page.mouse.up();
}

const inks = (page: Page) => page.locator('[data-testid="ann-ink"]');

describe('annotations', () => {
  it('a shared stroke appears on another member’s tablet while drawn and once stored; a private one does not', async () => {
    m1 = await signIn(env.browser, env.server.base, 'uyvien1');
    m2 = await signIn(env.browser, env.server.base, 'uyvien2');
    if (process.env.DEBUG_ANN) {
      m1.page.on('console', (m) => console.log('[m1 console]', m.text()));
      m1.page.on('response', async (r) => r.url().includes('annotations') && console.log('[m1]', r.request().method(), r.url(), r.status(), r.request().postData()?.slice(0, 300)));
      m1.page.on('websocket', (ws) => ws.on('framesent', (f) => String(f.payload).includes('stroke') && console.log('[m1 ws]', String(f.payload).slice(0, 200))));
    }
    await openReader(m1);
    await openReader(m2);
    expect(await listed('uyvien1')).toEqual([]);
    const p1 = m1.page;
    await tool(p1, 'Bút');
    await p1.getByRole('switch', { name: 'Chia sẻ với cuộc họp' }).click();
    // Hold the stroke half-way until the other tablet shows it in progress.
    await draw(p1, 0.2, 0.3, 0.7, 0.35, 16, () =>
      until('the stroke in progress on the other tablet', async () => (await m2.page.getByTestId('live-stroke').count()) > 0, 8000),
    );
    await until('the stored stroke on the other tablet', async () => (await m2.page.locator('[data-testid="ann-ink"][data-shared="true"]').count()) === 1, 8000);
    await until('the in-progress stroke gone', async () => (await m2.page.getByTestId('live-stroke').count()) === 0, 10_000);
    const first = await listed('uyvien2');
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({ kind: 'ink', shared: true, page: 1 });
    expect(first[0].data.strokes[0].points.length).toBeGreaterThan(3);

    // A private stroke: stored, seen by its author only.
    await p1.getByRole('switch', { name: 'Chia sẻ với cuộc họp' }).click();
    await draw(p1, 0.2, 0.5, 0.6, 0.55);
    await expect.poll(async () => (await listed('uyvien1')).length, { timeout: 8000 }).toBe(2);
    expect((await listed('uyvien1')).filter((a) => !a.shared)).toHaveLength(1);
    // Then another shared one: once the other tablet has it, it would have had the private one too.
    await p1.getByRole('switch', { name: 'Chia sẻ với cuộc họp' }).click();
    await draw(p1, 0.2, 0.7, 0.6, 0.75);
    await until('the second shared stroke on the other tablet', async () => (await inks(m2.page).count()) === 2, 8000);
    expect(await m2.page.locator('[data-testid="ann-ink"][data-shared="false"]').count()).toBe(0);
    expect(await listed('uyvien2')).toHaveLength(2);
    expect(await inks(p1).count()).toBe(3);
    await p1.getByRole('switch', { name: 'Chia sẻ với cuộc họp' }).click();
  });

  it('unsharing an annotation removes it from the other tablet; sharing brings it back', async () => {
    const p1 = m1.page;
    await tool(p1, 'Chọn');
    const pt = await at(p1, 0.45, 0.725);
    await p1.mouse.click(pt.x, pt.y);
    const panel = p1.getByTestId('ann-panel');
    await waitText(panel, 'Chia sẻ');
    await panel.getByRole('switch', { name: 'Chia sẻ với cuộc họp' }).click();
    await until('unshared on the other tablet', async () => (await inks(m2.page).count()) === 1, 8000);
    await panel.getByRole('switch', { name: 'Chia sẻ với cuộc họp' }).click();
    await until('shared again on the other tablet', async () => (await inks(m2.page).count()) === 2, 8000);
    await panel.getByRole('button', { name: 'Đóng' }).click();
  });

  it('a private stroke reaches its author’s other tablet; a shared note collects replies live', async () => {
    const m1b = await signIn(env.browser, env.server.base, 'uyvien1');
    await openReader(m1b);
    const p1 = m1.page;
    const mine = await inks(p1).count();
    await until('the other tablet lists the same', async () => (await inks(m1b.page).count()) === mine, 8000);
    await tool(p1, 'Bút');
    await draw(p1, 0.6, 0.15, 0.9, 0.18);
    await until('the private stroke on its author’s other tablet', async () => (await inks(m1b.page).count()) === mine + 1, 8000);
    await m1b.context.close();

    await p1.getByTestId('ann-share-new').click();
    await tool(p1, 'Ghi chú');
    const spot = await at(p1, 0.1, 0.4);
    await p1.mouse.click(spot.x, spot.y);
    await p1.getByTestId('note-editor').getByLabel('Nội dung ghi chú').fill('Đề nghị bổ sung số liệu so sánh cùng kỳ');
    await waitText(p1.getByTestId('note-editor'), 'Ghi chú sẽ được chia sẻ với cuộc họp.');
    await p1.getByTestId('note-editor').getByRole('button', { name: 'Lưu ghi chú' }).click();
    await p1.getByTestId('ann-share-new').click();
    const p2 = m2.page;
    await until('the shared note on member 2’s tablet', async () => (await p2.getByTestId('note-pin').count()) === 1, 8000);
    await tool(p2, 'Chọn');
    await at(p2, 0.1, 0.4);
    await p2.getByRole('button', { name: /bổ sung số liệu/ }).click();
    const panel2 = p2.getByTestId('ann-panel');
    await waitText(panel2, 'Đề nghị bổ sung số liệu so sánh cùng kỳ');
    expect(await panel2.getByTestId('ann-share').count()).toBe(0); // not theirs
    await panel2.getByLabel('Trả lời').fill('Nhất trí, đề nghị văn phòng bổ sung.');
    await panel2.getByRole('button', { name: 'Gửi trả lời' }).click();
    await waitText(panel2, 'Trả lời (1)');
    await tool(p1, 'Chọn');
    await at(p1, 0.1, 0.4);
    await p1.getByRole('button', { name: /bổ sung số liệu/ }).click();
    await waitText(p1.getByTestId('ann-panel'), 'Nhất trí, đề nghị văn phòng bổ sung.');
    await p1.getByTestId('ann-panel').getByRole('button', { name: 'Đóng' }).click();
    await panel2.getByRole('button', { name: 'Đóng' }).click();
  });

  it('keeps a stylus’s pressure as the third value of each point', async () => {
    const p1 = m1.page;
    await tool(p1, 'Bút');
    const before = (await listed('uyvien1')).length;
    const a = await at(p1, 0.3, 0.85);
    await p1.getByTestId('ann-layer').evaluate((el, a) => {
      const ev = (type: string, i: number) =>
        new PointerEvent(type, { bubbles: true, cancelable: true, pointerId: 7, pointerType: 'pen', isPrimary: true, clientX: a.x + i * 8, clientY: a.y + i, pressure: 0.2 + i * 0.05, buttons: type === 'pointerup' ? 0 : 1 });
      el.dispatchEvent(ev('pointerdown', 0));
      for (let i = 1; i <= 10; i++) el.dispatchEvent(ev('pointermove', i));
      el.dispatchEvent(ev('pointerup', 10));
    }, a);
    await expect.poll(async () => (await listed('uyvien1')).length, { timeout: 8000 }).toBe(before + 1);
    const pen = (await listed('uyvien1')).at(-1)!;
    const pts: number[][] = pen.data.strokes[0].points;
    expect(pts.every((p) => p.length === 3)).toBe(true);
    expect(pts[0][2]).toBeCloseTo(0.2, 2);
    expect(pts.at(-1)![2]).toBeGreaterThan(0.6);
  });

  it('undo and the eraser delete on the server', async () => {
    const p1 = m1.page;
    const before = (await listed('uyvien1')).map((a) => a.id);
    await tool(p1, 'Bút');
    await draw(p1, 0.1, 0.15, 0.5, 0.15);
    await expect.poll(async () => (await listed('uyvien1')).length, { timeout: 8000 }).toBe(before.length + 1);
    await p1.getByTestId('ann-undo').click();
    await expect.poll(async () => (await listed('uyvien1')).map((a) => a.id).sort(), { timeout: 8000 }).toEqual([...before].sort());

    // The eraser takes the private stroke at y = 0.52.
    const priv = (await listed('uyvien1')).find((a) => !a.shared && a.kind === 'ink' && a.data.strokes[0].points[0][1] > 0.45 && a.data.strokes[0].points[0][1] < 0.6)!;
    expect(priv).toBeTruthy();
    await tool(p1, 'Tẩy');
    await draw(p1, 0.4, 0.45, 0.4, 0.6, 8);
    await expect.poll(async () => (await listed('uyvien1')).some((a) => a.id === priv.id), { timeout: 8000 }).toBe(false);
    // Undo brings the erased stroke back, under the same id.
    await p1.getByTestId('ann-undo').click();
    await expect.poll(async () => (await listed('uyvien1')).some((a) => a.id === priv.id), { timeout: 8000 }).toBe(true);
    await tool(p1, 'Chọn');
  });

  it('a member annotates offline; after a reload the ink and the note reach the server once', async () => {
    const p1 = m1.page;
    const before = await listed('uyvien1');
    const pins = await p1.getByTestId('note-pin').count();
    await m1.context.setOffline(true);
    await tool(p1, 'Bút');
    await draw(p1, 0.15, 0.9, 0.55, 0.92);
    await tool(p1, 'Ghi chú');
    const spot = await at(p1, 0.8, 0.2);
    await p1.mouse.click(spot.x, spot.y);
    const editor = p1.getByTestId('note-editor');
    await editor.getByLabel('Nội dung ghi chú').fill('Đề nghị làm rõ số liệu thu ngân sách (ghi khi mất kết nối)');
    await editor.getByRole('button', { name: 'Lưu ghi chú' }).click();
    await waitText(p1.getByTestId('ann-queued'), '2 ghi chú đã lưu trên thiết bị, sẽ đồng bộ');
    expect(await p1.getByTestId('note-pin').count()).toBe(pins + 1);
    expect((await listed('uyvien1')).length).toBe(before.length);

    // The server stays unreachable while the tablet comes back and reloads the page.
    await m1.context.route('**/api/v1/**', (r) => r.abort('internetdisconnected'));
    await m1.context.setOffline(false);
    await p1.reload();
    await p1.getByRole('alert').first().waitFor();
    expect((await listed('uyvien1')).length).toBe(before.length);

    // Reachable again: reloaded, the app sends what waited.
    await m1.context.unroute('**/api/v1/**');
    await p1.reload();
    await expect.poll(async () => (await listed('uyvien1')).length, { timeout: 15_000 }).toBe(before.length + 2);
    const after = await listed('uyvien1');
    const fresh = after.filter((a) => !before.some((b) => b.id === a.id));
    expect(fresh.map((a) => a.kind).sort()).toEqual(['ink', 'note']);
    expect(fresh.find((a) => a.kind === 'note')!.data.text).toContain('ghi khi mất kết nối');
    expect(fresh.every((a) => !a.shared)).toBe(true);
    // Stored once: no duplicate ids, nothing else new after another round.
    expect(new Set(after.map((a) => a.id)).size).toBe(after.length);
    await waitText(p1.getByTestId('meeting-title'), DEMO);
    await p1.getByRole('button', { name: `Mở tài liệu: ${ITEM1}` }).click();
    await until('the offline note shown', async () => (await p1.getByTestId('note-pin').count()) === pins + 1, 10_000);
    expect(await p1.getByTestId('ann-queued').count()).toBe(0);
    expect((await listed('uyvien1')).length).toBe(before.length + 2);
  });

  it('screens: the reader with annotations (vi, en), touch targets', async () => {
    const p1 = m1.page;
    // A shared highlight and a shared note for the pictures.
    await p1.getByRole('switch', { name: 'Chia sẻ với cuộc họp' }).click();
    await tool(p1, 'Bút đánh dấu');
    await draw(p1, 0.1, 0.07, 0.9, 0.1, 6);
    await until('the highlight', async () => (await p1.locator('.ann-highlight').count()) === 1, 5000);
    await tool(p1, 'Chọn');
    await at(p1, 0.8, 0.2);
    await p1.getByRole('button', { name: /ghi khi mất kết nối/ }).click();
    await p1.getByTestId('ann-panel').waitFor();
    expect(await p1.getByTestId('ann-panel').getByLabel('Nội dung ghi chú').inputValue()).toContain('ghi khi mất kết nối');
    await at(p1, 0.5, 0.42);
    await shot(p1, 'vi-reader-annotations');
    expect(await smallTargets(p1)).toEqual([]);
    await p1.getByTestId('ann-panel').getByRole('button', { name: 'Đóng' }).click();
    await p1.getByRole('button', { name: /Đóng/ }).first().click();
    await p1.getByRole('button', { name: 'EN' }).click();
    await p1.getByRole('button', { name: `Open document: ${ITEM1}` }).click();
    await p1.locator('[data-testid="reader-canvas"][data-rendered-page="1"]').waitFor({ timeout: 15_000 });
    await tool(p1, 'Pen');
    await p1.getByTestId('ann-bar').getByRole('radio', { name: 'Blue' }).click();
    await until('annotations drawn', async () => (await inks(p1).count()) >= 3, 5000);
    // Undo outlives closing the reader: the last change of this session (the highlight) is undoable.
    expect(await p1.getByTestId('ann-undo').isEnabled()).toBe(true);
    await at(p1, 0.5, 0.42);
    await shot(p1, 'en-reader-annotations');
    await p1.getByRole('button', { name: /Close/ }).first().click();
    await p1.getByRole('button', { name: 'VI', exact: true }).click();
  });

  it('an observer annotates privately only: no share toggle', async () => {
    const guest = await signIn(env.browser, env.server.base, 'khachmoi');
    await openReader(guest);
    await guest.page.getByTestId('ann-bar').waitFor();
    expect(await guest.page.getByTestId('ann-share-new').count()).toBe(0);
    // They see the members' shared strokes, not the private ones.
    await until('shared strokes on the observer’s tablet', async () => (await inks(guest.page).count()) === 2, 8000);
    await tool(guest.page, 'Bút');
    await draw(guest.page, 0.2, 0.6, 0.4, 0.62);
    await expect.poll(async () => (await listed('khachmoi')).some((a) => !a.shared), { timeout: 8000 }).toBe(true);
    await guest.context.close();
  });

  it('loaded nothing from outside the loopback interface, and the CSP refused nothing', () => {
    expect(outsideRequests).toEqual([]);
    expect(cspViolations).toEqual([]);
  });
});
