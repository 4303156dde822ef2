// @vitest-environment happy-dom
// The minutes panel as each seat sees it (ui/Minutes.tsx), rendered in happy-dom over the
// editor and the fake server: members see nothing until the record is final, the secretary
// types into the panel and sees the save state, a conflict keeps the user's text in the field
// with the two ways out, the chair writes conclusions in the agenda item, and a final record
// is read only with its number and documents.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { MinutesEditor } from '../src/minutes/editor';
import type { MinutesAccess } from '../src/minutes/model';
import { fromDetail, type MeetingView } from '../src/meeting/state';
import type { MeetingHandle } from '../src/meeting/useMeeting';
import type { MinutesHandle } from '../src/minutes/useMinutes';
import { ItemMinutes, MinutesPanel } from '../src/ui/Minutes';
import type { ReaderHost } from '../src/ui/Documents';
import type { Doc, User } from '../src/types';
import { detail, doc, item, participant } from './fixtures';
import { FakeServer, MemStorage } from './minutes-fake';

const user = (id: string, role: User['role'] = 'member'): User => ({ id, username: id, display_name: id, role });

function meeting(state: 'live' | 'closed', documents: Doc[] = []): MeetingView {
  return fromDetail(
    detail({
      state,
      agenda: [item('a1', 'Báo cáo kinh tế – xã hội'), item('a2', 'Tờ trình dự toán')],
      participants: [participant('chair', 'chair'), participant('sec', 'secretary'), participant('m1', 'member')],
      documents,
    }),
  );
}

const opened: { title: string; path: string; docId: string | null }[] = [];
const host = {
  open: (o: { title: string; path: string; docId: string | null }) => opened.push(o),
  openDoc: (d: Doc) => opened.push({ title: d.title, path: `/documents/${d.id}/file?version=${d.version}`, docId: d.id }),
  openByUser: () => undefined,
} as unknown as ReaderHost;
const h = { catchUp: async () => undefined } as unknown as MeetingHandle;

let server: FakeServer;
let root: HTMLElement;
let editor: MinutesEditor | null;

beforeEach(() => {
  vi.useFakeTimers();
  server = new FakeServer();
  root = document.createElement('div');
  document.body.appendChild(root);
  opened.length = 0;
  editor = null;
});
afterEach(() => {
  render(null, root);
  root.remove();
  editor?.dispose();
  vi.useRealTimers();
});

async function handle(access: MinutesAccess, who: string): Promise<MinutesHandle> {
  if (access === 'none') return { access, editor: null };
  editor = new MinutesEditor('m1', { request: (m, p, b) => server.request(m, p, b), storage: new MemStorage(), user: who });
  await editor.load();
  return { access, editor };
}

/** Renders the panel (it follows the editor by itself). */
async function show(view: MeetingView, who: User, m: MinutesHandle) {
  await act(() => render(<MinutesPanel h={h} view={view} user={who} host={host} m={m} />, root));
}

const textareas = () => [...root.querySelectorAll('textarea')] as HTMLTextAreaElement[];
const byLabel = (label: string) => textareas().find((x) => x.getAttribute('aria-label') === label)!;
async function type(el: HTMLTextAreaElement, text: string) {
  await act(() => {
    el.value = text;
    el.dispatchEvent(new Event('input', { bubbles: true }));
  });
}
const buttons = () => [...root.querySelectorAll('button')].map((b) => b.textContent?.trim());

describe('a member', () => {
  it('sees nothing of the minutes while they are a draft', async () => {
    await show(meeting('live'), user('m1'), await handle('none', 'm1'));
    expect(root.innerHTML).toBe('');
  });

  it('sees the finalised record as documents, biên bản first', async () => {
    const docs = [doc('tb', null, { kind: 'conclusions', title: 'Thông báo kết luận' }), doc('bb', null, { kind: 'minutes', title: 'Biên bản' }), doc('x', null, { title: 'Tài liệu khác' })];
    await show(meeting('closed', docs), user('m1'), await handle('none', 'm1'));
    const titles = [...root.querySelectorAll('.doc-title')].map((e) => e.textContent);
    expect(titles).toEqual(['Biên bản', 'Thông báo kết luận']);
    expect(textareas()).toHaveLength(0);
    (root.querySelector('.doc-open') as HTMLButtonElement).click();
    expect(opened[0].docId).toBe('bb');
  });
});

