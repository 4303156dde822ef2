// The annotation outbox: every change a reader makes (create, update, delete) is written here
// first, kept on the tablet (IndexedDB, annotations/idb.ts), and sent to the server in order.
// Nothing drawn is lost when the network drops or the page reloads: the queue is sent when the
// connection returns. Creation carries the client's id, so a retry after a lost answer stores
// it once; updates carry the revision they edit, and a 409 `stale_version` is never overwritten
// (the tablet re-reads and says so), except where it was our own earlier change.
import type { Annotation, Kind } from './model';

export interface CreateBody {
  page: number;
  kind: Kind;
  shared: boolean;
  data: any;
  /** The document version drawn on (the latest, when the reader opened it). */
  document_version?: number;
}

export interface Patch {
  shared?: boolean;
  data?: any;
  page?: number;
}

interface OpBase {
  /** Queue order (also the storage key). */
  key: number;
  /** The author: a tablet shared by two people sends each one's changes under their own session. */
  user: string;
  /** The annotation's id. */
  id: string;
  /** Its document. */
  doc: string;
}
export type Op =
  | (OpBase & { kind: 'create'; body: CreateBody })
  | (OpBase & { kind: 'update'; base: number; patch: Patch })
  | (OpBase & { kind: 'delete' });

/** Where the queue is kept (IndexedDB in the browser, a map in tests). */
export interface OpStorage {
  all(): Promise<Op[]>;
  put(op: Op): Promise<void>;
  del(key: number): Promise<void>;
}

/** An error from the API (session.ts ApiError) or the network (anything without a status). */
export interface HttpError {
  status?: number;
  code?: string;
}

/** The HTTP calls the outbox makes (Session.request in the app). */
export type Request = <T>(method: string, path: string, body?: unknown) => Promise<T>;

/** What happened to a queued change, for the reader that shows the document. */
export type OutboxEvent =
  | { type: 'saved'; doc: string; annotation: Annotation }
  | { type: 'gone'; doc: string; id: string }
  /** Changed elsewhere since this tablet's edit (409 stale_version): the server's version, edit not applied. */
  | { type: 'conflict'; doc: string; annotation: Annotation | null; id: string }
  /** Refused (422, 403, 409 meeting_closed…): the change is dropped; `error` says why. */
  | { type: 'refused'; doc: string; id: string; error: unknown }
  /** The queue changed (length or contents). */
  | { type: 'queue' };

/** A network failure, a server that is down or busy: keep the change and try again later. */
export function retryable(e: unknown): boolean {
  const s = (e as HttpError | null)?.status;
  return typeof s !== 'number' || s === 0 || s === 408 || s === 429 || s >= 500;
}

const enc = encodeURIComponent;

/**
 * Adds `op` to the queue, merging it with a change to the same annotation that is still
 * waiting (not being sent): create+update is one create, create+delete is nothing,
 * update+update one update (on the first's base), update+delete a delete. Returns the new
 * queue; `inFlight` is the key of the change being sent now (never merged into).
 */
export function coalesce(queue: readonly Op[], op: Op, inFlight: number | null = null): Op[] {
  const i = findLastIndex(queue, (o) => o.id === op.id && o.user === op.user);
  const prev = i >= 0 && queue[i].key !== inFlight ? queue[i] : null;
  if (!prev) return [...queue, op];
  const out = [...queue];
  if (prev.kind === 'create' && op.kind === 'update') {
    out[i] = { ...prev, body: { ...prev.body, ...op.patch } };
  } else if (prev.kind === 'create' && op.kind === 'delete') {
    out.splice(i, 1);
  } else if (prev.kind === 'update' && op.kind === 'update') {
    out[i] = { ...prev, patch: { ...prev.patch, ...op.patch } };
  } else if (prev.kind === 'update' && op.kind === 'delete') {
    out.splice(i, 1);
    out.push(op);
  } else out.push(op);
  return out;
}

function findLastIndex<T>(a: readonly T[], f: (x: T) => boolean): number {
  for (let i = a.length - 1; i >= 0; i--) if (f(a[i])) return i;
  return -1;
}

