// Documents kept on the tablet for reading without Wi-Fi (Cache Storage, shared with the
// service worker). The app, not the service worker, decides what goes in: it knows the
// signed-in reader (files carry that reader's watermark), holds the bearer token and knows each
// document's current version. Entries are keyed by the versioned file URL, so a new version is
// a new entry and the old one is dropped; a copy is revalidated with its ETag (304 keeps it).
import type { Doc } from '../types';

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

export function bookPath(meetingId: string): string {
  return `/meetings/${encodeURIComponent(meetingId)}/board-book`;
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
   * `keep` (opened documents are), replacing other versions of the same document.
   */
  async load(path: string, keep = true): Promise<Loaded> {
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
    const bytes = await res.arrayBuffer();
    if (keep && cache) {
      const headers = new Headers({ 'Content-Type': 'application/pdf' });
      const etag = res.headers.get('ETag');
      if (etag) headers.set('ETag', etag);
      await cache.put(key, new Response(bytes.slice(0), { status: 200, headers }));
      await this.dropOtherVersions(cache, key);
      this.changed();
    }
    return { bytes, fromCache: false, offline: false };
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

/** A cache entry's URL as an absolute path (Cache Storage keys are full URLs). */
export function pathOf(url: string): string {
  const i = url.indexOf('/api/v1/');
  return i >= 0 ? url.slice(i) : url;
}
