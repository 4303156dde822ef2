// The minutes being written on this tablet: the server's copy, and the user's unsent text per
// field, kept on the tablet (synchronously, on every keystroke) until the server has it. Edits
// are sent after a pause in typing, one request at a time, each naming the version it builds
// on. When another tablet saved first (409 `stale_version`, or a `minutes.updated` announcing a
// newer version) the latest copy is read and each unsent field is looked at on its own: a field
// the other edit did not touch is sent again on the new version; a field both changed is a
// conflict the user settles (keep mine / take theirs), with their own text still in the field.
// Nothing typed is dropped without the user saying so: a refusal keeps the text, marked. The
// network, timers and storage come from outside, so the rules are unit-tested in Node.
import { retryable, type HttpError } from '../annotations/outbox';
import { MINUTES_TEXT_MAX, fieldValue, hasField, minutesTextLength, patchBody, type Field, type Minutes, type MinutesSignal } from './model';

/** localStorage, or a map in tests. */
export interface KeyValue {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export type Request = <T>(method: string, path: string, body?: unknown) => Promise<T>;

export interface EditorDeps {
  request: Request;
  storage: KeyValue | null;
  /** The signed-in user: what is kept on the tablet is theirs (a tablet may be shared). */
  user: string;
  /** The pause in typing after which an edit is sent. */
  debounceMs?: number;
  /** Typing without a pause is still sent after this long. */
  maxWaitMs?: number;
  /** The first wait before trying again after the network failed (doubles, at most 30 s). */
  retryMs?: number;
}

/** A field's text not yet on the server. */
export interface Draft {
  text: string;
  /** The server's text the edit started from: while the server still has it, nobody else changed the field. */
  base: string;
  /** Someone else changed this field meanwhile: their text (the user chooses; not sent until then). */
  theirs?: string;
  /** Refused (`text_too_long`, `minutes_final`, `forbidden`…): not sent again until edited. */
  error?: string;
}

/**
 * `saved`: everything typed is on the server; `saving`: edits wait for the pause in typing or
 * are being sent; `offline`: the server cannot be reached (edits kept on the tablet);
 * `conflict`: a field was changed elsewhere too; `refused`: a field was refused;
 * `unavailable`: the minutes could not be read (no access) and no copy is kept.
 */
export type SaveStatus = 'loading' | 'saved' | 'saving' | 'offline' | 'conflict' | 'refused' | 'unavailable';

export interface EditorState {
  minutes: Minutes | null;
  drafts: ReadonlyMap<Field, Draft>;
  status: SaveStatus;
  /** Why the minutes could not be read, while none are shown. */
  loadError: unknown;
  /** What is shown is the copy kept on this tablet (not read from the server since it opened). */
  fromCopy: boolean;
}

export interface FinalizeResult {
  number: string;
  minutes_document_id: string;
  /** Null for a meeting held in writing: its summary is its only record document. */
  conclusions_number?: string | null;
  conclusions_document_id: string | null;
}

/** A refusal decided on the tablet (e.g. finalising with unsent text), shaped like an API error. */
export class LocalRefusal extends Error {
  readonly status = 0;
  constructor(public readonly code: string) {
    super(code);
  }
}

const MAX_RETRY_MS = 30_000;

/**
 * At sign-out: the copies of draft minutes `user` read go (another person may use the tablet
 * next); their unsent text stays, to be sent when they sign in again.
 */
export function forgetMinutesCopies(storage: KeyValue & { readonly length: number; key(i: number): string | null }, user: string) {
  const prefix = `ecabinet.minutes.${user}.`;
  const keys: string[] = [];
  for (let i = 0; i < storage.length; i++) {
    const k = storage.key(i);
    if (k?.startsWith(prefix) && k.endsWith('.copy')) keys.push(k);
  }
  for (const k of keys) storage.removeItem(k);
}

export class MinutesEditor {
  private minutes: Minutes | null = null;
  private drafts = new Map<Field, Draft>();
  private loadError: unknown = null;
  private fromCopy = false;
  private offline = false;
  private sending = false;
  /** The newest version `minutes.updated` announced. */
  private announced = 0;
  /** The copy must be read again (opening, before finalising, after a 409). */
  private stale = true;
  private typing: ReturnType<typeof setTimeout> | null = null;
  /** When the oldest edit not yet handed to a request was typed. */
  private unsentSince: number | null = null;
  private retry: ReturnType<typeof setTimeout> | null = null;
  private failures = 0;
  private running: Promise<void> | null = null;
  private again = false;
  /** A batch was refused: send one field at a time, so only the field at fault is marked. */
  private oneByOne = false;
  private disposed = false;
  private listeners = new Set<(s: EditorState) => void>();
  private state: EditorState;

