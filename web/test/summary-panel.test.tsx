// @vitest-environment happy-dom
// The record of a meeting held in writing, its báo cáo tổng hợp ý kiến, in the minutes panel
// (ui/Minutes.tsx) over the editor and the fake server: the secretary sees the number it will
// take, writes only the opening and closing words (no agenda), previews it in the reader and
// may finalise only once the consultation is closed; the chair finalises after a confirmation
// naming the number and opens the one document it makes; a refusal is shown with errorText;
// members see it once final; every word names the summary, in Vietnamese and in English.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { errorText } from '../src/app';
import { setLocale, hasKey, t } from '../src/i18n';
import { en } from '../src/i18n/en';
import { vi as viDict } from '../src/i18n/vi';
import { MinutesEditor } from '../src/minutes/editor';
import { recordKind, recordWords, type MinutesAccess, type RecordWords } from '../src/minutes/model';
import { fromDetail, type MeetingView } from '../src/meeting/state';
import type { MeetingHandle } from '../src/meeting/useMeeting';
import type { MinutesHandle } from '../src/minutes/useMinutes';
import { ApiError } from '../src/session';
import { MinutesPanel } from '../src/ui/Minutes';
import type { ReaderHost } from '../src/ui/Documents';
import type { Doc, User } from '../src/types';
import { detail, doc, participant } from './fixtures';
import { FakeServer, HttpErr, MemStorage } from './minutes-fake';

const user = (id: string, role: User['role'] = 'member'): User => ({ id, username: id, display_name: id, role });

