// "Chữ ký của tôi" (auth/signature-image.ts): the tablet's check of a chosen file against the
// server's limits, and the store over a real `Session` whose fetch is a fake server keeping one
// PNG per user as the real one does (PUT 204 / 415 / 422, GET 200 or 404, DELETE 204 or 404).
import { describe, expect, it } from 'vitest';
import { Session, ApiError } from '../src/session';
import { ImageRefused, MAX_IMAGE_BYTES, SignatureImage, checkImage, pngSize, signatureImageApi, type UrlMaker } from '../src/auth/signature-image';
import { brokenPng, makePng, pngHead } from './png-fixture';

class MemStorage {
  m = new Map<string, string>();
  getItem(k: string) {
    return this.m.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.m.set(k, v);
  }
  removeItem(k: string) {
    this.m.delete(k);
  }
}

const user = { id: 'u1', username: 'chutich', display_name: 'Nguyễn Văn An', role: 'member' as const };
const json = (status: number, body: unknown) =>
  new Response(status === 204 ? null : JSON.stringify(body), { status, headers: { 'Content-Type': status >= 400 ? 'application/problem+json' : 'application/json' } });
const problem = (status: number, code: string) => json(status, { type: 'about:blank', title: code, status, code });

const png = (w: number, h: number) => new Blob([new Uint8Array(makePng(w, h))], { type: 'image/png' });

/** The server's signature-image endpoints and sign-in, with a log of what reached them. */
function fakeServer() {
  const st = {
    stored: null as Uint8Array | null,
    calls: [] as string[],
    /** The next GET is answered only when this promise resolves (to test a late answer). */
    holdGet: null as Promise<void> | null,
    /** The next PUT is refused with this problem (e.g. the server's decoder says no). */
    refusePut: null as { status: number; code: string } | null,
    failGet: false,
  };
  const fetchFn = async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(String(input), 'http://127.0.0.1');
    const method = init.method ?? 'GET';
    const headers = new Headers(init.headers);
    st.calls.push(`${method} ${url.pathname}${headers.get('Authorization') ? ' (bearer)' : ''}`);
    if (url.pathname === '/api/v1/auth/login') return json(200, { access_token: 'a1', token_type: 'Bearer', expires_in: 900, refresh_token: 'r1', user });
    if (url.pathname !== '/api/v1/me/signature-image') return problem(404, 'not_found');
    if (headers.get('Authorization') !== 'Bearer a1') return problem(401, 'invalid_token');
    if (method === 'GET') {
      // What is stored when the request arrives is what the answer carries, however late.
      const now = st.stored;
      const hold = st.holdGet;
      st.holdGet = null;
      if (hold) await hold;
      if (st.failGet) throw new TypeError('Failed to fetch');
      return now ? new Response(now.slice(), { status: 200, headers: { 'Content-Type': 'image/png' } }) : problem(404, 'not_found');
    }
    if (method === 'PUT') {
      if (headers.get('Content-Type') !== 'image/png') return problem(415, 'unsupported_media_type');
      const body = new Uint8Array(await new Response(init.body as BodyInit).arrayBuffer());
      if (st.refusePut) {
        const r = st.refusePut;
        st.refusePut = null;
        return problem(r.status, r.code);
      }
      if (body.length > MAX_IMAGE_BYTES || !pngSize(body.subarray(0, 24))) return problem(422, 'invalid_image');
      st.stored = body;
      return json(204, null);
    }
    if (method === 'DELETE') {
      if (!st.stored) return problem(404, 'not_found');
      st.stored = null;
      return json(204, null);
    }
    return problem(405, 'method_not_allowed');
  };
  return { st, fetchFn };
}

/** Object URLs that remember which are still alive. */
function fakeUrls() {
  const live = new Map<string, Blob>();
  let n = 0;
  const urls: UrlMaker = {
    create: (b) => {
      const u = `blob:fake/${++n}`;
      live.set(u, b);
      return u;
    },
    revoke: (u) => void live.delete(u),
  };
  return { urls, live };
}

async function signedIn() {
  const server = fakeServer();
  const session = new Session('', server.fetchFn as typeof fetch, new MemStorage() as unknown as Storage);
  await session.login('chutich', 'demo1234');
  server.st.calls.length = 0;
  const u = fakeUrls();
  const store = new SignatureImage(
    signatureImageApi((p, i) => session.fetchRaw(p, i)),
    u.urls,
  );
  return { ...server, ...u, store, session };
}

const bytesOf = async (b: Blob) => new Uint8Array(await b.arrayBuffer());