describe('the meeting’s secretary', () => {
  it('writes the opening, each item’s notes and conclusion and the closing, and sees the save state', async () => {
    await show(meeting('live'), user('sec'), await handle('edit', 'sec'));
    expect(textareas().map((x) => x.getAttribute('aria-label'))).toEqual([
      'Phần mở đầu',
      'Ghi chép: Báo cáo kinh tế – xã hội',
      'Kết luận: Báo cáo kinh tế – xã hội',
      'Ghi chép: Tờ trình dự toán',
      'Kết luận: Tờ trình dự toán',
      'Phần kết thúc',
    ]);
    const state = () => root.querySelector('[data-testid="minutes-save"]')!.textContent;
    expect(state()).toBe('Đã lưu');
    await type(byLabel('Ghi chép: Tờ trình dự toán'), 'Đồng chí Phạm Quốc Bảo trình bày tờ trình.');
    expect(state()).toBe('Đang lưu…');
    await act(async () => void (await vi.advanceTimersByTimeAsync(800)));
    await act(async () => void (await vi.runOnlyPendingTimersAsync()));
    expect(state()).toBe('Đã lưu');
    expect(server.m.items[1].notes).toBe('Đồng chí Phạm Quốc Bảo trình bày tờ trình.');
    // Finalising waits for the end of the meeting.
    const fin = root.querySelector('[data-testid="minutes-finalize"]') as HTMLButtonElement;
    expect(fin.disabled).toBe(true);
    expect(root.textContent).toContain('Hoàn thành biên bản được sau khi kết thúc cuộc họp.');
  });

  it('keeps the text typed in the field when the chair changed the same one, with keep mine / take theirs', async () => {
    await show(meeting('live'), user('sec'), await handle('edit', 'sec'));
    server.saveElsewhere({ items: [{ agenda_item_id: 'a1', conclusion: 'Kết luận của chủ tọa' }] });
    await type(byLabel('Kết luận: Báo cáo kinh tế – xã hội'), 'Kết luận thư ký ghi');
    await act(async () => void (await vi.advanceTimersByTimeAsync(800)));
    await act(async () => void (await vi.runOnlyPendingTimersAsync()));
    expect(byLabel('Kết luận: Báo cáo kinh tế – xã hội').value).toBe('Kết luận thư ký ghi');
    const conflict = root.querySelector('[data-testid="minutes-conflict"]')!;
    expect(conflict.textContent).toContain('Kết luận của chủ tọa');
    expect(root.querySelector('[data-testid="minutes-save"]')!.getAttribute('data-status')).toBe('conflict');
    const take = [...conflict.querySelectorAll('button')].find((b) => b.textContent === 'Lấy bản vừa lưu')!;
    await act(() => take.click());
    expect(byLabel('Kết luận: Báo cáo kinh tế – xã hội').value).toBe('Kết luận của chủ tọa');
    expect(root.querySelector('[data-testid="minutes-conflict"]')).toBeNull();
  });

  it('asks with the number it will take before finalising, then shows the record read only', async () => {
    await show(meeting('closed'), user('sec'), await handle('edit', 'sec'));
    await act(() => (root.querySelector('[data-testid="minutes-finalize"]') as HTMLButtonElement).click());
    await act(async () => void (await vi.runOnlyPendingTimersAsync()));
    const confirm = root.querySelector('[data-testid="minutes-confirm"]')!;
    expect(confirm.textContent).toContain('Biên bản sẽ được cấp số 05/BB-UBND');
    const yes = [...confirm.querySelectorAll('button')].find((b) => b.textContent === 'Hoàn thành biên bản')!;
    await act(() => yes.click());
    await act(async () => void (await vi.runOnlyPendingTimersAsync()));
    expect(server.m.state).toBe('final');
    expect(root.querySelector('[data-testid="minutes-panel"]')!.getAttribute('data-state')).toBe('final');
    expect(root.querySelector('[data-testid="minutes-number"]')!.textContent).toBe('Số: 05/BB-UBND');
    expect(textareas()).toHaveLength(0);
    expect(buttons()).not.toContain('Xem trước biên bản');
    // The two documents, known by id before their events arrive, open in the reader.
    const open = [...root.querySelectorAll('button')].find((b) => b.textContent === 'Mở biên bản')!;
    await act(() => open.click());
    expect(opened.at(-1)?.path).toBe('/documents/d-bb/file?version=1');
  });

  it('opens the preview in the reader after saving what was typed', async () => {
    await show(meeting('live'), user('sec'), await handle('edit', 'sec'));
    await type(byLabel('Phần mở đầu'), 'Khai mạc');
    await act(() => (root.querySelector('[data-testid="minutes-preview"]') as HTMLButtonElement).click());
    await act(async () => void (await vi.runOnlyPendingTimersAsync()));
    expect(server.m.opening).toBe('Khai mạc');
    expect(opened.at(-1)).toEqual({ title: 'Biên bản (bản xem trước)', path: '/meetings/m1/minutes/preview.pdf', docId: null });
  });
});

describe('the chair', () => {
  it('writes each item’s conclusion in the agenda and reads the secretary’s notes there', async () => {
    server.saveElsewhere({ items: [{ agenda_item_id: 'a1', notes: 'Ghi chép từ máy thư ký' }] });
    const m = await handle('edit', 'chair');
    const view = meeting('live');
    await act(() =>
      render(
        <div>
          <MinutesPanel h={h} view={view} user={user('chair')} host={host} m={m} />
          {view.agenda.map((it) => (
            <ItemMinutes item={it} view={view} user={user('chair')} m={m} />
          ))}
        </div>,
        root,
      ),
    );
    // The panel holds the actions only; the texts are in the agenda.
    expect(textareas().map((x) => x.getAttribute('aria-label'))).toEqual(['Kết luận: Báo cáo kinh tế – xã hội', 'Kết luận: Tờ trình dự toán']);
    expect(root.querySelector('[data-item="a1"] [data-testid="item-notes"]')!.textContent).toBe('Ghi chép từ máy thư ký');
    await type(byLabel('Kết luận: Tờ trình dự toán'), 'Thống nhất trình HĐND xã.');
    await act(async () => void (await vi.advanceTimersByTimeAsync(800)));
    await act(async () => void (await vi.runOnlyPendingTimersAsync()));
    expect(server.m.items[1].conclusion).toBe('Thống nhất trình HĐND xã.');
    // The secretary's next notes arrive live.
    server.saveElsewhere({ items: [{ agenda_item_id: 'a2', notes: 'Ý kiến của đồng chí Lan' }] });
    await act(async () => {
      m.editor!.remoteChanged({ version: server.m.version });
      await vi.runOnlyPendingTimersAsync();
    });
    expect(root.querySelector('[data-item="a2"] [data-testid="item-notes"]')!.textContent).toBe('Ý kiến của đồng chí Lan');
  });
});