  constructor(
    private readonly meetingId: string,
    private readonly d: EditorDeps,
  ) {
    this.restore();
    this.state = this.snapshot();
  }

  private get path() {
    return `/meetings/${encodeURIComponent(this.meetingId)}/minutes`;
  }
  private get draftsKey() {
    return `ecabinet.minutes.${this.d.user}.${this.meetingId}.drafts`;
  }
  private get copyKey() {
    return `ecabinet.minutes.${this.d.user}.${this.meetingId}.copy`;
  }

  // --- reading ---------------------------------------------------------------------------

  get current(): EditorState {
    return this.state;
  }

  subscribe(fn: (s: EditorState) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** The text to show in a field: the user's unsent text, else the server's. */
  value(f: Field): string {
    return this.drafts.get(f)?.text ?? fieldValue(this.minutes, f);
  }

  /** Whether text can be typed now (a draft record is known, on the server or kept here). */
  get editable(): boolean {
    return !!this.minutes && this.minutes.state === 'draft';
  }

  /** Reads the minutes from the server (the kept copy shows meanwhile) and sends what waits. */
  load(): Promise<void> {
    this.stale = true;
    return this.pump();
  }

  // --- writing ---------------------------------------------------------------------------

  /** The user typed: kept on the tablet at once, sent after the pause in typing. */
  edit(f: Field, text: string) {
    if (!this.editable) return;
    const server = fieldValue(this.minutes, f);
    const prev = this.drafts.get(f);
    if (text === server && prev?.theirs === undefined) {
      // Typed back to what the server has: nothing to send.
      if (prev) this.drafts.delete(f);
    } else {
      const d: Draft = { text, base: prev?.base ?? server };
      if (prev?.theirs !== undefined) d.theirs = prev.theirs;
      if (minutesTextLength(text) > MINUTES_TEXT_MAX) d.error = 'text_too_long';
      this.drafts.set(f, d);
    }
    this.saveDrafts();
    this.emit();
    // After a pause in typing; a secretary typing on without one is saved every few seconds.
    const now = Date.now();
    this.unsentSince ??= now;
    const wait = now - this.unsentSince >= (this.d.maxWaitMs ?? 5000) ? 0 : (this.d.debounceMs ?? 800);
    if (this.typing) clearTimeout(this.typing);
    this.typing = setTimeout(() => {
      this.typing = null;
      void this.pump();
    }, wait);
  }

  /** A conflict settled for the user's text: it goes onto the other edit. */
  keepMine(f: Field) {
    const d = this.drafts.get(f);
    if (!d || d.theirs === undefined) return;
    this.drafts.set(f, { text: d.text, base: d.theirs, ...(d.error ? { error: d.error } : {}) });
    this.saveDrafts();
    this.emit();
    void this.pump();
  }

  /** A conflict settled for the other edit, or a refused text given up: the unsent text goes. */
  discard(f: Field) {
    if (!this.drafts.delete(f)) return;
    this.saveDrafts();
    this.emit();
  }

  /** A `minutes.updated` event: re-read unless it is our own save (its version is known already). */
  remoteChanged(sig: Pick<MinutesSignal, 'version'>) {
    this.announced = Math.max(this.announced, sig.version);
    // A save of ours in flight may be what is announced: its answer says (see run).
    if (this.minutes && sig.version <= this.minutes.version) return;
    void this.pump();
  }

  /** The connection is back: send now rather than at the next retry. */
  online() {
    this.failures = 0;
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    if (this.offline || this.sendable().length || !this.minutes) void this.pump();
  }

  /**
   * Sends everything now (before a preview or finalising) and re-reads the minutes; true when
   * nothing typed is left unsent.
   */
  async flush(): Promise<boolean> {
    if (this.typing) clearTimeout(this.typing);
    this.typing = null;
    this.stale = true;
    for (let round = 0; round < 4; round++) {
      await this.pump();
      while (this.running) await this.running;
      if (this.offline || !this.sendable().length) break;
    }
    return this.drafts.size === 0 && !this.offline;
  }

  /** Finalises (contract: 201 with the number and the two documents); refuses while text is unsent. */
  async finalize(): Promise<FinalizeResult> {
    if (!(await this.flush())) throw new LocalRefusal(this.offline ? 'not_connected' : 'unsaved_minutes');
    try {
      return await this.d.request<FinalizeResult>('POST', `${this.path}/finalize`, {});
    } finally {
      this.stale = true;
      await this.pump();
    }
  }

  /** Stops timers; what waits is sent once more now and stays kept on the tablet. */
  dispose() {
    this.disposed = true;
    this.listeners.clear();
    if (this.retry) clearTimeout(this.retry);
    const typing = this.typing;
    if (typing) clearTimeout(typing);
    this.typing = null;
    this.retry = null;
    if (typing && this.sendable().length) void this.pump();
  }

  // --- the one worker ----------------------------------------------------------------------

  /** Reads and sends, one request at a time; a call while it runs makes it look again after. */
  private pump(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.run().finally(() => {
      this.running = null;
      this.emit();
      if (this.again) {
        this.again = false;
        void this.pump();
      }
    });
    return this.running;
  }

  private async run(): Promise<void> {
    for (let round = 0; round < 8; round++) {
      this.again = false;
      if (!this.minutes || this.fromCopy || this.stale || this.announced > this.minutes.version) {
        if (!(await this.reload())) return;
        continue;
      }
      if (this.minutes.state === 'final' || this.typing) return;
      const batch = this.sendable();
      if (!batch.length) {
        this.oneByOne = false;
        return;
      }
      if (!(await this.patch(this.oneByOne ? batch.slice(0, 1) : batch))) return;
    }
    // Still not done after several rounds (others saving all the time): later.
    this.scheduleRetry();
  }

  /** Fields to send: changed, and neither in conflict nor refused. */
  private sendable(): [Field, string][] {
    const out: [Field, string][] = [];
    for (const [f, d] of this.drafts) if (d.theirs === undefined && !d.error && d.text !== fieldValue(this.minutes, f)) out.push([f, d.text]);
    return out;
  }

  private async reload(): Promise<boolean> {
    // Whatever asks for a re-read while this one is under way asks again.
    this.stale = false;
    try {
      const m = await this.d.request<Minutes>('GET', this.path);
      this.offline = false;
      this.failures = 0;
      this.loadError = null;
      this.accept(m);
      return true;
    } catch (e) {
      this.stale = true;
      if (retryable(e)) {
        this.offline = true;
        if (!this.minutes) this.loadError = e;
        this.scheduleRetry();
      } else {
        // No longer (or never) allowed to read them: nothing is shown; typed text stays kept.
        this.loadError = e;
        this.minutes = null;
        this.fromCopy = false;
        this.d.storage?.removeItem(this.copyKey);
      }
      return false;
    } finally {
      this.emit();
    }
  }

  /** Sends one batch; false when it must wait (network). */
  private async patch(batch: [Field, string][]): Promise<boolean> {
    const version = this.minutes!.version;
    this.unsentSince = null;
    this.sending = true;
    this.emit();
    try {
      const m = await this.d.request<Minutes>('PATCH', this.path, patchBody(version, batch));
      this.offline = false;
      this.failures = 0;
      for (const [f, text] of batch) {
        const d = this.drafts.get(f);
        if (!d) continue;
        // Typed on while it was sent: the rest builds on what was saved.
        if (d.text === text) this.drafts.delete(f);
        else this.drafts.set(f, { ...d, base: fieldValue(m, f) });
      }
      this.accept(m);
      return true;
    } catch (e) {
      if (retryable(e) || (e as HttpError).status === 401) {
        // The network, or signed out: kept as it is, for when the connection or the user is back.
        if (retryable(e)) this.offline = true;
        this.scheduleRetry();
        return false;
      }
      const code = (e as HttpError).code ?? 'error';
      if (code === 'stale_version' || code === 'minutes_final') {
        // Read the latest: the next round re-applies what the other edit did not touch.
        this.stale = true;
        return true;
      }
      if (batch.length > 1) {
        this.oneByOne = true;
        return true;
      }
      const d = this.drafts.get(batch[0][0]);
      if (d) this.drafts.set(batch[0][0], { ...d, error: code });
      this.saveDrafts();
      return true;
    } finally {
      this.sending = false;
    }
  }

  /** The server's copy: each unsent field is compared with it (see the module comment). */
  private accept(m: Minutes) {
    // A save's answer does not say the number finalising would take (only a read does): the
    // one last read stays shown until the next read (finalising reads it afresh anyway).
    const known = this.minutes?.next_number;
    this.minutes = m.state === 'draft' && m.next_number == null && known ? { ...m, next_number: known } : m;
    this.fromCopy = false;
    for (const [f, d] of this.drafts) {
      const cur = fieldValue(m, f);
      if (m.state === 'final') this.drafts.set(f, { text: d.text, base: d.base, error: 'minutes_final' });
      else if (!hasField(m, f)) this.drafts.set(f, { text: d.text, base: d.base, error: 'invalid_agenda_item' });
      else if (cur === d.text) this.drafts.delete(f);
      else if (cur === d.base) {
        if (d.theirs !== undefined) this.drafts.set(f, { text: d.text, base: d.base, ...(d.error ? { error: d.error } : {}) });
      } else if (d.theirs !== cur) this.drafts.set(f, { ...d, theirs: cur });
    }
    this.saveDrafts();
    this.saveCopy();
  }

  private scheduleRetry() {
    if (this.disposed || this.retry) return;
    const wait = Math.min(MAX_RETRY_MS, (this.d.retryMs ?? 2000) * 2 ** Math.min(this.failures, 10));
    this.failures += 1;
    this.retry = setTimeout(() => {
      this.retry = null;
      void this.pump();
    }, wait);
  }

  // --- kept on the tablet ------------------------------------------------------------------

  private restore() {
    const s = this.d.storage;
    if (!s) return;
    try {
      const kept = JSON.parse(s.getItem(this.draftsKey) ?? '[]') as [Field, Draft][];
      // A page opened anew tries refused text once more (what still holds is found again).
      if (Array.isArray(kept))
        for (const [f, d] of kept)
          if (typeof d?.text === 'string' && typeof d.base === 'string')
            this.drafts.set(f, { text: d.text, base: d.base, ...(d.theirs !== undefined ? { theirs: d.theirs } : {}), ...(d.error === 'text_too_long' ? { error: d.error } : {}) });
    } catch {
      /* unreadable: nothing kept */
    }
    try {
      const copy = JSON.parse(s.getItem(this.copyKey) ?? 'null') as Minutes | null;
      if (copy && typeof copy.version === 'number' && Array.isArray(copy.items)) {
        this.minutes = copy;
        this.fromCopy = true;
      }
    } catch {
      /* unreadable: read from the server */
    }
  }

  private saveDrafts() {
    const s = this.d.storage;
    if (!s) return;
    try {
      if (this.drafts.size) s.setItem(this.draftsKey, JSON.stringify([...this.drafts]));
      else s.removeItem(this.draftsKey);
    } catch {
      // Storage full: drop the copy of the server's text (it can be read again), keep the drafts.
      try {
        s.removeItem(this.copyKey);
        s.setItem(this.draftsKey, JSON.stringify([...this.drafts]));
      } catch {
        /* the drafts still live in memory until sent */
      }
    }
  }

  /** The server's copy, for a reload without the network; a final record needs none (documents). */
  private saveCopy() {
    const s = this.d.storage;
    if (!s || !this.minutes) return;
    try {
      if (this.minutes.state === 'final') s.removeItem(this.copyKey);
      else s.setItem(this.copyKey, JSON.stringify(this.minutes));
    } catch {
      /* no room: only the drafts matter */
    }
  }

  // --- telling the screen ------------------------------------------------------------------

  private status(): SaveStatus {
    const ds = [...this.drafts.values()];
    if (!this.minutes) {
      if (this.loadError && !retryable(this.loadError)) return 'unavailable';
      return this.offline ? 'offline' : 'loading';
    }
    if (ds.some((d) => d.theirs !== undefined)) return 'conflict';
    if (ds.some((d) => d.error)) return 'refused';
    if (this.offline) return 'offline';
    if (ds.length || this.sending) return 'saving';
    return 'saved';
  }

  private snapshot(): EditorState {
    return { minutes: this.minutes, drafts: new Map(this.drafts), status: this.status(), loadError: this.minutes ? null : this.loadError, fromCopy: this.fromCopy };
  }

  private emit() {
    this.state = this.snapshot();
    for (const l of this.listeners) l(this.state);
  }
}
