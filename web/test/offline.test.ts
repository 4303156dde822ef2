import { describe, expect, it, vi } from 'vitest';
import { DocStore, OfflineError, bookPath, cacheKey, filePath, offlineIds, parseKey, staleKeys } from '../src/documents/offline';
import { FakeCache, doc } from './fixtures';

const pdf = (s: string, etag = '"e1"', status = 200) =>
  new Response(status === 304 ? null : new TextEncoder().encode(s), { status, headers: { ETag: etag, 'Content-Type': 'application/pdf' } });
const text = async (b: ArrayBuffer) => new TextDecoder().decode(b);

function setup() {
  const cache = new FakeCache();
  const fetch = vi.fn<(path: string, init?: RequestInit) => Promise<Response>>();
  const store = new DocStore({
    fetch,
    open: async () => cache,
    toError: async (r) => Object.assign(new Error(`HTTP ${r.status}`), { status: r.status }),
    destroy: async () => cache.store.clear(),
  });
  return { cache, fetch, store };
}

describe('offline cache policy', () => {
  it('keys documents by version', () => {
    expect(cacheKey(filePath('d 1', 3))).toBe('/api/v1/documents/d%201/file?version=3');
    expect(parseKey('http://x/api/v1/documents/d%201/file?version=3')).toEqual({ id: 'd 1', version: 3 });
    expect(parseKey(cacheKey(bookPath('m1')))).toBeNull();
    // One book per language, the reader's.
    expect(bookPath('m1', 'en')).toBe('/meetings/m1/board-book?lang=en');
    expect(bookPath('m1', 'vi')).toBe('/meetings/m1/board-book?lang=vi');
  });

  it('marks a document offline only when its current version is kept', () => {
    const keys = [cacheKey(filePath('d1', 1)), cacheKey(filePath('d2', 1))];
    expect([...offlineIds(keys, [doc('d1', null), doc('d2', null, { version: 2 }), doc('d3', null)])]).toEqual(['d1']);
  });

  it('finds stale entries: older versions, and deleted documents of this meeting', () => {
    const keys = [cacheKey(filePath('d1', 1)), cacheKey(filePath('d2', 2)), cacheKey(filePath('gone', 1)), cacheKey(filePath('other-meeting', 1)), cacheKey(bookPath('m1'))];
    const stale = staleKeys(keys, [doc('d1', null, { version: 2 }), doc('d2', null, { version: 2 })], new Set(['d1', 'd2', 'gone']));
    expect(stale).toEqual([cacheKey(filePath('d1', 1)), cacheKey(filePath('gone', 1))]);
  });
});

describe('DocStore', () => {
  it('fetches, keeps the copy, and revalidates it with its ETag (304 serves the copy)', async () => {
    const { cache, fetch, store } = setup();
    fetch.mockResolvedValueOnce(pdf('v1 bytes'));
    const a = await store.load(filePath('d1', 1));
    expect(await text(a.bytes)).toBe('v1 bytes');
    expect(a.fromCache).toBe(false);
    expect(cache.store.has(cacheKey(filePath('d1', 1)))).toBe(true);
    fetch.mockResolvedValueOnce(pdf('', '"e1"', 304));
    const b = await store.load(filePath('d1', 1));
    expect(new Headers(fetch.mock.calls[1][1]!.headers).get('If-None-Match')).toBe('"e1"');
    expect(await text(b.bytes)).toBe('v1 bytes');
    expect(b).toMatchObject({ fromCache: true, offline: false });
  });

  it('serves the kept copy when the network fails, and says when there is none', async () => {
    const { fetch, store } = setup();
    fetch.mockResolvedValueOnce(pdf('kept'));
    await store.load(filePath('d1', 1));
    fetch.mockRejectedValue(new TypeError('Failed to fetch'));
    const r = await store.load(filePath('d1', 1));
    expect(await text(r.bytes)).toBe('kept');
    expect(r.offline).toBe(true);
    await expect(store.load(filePath('d2', 1))).rejects.toBeInstanceOf(OfflineError);
  });

  it('replaces an older version when a new one is opened, and drops a copy the server no longer shows', async () => {
    const { cache, fetch, store } = setup();
    fetch.mockResolvedValueOnce(pdf('v1'));
    await store.load(filePath('d1', 1));
    fetch.mockResolvedValueOnce(pdf('v2', '"e2"'));
    await store.load(filePath('d1', 2));
    expect([...cache.store.keys()]).toEqual([cacheKey(filePath('d1', 2))]);
    fetch.mockResolvedValueOnce(new Response('{}', { status: 404 }));
    await expect(store.load(filePath('d1', 2))).rejects.toMatchObject({ status: 404 });
    expect(cache.store.size).toBe(0);
  });

  it('saves every document for offline, skipping kept ones and counting failures', async () => {
    const { fetch, store } = setup();
    fetch.mockResolvedValueOnce(pdf('a'));
    await store.load(filePath('d1', 1));
    fetch.mockReset();
    fetch.mockImplementation(async (path) => (path.includes('d3') ? new Response('{}', { status: 500 }) : pdf('x')));
    const seen: string[] = [];
    const failed = await store.saveAll([doc('d1', null), doc('d2', null), doc('d3', null)], (d, t) => seen.push(`${d}/${t}`));
    expect(failed).toBe(1);
    expect(fetch).toHaveBeenCalledTimes(2);
    expect(seen).toEqual(['1/3', '2/3', '3/3']);
    expect([...offlineIds(await store.keys(), [doc('d1', null), doc('d2', null), doc('d3', null)])].sort()).toEqual(['d1', 'd2']);
  });

  it('does not keep what it was told not to keep, and forgets everything on clear', async () => {
    const { cache, fetch, store } = setup();
    const changed = vi.fn();
    store.subscribe(changed);
    fetch.mockImplementation(async () => pdf('book'));
    await store.load(bookPath('m1'), false);
    expect(cache.store.size).toBe(0);
    await store.load(filePath('d1', 1));
    expect(changed).toHaveBeenCalledTimes(1);
    await store.clear();
    expect(cache.store.size).toBe(0);
    expect(changed).toHaveBeenCalledTimes(2);
  });

  it('prunes what the meeting no longer has', async () => {
    const { cache, fetch, store } = setup();
    fetch.mockImplementation(async () => pdf('x'));
    await store.load(filePath('d1', 1));
    await store.load(filePath('d2', 1));
    await store.prune([doc('d1', null, { version: 2 })], new Set(['d1', 'd2']));
    expect(cache.store.size).toBe(0);
  });
});
