// Documents kept on the tablet for reading without Wi-Fi (Cache Storage, shared with the
// service worker). The app, not the service worker, decides what goes in: it knows the
// signed-in reader (files carry that reader's watermark), holds the bearer token and knows each
// document's current version. Entries are keyed by the versioned file URL, so a new version is
// a new entry and the old one is dropped; a copy is revalidated with its ETag (304 keeps it).
import type { Doc } from '../types';
import { getLocale } from '../i18n';

export const DOC_CACHE = 'ecabinet-docs-v1';

/** The part of the Cache API used here (tests pass a fake). */
export interface CacheLike {
  match(key: string): Promise<Response | undefined>;
  put(key: string, res: Response): Promise<void>;
  delete(key: string): Promise<boolean>;
  keys(): Promise<readonly { url: string }[]>;
}

/** The versioned file path of a document (relative to /api/v1). */
export function filePath(id: string, version: number): string {
  return `/documents/${encodeURIComponent(id)}/file?version=${version}`;
}

/** The board book in the reader's language (its cover and headings; one language per book). */
export function bookPath(meetingId: string, lang: string = getLocale()): string {
  return `/meetings/${encodeURIComponent(meetingId)}/board-book?lang=${lang === 'en' ? 'en' : 'vi'}`;
}

/** The cache key of a path: the absolute-path URL the browser would request. */
export function cacheKey(path: string): string {
  return `/api/v1${path}`;
}

/** The document id and version a cache key stands for; null for other entries (the board book). */
export function parseKey(url: string): { id: string; version: number } | null {
  const m = url.match(/\/api\/v1\/documents\/([^/?]+)\/file\?version=(\d+)$/);
  return m ? { id: decodeURIComponent(m[1]), version: Number(m[2]) } : null;
}

/** Ids of the documents whose current version is cached. */
export function offlineIds(keys: readonly string[], docs: readonly Doc[]): Set<string> {
  const have = new Set(keys.map((k) => parseKey(k)).filter(Boolean).map((p) => `${p!.id}@${p!.version}`));
  return new Set(docs.filter((d) => have.has(`${d.id}@${d.version}`)).map((d) => d.id));
}

/**
 * Entries to drop, given the documents a meeting now has: other versions of a listed
 * document, and documents of this meeting that are gone (`known` are ids the meeting had).
 */
export function staleKeys(keys: readonly string[], docs: readonly Doc[], known: ReadonlySet<string> = new Set()): string[] {
  const current = new Map(docs.map((d) => [d.id, d.version]));
  return keys.filter((k) => {
    const p = parseKey(k);
    if (!p) return false;
    const v = current.get(p.id);
    if (v === undefined) return known.has(p.id);
    return v !== p.version;
  });
}

export class OfflineError extends Error {
  constructor() {
    super('not available offline');
  }
}

export interface Loaded {
  bytes: ArrayBuffer;
  /** Served from the tablet's copy (the network failed, or the server said 304). */
  fromCache: boolean;
  /** The server could not be reached; this is the copy kept on the tablet. */
  offline: boolean;
}

/** A `Range` answer (DocStore.range). */
export interface Ranged {
  bytes: ArrayBuffer;
  /** Where `bytes` start in the file. */
  begin: number;
  /** The file's size. */
  total: number;
  etag: string | null;
  /** `bytes` are the whole file. */
  whole: boolean;
}

export interface DocStoreDeps {
  /** Authenticated fetch of an /api/v1 path (Session.fetchRaw). */
  fetch: (path: string, init?: RequestInit) => Promise<Response>;
  /** The cache, or null where Cache Storage is unavailable (no secure context). */
  open: () => Promise<CacheLike | null>;
  /** Turns a non-2xx answer into the error to throw. */
  toError: (res: Response) => Promise<Error>;
  /** Deletes the whole cache (sign-out: the files carry the reader's name). */
  destroy: () => Promise<unknown>;
}

export class DocStore {
  private listeners = new Set<() => void>();
  constructor(private readonly d: DocStoreDeps) {}

  /** Called after the set of cached entries changed. */
  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
  private changed() {
    for (const l of this.listeners) l();
  }

  /**
   * The bytes of `path` (filePath or bookPath): from the server, revalidating the kept copy
   * with If-None-Match; the kept copy when the server cannot be reached. Kept afterwards when
   * `keep` (opened documents are), replacing other versions of the same document. `onChunk`
   * sees a downloaded file's bytes as they arrive (not a kept copy's).
   */
  async load(path: string, keep = true, onChunk?: (chunk: Uint8Array) => void): Promise<Loaded> {
    const key = cacheKey(path);
    const cache = await this.d.open().catch(() => null);
    const cached = cache ? await cache.match(key) : undefined;
    let res: Response;
    try {
      const headers: Record<string, string> = {};
      const etag = cached?.headers.get('ETag');
      if (etag) headers['If-None-Match'] = etag;
      res = await this.d.fetch(path, { headers, cache: 'no-store' });
    } catch (e) {
      if (cached) return { bytes: await cached.arrayBuffer(), fromCache: true, offline: true };
      if (e instanceof TypeError) throw new OfflineError();
      throw e;
    }
    if (res.status === 304 && cached) return { bytes: await cached.arrayBuffer(), fromCache: true, offline: false };
    if (!res.ok) {
      // Gone or no longer visible: the copy goes too.
      if (cache && cached && (res.status === 404 || res.status === 403)) {
        await cache.delete(key);
        this.changed();
      }
      throw await this.d.toError(res);
    }
    const bytes = onChunk && res.body ? await readAll(res.body, onChunk) : await res.arrayBuffer();
    if (keep && cache) await this.put(cache, key, bytes, res.headers.get('ETag'));
    return { bytes, fromCache: false, offline: false };
  }

