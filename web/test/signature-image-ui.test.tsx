// @vitest-environment happy-dom
// "Chữ ký của tôi" as rendered (ui/SignatureImage.tsx) over the app's own session, with `fetch`
// answering as the server does: the limits and hints are on screen before a file is chosen; a
// PNG chosen is sent and shown on white with "Thay ảnh" and "Xóa ảnh chữ ký"; a file refused on
// the tablet or by the server is said next to the buttons in the user's words; removing asks
// first; the preview's object URL is revoked when removed and when the page goes.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { session } from '../src/app';
import { setLocale } from '../src/i18n';
import { vi as viDict } from '../src/i18n/vi';
import { SignatureImageSection, useSignatureImage } from '../src/ui/SignatureImage';
import type { UrlMaker } from '../src/auth/signature-image';
import { makePng, pngHead } from './png-fixture';

const user = { id: 'u1', username: 'chutich', display_name: 'Nguyễn Văn An', role: 'member' as const };
const json = (status: number, body: unknown) =>
  new Response(status === 204 ? null : JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

let calls: string[];
let stored: Uint8Array | null;
let refuse: { status: number; code: string } | null;
let root: HTMLElement;
let live: Set<string>;
let urlCount: number;
const urls: UrlMaker = {
  create: () => {
    const u = `blob:test/${++urlCount}`;
    live.add(u);
    return u;
  },
  revoke: (u) => void live.delete(u),
};

async function server(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const url = new URL(String(input), 'http://127.0.0.1');
  const method = init?.method ?? 'GET';
  calls.push(`${method} ${url.pathname}`);
  if (url.pathname === '/api/v1/auth/login') return json(200, { access_token: 'a1', token_type: 'Bearer', expires_in: 900, refresh_token: 'r1', user });
  if (url.pathname === '/api/v1/auth/logout') return json(204, null);
  if (url.pathname !== '/api/v1/me/signature-image') return json(404, { status: 404, code: 'not_found' });
  if (method === 'GET') return stored ? new Response(stored.slice(), { status: 200, headers: { 'Content-Type': 'image/png' } }) : json(404, { status: 404, code: 'not_found' });
  if (method === 'PUT') {
    if (refuse) return json(refuse.status, { status: refuse.status, code: refuse.code });
    stored = new Uint8Array(await new Response(init?.body as BodyInit).arrayBuffer());
    return json(204, null);
  }
  if (method === 'DELETE') {
    if (!stored) return json(404, { status: 404, code: 'not_found' });
    stored = null;
    return json(204, null);
  }
  return json(405, { status: 405, code: 'method_not_allowed' });
}

const flush = async () => {
  for (let i = 0; i < 5; i++) await act(async () => await new Promise((r) => setTimeout(r, 0)));
};

function Host() {
  const store = useSignatureImage(urls);
  return <SignatureImageSection store={store} />;
}

function button(text: string): HTMLButtonElement {
  const b = Array.from(root.querySelectorAll('button')).find((x) => x.textContent?.trim() === text);
  if (!b) throw new Error(`no button "${text}" in ${root.textContent}`);
  return b as HTMLButtonElement;
}

const hasButton = (text: string) => Array.from(root.querySelectorAll('button')).some((x) => x.textContent?.trim() === text);

/** Chooses `file` in the hidden file input, as the picker opened by the button would. */
async function choose(file: File) {
  const input = root.querySelector('input[type="file"][name="signature_image"]') as HTMLInputElement;
  Object.defineProperty(input, 'files', { value: [file], configurable: true });
  await act(() => void input.dispatchEvent(new Event('change', { bubbles: true })));
  await flush();
}

const text = () => root.textContent ?? '';
const alertText = () => root.querySelector('[data-testid="signature-image-error"]')?.textContent ?? null;
const pngFile = (w: number, h: number, name = 'chu-ky.png') => new File([new Uint8Array(makePng(w, h))], name, { type: 'image/png' });

beforeEach(async () => {
  calls = [];
  stored = null;
  refuse = null;
  live = new Set();
  urlCount = 0;
  vi.stubGlobal('fetch', vi.fn(server));
  setLocale('vi');
  await session.login('chutich', 'demo1234');
  calls = [];
  root = document.createElement('div');
  document.body.appendChild(root);
});
afterEach(async () => {
  render(null, root);
  root.remove();
  await session.logout();
  vi.unstubAllGlobals();
});

describe('Chữ ký của tôi', () => {
  it('says the limits and what shows without a picture, before any file is chosen', async () => {
    await act(() => void render(<Host />, root));
    await flush();
    expect(root.querySelector('h2')?.textContent).toBe('Chữ ký của tôi');
    expect(text()).toContain('Tệp PNG, tối đa 512 KB, mỗi chiều không quá 2.000 điểm ảnh.');
    expect(text()).toContain('Ảnh PNG nền trong suốt trông đẹp nhất');
    expect(text()).toContain('chữ ký số hiện là một khung chữ ghi tên người ký và thời gian ký');
    expect(text()).toContain('Bạn chưa có ảnh chữ ký.');
    expect(button('Tải ảnh chữ ký lên').getAttribute('aria-describedby')).toBe('sigimg-rules');
    expect(hasButton('Xóa ảnh chữ ký')).toBe(false);
    expect((root.querySelector('input[type="file"]') as HTMLInputElement).accept).toBe('image/png,.png');
    expect(calls).toEqual(['GET /api/v1/me/signature-image']);
  });

  it('sends a chosen PNG and shows it on white, then offers "Thay ảnh" and "Xóa ảnh chữ ký"', async () => {
    await act(() => void render(<Host />, root));
    await flush();
    const file = pngFile(240, 80);
    await choose(file);
    expect(calls.at(-1)).toBe('PUT /api/v1/me/signature-image');
    expect(stored).toEqual(new Uint8Array(await file.arrayBuffer()));
    const img = root.querySelector('[data-testid="signature-preview"] img') as HTMLImageElement;
    expect(img.getAttribute('src')).toBe('blob:test/1');
    expect(img.getAttribute('alt')).toBe('Ảnh chữ ký hiện tại của bạn');
    expect(root.querySelector('[data-testid="signature-image-done"]')?.textContent).toBe('Đã lưu ảnh chữ ký.');
    expect(hasButton('Thay ảnh')).toBe(true);
    expect(hasButton('Tải ảnh chữ ký lên')).toBe(false);
    expect(hasButton('Xóa ảnh chữ ký')).toBe(true);
    // Replacing shows the new one and revokes the old URL.
    await choose(pngFile(300, 90));
    expect(root.querySelector('[data-testid="signature-preview"] img')?.getAttribute('src')).toBe('blob:test/2');
    expect([...live]).toEqual(['blob:test/2']);
  });

  it("says what the tablet refuses without sending it, in the user's words", async () => {
    await act(() => void render(<Host />, root));
    await flush();
    await choose(new File(['\xff\xd8\xff\xe0 JFIF'], 'chu-ky.jpg', { type: 'image/jpeg' }));
    expect(alertText()).toBe('Tệp đã chọn không phải ảnh PNG.');
    await choose(new File([new Uint8Array(pngHead(100, 100, 700 * 1024))], 'nang.png', { type: 'image/png' }));
    expect(alertText()).toBe('Tệp đã chọn nặng 700 KB, vượt mức tối đa 512 KB.');
    await choose(new File([new Uint8Array(pngHead(2400, 900))], 'rong.png', { type: 'image/png' }));
    expect(alertText()).toBe('Ảnh đã chọn có kích thước 2.400 × 900 điểm ảnh; mỗi chiều tối đa 2.000 điểm ảnh.');
    expect(calls).toEqual(['GET /api/v1/me/signature-image']);
    setLocale('en');
    await flush();
    expect(alertText()).toBe('The chosen picture is 2,400 × 900 pixels; each side may be at most 2,000 pixels.');
  });

  it("shows the server's refusal next to the buttons, keeping the picture shown", async () => {
    stored = new Uint8Array(makePng(50, 20));
    await act(() => void render(<Host />, root));
    await flush();
    expect(root.querySelector('[data-testid="signature-preview"] img')?.getAttribute('src')).toBe('blob:test/1');
    refuse = { status: 422, code: 'invalid_image' };
    await choose(pngFile(60, 20));
    expect(alertText()).toBe(viDict['err.invalid_image']);
    // A 415 says the file is not a PNG (the generic 415 sentence speaks of PDFs).
    refuse = { status: 415, code: 'unsupported_media_type' };
    await choose(pngFile(60, 20));
    expect(alertText()).toBe('Tệp đã chọn không phải ảnh PNG.');
    const alert = root.querySelector('[data-testid="signature-image-error"]')!;
    expect(alert.getAttribute('role')).toBe('alert');
    expect(alert.closest('[data-testid="signature-image"]')).not.toBeNull();
    expect(root.querySelector('[data-testid="signature-preview"] img')?.getAttribute('src')).toBe('blob:test/1');
    expect(live.has('blob:test/1')).toBe(true);
  });

  it('removes the picture after a confirmation, and revokes its URL', async () => {
    stored = new Uint8Array(makePng(50, 20));
    await act(() => void render(<Host />, root));
    await flush();
    await act(() => button('Xóa ảnh chữ ký').click());
    expect(text()).toContain('Xóa ảnh chữ ký? Các lần ký số sau sẽ hiện khung chữ thay cho ảnh.');
    // "Không" keeps it.
    await act(() => button('Không').click());
    expect(calls.filter((c) => c.startsWith('DELETE'))).toEqual([]);
    await act(() => button('Xóa ảnh chữ ký').click());
    await act(() => button('Đồng ý').click());
    await flush();
    expect(calls.at(-1)).toBe('DELETE /api/v1/me/signature-image');
    expect(stored).toBeNull();
    expect(root.querySelector('[data-testid="signature-preview"] img')).toBeNull();
    expect(text()).toContain('Bạn chưa có ảnh chữ ký.');
    expect(root.querySelector('[data-testid="signature-image-done"]')?.textContent).toBe('Đã xóa ảnh chữ ký.');
    expect(hasButton('Tải ảnh chữ ký lên')).toBe(true);
    expect(live.size).toBe(0);
  });

  it('leaving the page revokes the preview', async () => {
    stored = new Uint8Array(makePng(50, 20));
    await act(() => void render(<Host />, root));
    await flush();
    expect(live.size).toBe(1);
    await act(() => void render(null, root));
    expect(live.size).toBe(0);
  });
});