describe('the tablet checks a file as the server would', () => {
  it('reads the size from the PNG header, and nothing from other files', () => {
    expect(pngSize(makePng(120, 40))).toEqual({ width: 120, height: 40 });
    expect(pngSize(pngHead(2000, 1))).toEqual({ width: 2000, height: 1 });
    // A JPEG, text, a truncated header.
    expect(pngSize(new Uint8Array([0xff, 0xd8, 0xff, 0xe0, ...new Array(20).fill(0)]))).toBeNull();
    expect(pngSize(new TextEncoder().encode('chữ ký của tôi, không phải ảnh PNG'))).toBeNull();
    expect(pngSize(makePng(10, 10).subarray(0, 20))).toBeNull();
  });

  it('takes a PNG up to 512 KiB and 2,000 pixels a side, whatever the file is called', async () => {
    expect(await checkImage(png(300, 100))).toBeNull();
    expect(await checkImage(new Blob([new Uint8Array(pngHead(2000, 2000, MAX_IMAGE_BYTES))]))).toBeNull();
    expect(await checkImage(new File([new Uint8Array(makePng(20, 10))], 'chu-ky.jpg', { type: 'image/jpeg' }))).toBeNull();
  });

  it('refuses what is not a PNG, too heavy, or too large a side, before sending it', async () => {
    expect(await checkImage(new File(['<svg/>'], 'chu-ky.png', { type: 'image/png' }))).toEqual({ reason: 'not_png' });
    expect(await checkImage(new Blob([]))).toEqual({ reason: 'not_png' });
    expect(await checkImage(new Blob([new Uint8Array(pngHead(100, 100, MAX_IMAGE_BYTES + 1))]))).toEqual({ reason: 'too_big', size: MAX_IMAGE_BYTES + 1 });
    expect(await checkImage(new Blob([new Uint8Array(pngHead(2001, 10))]))).toEqual({ reason: 'too_wide', width: 2001, height: 10 });
    expect(await checkImage(new Blob([new Uint8Array(pngHead(10, 2001))]))).toEqual({ reason: 'too_wide', width: 10, height: 2001 });
    expect(await checkImage(new Blob([new Uint8Array(pngHead(0, 10))]))).toEqual({ reason: 'too_wide', width: 0, height: 10 });
    const unreadable = { size: 100, slice: () => ({ arrayBuffer: () => Promise.reject(new Error('NotReadableError')) }) as unknown as Blob };
    expect(await checkImage(unreadable)).toEqual({ reason: 'unreadable' });
  });
});

