// The notifications' wording and bookkeeping (src/notifications/): each kind worded from its
// params in Vietnamese and English with the meeting's times as the rest of the client writes
// them; pages merged newest first without duplicates; read marks and the unread count kept
// right when the server answers late, refuses, or pushes meanwhile; the watcher looks on focus,
// on visibility and on its interval but not while hidden.
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { setLocale } from '../src/i18n';
import { appendPage, badgeText, hrefOf, mergeFirstPage, prepend, wording, type AppNotification, type NotificationPage } from '../src/notifications/model';
import { NotificationStore, watchUnread, type Request } from '../src/notifications/store';

beforeAll(() => {
  // Times are shown in the tablet's zone: the tests' tablet is in Việt Nam.
  process.env.TZ = 'Asia/Ho_Chi_Minh';
});

const base = {
  title: 'Phiên họp thường kỳ tháng 12',
  meeting_kind: 'session' as const,
  starts_at: '2026-12-15T01:00:00Z', // 08:00 in Hà Nội
  location: 'Phòng họp số 1',
  deadline: null,
};

function n(id: string, kind: string, params: Record<string, unknown> = base, read_at: string | null = null): AppNotification {
  return { id, kind, meeting_id: `m-${id}`, params: params as AppNotification['params'], created_at: '2026-12-08T02:00:00Z', read_at };
}

describe('wording', () => {
  beforeEach(() => setLocale('vi'));

  it('words an invitation with its time and place, in both languages', () => {
    expect(wording(n('1', 'meeting_scheduled'), 'vi').text).toBe('Giấy mời họp: “Phiên họp thường kỳ tháng 12” lúc Thứ Ba, 15 tháng 12, 2026 · 08:00 tại Phòng họp số 1.');
    expect(wording(n('1', 'meeting_scheduled'), 'en').text).toBe('Invitation: “Phiên họp thường kỳ tháng 12” at Tuesday, 15 December 2026 · 08:00 in Phòng họp số 1.');
    // Without a place the sentence has no dangling "tại".
    expect(wording(n('1', 'meeting_scheduled', { ...base, location: null }), 'vi').text).toBe('Giấy mời họp: “Phiên họp thường kỳ tháng 12” lúc Thứ Ba, 15 tháng 12, 2026 · 08:00.');
    expect(wording(n('1', 'meeting_scheduled', { ...base, location: '  ' }), 'en').text).not.toContain(' in ');
  });

  it('uses the current language when none is given', () => {
    setLocale('en');
    expect(wording(n('1', 'meeting_cancelled')).text).toBe('Meeting cancelled: “Phiên họp thường kỳ tháng 12” (planned for Tuesday, 15 December 2026 · 08:00).');
    setLocale('vi');
    expect(wording(n('1', 'meeting_cancelled')).text).toBe('Hủy cuộc họp: “Phiên họp thường kỳ tháng 12” (dự kiến lúc Thứ Ba, 15 tháng 12, 2026 · 08:00).');
  });

  it('words a consultation sent and its reminder with the deadline and the count', () => {
    const written = { ...base, title: 'Xin ý kiến Tờ trình 12', meeting_kind: 'written', location: null, deadline: '2026-12-18T10:00:00Z' };
    expect(wording(n('1', 'written_sent', written), 'vi').text).toBe('Xin ý kiến bằng văn bản: “Xin ý kiến Tờ trình 12”. Hạn trả lời Thứ Sáu, 18 tháng 12, 2026 · 17:00.');
    expect(wording(n('1', 'written_reminder', { ...written, unanswered: 2 }), 'vi').text).toBe(
      'Nhắc việc: còn 2 nội dung chưa cho ý kiến về “Xin ý kiến Tờ trình 12”, hạn Thứ Sáu, 18 tháng 12, 2026 · 17:00.',
    );
    expect(wording(n('1', 'written_reminder', { ...written, unanswered: 1 }), 'en').text).toBe(
      'Reminder: 1 question(s) of “Xin ý kiến Tờ trình 12” still unanswered; deadline Friday, 18 December 2026 · 17:00.',
    );
  });

  it('words a moved session with where it was, and a moved deadline as a deadline', () => {
    const moved = { ...base, starts_at: '2026-12-16T07:30:00Z', location: 'Hội trường', previous_starts_at: base.starts_at, previous_location: base.location, previous_deadline: null };
    const w = wording(n('1', 'meeting_moved', moved), 'vi');
    expect(w.text).toBe('Thay đổi lịch họp: “Phiên họp thường kỳ tháng 12” nay lúc Thứ Tư, 16 tháng 12, 2026 · 14:30 tại Hội trường.');
    expect(w.previous).toBe('Trước đây: Thứ Ba, 15 tháng 12, 2026 · 08:00 tại Phòng họp số 1.');
    expect(wording(n('1', 'meeting_moved', moved), 'en').previous).toBe('Previously: Tuesday, 15 December 2026 · 08:00 in Phòng họp số 1.');

    const deadline = {
      ...base,
      meeting_kind: 'written',
      location: null,
      deadline: '2026-12-20T10:00:00Z',
      previous_starts_at: base.starts_at,
      previous_location: null,
      previous_deadline: '2026-12-18T10:00:00Z',
    };
    const d = wording(n('2', 'meeting_moved', deadline), 'vi');
    expect(d.text).toBe('Thay đổi thời hạn cho ý kiến: “Phiên họp thường kỳ tháng 12” nay hạn Chủ Nhật, 20 tháng 12, 2026 · 17:00.');
    expect(d.previous).toBe('Hạn trước đây: Thứ Sáu, 18 tháng 12, 2026 · 17:00.');
    // A consultation whose start moved but not its deadline is worded by its time.
    const start = { ...deadline, previous_deadline: deadline.deadline, previous_starts_at: '2026-12-14T01:00:00Z' };
    expect(wording(n('3', 'meeting_moved', start), 'vi').text).toMatch(/^Thay đổi lịch họp: .* nay lúc Thứ Ba, 15 tháng 12, 2026 · 08:00\.$/);
  });

  it('copes with missing values and kinds it does not know', () => {
    expect(wording(n('1', 'meeting_scheduled', { title: null, starts_at: null }), 'vi').text).toBe('Giấy mời họp: “(không có tên)” lúc (chưa xác định).');
    expect(wording(n('1', 'something_new', base), 'en').text).toBe('Notification about “Phiên họp thường kỳ tháng 12”.');
    expect(wording({ kind: 'written_sent', params: undefined as never }, 'en').text).toBe('Opinions asked in writing: “(untitled)”. Answer by (not set).');
  });

  it('leads to the meeting, written ones on the same route', () => {
    expect(hrefOf({ meeting_id: 'a/b' })).toBe('/meetings/a%2Fb');
    expect(hrefOf({ meeting_id: null })).toBeNull();
  });

  it('puts the count on the badge, nothing at zero, 99+ beyond', () => {
    expect(badgeText(null)).toBeNull();
    expect(badgeText(0)).toBeNull();
    expect(badgeText(7)).toBe('7');
    expect(badgeText(99)).toBe('99');
    expect(badgeText(100)).toBe('99+');
  });
});

