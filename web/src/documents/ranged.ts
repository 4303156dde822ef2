// Opening a document that is not yet on the tablet without waiting for the whole file: PDF.js
// asks for the byte ranges it needs (the cross-reference table, the page tree, page 1 and its
// images) through a range transport, and these are fetched with authenticated `Range`
// requests (the file endpoint answers 206 with its ETag). At the same time the whole file is
// downloaded once (DocStore.load, which keeps it for offline reading) and handed to PDF.js as
// it arrives, so on a fast network the download overtakes the ranges; once it is complete, and
// whenever a range request fails, ranges are cut from it. Kept copies open from the copy, as
// before. No PDF.js here, so the rules are unit-tested in Node.
import { OfflineError, type DocStore, type Loaded } from './offline';

/**
 * PDF.js's chunk size. Small, because opening a file with a flat page tree makes PDF.js read
 * every page's dictionary (to find the last page), and in a scan each sits next to its page's
 * image: with PDF.js's default 64 KiB chunks that is most of the file (docs/benchmarks.md).
 */
export const RANGE_CHUNK = 8_192;
/** The first request: the header and the first objects. */
export const FIRST_RANGE = 65_536;

export type Opened =
  /** The whole file (kept copy, a small file, or a server without ranges). */
  | { kind: 'bytes'; loaded: Loaded }
  /** The first bytes and the file's length; `reader` fetches the rest on demand. */
  | { kind: 'ranged'; length: number; initial: ArrayBuffer; reader: RangeReader };

/**
 * How to open `path`: from the kept copy when there is one (revalidated as DocStore.load
 * does), else from its first range. A file that fits the first range is kept at once.
 */
export async function openDocument(store: DocStore, path: string, chunk = FIRST_RANGE): Promise<Opened> {
  if (await store.has(path)) return { kind: 'bytes', loaded: await store.load(path) };
  const again = readers(store).get(path);
  if (again) return { kind: 'ranged', length: again.length, initial: again.initial, reader: again.reader };
  let first;
  try {
    first = await store.range(path, 0, chunk);
  } catch (e) {
    if (e instanceof OfflineError) throw e;
    // A refusal (gone, no access) or a range the server could not give: the plain download
    // says what is wrong, or works.
    return { kind: 'bytes', loaded: await store.load(path) };
  }
  if (first.whole) {
    await store.keep(path, first.bytes, first.etag).catch(() => undefined);
    return { kind: 'bytes', loaded: { bytes: first.bytes, fromCache: false, offline: false } };
  }
  const reader = new RangeReader(store, path, first.etag);
  readers(store).set(path, { reader, length: first.total, initial: first.bytes });
  // Once the whole file is kept the copy serves; if it could not be had, the next opening
  // starts afresh.
  void reader.settled.finally(() => readers(store).delete(path));
  return { kind: 'ranged', length: first.total, initial: first.bytes, reader };
}

/**
 * Files being opened by ranges, per store: reopening one before its whole file is kept reuses
 * its reader (and its one background download) instead of starting another.
 */
const open = new WeakMap<DocStore, Map<string, { reader: RangeReader; length: number; initial: ArrayBuffer }>>();
function readers(store: DocStore) {
  let m = open.get(store);
  if (!m) open.set(store, (m = new Map()));
  return m;
}

/** The ranges of one file not yet kept, and the whole file fetched once in the background. */
export class RangeReader {
  private whole: Promise<ArrayBuffer> | null = null;
  private full: ArrayBuffer | null = null;
  private ended: () => void = () => undefined;
  /** Resolves once the background download of the whole file ended, kept or failed. */
  readonly settled = new Promise<void>((r) => (this.ended = r));
  constructor(
    private readonly store: DocStore,
    private readonly path: string,
    private readonly etag: string | null,
  ) {}

  /**
   * Fetches and keeps the whole file (once); ranges are then cut from it. `onData` sees the
   * file's bytes in order as they arrive (`begin` is where the chunk starts), so PDF.js can
   * read the file's start from the download while it asks for other ranges.
   */
  keepWhole(onData?: (begin: number, chunk: Uint8Array) => void): Promise<ArrayBuffer> {
    if (!this.whole) {
      let at = 0;
      const onChunk = onData
        ? (c: Uint8Array) => {
            onData(at, c);
            at += c.byteLength;
          }
        : undefined;
      this.whole = this.store.load(this.path, true, onChunk).then((r) => (this.full = r.bytes));
      this.whole.then(
        () => this.ended(),
        () => {
          // A later read may try again.
          this.whole = null;
          this.ended();
        },
      );
    }
    return this.whole;
  }

  /** Whether the whole file is here (and kept, where the tablet can keep files). */
  get complete(): boolean {
    return this.full !== null;
  }

  /** Bytes `[begin, end)`: a Range request, or the whole file when that fails or is here. */
  async read(begin: number, end: number): Promise<ArrayBuffer> {
    if (this.full) return this.full.slice(begin, end);
    try {
      const r = await this.store.range(this.path, begin, end);
      if (r.whole) {
        this.full = r.bytes;
        return r.bytes.slice(begin, end);
      }
      // Another file under the same path (its ETag changed) must not be mixed into this one.
      if (this.etag && r.etag && r.etag !== this.etag) throw new Error('the file changed');
      if (r.begin !== begin || r.bytes.byteLength !== Math.min(end, r.total) - begin) throw new Error('not the range asked for');
      return r.bytes;
    } catch {
      return (await this.keepWhole()).slice(begin, end);
    }
  }
}