describe('Chữ ký của tôi over the server', () => {
  it('without an image: one GET with the bearer token, a 404, no preview', async () => {
    const { store, st, live } = await signedIn();
    expect(store.state.has).toBeNull();
    await store.load();
    expect(st.calls).toEqual(['GET /api/v1/me/signature-image (bearer)']);
    expect(store.state).toMatchObject({ has: false, url: null, loading: false, error: null });
    expect(live.size).toBe(0);
  });

  it('uploads the PNG as image/png, shows it, and the server keeps those bytes', async () => {
    const { store, st, live } = await signedIn();
    await store.load();
    const file = png(240, 80);
    expect(await store.upload(file)).toBe(true);
    expect(st.calls.at(-1)).toBe('PUT /api/v1/me/signature-image (bearer)');
    expect(st.stored).toEqual(await bytesOf(file));
    expect(store.state).toMatchObject({ has: true, busy: null, error: null, done: 'saved' });
    expect(store.state.url).toMatch(/^blob:/);
    expect([...live.keys()]).toEqual([store.state.url]);
    expect(await bytesOf(live.get(store.state.url!)!)).toEqual(await bytesOf(file));
  });

  it('shows the image the server has, fetched with the token as a blob', async () => {
    const { store, st, live } = await signedIn();
    st.stored = new Uint8Array(makePng(64, 32));
    await store.load();
    expect(store.state.has).toBe(true);
    expect(await bytesOf(live.get(store.state.url!)!)).toEqual(st.stored);
  });

  it('replacing revokes the old preview: one object URL alive at a time', async () => {
    const { store, live } = await signedIn();
    await store.load();
    await store.upload(png(100, 50));
    const first = store.state.url!;
    await store.upload(png(200, 50));
    expect(store.state.url).not.toBe(first);
    expect(live.has(first)).toBe(false);
    expect([...live.keys()]).toEqual([store.state.url]);
  });

  it('a file refused on the tablet is not sent, and the image shown stays', async () => {
    const { store, st, live } = await signedIn();
    await store.load();
    await store.upload(png(100, 50));
    const shown = store.state.url;
    st.calls.length = 0;
    expect(await store.upload(new Blob([new Uint8Array(pngHead(100, 100, MAX_IMAGE_BYTES + 10))]))).toBe(false);
    expect(await store.upload(new Blob([new Uint8Array(pngHead(2400, 800))]))).toBe(false);
    expect(await store.upload(new File(['GIF89a'], 'chu-ky.png'))).toBe(false);
    expect(st.calls).toEqual([]);
    expect(store.state.error).toBeInstanceOf(ImageRefused);
    expect((store.state.error as ImageRefused).refusal).toEqual({ reason: 'not_png' });
    expect(store.state).toMatchObject({ has: true, url: shown, busy: null, done: null });
    expect(live.has(shown!)).toBe(true);
  });

  it("the server's refusal is kept as its problem, and the image shown stays", async () => {
    const { store, st } = await signedIn();
    await store.load();
    await store.upload(png(100, 50));
    const shown = store.state.url;
    // Begins as a PNG, so the tablet sends it; the server's decoder refuses it.
    st.refusePut = { status: 422, code: 'invalid_image' };
    expect(await store.upload(new Blob([new Uint8Array(brokenPng())]))).toBe(false);
    expect(st.calls.at(-1)).toBe('PUT /api/v1/me/signature-image (bearer)');
    expect(store.state.error).toBeInstanceOf(ApiError);
    expect((store.state.error as ApiError).status).toBe(422);
    expect((store.state.error as ApiError).code).toBe('invalid_image');
    expect(store.state).toMatchObject({ has: true, url: shown, busy: null });
    // The next good file clears the error.
    expect(await store.upload(png(120, 60))).toBe(true);
    expect(store.state.error).toBeNull();
  });

  it('removes the image: DELETE, preview revoked, and the next GET is a 404', async () => {
    const { store, st, live } = await signedIn();
    await store.load();
    await store.upload(png(100, 50));
    expect(await store.remove()).toBe(true);
    expect(st.calls.at(-1)).toBe('DELETE /api/v1/me/signature-image (bearer)');
    expect(st.stored).toBeNull();
    expect(store.state).toMatchObject({ has: false, url: null, busy: null, done: 'removed' });
    expect(live.size).toBe(0);
    await store.load();
    expect(st.calls.at(-1)).toBe('GET /api/v1/me/signature-image (bearer)');
    expect(store.state).toMatchObject({ has: false, url: null, error: null });
  });

  it('removing an image removed elsewhere already (404) is no failure', async () => {
    const { store, st } = await signedIn();
    st.stored = new Uint8Array(makePng(10, 10));
    await store.load();
    st.stored = null; // removed from another tablet
    expect(await store.remove()).toBe(true);
    expect(store.state).toMatchObject({ has: false, url: null, error: null });
  });

  it('a network failure while loading is an error; uploading still works', async () => {
    const { store, st } = await signedIn();
    st.failGet = true;
    await store.load();
    expect(store.state.has).toBeNull();
    expect(store.state.error).toBeInstanceOf(TypeError);
    expect(await store.upload(png(100, 50))).toBe(true);
    expect(store.state).toMatchObject({ has: true, error: null });
  });

  it('a load answered after an upload does not bring the old image back', async () => {
    const { store, st, live } = await signedIn();
    st.stored = new Uint8Array(makePng(10, 10));
    let release!: () => void;
    st.holdGet = new Promise((r) => (release = r));
    const loading = store.load();
    const fresh = png(300, 100);
    // The GET has reached the server (answering with the old image); the upload is answered first.
    while (!st.calls.includes('GET /api/v1/me/signature-image (bearer)')) await new Promise((r) => setTimeout(r, 0));
    expect(await store.upload(fresh)).toBe(true);
    release();
    await loading;
    expect(await bytesOf(live.get(store.state.url!)!)).toEqual(await bytesOf(fresh));
    expect(live.size).toBe(1);
    expect(store.state.loading).toBe(false);
  });

  it('leaving the page revokes the preview, and a late answer creates none', async () => {
    const { store, st, live } = await signedIn();
    await store.load();
    await store.upload(png(100, 50));
    store.dispose();
    expect(live.size).toBe(0);
    let release!: () => void;
    st.holdGet = new Promise((r) => (release = r));
    const late = store.load();
    release();
    await late;
    expect(live.size).toBe(0);
  });
});
