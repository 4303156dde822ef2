// The signed-in user's notifications on this tablet: the unread count the header's bell shows and
// the list the notifications page shows, kept current by asking the server (on load, when the
// tablet comes back to the app, every minute) and by `notification.new` on whichever meeting's
// live channel is open. The server is reached through an injected `request`, so this runs and
// is tested without a DOM.
import { appendPage, markAll, markOne, mergeFirstPage, prepend, type AppNotification, type NotificationNew, type NotificationPage } from './model';

/** How many the list reads at a time (the server's default page). */
export const PAGE_SIZE = 20;
/** How often the count is read again while the app is on screen. */
export const REFRESH_MS = 60_000;

export type Request = <T>(method: string, path: string, body?: unknown) => Promise<T>;

export interface NotificationsState {
  items: AppNotification[];
  /** All the user's unread notifications (not only the listed ones); null until known. */
  unread: number | null;
  /** Pass as `before` for the next (older) page; null: nothing older. */
  nextBefore: string | null;
  /** The list's first page has been read. */
  loaded: boolean;
  loading: boolean;
  loadingMore: boolean;
  /** The last failure, and what failed: reading the list, an older page, or marking read. */
  error: { e: unknown; where: 'list' | 'more' | 'read' } | null;
}

const EMPTY: NotificationsState = { items: [], unread: null, nextBefore: null, loaded: false, loading: false, loadingMore: false, error: null };

const BASE = '/me/notifications';

export class NotificationStore {
  private s: NotificationsState = EMPTY;
  private listeners = new Set<(s: NotificationsState) => void>();
  /** Bumped by every local change (a mark, a pushed notification): an answer read before it is stale. */
  private epoch = 0;
  /** Bumped by `clear`: answers for the user before are dropped. */
  private generation = 0;
  private countInFlight: Promise<void> | null = null;
  private listInFlight: Promise<void> | null = null;
  /** How many screens show the list (they want the whole first page, not only the count). */
  private viewers = 0;

  constructor(
    private readonly request: Request,
    private readonly now: () => string = () => new Date().toISOString(),
  ) {}

  get state(): NotificationsState {
    return this.s;
  }

  subscribe(fn: (s: NotificationsState) => void): () => void {
    this.listeners.add(fn);
    return () => void this.listeners.delete(fn);
  }

  private set(patch: Partial<NotificationsState>) {
    this.s = { ...this.s, ...patch };
    for (const f of this.listeners) f(this.s);
  }

  /** Signed out or another user: forget everything (answers still on their way are dropped). */
  clear() {
    this.generation++;
    this.epoch++;
    this.countInFlight = null;
    this.listInFlight = null;
    this.set(EMPTY);
  }

  /** A screen showing the list opened (reads it) or closed; returns the closing function. */
  show(): () => void {
    this.viewers++;
    void this.refresh();
    let open = true;
    return () => {
      if (open) this.viewers--;
      open = false;
    };
  }

  /**
   * The periodic look: the whole first page while the list is on screen; otherwise only the
   * count (one notification's worth), and the first page too when something new has come since
   * the list was read, so it is current when opened.
   */
  poll(): Promise<void> {
    if (this.viewers > 0) return this.refresh();
    return this.refreshCount();
  }

  /** Reads the unread count (`limit=1`); one read at a time. */
  refreshCount(): Promise<void> {
    if (this.countInFlight) return this.countInFlight;
    const p: Promise<void> = this.readCount().finally(() => {
      if (this.countInFlight === p) this.countInFlight = null;
    });
    this.countInFlight = p;
    return p;
  }

  private async readCount() {
    const epoch = this.epoch;
    const generation = this.generation;
    try {
      const page = await this.request<NotificationPage>('GET', `${BASE}?limit=1`);
      // Overtaken by a change made meanwhile: its count is the newer one.
      if (epoch !== this.epoch || generation !== this.generation) return;
      const newest = page.notifications[0]?.id;
      this.set({ unread: page.unread });
      if (this.s.loaded && newest && newest !== this.s.items[0]?.id) await this.refresh();
    } catch {
      // The count stays as it was; the next look tries again (the list says its own errors).
    }
  }

  /**
   * Reads the first page again, keeping older pages already loaded; one read at a time. An
   * answer overtaken by a change made meanwhile (a mark, a pushed notification) is read once
   * more rather than shown.
   */
  refresh(): Promise<void> {
    if (this.listInFlight) return this.listInFlight;
    const p: Promise<void> = this.readFirstPage().finally(() => {
      if (this.listInFlight === p) this.listInFlight = null;
    });
    this.listInFlight = p;
    return p;
  }