// Ids as the server makes them: UUID v7, so a later one sorts after an earlier one.
const id = (k: number) => `0190a000-0000-7000-8000-${String(k).padStart(12, '0')}`;
const page = (ks: number[], unread: number, next: number | null = null): NotificationPage => ({
  notifications: ks.map((k) => n(id(k), 'meeting_scheduled')),
  unread,
  next_before: next === null ? null : id(next),
});

describe('list bookkeeping', () => {
  it('keeps older pages when the first is read again and reaches them, else starts again', () => {
    const loaded = [...page([10, 9, 8], 3).notifications, ...page([7, 6], 0).notifications];
    const again = mergeFirstPage(loaded, id(6), page([11, 10, 9], 4, 9));
    expect(again.items.map((x) => x.id)).toEqual([11, 10, 9, 8, 7, 6].map(id));
    expect(again.nextBefore).toBe(id(6));
    // More came meanwhile than a page holds: the old ones would hide a gap, paging starts again.
    const gap = mergeFirstPage(loaded, id(6), page([14, 13, 12], 3, 12));
    expect(gap.items.map((x) => x.id)).toEqual([14, 13, 12].map(id));
    expect(gap.nextBefore).toBe(id(12));
    const all = mergeFirstPage(loaded, id(6), page([11, 10], 2, null));
    expect(all.items.map((x) => x.id)).toEqual([11, 10].map(id));
    expect(all.nextBefore).toBeNull();
  });

  it('appends an older page once, and a pushed one once at the top', () => {
    const first = page([5, 4], 2, 4).notifications;
    const more = appendPage(first, page([4, 3, 2], 2, null));
    expect(more.items.map((x) => x.id)).toEqual([5, 4, 3, 2].map(id));
    const pushed = prepend(more.items, n(id(6), 'written_sent'));
    expect(pushed.map((x) => x.id)).toEqual([6, 5, 4, 3, 2].map(id));
    expect(prepend(pushed, n(id(6), 'written_sent'))).toBe(pushed);
  });
});

