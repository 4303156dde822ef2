// The live client of one meeting (contract.md, "Live channel"): a websocket that says hello
// with its last_seq, receives the missed events, a welcome, then live events; reconnects with
// back-off and catches up from last_seq. When the socket cannot be opened at all it polls
// `GET …/events?after=N` every 2 s instead, and tries the socket again now and then.
import type { EventPage, LiveEvent } from './types';

/** The part of the browser WebSocket the client uses (tests pass a fake). */
export interface SocketLike {
  readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: any) => void) | null;
  onmessage: ((ev: { data: any }) => void) | null;
  onclose: ((ev: { code: number; reason?: string }) => void) | null;
  onerror: ((ev: any) => void) | null;
}

/**
 * `connecting`: first attempt; `socket`: live over the websocket; `polling`: live by polling;
 * `offline`: the server cannot be reached, retrying; `forbidden`/`stopped`: given up.
 */
export type LiveStatus = 'connecting' | 'socket' | 'polling' | 'offline' | 'forbidden' | 'stopped';

/** A `presence` message as received (see `applyPresence` in meeting/state.ts). */
export type Presence = Record<string, unknown>;

export interface LiveOptions {
  url: string;
  getToken: () => Promise<string | null>;
  /** Called after a 4401 close: refresh the access token. */
  refreshToken: () => Promise<unknown>;
  fetchEvents: (after: number) => Promise<EventPage>;
  onEvents: (events: LiveEvent[]) => void;
  onStatus: (status: LiveStatus) => void;
  onPresence?: (p: Presence) => void;
  /** Ephemeral events other than presence (`presenter.page`, `annotation.stroke`): type and data. */
  onEphemeral?: (type: string, data: any) => void;
  /** How long a request waits for its ack before failing with `timeout`. */
  requestTimeoutMs?: number;
  /** Called when the log has a gap we cannot fill (should not happen): reload everything. */
  onResync?: () => void;
  createSocket?: (url: string) => SocketLike;
  pollMs?: number;
  /** While polling, how often to try the socket again. */
  socketRetryMs?: number;
  pingMs?: number;
  maxBackoffMs?: number;
}

export const CLOSE_UNAUTHENTICATED = 4401;
export const CLOSE_FORBIDDEN = 4403;
export const CLOSE_TOO_SLOW = 4408;

/** A refused or unanswered live request: `code` from the server's `error`, or `not_connected`/`timeout`. */
export class LiveRequestError extends Error {
  constructor(
    public readonly code: string,
    detail?: string,
  ) {
    super(detail || code);
  }
}

interface Pending {
  resolve: (m: any) => void;
  reject: (e: LiveRequestError) => void;
  timer: ReturnType<typeof setTimeout>;
}

export class LiveClient {
  status: LiveStatus = 'connecting';
  lastSeq = 0;
  private socket: SocketLike | null = null;
  private everWelcomed = false;
  private stopped = false;
  private failures = 0;
  private authRetries = 0;
  private pollTimer: ReturnType<typeof setTimeout> | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private lastMessage = 0;
  private polling = false;
  private pollBusy = false;
  private ref = 0;
  private pending = new Map<string, Pending>();

  constructor(private readonly o: LiveOptions) {}