  private async put(cache: CacheLike, key: string, bytes: ArrayBuffer, etag: string | null) {
    const headers = new Headers({ 'Content-Type': 'application/pdf' });
    if (etag) headers.set('ETag', etag);
    await cache.put(key, new Response(bytes.slice(0), { status: 200, headers }));
    await this.dropOtherVersions(cache, key);
    this.changed();
  }

  /** Keeps the whole file of `path`, fetched some other way (a range answer that was all of it). */
  async keep(path: string, bytes: ArrayBuffer, etag: string | null) {
    const cache = await this.d.open().catch(() => null);
    if (cache) await this.put(cache, cacheKey(path), bytes, etag);
  }

  /** Whether a copy of `path` is kept on the tablet (no network). */
  async has(path: string): Promise<boolean> {
    const cache = await this.d.open().catch(() => null);
    return !!cache && !!(await cache.match(cacheKey(path)));
  }

  /**
   * Bytes `[begin, end)` of `path` from the server with a `Range` request (not kept). A server
   * that answers 200 sends the whole file: `whole` says so. No network: OfflineError.
   */
  async range(path: string, begin: number, end: number): Promise<Ranged> {
    let res: Response;
    try {
      res = await this.d.fetch(path, { headers: { Range: `bytes=${begin}-${end - 1}` }, cache: 'no-store' });
    } catch (e) {
      if (e instanceof TypeError) throw new OfflineError();
      throw e;
    }
    if (!res.ok) throw await this.d.toError(res);
    const etag = res.headers.get('ETag');
    const bytes = await res.arrayBuffer();
    if (res.status !== 206) return { bytes, begin: 0, total: bytes.byteLength, etag, whole: true };
    const m = (res.headers.get('Content-Range') ?? '').match(/^bytes (\d+)-(\d+)\/(\d+)$/);
    if (!m || Number(m[2]) - Number(m[1]) + 1 !== bytes.byteLength) throw new Error(`bad Content-Range for ${path}`);
    const total = Number(m[3]);
    const from = Number(m[1]);
    return { bytes, begin: from, total, etag, whole: from === 0 && bytes.byteLength === total };
  }

  private async dropOtherVersions(cache: CacheLike, key: string) {
    const p = parseKey(key);
    if (!p) return;
    for (const k of (await cache.keys()).map((r) => pathOf(r.url))) {
      const q = parseKey(k);
      if (q && q.id === p.id && q.version !== p.version) await cache.delete(k);
    }
  }

  /** Forgets every kept file. */
  async clear() {
    await this.d.destroy().catch(() => undefined);
    this.changed();
  }

  /** The cache keys (absolute paths) kept now. */
  async keys(): Promise<string[]> {
    const cache = await this.d.open().catch(() => null);
    if (!cache) return [];
    return (await cache.keys()).map((r) => pathOf(r.url));
  }

  /** Drops what a meeting no longer has (see staleKeys). */
  async prune(docs: readonly Doc[], known: ReadonlySet<string>) {
    const cache = await this.d.open().catch(() => null);
    if (!cache) return;
    const stale = staleKeys(await this.keys(), docs, known);
    for (const k of stale) await cache.delete(k);
    if (stale.length) this.changed();
  }

  /** Keeps every document's current version ("download all for offline"); returns failures. */
  async saveAll(docs: readonly Doc[], progress: (done: number, total: number) => void): Promise<number> {
    const have = offlineIds(await this.keys(), docs);
    const todo = docs.filter((d) => !have.has(d.id));
    let done = docs.length - todo.length;
    let failed = 0;
    progress(done, docs.length);
    for (const doc of todo) {
      try {
        await this.load(filePath(doc.id, doc.version));
      } catch {
        failed += 1;
      }
      progress(++done, docs.length);
    }
    return failed;
  }
}

/** Reads a body to the end, showing each chunk to `onChunk` as it comes. */
async function readAll(body: ReadableStream<Uint8Array>, onChunk: (chunk: Uint8Array) => void): Promise<ArrayBuffer> {
  const reader = body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    size += value.byteLength;
    onChunk(value);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out.buffer;
}

/** A cache entry's URL as an absolute path (Cache Storage keys are full URLs). */
export function pathOf(url: string): string {
  const i = url.indexOf('/api/v1/');
  return i >= 0 ? url.slice(i) : url;
}
