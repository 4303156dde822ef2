// @vitest-environment happy-dom
// The notifications page and the header's bell as rendered (ui/Notifications.tsx) over the app's
// own session and store, with `fetch` answering as the server does: the bell's accessible name
// carries the count; the list marks unread ones for screen readers; tapping one marks it read
// and goes to its meeting; a failed read shows the error with a retry that works; the empty list
// says so; a pushed notification raises the badge.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { notifications, session } from '../src/app';
import { setLocale } from '../src/i18n';
import { NotificationBell, NotificationsPage } from '../src/ui/Notifications';
import type { AppNotification } from '../src/notifications/model';
import type { User } from '../src/types';

const user: User = { id: 'u1', username: 'uyvien2', display_name: 'Hoàng Thị Lan', role: 'member' };
const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

const note = (id: string, kind: string, title: string, read_at: string | null = null): AppNotification => ({
  id,
  kind,
  meeting_id: `m-${id}`,
  params: { title, meeting_kind: 'session', starts_at: '2027-01-05T01:00:00Z', location: null, deadline: null },
  created_at: '2026-12-08T02:00:00Z',
  read_at,
});

let items: AppNotification[];
let down: boolean;
let reads: string[];
let root: HTMLElement;

async function server(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const url = new URL(String(input), 'http://127.0.0.1');
  const p = url.pathname;
  if (p === '/api/v1/auth/login') return json(200, { access_token: 'a1', token_type: 'Bearer', expires_in: 900, refresh_token: 'r1', user });
  if (down) throw new TypeError('Failed to fetch');
  const unread = () => items.filter((x) => !x.read_at).length;
  if (p === '/api/v1/me/notifications') {
    const limit = Number(url.searchParams.get('limit') ?? 20);
    return json(200, { notifications: items.slice(0, limit), unread: unread(), next_before: null });
  }
  const m = p.match(/^\/api\/v1\/me\/notifications\/([^/]+)\/read$/);
  if (m && init?.method === 'POST') {
    reads.push(m[1]);
    items = items.map((x) => (x.id === m[1] ? { ...x, read_at: x.read_at ?? 'now' } : x));
    return json(200, { unread: unread() });
  }
  return json(404, { status: 404, code: 'not_found' });
}

const flush = async () => {
  for (let i = 0; i < 6; i++) await act(async () => await new Promise((r) => setTimeout(r, 0)));
};

function Screen() {
  return (
    <>
      <NotificationBell />
      <NotificationsPage />
    </>
  );
}

const bell = () => root.querySelector('[data-testid="notif-bell"]') as HTMLAnchorElement;
const listed = () => Array.from(root.querySelectorAll('[data-testid="notif"]')) as HTMLElement[];

beforeEach(async () => {
  localStorage.clear();
  items = [note('n2', 'meeting_cancelled', 'Họp giao ban'), note('n1', 'meeting_scheduled', 'Phiên họp thường kỳ', 'earlier')];
  down = false;
  reads = [];
  vi.stubGlobal('fetch', vi.fn(server));
  setLocale('vi');
  history.replaceState(null, '', '/notifications');
  await session.login('uyvien2', 'demo1234');
  notifications.clear();
  root = document.createElement('div');
  document.body.appendChild(root);
});
afterEach(async () => {
  render(null, root);
  root.remove();
  notifications.clear();
  vi.unstubAllGlobals();
});

describe('the notifications page', () => {
  it('says the count on the bell and marks unread ones in words', async () => {
    await act(() => void render(<Screen />, root));
    await flush();
    expect(bell().getAttribute('aria-label')).toBe('Thông báo: 1 thông báo chưa đọc');
    expect(bell().textContent).toBe('1');
    expect(listed().map((x) => x.dataset.read)).toEqual(['false', 'true']);
    expect(listed()[0].textContent).toContain('Chưa đọc: Hủy cuộc họp: “Họp giao ban”');
    expect(listed()[1].textContent).not.toContain('Chưa đọc');
    expect(listed()[0].getAttribute('href')).toBe('/meetings/m-n2');
  });

  it('tapping one marks it read and goes to its meeting', async () => {
    await act(() => void render(<Screen />, root));
    await flush();
    await act(() => void listed()[0].dispatchEvent(new MouseEvent('click', { bubbles: true, cancelable: true })));
    await flush();
    expect(location.pathname).toBe('/meetings/m-n2');
    expect(reads).toEqual(['n2']);
    expect(bell().getAttribute('aria-label')).toBe('Thông báo');
    expect(root.querySelector('[data-testid="notif-count"]')).toBeNull();
  });

  it('shows a failed read with a retry that works, and an empty list as such', async () => {
    down = true;
    await act(() => void render(<Screen />, root));
    await flush();
    const error = root.querySelector('[data-testid="notif-error"]');
    expect(error?.getAttribute('role')).toBe('alert');
    expect(error?.textContent).toContain('Thử lại');
    down = false;
    items = [];
    await act(() => void (error?.querySelector('button') as HTMLButtonElement).click());
    await flush();
    expect(root.querySelector('[data-testid="notif-error"]')).toBeNull();
    expect(root.querySelector('[data-testid="notif-empty"]')?.textContent).toContain('Chưa có thông báo nào.');
    expect((root.querySelector('[data-testid="notif-read-all"]') as HTMLButtonElement).disabled).toBe(true);
  });

  it('a pushed notification raises the badge and tops the list', async () => {
    await act(() => void render(<Screen />, root));
    await flush();
    await act(() => notifications.receive({ notification: note('n3', 'meeting_scheduled', 'Họp khẩn'), unread: 2 }));
    expect(bell().textContent).toBe('2');
    expect(listed()[0].textContent).toContain('Giấy mời họp: “Họp khẩn”');
  });
});