export class Outbox {
  private queue: Op[] = [];
  private loaded: Promise<void> | null = null;
  private inFlight: number | null = null;
  private flushing: Promise<boolean> | null = null;
  private lastKey = 0;
  private listeners = new Set<(e: OutboxEvent) => void>();

  constructor(
    private readonly storage: OpStorage,
    private readonly request: Request,
    /** The signed-in user's id, or null. */
    private readonly me: () => string | null,
  ) {}

  subscribe(fn: (e: OutboxEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
  private emit(e: OutboxEvent) {
    for (const l of this.listeners) l(e);
  }

  /** Reads the kept queue once (the first call); later calls wait for the same read. */
  load(): Promise<void> {
    this.loaded ??= this.storage
      .all()
      .catch(() => [] as Op[])
      .then((ops) => {
        // Changes queued before the read finished go after the kept ones.
        this.queue = [...ops.sort((a, b) => a.key - b.key), ...this.queue];
        this.lastKey = Math.max(this.lastKey, ...this.queue.map((o) => o.key), 0);
      });
    return this.loaded;
  }

  /** The waiting changes (of every user; filter by `user`). */
  ops(): readonly Op[] {
    return this.queue;
  }

  /** Ids with a change waiting or being sent. */
  pendingIds(doc?: string): Set<string> {
    return new Set(this.queue.filter((o) => !doc || o.doc === doc).map((o) => o.id));
  }

  private nextKey(): number {
    // Keys increase even across reloads and tabs: time-based, never repeating here.
    this.lastKey = Math.max(this.lastKey + 1, Date.now() * 1000);
    return this.lastKey;
  }

  async create(user: string, a: { id: string; doc: string; body: CreateBody }) {
    await this.add({ key: this.nextKey(), user, kind: 'create', id: a.id, doc: a.doc, body: a.body });
  }
  async update(user: string, a: { id: string; doc: string; base: number; patch: Patch }) {
    await this.add({ key: this.nextKey(), user, kind: 'update', id: a.id, doc: a.doc, base: a.base, patch: a.patch });
  }
  async remove(user: string, a: { id: string; doc: string }) {
    await this.add({ key: this.nextKey(), user, kind: 'delete', id: a.id, doc: a.doc });
  }

  private async add(op: Op) {
    await this.load();
    const before = new Map(this.queue.map((o) => [o.key, o]));
    this.queue = coalesce(this.queue, op, this.inFlight);
    await this.persist(before);
    this.emit({ type: 'queue' });
    void this.flush();
  }

  /** Writes what changed in the queue since `before` (a snapshot by key). */
  private async persist(before: Map<number, Op>) {
    const now = new Map(this.queue.map((o) => [o.key, o]));
    try {
      for (const [k] of before) if (!now.has(k)) await this.storage.del(k);
      for (const [k, o] of now) if (before.get(k) !== o) await this.storage.put(o);
    } catch {
      /* storage full or gone: the queue still lives in memory until sent */
    }
  }

  private async drop(op: Op) {
    const before = new Map(this.queue.map((o) => [o.key, o]));
    this.queue = this.queue.filter((o) => o.key !== op.key);
    await this.persist(before);
    this.emit({ type: 'queue' });
  }

  private async replace(op: Op, next: Op) {
    const before = new Map(this.queue.map((o) => [o.key, o]));
    this.queue = this.queue.map((o) => (o.key === op.key ? next : o));
    await this.persist(before);
  }

  /** Whether a later change of this annotation waits (its result is not the one to show). */
  private hasLater(op: Op): boolean {
    return this.queue.some((o) => o.id === op.id && o.key > op.key);
  }

  /** Our own change reached revision `version`: later edits of it build on that. */
  private async rebase(op: Op, version: number) {
    const before = new Map(this.queue.map((o) => [o.key, o]));
    this.queue = this.queue.map((o) => (o.id === op.id && o.key > op.key && o.kind === 'update' && o.base < version ? { ...o, base: version } : o));
    await this.persist(before);
  }

  /**
   * Sends the signed-in user's waiting changes in order. Resolves true when the queue is empty
   * of theirs, false when the network or the server failed (kept for the next try). One flush
   * at a time; a call during one waits for it and then tries again (the network may be back).
   */
  flush(): Promise<boolean> {
    if (this.flushing) return this.flushing.then(() => this.flush());
    this.flushing = (async () => {
      try {
        await this.load();
        return await this.sendAll();
      } finally {
        this.flushing = null;
      }
    })();
    return this.flushing;
  }

  private async sendAll(): Promise<boolean> {
    for (;;) {
      const me = this.me();
      if (!me) return false;
      const op = this.queue.find((o) => o.user === me);
      if (!op) return true;
      this.inFlight = op.key;
      try {
        if (!(await this.send(op))) return false;
      } finally {
        this.inFlight = null;
      }
    }
  }

  /** Sends one change; false when it must wait for the network. */
  private async send(op: Op): Promise<boolean> {
    try {
      if (op.kind === 'create') {
        const a = await this.request<Annotation>('POST', `/documents/${enc(op.doc)}/annotations`, { id: op.id, ...op.body });
        await this.done(op, a);
      } else if (op.kind === 'update') {
        const a = await this.request<Annotation>('PATCH', `/annotations/${enc(op.id)}`, { version: op.base, ...op.patch });
        await this.done(op, a);
      } else {
        await this.request('DELETE', `/annotations/${enc(op.id)}`);
        await this.drop(op);
        if (!this.hasLater(op)) this.emit({ type: 'gone', doc: op.doc, id: op.id });
      }
      return true;
    } catch (e) {
      if (retryable(e)) return false;
      return this.refused(op, e as HttpError);
    }
  }

  private async done(op: Op, a: Annotation) {
    await this.rebase(op, a.version);
    await this.drop(op);
    if (!this.hasLater(op)) this.emit({ type: 'saved', doc: op.doc, annotation: a });
  }

  /** A 4xx answer: resolve what can be resolved, drop and report the rest. */
  private async refused(op: Op, e: HttpError): Promise<boolean> {
    try {
      if (op.kind === 'create' && e.code === 'stale_document_version' && op.body.document_version !== undefined) {
        // A new version came while this was drawn: it goes onto the new version, as an
        // annotation made just before the upload would have been carried forward.
        const { document_version: _, ...body } = op.body;
        await this.replace(op, { ...op, body });
        return true;
      }
      if (op.kind === 'create' && e.code === 'annotation_exists') {
        // Our create reached the server before (the answer was lost) and was changed here
        // since: re-apply the change on top of what the server holds, if it is ours.
        const cur = await this.request<Annotation>('GET', `/annotations/${enc(op.id)}`).catch((x) => x as HttpError);
        if ((cur as Annotation)?.user_id === op.user) {
          const a = cur as Annotation;
          const { page, shared, data } = op.body;
          await this.replace(op, { key: op.key, user: op.user, id: op.id, doc: op.doc, kind: 'update', base: a.version, patch: { page, shared, data } });
          return true;
        }
        if (retryable(cur)) return false;
      }
      if (op.kind === 'update' && e.code === 'stale_version') {
        const cur = await this.request<Annotation>('GET', `/annotations/${enc(op.id)}`).catch((x) => x as HttpError);
        if (retryable(cur) && !(cur as Annotation)?.id) return false;
        await this.drop(op);
        this.emit({ type: 'conflict', doc: op.doc, id: op.id, annotation: (cur as Annotation)?.id ? (cur as Annotation) : null });
        return true;
      }
      if (op.kind === 'delete' && e.status === 404) {
        // Already gone.
        await this.drop(op);
        if (!this.hasLater(op)) this.emit({ type: 'gone', doc: op.doc, id: op.id });
        return true;
      }
    } catch (x) {
      if (retryable(x)) return false;
    }
    await this.drop(op);
    this.emit({ type: 'refused', doc: op.doc, id: op.id, error: e });
    return true;
  }
}