/** A fake server for the store: scripted answers, recorded requests, answers held until released. */
function fakeServer() {
  const calls: string[] = [];
  let items: AppNotification[] = [];
  let fail: unknown = null;
  const held: (() => void)[] = [];
  let hold = false;
  const request: Request = async <T,>(method: string, path: string): Promise<T> => {
    calls.push(`${method} ${path}`);
    if (fail) throw fail;
    // The answer is made now and arrives when released (as one overtaken on the way).
    const answer = respond(method, path);
    if (hold) await new Promise<void>((r) => held.push(r));
    return answer as T;
  };
  const respond = (method: string, path: string): unknown => {
    const unread = () => items.filter((x) => !x.read_at).length;
    const url = new URL(path, 'http://x');
    if (method === 'GET' && url.pathname === '/me/notifications') {
      const limit = Number(url.searchParams.get('limit') ?? 20);
      const before = url.searchParams.get('before');
      const list = items.filter((x) => !before || x.id < before);
      const slice = list.slice(0, limit);
      return { notifications: slice, unread: unread(), next_before: slice.length === limit && list.length > limit ? slice[slice.length - 1].id : null };
    }
    const read = url.pathname.match(/^\/me\/notifications\/(.+)\/read$/);
    if (method === 'POST' && read) {
      items = items.map((x) => (x.id === decodeURIComponent(read[1]) && !x.read_at ? { ...x, read_at: 'now' } : x));
      return { unread: unread() };
    }
    if (method === 'POST' && url.pathname === '/me/notifications/read-all') {
      items = items.map((x) => ({ ...x, read_at: x.read_at ?? 'now' }));
      return { unread: 0 };
    }
    throw new Error(`unexpected ${method} ${path}`);
  };
  return {
    request,
    calls,
    set: (ks: number[]) => (items = ks.map((k) => n(id(k), 'meeting_scheduled')).sort((a, b) => (a.id < b.id ? 1 : -1))),
    add: (k: number) => {
      const x = n(id(k), 'written_sent');
      items = [x, ...items];
      return x;
    },
    failWith: (e: unknown) => (fail = e),
    hold: (on: boolean) => (hold = on),
    release: () => held.splice(0).forEach((r) => r()),
    get items() {
      return items;
    },
  };
}

