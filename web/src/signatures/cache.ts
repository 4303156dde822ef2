// The signature lists of document versions, fetched when first shown and kept per (document,
// version): a version's bytes never change, so neither do its signatures (a new signature is a
// new version, which a `document.replaced` event brings, and that is a new key). One request
// per key at a time, at most `concurrency` in flight (a meeting's list shows every document at
// once). A failure is not kept (tried again the next time it is shown); a 404 is kept as "no
// signatures" (a server without the endpoint, or a document gone).
import type { DocSignature } from '../types';

export type FetchSignatures = (docId: string, version: number) => Promise<DocSignature[]>;

/** Is this error a 404 (kept as an empty list)? */
export type IsNotFound = (e: unknown) => boolean;

export class SignatureCache {
  private done = new Map<string, DocSignature[]>();
  private pending = new Map<string, Promise<DocSignature[]>>();
  private queue: (() => void)[] = [];
  private running = 0;

  constructor(
    private readonly fetchList: FetchSignatures,
    private readonly isNotFound: IsNotFound = () => false,
    private readonly concurrency = 2,
  ) {}

  static key(docId: string, version: number): string {
    return `${docId}@${version}`;
  }

  /** The list when it is known. */
  get(docId: string, version: number): DocSignature[] | undefined {
    return this.done.get(SignatureCache.key(docId, version));
  }

  /** The list, fetched once per key (concurrent callers share the request). */
  load(docId: string, version: number): Promise<DocSignature[]> {
    const key = SignatureCache.key(docId, version);
    const known = this.done.get(key);
    if (known) return Promise.resolve(known);
    const inflight = this.pending.get(key);
    if (inflight) return inflight;
    const p = this.slot(() => this.fetchList(docId, version))
      .then(
        (list) => {
          this.done.set(key, list);
          return list;
        },
        (e) => {
          if (!this.isNotFound(e)) throw e;
          const none: DocSignature[] = [];
          this.done.set(key, none);
          return none;
        },
      )
      .finally(() => this.pending.delete(key));
    this.pending.set(key, p);
    return p;
  }

  /** Forgets everything (a sign-out). */
  clear() {
    this.done.clear();
  }

  private slot<T>(run: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const start = () => {
        this.running++;
        run()
          .then(resolve, reject)
          .finally(() => {
            this.running--;
            this.queue.shift()?.();
          });
      };
      if (this.running < this.concurrency) start();
      else this.queue.push(start);
    });
  }
}