  private async readFirstPage() {
    const generation = this.generation;
    this.set({ loading: true, error: this.s.error?.where === 'list' ? null : this.s.error });
    try {
      for (let attempt = 0; ; attempt++) {
        const epoch = this.epoch;
        const page = await this.request<NotificationPage>('GET', `${BASE}?limit=${PAGE_SIZE}`);
        if (generation !== this.generation) return;
        if (epoch !== this.epoch && attempt < 2) continue;
        const { items, nextBefore } = mergeFirstPage(this.s.loaded ? this.s.items : [], this.s.nextBefore, page);
        this.set({ items, nextBefore, unread: page.unread, loaded: true, loading: false, error: null });
        return;
      }
    } catch (e) {
      if (generation === this.generation) this.set({ loading: false, error: { e, where: 'list' } });
    }
  }

  /** Reads the next older page (`before` = the last page's `next_before`). */
  async loadMore(): Promise<void> {
    const before = this.s.nextBefore;
    if (!before || this.s.loadingMore) return;
    const epoch = this.epoch;
    const generation = this.generation;
    this.set({ loadingMore: true, error: null });
    try {
      const page = await this.request<NotificationPage>('GET', `${BASE}?limit=${PAGE_SIZE}&before=${encodeURIComponent(before)}`);
      if (generation !== this.generation) return;
      const { items, nextBefore } = appendPage(this.s.items, page);
      // Older notifications' read marks are the server's; its count only if nothing changed meanwhile.
      this.set({ items, nextBefore, unread: epoch === this.epoch ? page.unread : this.s.unread, loadingMore: false });
    } catch (e) {
      if (generation === this.generation) this.set({ loadingMore: false, error: { e, where: 'more' } });
    }
  }

  /**
   * Marks one read: at once on the tablet (the badge drops as the meeting opens), then on the
   * server, whose count is taken; a refusal puts the mark back.
   */
  async markRead(id: string): Promise<void> {
    const { items, changed } = markOne(this.s.items, id, this.now());
    if (!changed) return;
    const before = this.s.items.find((n) => n.id === id);
    this.epoch++;
    const epoch = this.epoch;
    this.set({ items, unread: Math.max(0, (this.s.unread ?? 1) - 1) });
    try {
      const r = await this.request<{ unread: number }>('POST', `${BASE}/${encodeURIComponent(id)}/read`);
      if (epoch === this.epoch) this.set({ unread: r.unread });
    } catch (e) {
      if (epoch !== this.epoch) return;
      this.set({
        items: this.s.items.map((n) => (n.id === id && before ? { ...n, read_at: before.read_at } : n)),
        unread: (this.s.unread ?? 0) + 1,
        error: { e, where: 'read' },
      });
    }
  }

  /** Marks every notification read (the server's, not only the listed ones). */
  async markAllRead(): Promise<void> {
    const prev = this.s;
    this.epoch++;
    const epoch = this.epoch;
    this.set({ items: markAll(this.s.items, this.now()), unread: 0, error: null });
    try {
      const r = await this.request<{ unread: number }>('POST', `${BASE}/read-all`);
      if (epoch === this.epoch) this.set({ unread: r.unread });
    } catch (e) {
      if (epoch === this.epoch) this.set({ items: prev.items, unread: prev.unread, error: { e, where: 'read' } });
    }
  }

  /** `notification.new` from a live channel: listed at the top, the count as the server says. */
  receive(data: NotificationNew | null | undefined) {
    const n = data?.notification;
    if (!n || typeof n.id !== 'string') return;
    this.epoch++;
    const listed = this.s.items.some((x) => x.id === n.id);
    this.set({
      items: this.s.loaded ? prepend(this.s.items, n) : this.s.items,
      unread: typeof data.unread === 'number' ? data.unread : listed ? this.s.unread : (this.s.unread ?? 0) + 1,
    });
  }

  /** Forgets the last failure (the user dismissed it). */
  dismissError() {
    if (this.s.error) this.set({ error: null });
  }
}

/** The parts of `window` and `document` the watcher listens to (tests pass fakes). */
export interface WatchTarget {
  addEventListener(type: string, fn: () => void): void;
  removeEventListener(type: string, fn: () => void): void;
}

/**
 * Keeps the count current while the app runs: now, whenever the tablet comes back to it (the
 * window regains focus, the page becomes visible), and every `everyMs` while it is visible.
 * Returns the function that stops watching.
 */
export function watchUnread(
  store: Pick<NotificationStore, 'poll'>,
  win: WatchTarget,
  doc: WatchTarget & { visibilityState?: string },
  everyMs = REFRESH_MS,
): () => void {
  const look = () => void store.poll();
  const onVisibility = () => {
    if (doc.visibilityState !== 'hidden') look();
  };
  win.addEventListener('focus', look);
  win.addEventListener('online', look);
  doc.addEventListener('visibilitychange', onVisibility);
  const timer = setInterval(() => {
    // A tablet in a bag asks nobody anything; it looks again when it is back on screen.
    if (doc.visibilityState !== 'hidden') look();
  }, everyMs);
  look();
  return () => {
    clearInterval(timer);
    win.removeEventListener('focus', look);
    win.removeEventListener('online', look);
    doc.removeEventListener('visibilitychange', onVisibility);
  };
}
