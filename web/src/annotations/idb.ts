// IndexedDB on the tablet for annotations: the outbox (changes not yet on the server) and the
// last list read per document (shown when the reader opens without a connection). Like the
// document cache (documents/offline.ts), the browser part is thin and behind an interface;
// the logic using it is tested with an in-memory version.
import type { Annotation } from './model';
import type { Op, OpStorage } from './outbox';

const DB = 'ecabinet-annotations';
const OPS = 'outbox';
const LISTS = 'lists';

export interface ListCache {
  get(user: string, doc: string): Promise<Annotation[] | null>;
  put(user: string, doc: string, list: Annotation[]): Promise<void>;
  clear(): Promise<void>;
}

let opened: Promise<IDBDatabase> | null = null;

function open(): Promise<IDBDatabase> {
  opened ??= new Promise<IDBDatabase>((ok, fail) => {
    if (typeof indexedDB === 'undefined') return fail(new Error('no IndexedDB'));
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains(OPS)) db.createObjectStore(OPS, { keyPath: 'key' });
      if (!db.objectStoreNames.contains(LISTS)) db.createObjectStore(LISTS, { keyPath: 'k' });
    };
    req.onsuccess = () => ok(req.result);
    req.onerror = () => fail(req.error);
  }).catch((e) => {
    opened = null;
    throw e;
  });
  return opened;
}

function run<T>(store: string, mode: IDBTransactionMode, f: (s: IDBObjectStore) => IDBRequest | void): Promise<T> {
  return open().then(
    (db) =>
      new Promise<T>((ok, fail) => {
        const tx = db.transaction(store, mode);
        const req = f(tx.objectStore(store));
        // Resolve once the transaction is durable, not when the request succeeds.
        tx.oncomplete = () => ok((req ? req.result : undefined) as T);
        tx.onerror = () => fail(tx.error);
        tx.onabort = () => fail(tx.error);
      }),
  );
}

export const idbOps: OpStorage = {
  all: () => run<Op[]>(OPS, 'readonly', (s) => s.getAll()),
  put: (op) => run<void>(OPS, 'readwrite', (s) => void s.put(op)),
  del: (key) => run<void>(OPS, 'readwrite', (s) => void s.delete(key)),
};

export const idbLists: ListCache = {
  get: (user, doc) =>
    run<{ list: Annotation[] } | undefined>(LISTS, 'readonly', (s) => s.get(`${user}/${doc}`)).then((r) => r?.list ?? null),
  put: (user, doc, list) => run<void>(LISTS, 'readwrite', (s) => void s.put({ k: `${user}/${doc}`, list })),
  clear: () => run<void>(LISTS, 'readwrite', (s) => void s.clear()),
};