  start(lastSeq: number) {
    this.lastSeq = lastSeq;
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.pollTimer);
    clearTimeout(this.retryTimer);
    clearInterval(this.pingTimer);
    this.polling = false;
    const s = this.socket;
    this.socket = null;
    if (s) {
      s.onclose = s.onmessage = s.onerror = s.onopen = null;
      try {
        s.close(1000);
      } catch {
        /* already closed */
      }
    }
    this.failPending();
    this.setStatus('stopped');
  }

  /** Whether requests can be sent now (welcomed on an open socket). */
  get connected(): boolean {
    return !this.stopped && !!this.socket && this.status === 'socket';
  }

  /**
   * Sends a request with a fresh `ref` and resolves with its `ack` (rejects with the `error`'s
   * code). Without a welcomed socket it fails at once with `not_connected`, so callers can fall
   * back to HTTP.
   */
  request(body: Record<string, unknown>): Promise<any> {
    const s = this.socket;
    if (!s || !this.connected) return Promise.reject(new LiveRequestError('not_connected'));
    const ref = `r${++this.ref}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(ref);
        reject(new LiveRequestError('timeout'));
      }, this.o.requestTimeoutMs ?? 10_000);
      this.pending.set(ref, { resolve, reject, timer });
      try {
        s.send(JSON.stringify({ ...body, ref }));
      } catch {
        clearTimeout(timer);
        this.pending.delete(ref);
        reject(new LiveRequestError('not_connected'));
      }
    });
  }

  /** Requests in flight when the socket went away will get no answer. */
  private failPending() {
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new LiveRequestError('not_connected'));
    }
    this.pending.clear();
  }

  private setStatus(s: LiveStatus) {
    if (this.status === s) return;
    this.status = s;
    this.o.onStatus(s);
  }

  /** Applies durable events in order; returns false on a gap. */
  private deliver(events: LiveEvent[]): boolean {
    const fresh: LiveEvent[] = [];
    for (const e of events) {
      if (e.seq <= this.lastSeq) continue;
      if (e.seq !== this.lastSeq + 1) {
        if (fresh.length) this.o.onEvents(fresh);
        return false;
      }
      fresh.push(e);
      this.lastSeq = e.seq;
    }
    if (fresh.length) this.o.onEvents(fresh);
    return true;
  }

  // --- websocket -------------------------------------------------------------------------

  private connect() {
    if (this.stopped) return;
    const create = this.o.createSocket ?? ((url: string) => new WebSocket(url) as unknown as SocketLike);
    let s: SocketLike;
    try {
      s = create(this.o.url);
    } catch {
      this.socketFailed();
      return;
    }
    this.socket = s;
    s.onopen = async () => {
      const token = await this.o.getToken();
      if (this.socket !== s) return;
      s.send(JSON.stringify({ type: 'hello', token, last_seq: this.lastSeq }));
    };
    s.onmessage = (ev) => this.onMessage(s, ev.data);
    s.onerror = () => undefined;
    s.onclose = (ev) => {
      if (this.socket !== s) return;
      this.socket = null;
      clearInterval(this.pingTimer);
      this.failPending();
      this.onClose(ev.code);
    };
  }

  private onMessage(s: SocketLike, raw: unknown) {
    if (this.socket !== s || typeof raw !== 'string') return;
    this.lastMessage = Date.now();
    let m: any;
    try {
      m = JSON.parse(raw);
    } catch {
      return;
    }
    if (typeof m.seq === 'number' && m.type !== 'welcome') {
      if (!this.deliver([m as LiveEvent])) void this.catchUp();
      return;
    }
    switch (m.type) {
      case 'welcome':
        this.everWelcomed = true;
        this.failures = 0;
        this.authRetries = 0;
        this.stopPolling();
        clearTimeout(this.retryTimer);
        if (typeof m.seq === 'number' && m.seq > this.lastSeq) void this.catchUp();
        this.setStatus('socket');
        this.startPing(s);
        break;
      case 'presence':
        this.o.onPresence?.(m as Presence);
        break;
      case 'ack':
      case 'error': {
        const p = typeof m.ref === 'string' ? this.pending.get(m.ref) : undefined;
        if (!p) break;
        this.pending.delete(m.ref);
        clearTimeout(p.timer);
        if (m.type === 'ack') p.resolve(m);
        else p.reject(new LiveRequestError(String(m.code ?? 'error'), m.detail));
        break;
      }
      case 'pong':
        break;
      default:
        if (typeof m.type === 'string') this.o.onEphemeral?.(m.type, m.data ?? {});
        break;
    }
  }

  private startPing(s: SocketLike) {
    const every = this.o.pingMs ?? 20_000;
    clearInterval(this.pingTimer);
    this.pingTimer = setInterval(() => {
      if (this.socket !== s) return;
      if (Date.now() - this.lastMessage > every * 2) {
        // Nothing heard for two rounds: the connection is dead.
        s.onclose?.({ code: 4000 });
        try {
          s.close(4000);
        } catch {
          /* ignore */
        }
        return;
      }
      s.send(JSON.stringify({ type: 'ping', ref: `p${++this.ref}` }));
    }, every);
  }

  private onClose(code: number) {
    if (this.stopped) return;
    if (code === CLOSE_FORBIDDEN) {
      this.setStatus('forbidden');
      this.stopPolling();
      return;
    }
    if (code === CLOSE_UNAUTHENTICATED && this.authRetries < 2) {
      this.authRetries += 1;
      void this.o.refreshToken().then(() => this.connect());
      return;
    }
    if (code === CLOSE_TOO_SLOW) {
      this.connect();
      return;
    }
    this.socketFailed();
  }

  /**
   * The socket closed or never opened. Poll meanwhile (it keeps events flowing and tells
   * whether the server is reachable) and try the socket again: soon with back-off when it
   * has worked before, else every `socketRetryMs` (an older server, a proxy without upgrades).
   */
  private socketFailed() {
    if (this.stopped) return;
    this.failures += 1;
    this.startPolling();
    const max = this.o.maxBackoffMs ?? 15_000;
    const delay = this.everWelcomed
      ? Math.min(max, 500 * 2 ** Math.min(this.failures - 1, 10))
      : (this.o.socketRetryMs ?? 30_000);
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  /**
   * A fresh access token (the session refreshed it): hand it to the open socket with
   * `{"type":"auth"}` so the server does not close it at the old token's expiry (4401).
   */
  renewToken(token: string) {
    if (this.stopped || !this.socket || this.status !== 'socket') return;
    try {
      this.socket.send(JSON.stringify({ type: 'auth', ref: `a${++this.ref}`, token }));
    } catch {
      /* the close handler reconnects */
    }
  }

  /** The browser says the network went away or came back. */
  networkChanged(online: boolean) {
    if (this.stopped) return;
    if (!online) {
      this.setStatus('offline');
      const s = this.socket;
      if (s) {
        this.socket = null;
        s.onclose = s.onmessage = s.onerror = s.onopen = null;
        clearInterval(this.pingTimer);
        this.failPending();
        try {
          s.close(4000);
        } catch {
          /* ignore */
        }
      }
      this.socketFailed();
      return;
    }
    // Back: try everything now rather than at the next timer.
    this.failures = 0;
    clearTimeout(this.retryTimer);
    if (!this.socket) this.connect();
    if (this.polling) {
      clearTimeout(this.pollTimer);
      void this.poll();
    }
  }

  // --- polling ---------------------------------------------------------------------------

  private startPolling() {
    if (this.polling) return;
    this.polling = true;
    void this.poll();
  }

  private stopPolling() {
    this.polling = false;
    clearTimeout(this.pollTimer);
  }

  private async poll() {
    if (!this.polling || this.stopped) return;
    const ok = await this.catchUp();
    if (!this.polling || this.stopped) return;
    if (ok) this.setStatus('polling');
    else this.setStatus('offline');
    clearTimeout(this.pollTimer);
    this.pollTimer = setTimeout(() => void this.poll(), this.o.pollMs ?? 2000);
  }

  /** Fetches everything after lastSeq over HTTP; false when the server cannot be reached. */
  async catchUp(): Promise<boolean> {
    if (this.pollBusy) return true;
    this.pollBusy = true;
    try {
      for (let round = 0; round < 50; round++) {
        const page = await this.o.fetchEvents(this.lastSeq);
        if (this.stopped) return true;
        if (!this.deliver(page.events)) {
          this.o.onResync?.();
          return true;
        }
        if (page.last_seq <= this.lastSeq || page.events.length === 0) return true;
      }
      return true;
    } catch (e: any) {
      if (e && (e.status === 404 || e.status === 403)) {
        this.setStatus('forbidden');
        this.stopPolling();
      }
      return !(e && (e.status === undefined || e.status >= 500));
    } finally {
      this.pollBusy = false;
    }
  }
}

/** The websocket address of a meeting's live channel, from the page's own origin. */
export function liveUrl(meetingId: string, loc: { protocol: string; host: string } = location): string {
  const scheme = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${loc.host}/api/v1/meetings/${encodeURIComponent(meetingId)}/live`;
}
