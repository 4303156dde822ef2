import { describe, expect, it, vi } from 'vitest';
import { DocStore, OfflineError, cacheKey, filePath } from '../src/documents/offline';
import { RangeReader, openDocument } from '../src/documents/ranged';
import { FakeCache } from './fixtures';

/** A file of `n` bytes, byte i = i % 251, served by a fake server that honours Range. */
function server(n: number, opts: { ranges?: boolean; etag?: string } = {}) {
  const file = Uint8Array.from({ length: n }, (_, i) => i % 251);
  const calls: string[] = [];
  const fetch = vi.fn(async (_path: string, init?: RequestInit) => {
    const range = new Headers(init?.headers).get('Range');
    calls.push(range ?? 'whole');
    const etag = opts.etag ?? '"e1"';
    const m = range?.match(/^bytes=(\d+)-(\d+)$/);
    if (!m || opts.ranges === false) return new Response(file.slice(), { status: 200, headers: { ETag: etag } });
    const from = Number(m[1]);
    const to = Math.min(Number(m[2]), n - 1);
    return new Response(file.slice(from, to + 1), { status: 206, headers: { ETag: etag, 'Content-Range': `bytes ${from}-${to}/${n}` } });
  });
  return { file, calls, fetch };
}

function store(fetch: (path: string, init?: RequestInit) => Promise<Response>, cache = new FakeCache()) {
  return {
    cache,
    store: new DocStore({ fetch, open: async () => cache, toError: async (r) => Object.assign(new Error(`HTTP ${r.status}`), { status: r.status }), destroy: async () => cache.store.clear() }),
  };
}

const P = filePath('d1', 2);
const bytes = (b: ArrayBuffer) => Array.from(new Uint8Array(b));

describe('opening a document not yet kept, by ranges', () => {
  it('starts from the first range, reads others on demand, and keeps the whole file once', async () => {
    const srv = server(1000);
    const { cache, store: s } = store(srv.fetch);
    const o = await openDocument(s, P, 100);
    if (o.kind !== 'ranged') throw new Error('expected ranged');
    expect(o.length).toBe(1000);
    expect(bytes(o.initial)).toEqual(bytes(srv.file.slice(0, 100).buffer));
    expect(srv.calls).toEqual(['bytes=0-99']);
    expect(cache.store.size).toBe(0); // nothing kept from ranges
    expect(bytes(await o.reader.read(900, 1000))).toEqual(bytes(srv.file.slice(900, 1000).buffer));
    expect(srv.calls).toEqual(['bytes=0-99', 'bytes=900-999']);
    await o.reader.keepWhole();
    await o.reader.keepWhole(); // once
    expect(srv.calls.filter((c) => c === 'whole')).toHaveLength(1);
    expect(cache.store.has(cacheKey(P))).toBe(true);
    // From now on ranges are cut from the whole file, without a request.
    expect(bytes(await o.reader.read(10, 20))).toEqual(bytes(srv.file.slice(10, 20).buffer));
    expect(srv.calls).toHaveLength(3);
  });

  it('opens a kept copy from the copy (revalidated), not by ranges', async () => {
    const srv = server(1000);
    const { store: s } = store(srv.fetch);
    await s.load(P);
    const o = await openDocument(s, P, 100);
    expect(o.kind).toBe('bytes');
    expect(srv.calls).toEqual(['whole', 'whole']);
  });

  it('takes a small file, or a server without ranges, whole and keeps it', async () => {
    for (const srv of [server(80), server(1000, { ranges: false })]) {
      const { cache, store: s } = store(srv.fetch);
      const o = await openDocument(s, P, 100);
      if (o.kind !== 'bytes') throw new Error('expected bytes');
      expect(bytes(o.loaded.bytes)).toEqual(bytes(srv.file.buffer));
      expect(cache.store.has(cacheKey(P))).toBe(true);
      expect(srv.calls).toHaveLength(1);
    }
  });

  it('says offline when there is no network and no copy', async () => {
    const { store: s } = store(async () => {
      throw new TypeError('Failed to fetch');
    });
    await expect(openDocument(s, P, 100)).rejects.toBeInstanceOf(OfflineError);
  });

  it('lets the plain download report a refusal', async () => {
    const fetch = vi.fn(async () => new Response('{}', { status: 404 }));
    const { store: s } = store(fetch);
    await expect(openDocument(s, P, 100)).rejects.toMatchObject({ status: 404 });
    expect(fetch).toHaveBeenCalledTimes(2);
  });

  it('falls back to the whole file when a range fails or the file changed under it', async () => {
    const srv = server(1000);
    const { store: s } = store(srv.fetch);
    const failing = vi.fn(async (path: string, init?: RequestInit) => {
      if (new Headers(init?.headers).get('Range')) throw new TypeError('Failed to fetch');
      return srv.fetch(path, init);
    });
    const r = new RangeReader(store(failing).store, P, '"e1"');
    expect(bytes(await r.read(100, 200))).toEqual(bytes(srv.file.slice(100, 200).buffer));
    expect(r.complete).toBe(true);
    const changed = new RangeReader(s, P, '"other"');
    expect(bytes(await changed.read(100, 200))).toEqual(bytes(srv.file.slice(100, 200).buffer));
    expect(srv.calls.slice(-2)).toEqual(['bytes=100-199', 'whole']);
  });

  it('fails when neither a range nor the whole file can be had', async () => {
    const { store: s } = store(async () => {
      throw new TypeError('Failed to fetch');
    });
    await expect(new RangeReader(s, P, null).read(0, 10)).rejects.toBeInstanceOf(OfflineError);
  });
});

describe('reopening before the whole file is kept', () => {
  it('reuses the reader and its one download; once kept, opens from the copy', async () => {
    const srv = server(1000);
    const { store: s } = store(srv.fetch);
    const a = await openDocument(s, P, 100);
    const b = await openDocument(s, P, 100);
    if (a.kind !== 'ranged' || b.kind !== 'ranged') throw new Error('expected ranged');
    expect(b.reader).toBe(a.reader);
    expect(srv.calls).toEqual(['bytes=0-99']);
    await Promise.all([a.reader.keepWhole(), b.reader.keepWhole()]);
    await a.reader.settled;
    expect(srv.calls.filter((c) => c === 'whole')).toHaveLength(1);
    const c = await openDocument(s, P, 100);
    expect(c.kind).toBe('bytes');
  });
  it('starts afresh after the download failed', async () => {
    const srv = server(1000);
    let fail = true;
    const flaky = vi.fn(async (path: string, init?: RequestInit) => {
      if (fail && !new Headers(init?.headers).get('Range')) throw new TypeError('Failed to fetch');
      return srv.fetch(path, init);
    });
    const { store: s } = store(flaky);
    const a = await openDocument(s, P, 100);
    if (a.kind !== 'ranged') throw new Error('expected ranged');
    await expect(a.reader.keepWhole()).rejects.toBeInstanceOf(OfflineError);
    await a.reader.settled;
    fail = false;
    const b = await openDocument(s, P, 100);
    if (b.kind !== 'ranged') throw new Error('expected ranged');
    expect(b.reader).not.toBe(a.reader);
  });
});
