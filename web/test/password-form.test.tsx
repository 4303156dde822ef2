// @vitest-environment happy-dom
// "Đổi mật khẩu" and "Thiết bị đã đăng nhập" as rendered (ui/Devices.tsx) over the app's own
// session, with `fetch` answering as the server does: a wrong current password is shown on its
// field and the user stays signed in; a change says the other devices were signed out; the
// device list marks this device and signs another out after the confirmation.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { session } from '../src/app';
import { setLocale } from '../src/i18n';
import { ChangePassword, Devices } from '../src/ui/Devices';
import { DeviceList } from '../src/auth/devices';

const user = { id: 'u1', username: 'uyvien1', display_name: 'Phạm Quốc Bảo', role: 'member' as const };
const json = (status: number, body: unknown) =>
  new Response(status === 204 ? null : JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

let calls: string[];
let password: string;
let sessions: { id: string; name: string; current: boolean }[];
let root: HTMLElement;

async function server(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const url = new URL(String(input), 'http://127.0.0.1');
  const method = init?.method ?? 'GET';
  calls.push(`${method} ${url.pathname}`);
  const p = url.pathname;
  if (p === '/api/v1/auth/login') return json(200, { access_token: 'a1', token_type: 'Bearer', expires_in: 900, refresh_token: 'r1', user });
  if (p === '/api/v1/auth/refresh') return json(200, { access_token: 'a2', token_type: 'Bearer', expires_in: 900, refresh_token: 'r2', user });
  if (p === '/api/v1/me/password') {
    const b = JSON.parse(String(init?.body));
    if (b.current_password !== password) return json(401, { status: 401, code: 'invalid_credentials' });
    password = b.new_password;
    sessions = sessions.filter((s) => s.current);
    return json(204, null);
  }
  if (p === '/api/v1/me/sessions')
    return json(200, {
      sessions: sessions.map((s) => ({ ...s, user_agent: 'x', address: '127.0.0.1', created_at: '2026-12-07T08:00:00Z', last_seen_at: new Date().toISOString() })),
    });
  const m = p.match(/^\/api\/v1\/me\/sessions\/(\w+)$/);
  if (m && method === 'DELETE') {
    sessions = sessions.filter((s) => s.id !== m[1]);
    return json(204, null);
  }
  return json(404, { status: 404, code: 'not_found' });
}

const flush = async () => {
  for (let i = 0; i < 5; i++) await act(async () => await new Promise((r) => setTimeout(r, 0)));
};

async function type(name: string, value: string) {
  const input = root.querySelector(`input[name="${name}"]`) as HTMLInputElement;
  await act(() => {
    input.value = value;
    input.dispatchEvent(new Event('input', { bubbles: true }));
  });
}

/** Sends the password form as pressing its button would. */
async function send() {
  const form = root.querySelector('form[data-testid="password-form"]') as HTMLFormElement;
  await act(async () => void form.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true })));
}

function button(text: string): HTMLButtonElement {
  const b = Array.from(root.querySelectorAll('button')).find((x) => x.textContent?.trim() === text);
  if (!b) throw new Error(`no button "${text}" in ${root.textContent}`);
  return b as HTMLButtonElement;
}

beforeEach(async () => {
  calls = [];
  password = 'demo1234';
  sessions = [
    { id: 'me', name: 'Chrome · Linux', current: true },
    { id: 'other', name: 'Safari · iPadOS', current: false },
  ];
  vi.stubGlobal('fetch', vi.fn(server));
  setLocale('vi');
  await session.login('uyvien1', 'demo1234');
  root = document.createElement('div');
  document.body.appendChild(root);
});
afterEach(async () => {
  render(null, root);
  root.remove();
  await session.logout();
  vi.unstubAllGlobals();
});

describe('Đổi mật khẩu', () => {
  it('a wrong current password is an error on that field, and the user stays signed in', async () => {
    await act(() => void render(<ChangePassword onChanged={() => undefined} />, root));
    await type('current', 'sai-mat-khau');
    await type('next', 'phòng họp không giấy');
    await type('repeat', 'phòng họp không giấy');
    await send();
    await flush();
    const err = root.querySelector('[data-testid="pw-current-error"]');
    expect(err?.textContent).toBe('Mật khẩu hiện tại không đúng.');
    expect(root.querySelector('input[name="current"]')!.getAttribute('aria-invalid')).toBe('true');
    expect((root.querySelector('input[name="current"]') as HTMLInputElement).value).toBe('');
    expect(session.user?.username).toBe('uyvien1');
    expect(session.ended).toBe(false);
    expect(calls.filter((c) => c.includes('/auth/refresh'))).toEqual([]);
    expect(root.querySelector('[data-testid="password-changed"]')).toBeNull();
  });

  it('checks the new password on the tablet first: too short, then repeated wrong', async () => {
    await act(() => void render(<ChangePassword onChanged={() => undefined} />, root));
    await type('current', 'demo1234');
    await type('next', 'ngắn');
    await type('repeat', 'ngắn');
    await send();
    expect(root.querySelector('[data-testid="pw-next-error"]')?.textContent).toBe('Mật khẩu mới cần ít nhất 8 ký tự.');
    await type('next', 'phòng họp không giấy');
    await send();
    expect(root.querySelector('[data-testid="pw-repeat-error"]')?.textContent).toBe('Hai lần nhập mật khẩu mới không khớp.');
    expect(calls.filter((c) => c.includes('/me/password'))).toEqual([]);
  });

  it('a change says the other devices were signed out, and empties the fields', async () => {
    let changed = 0;
    await act(() => void render(<ChangePassword onChanged={() => changed++} />, root));
    await type('current', 'demo1234');
    await type('next', 'phòng họp không giấy');
    await type('repeat', 'phòng họp không giấy');
    await send();
    await flush();
    expect(root.querySelector('[data-testid="password-changed"]')?.textContent).toContain('Các thiết bị khác đã được đăng xuất');
    expect(password).toBe('phòng họp không giấy');
    expect(changed).toBe(1);
    for (const n of ['current', 'next', 'repeat']) expect((root.querySelector(`input[name="${n}"]`) as HTMLInputElement).value).toBe('');
  });
});

describe('Thiết bị đã đăng nhập', () => {
  it('marks this device, and signs the other out after the confirmation', async () => {
    const list = new DeviceList({
      list: () => session.request('GET', '/me/sessions'),
      rename: async () => undefined,
      end: (id) => session.request('DELETE', `/me/sessions/${id}`),
    });
    await act(() => void render(<Devices list={list} />, root));
    await flush();
    const items = Array.from(root.querySelectorAll('li.device'));
    expect(items.map((li) => li.getAttribute('data-session'))).toEqual(['me', 'other']);
    expect(items[0].textContent).toContain('Thiết bị này');
    expect(items[1].textContent).not.toContain('Thiết bị này');
    expect(items[0].textContent).toContain('bây giờ');
    // Only the other device can be signed out here.
    expect(items[0].textContent).not.toContain('Đăng xuất thiết bị này');
    await act(async () => button('Đăng xuất thiết bị này').click());
    expect(calls.some((c) => c.startsWith('DELETE'))).toBe(false);
    expect(root.textContent).toContain('Đăng xuất thiết bị “Safari · iPadOS”?');
    await act(async () => button('Đồng ý').click());
    await flush();
    expect(calls).toContain('DELETE /api/v1/me/sessions/other');
    expect(Array.from(root.querySelectorAll('li.device')).map((li) => li.getAttribute('data-session'))).toEqual(['me']);
  });
});