function written(state: 'scheduled' | 'closed', documents: Doc[] = []): MeetingView {
  return fromDetail(
    detail({
      kind: 'written',
      state,
      agenda: [],
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
  server = new FakeServer('written');
  root = document.createElement('div');
  document.body.appendChild(root);
  opened.length = 0;
  editor = null;
});
afterEach(() => {
  render(null, root);
  root.remove();
  editor?.dispose();
  setLocale('vi');
  vi.useRealTimers();
});

async function handle(access: MinutesAccess, who: string): Promise<MinutesHandle> {
  if (access === 'none') return { access, editor: null };
  // The app's session turns refusals into ApiError; so does this one.
  const request = <T,>(m: string, p: string, b?: unknown) =>
    server.request<T>(m, p, b).catch((e: unknown) => {
      throw e instanceof HttpErr ? new ApiError(e.status, e.code) : e;
    });
  editor = new MinutesEditor('m1', { request, storage: new MemStorage(), user: who });
  await editor.load();
  return { access, editor };
}

async function show(view: MeetingView, who: User, m: MinutesHandle) {
  await act(() => render(<MinutesPanel h={h} view={view} user={who} host={host} m={m} />, root));
}
const settle = () => act(async () => void (await vi.runOnlyPendingTimersAsync()));
const testid = (id: string) => root.querySelector(`[data-testid="${id}"]`);
const button = (label: string) => [...root.querySelectorAll('button')].find((b) => b.textContent === label);
const labels = () => [...root.querySelectorAll('textarea')].map((x) => x.getAttribute('aria-label'));

describe('the record words', () => {
  it('a written meeting makes a summary, a session a biên bản', () => {
    expect(recordKind({ kind: 'written' })).toBe('summary');
    expect(recordKind({ kind: 'session' })).toBe('minutes');
    expect(recordKind({})).toBe('minutes');
  });

  it('exist in both languages, and the summary’s name the summary', () => {
    for (const kind of ['minutes', 'summary'] as const)
      for (const key of Object.values(recordWords(kind))) {
        expect(hasKey(key), key).toBe(true);
        expect(en[key as keyof typeof en], key).toBeTruthy();
      }
    const summary = recordWords('summary');
    const minutes = recordWords('minutes');
    for (const k of Object.keys(summary) as (keyof RecordWords)[]) {
      // The number line is the same for both.
      if (k === 'nextNumber') continue;
      expect(viDict[summary[k]], k).not.toBe(viDict[minutes[k]]);
      expect(viDict[summary[k]], k).not.toMatch(/biên bản/i);
      expect(en[summary[k]], k).not.toMatch(/minutes/i);
    }
  });
});

describe('the meeting’s secretary', () => {
  it('while answers come in: the number it will take, opening and closing only, the preview; finalising waits', async () => {
    await show(written('scheduled'), user('sec'), await handle('edit', 'sec'));
    expect(root.querySelector('h2')!.textContent).toBe('Báo cáo tổng hợp ý kiến');
    expect(testid('minutes-panel')!.getAttribute('data-record')).toBe('summary');
    expect(testid('minutes-next-number')!.textContent).toBe('Sẽ được cấp số: 01/BC-UBND');
    expect(labels()).toEqual(['Phần mở đầu', 'Phần kết thúc']);
    expect(root.querySelector('.minutes-items')).toBeNull();
    expect((testid('minutes-finalize') as HTMLButtonElement).disabled).toBe(true);
    expect(root.textContent).toContain('Hoàn thành báo cáo được sau khi kết thúc lấy ý kiến.');
    expect(root.textContent).not.toMatch(/biên bản/i);

    await act(() => (testid('minutes-preview') as HTMLButtonElement).click());
    await settle();
    expect(testid('minutes-preview')!.textContent).toBe('Xem trước báo cáo');
    expect(opened.at(-1)).toEqual({ title: 'Báo cáo tổng hợp ý kiến (bản xem trước)', path: '/meetings/m1/minutes/preview.pdf', docId: null });
  });

  it('a refusal of the server is shown with its words', async () => {
    server.closed = false;
    await show(written('closed'), user('sec'), await handle('edit', 'sec'));
    await act(() => (testid('minutes-finalize') as HTMLButtonElement).click());
    await settle();
    await act(() => button('Hoàn thành báo cáo')!.click());
    await settle();
    expect(root.querySelector('.minutes-actions [role="alert"]')!.textContent).toBe(errorText(new ApiError(409, 'meeting_not_closed')));
    expect(server.m.state).toBe('draft');
  });
});

describe('the chair', () => {
  it('writes the words too (no agenda to write them in), finalises after the confirmation, and opens the one document', async () => {
    await show(written('closed'), user('chair'), await handle('edit', 'chair'));
    expect(labels()).toEqual(['Phần mở đầu', 'Phần kết thúc']);
    expect(root.textContent).not.toContain(t('minutes.chairHint'));

    await act(() => (testid('minutes-finalize') as HTMLButtonElement).click());
    await settle();
    const confirm = testid('minutes-confirm')!;
    expect(confirm.textContent).toContain('Báo cáo tổng hợp ý kiến sẽ được cấp số 01/BC-UBND và không sửa được nữa.');
    expect(server.m.state).toBe('draft');
    await act(() => [...confirm.querySelectorAll('button')].find((b) => b.textContent === 'Hoàn thành báo cáo')!.click());
    await settle();
    expect(server.m.state).toBe('final');
    expect(root.textContent).toContain('Đã hoàn thành báo cáo tổng hợp ý kiến số 01/BC-UBND.');
    expect(testid('minutes-number')!.textContent).toBe('Số: 01/BC-UBND');
    expect(testid('minutes-next-number')).toBeNull();
    expect(labels()).toEqual([]);
    // One document, known by id before its event arrives; no thông báo kết luận.
    expect(button('Mở thông báo kết luận')).toBeUndefined();
    await act(() => button('Mở báo cáo tổng hợp ý kiến')!.click());
    expect(opened.at(-1)?.path).toBe('/documents/d-bc/file?version=1');
  });
});

describe('a member', () => {
  it('sees nothing while a draft, then the final summary as a document, in either language', async () => {
    await show(written('closed'), user('m1'), await handle('none', 'm1'));
    expect(root.innerHTML).toBe('');
    const summary = doc('bc', null, { kind: 'minutes', title: 'Báo cáo tổng hợp ý kiến 01/BC-UBND' });
    const view = written('closed', [summary, doc('tt', null, { title: 'Tờ trình số 12' })]);
    await show(view, user('m1'), await handle('none', 'm1'));
    expect(root.querySelector('h2')!.textContent).toBe('Báo cáo tổng hợp ý kiến');
    expect([...root.querySelectorAll('.doc-title')].map((e) => e.textContent)).toEqual(['Báo cáo tổng hợp ý kiến 01/BC-UBND']);
    (root.querySelector('.doc-open') as HTMLButtonElement).click();
    expect(opened.at(-1)?.docId).toBe('bc');
    await act(() => setLocale('en'));
    await show(view, user('m1'), await handle('none', 'm1'));
    expect(root.querySelector('h2')!.textContent).toBe('Summary of answers');
  });
});