describe('NotificationStore', () => {
  it('reads the count cheaply, the list when shown, and pages on with next_before', async () => {
    const srv = fakeServer();
    srv.set(Array.from({ length: 45 }, (_, i) => i + 1));
    const store = new NotificationStore(srv.request, () => 'T');
    await store.poll();
    expect(srv.calls).toEqual(['GET /me/notifications?limit=1']);
    expect(store.state.unread).toBe(45);
    expect(store.state.loaded).toBe(false);

    const close = store.show();
    await store.refresh();
    expect(store.state.items.map((x) => x.id)).toEqual(Array.from({ length: 20 }, (_, i) => id(45 - i)));
    expect(store.state.nextBefore).toBe(id(26));
    await store.loadMore();
    await store.loadMore();
    expect(srv.calls.slice(-2)).toEqual([`GET /me/notifications?limit=20&before=${id(26)}`, `GET /me/notifications?limit=20&before=${id(6)}`]);
    expect(store.state.items).toHaveLength(45);
    expect(store.state.nextBefore).toBeNull();
    // While shown, the periodic look reads the first page (and keeps the older ones).
    srv.calls.length = 0;
    await store.poll();
    expect(srv.calls).toEqual(['GET /me/notifications?limit=20']);
    expect(store.state.items).toHaveLength(45);
    close();
    await store.poll();
    expect(srv.calls.at(-1)).toBe('GET /me/notifications?limit=1');
  });

  it('marks one read at once, then takes the server’s count', async () => {
    const srv = fakeServer();
    srv.set([1, 2, 3]);
    const store = new NotificationStore(srv.request, () => 'T');
    await store.refresh();
    expect(store.state.unread).toBe(3);
    srv.add(4); // something new on the server the tablet has not read yet
    srv.hold(true);
    const done = store.markRead(id(2));
    expect(store.state.unread).toBe(2);
    expect(store.state.items.find((x) => x.id === id(2))?.read_at).toBe('T');
    srv.release();
    await done;
    expect(store.state.unread).toBe(3);
    // Marking it again asks nobody.
    srv.hold(false);
    const before = srv.calls.length;
    await store.markRead(id(2));
    expect(srv.calls.length).toBe(before);
  });

  it('puts the mark back when the server refuses, and says so', async () => {
    const srv = fakeServer();
    srv.set([1, 2]);
    const store = new NotificationStore(srv.request, () => 'T');
    await store.refresh();
    srv.failWith(new Error('offline'));
    await store.markRead(id(1));
    expect(store.state.unread).toBe(2);
    expect(store.state.items.every((x) => x.read_at === null)).toBe(true);
    expect(store.state.error?.where).toBe('read');
    await store.markAllRead();
    expect(store.state.unread).toBe(2);
    expect(store.state.items.every((x) => x.read_at === null)).toBe(true);
  });

  it('marks all read, on the server too', async () => {
    const srv = fakeServer();
    srv.set([1, 2, 3]);
    const store = new NotificationStore(srv.request, () => 'T');
    await store.refresh();
    await store.markAllRead();
    expect(store.state.unread).toBe(0);
    expect(store.state.items.every((x) => x.read_at)).toBe(true);
    expect(srv.items.every((x) => x.read_at)).toBe(true);
  });

  it('takes a pushed notification at the top with the server’s count, once', async () => {
    const srv = fakeServer();
    srv.set([1]);
    const store = new NotificationStore(srv.request);
    await store.refresh();
    const x = srv.add(2);
    store.receive({ notification: x, unread: 2 });
    store.receive({ notification: x, unread: 2 });
    expect(store.state.items.map((i) => i.id)).toEqual([id(2), id(1)]);
    expect(store.state.unread).toBe(2);
    store.receive(null);
    store.receive({ notification: {} as AppNotification, unread: 9 });
    expect(store.state.unread).toBe(2);
  });

  it('reads again a first page overtaken by a push, rather than showing the older count', async () => {
    const srv = fakeServer();
    srv.set([1]);
    const store = new NotificationStore(srv.request);
    srv.hold(true);
    const reading = store.refresh();
    await Promise.resolve();
    const x = srv.add(2);
    store.receive({ notification: x, unread: 2 });
    srv.hold(false);
    srv.release();
    await reading;
    expect(store.state.unread).toBe(2);
    expect(store.state.items.map((i) => i.id)).toEqual([id(2), id(1)]);
    expect(store.state.loading).toBe(false);
  });

  it('a count that shows something new reads the list again when it was loaded', async () => {
    const srv = fakeServer();
    srv.set([1]);
    const store = new NotificationStore(srv.request);
    await store.refresh();
    srv.add(2);
    await store.refreshCount();
    expect(store.state.items.map((i) => i.id)).toEqual([id(2), id(1)]);
  });

  it('says a failed read of the list, and recovers on retry', async () => {
    const srv = fakeServer();
    srv.set([1]);
    const store = new NotificationStore(srv.request);
    srv.failWith(new TypeError('Failed to fetch'));
    await store.refresh();
    expect(store.state.error?.where).toBe('list');
    expect(store.state.loaded).toBe(false);
    expect(store.state.loading).toBe(false);
    // The count's failure is quiet: the badge keeps what it had.
    await store.refreshCount();
    expect(store.state.unread).toBeNull();
    srv.failWith(null);
    await store.refresh();
    expect(store.state.error).toBeNull();
    expect(store.state.items).toHaveLength(1);
  });

  it('forgets everything for the next user, answers on their way included', async () => {
    const srv = fakeServer();
    srv.set([1, 2]);
    const store = new NotificationStore(srv.request);
    srv.hold(true);
    const reading = store.refresh();
    await Promise.resolve();
    store.clear();
    srv.hold(false);
    srv.release();
    await reading;
    expect(store.state.items).toEqual([]);
    expect(store.state.unread).toBeNull();
    expect(store.state.loaded).toBe(false);
  });
});

describe('watchUnread', () => {
  afterEach(() => vi.useRealTimers());

  it('looks now, on focus, when visible again and on its interval, never while hidden', () => {
    vi.useFakeTimers();
    const win = new EventTarget();
    const doc = Object.assign(new EventTarget(), { visibilityState: 'visible' });
    const poll = vi.fn(async () => undefined);
    const stop = watchUnread({ poll }, win, doc, 60_000);
    expect(poll).toHaveBeenCalledTimes(1);
    win.dispatchEvent(new Event('focus'));
    expect(poll).toHaveBeenCalledTimes(2);
    vi.advanceTimersByTime(60_000);
    expect(poll).toHaveBeenCalledTimes(3);
    doc.visibilityState = 'hidden';
    doc.dispatchEvent(new Event('visibilitychange'));
    vi.advanceTimersByTime(120_000);
    expect(poll).toHaveBeenCalledTimes(3);
    doc.visibilityState = 'visible';
    doc.dispatchEvent(new Event('visibilitychange'));
    expect(poll).toHaveBeenCalledTimes(4);
    stop();
    win.dispatchEvent(new Event('focus'));
    vi.advanceTimersByTime(600_000);
    expect(poll).toHaveBeenCalledTimes(4);
  });
});
