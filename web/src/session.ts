// The signed-in session: tokens in localStorage, the access token refreshed through
// /auth/refresh a minute before it expires (single flight), one retry on a 401. Signing in may
// take two steps (password, then a second-factor code: docs/api.md "Second factor (TOTP)"), and
// a 403 `mfa_enrollment_required` on any request is remembered so the app can lead the user to
// enrolment instead of showing refused screens. A session the server ended (from another device,
// by an admin, by a password change) is signed out here with `ended` set, for the sign-in screen
// to say so; a 401 that judges a form's field (a wrong current password) signs nobody out.
// Each sign-in's `device_token` is kept per username (not cleared by signing out) and sent with
// the next sign-in of that username, so that this tablet passes the server's per-username limit
// while someone elsewhere is guessing the password (docs/api.md, "Login limits and device tokens").
import type { Problem, TokenPair, User } from './types';

const KEY = 'ecabinet.session';
/** Device tokens by username (lower case): kept across sign-outs, they are this device's. */
const DEVICES_KEY = 'ecabinet.devices';
/** Usernames remembered on one tablet (a shared meeting-room tablet signs in several people). */
const DEVICES_MAX = 20;

export interface Stored {
  access_token: string;
  refresh_token: string;
  /** Epoch milliseconds when the access token expires. */
  expires_at: number;
  user: User;
  /**
   * Whether this user is known to have a second factor on: their sign-in needed a code, or they
   * turned it on (or found it on) here. `GET /me` does not say, so absent means "not known".
   */
  mfa?: boolean;
}

/** The password step's answer: signed in, or a code is needed for the `mfa_token`. */
export type LoginOutcome = { user: User } | { mfaToken: string };

export class ApiError extends Error {
  constructor(
    public readonly status: number,
    public readonly code: string,
    detail?: string,
    /** The problem's `reason` member (e.g. why a PDF was refused: docs/documents.md). */
    public readonly reason?: string,
    /** Seconds to wait before trying again (a 429's or 503's `Retry-After`). */
    public readonly retryAfter?: number,
  ) {
    super(detail || code);
  }
}

/** Milliseconds from now at which to refresh a token that expires at `expiresAt`. */
export function refreshDelay(expiresAt: number, now: number): number {
  const left = expiresAt - now;
  // A minute early, or at 80 % of a very short lifetime; never negative.
  const margin = Math.min(60_000, left * 0.2);
  return Math.max(0, left - margin);
}

type Listener = (s: Stored | null) => void;

const ENROLMENT_REQUIRED = 'mfa_enrollment_required';

/**
 * 401 codes that are an answer about what the user typed, not about the caller's token
 * (`POST /me/password` with a wrong current password): neither refreshed nor signed out.
 */
const FIELD_401 = new Set(['invalid_credentials', 'invalid_code']);

let clockOffset = 0;

/**
 * Milliseconds to add to this device's clock to get the server's, from the `Date` header of API
 * answers (second precision, so ±0.5 s): tablets with a wrong clock still count speaking time down
 * to the server's `deadline` correctly.
 */
export function serverClockOffset(): number {
  return clockOffset;
}

export function noteServerDate(header: string | null, sentAt: number, receivedAt: number) {
  if (!header) return;
  const server = Date.parse(header);
  if (Number.isNaN(server)) return;
  // The header truncates to the second: its middle is the best estimate, at the request's midpoint.
  const offset = server + 500 - (sentAt + receivedAt) / 2;
  // Ignore sub-second differences: they are within the header's precision.
  clockOffset = Math.abs(offset) < 1000 ? 0 : Math.round(offset);
}

export class Session {
  private stored: Stored | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private inflight: Promise<Stored | null> | null = null;
  private listeners = new Set<Listener>();
  private enrolmentNeeded = false;
  private endedByServer = false;

  constructor(
    private readonly base = '',
    private readonly fetchFn: typeof fetch = (...a) => fetch(...a),
    private readonly storage: Storage | null = typeof localStorage === 'undefined' ? null : localStorage,
  ) {
    const raw = this.storage?.getItem(KEY);
    if (raw) {
      try {
        this.stored = JSON.parse(raw) as Stored;
      } catch {
        this.stored = null;
      }
    }
    if (typeof window !== 'undefined') {
      // Another tab of the same browser refreshed or signed out: adopt its tokens.
      window.addEventListener('storage', (e) => {
        if (e.key !== KEY) return;
        this.stored = e.newValue ? (JSON.parse(e.newValue) as Stored) : null;
        this.schedule();
        this.emit();
      });
    }
    this.schedule();
  }

  get user(): User | null {
    return this.stored?.user ?? null;
  }

  get current(): Stored | null {
    return this.stored;
  }

  /**
   * The server refused a request with 403 `mfa_enrollment_required` since the last sign-in or
   * enrolment: the user's role needs a second factor and they have none.
   */
  get enrolmentRequired(): boolean {
    return this.enrolmentNeeded;
  }

  /**
   * The server ended this session (its refresh token or its access token was refused) since the
   * last sign-in: the sign-in screen says so instead of appearing unexplained.
   */
  get ended(): boolean {
    return this.endedByServer;
  }

  /** Signs out because the server no longer accepts this session. */
  private endedHere() {
    this.endedByServer = true;
    this.set(null);
  }

  private noteEnrolmentRequired(on: boolean) {
    if (this.enrolmentNeeded === on) return;
    this.enrolmentNeeded = on;
    this.emit();
  }

  /** Records that this user's second factor is on (`true`) or off (`false`). */
  setMfa(on: boolean) {
    if (!this.stored) return;
    this.set({ ...this.stored, mfa: on });
    if (on) this.noteEnrolmentRequired(false);
  }

  subscribe(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private emit() {
    for (const l of this.listeners) l(this.stored);
  }

  private set(s: Stored | null) {
    this.stored = s;
    if (s) this.storage?.setItem(KEY, JSON.stringify(s));
    else this.storage?.removeItem(KEY);
    this.schedule();
    this.emit();
  }

  private fromPair(p: TokenPair, mfa?: boolean): Stored {
    const s: Stored = {
      access_token: p.access_token,
      refresh_token: p.refresh_token,
      expires_at: Date.now() + p.expires_in * 1000,
      user: p.user,
    };
    if (mfa !== undefined) s.mfa = mfa;
    return s;
  }

  private schedule() {
    clearTimeout(this.timer);
    if (!this.stored) return;
    this.timer = setTimeout(() => void this.refresh(), refreshDelay(this.stored.expires_at, Date.now()));
  }

  private deviceTokens(): Record<string, string> {
    try {
      const v = JSON.parse(this.storage?.getItem(DEVICES_KEY) ?? '{}') as unknown;
      return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, string>) : {};
    } catch {
      return {};
    }
  }

  /** The device token an earlier sign-in of `username` gave this device, if any. */
  deviceToken(username: string): string | undefined {
    const t = this.deviceTokens()[username.trim().toLowerCase()];
    return typeof t === 'string' ? t : undefined;
  }

  private keepDeviceToken(p: TokenPair) {
    if (!p.device_token) return;
    const name = p.user.username.trim().toLowerCase();
    const all = this.deviceTokens();
    delete all[name];
    all[name] = p.device_token;
    // The most recent last: the oldest go first beyond the limit.
    const kept = Object.entries(all).slice(-DEVICES_MAX);
    this.storage?.setItem(DEVICES_KEY, JSON.stringify(Object.fromEntries(kept)));
  }

  /** The password step: signed in, or an `mfa_token` for `completeMfa`. */
  async login(username: string, password: string): Promise<LoginOutcome> {
    const device_token = this.deviceToken(username);
    const res = await this.fetchFn(`${this.base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(device_token ? { username, password, device_token } : { username, password }),
    });
    if (!res.ok) throw await toError(res);
    const body = (await res.json()) as TokenPair | { mfa_required: true; mfa_token: string };
    if ('mfa_required' in body && body.mfa_required) return { mfaToken: body.mfa_token };
    const pair = body as TokenPair;
    this.keepDeviceToken(pair);
    this.enrolmentNeeded = false;
    this.endedByServer = false;
    this.set(this.fromPair(pair));
    return { user: pair.user };
  }

  /** The code step: a TOTP or recovery `code` for the password step's `mfaToken`. */
  async completeMfa(mfaToken: string, code: string): Promise<User> {
    const res = await this.fetchFn(`${this.base}/api/v1/auth/mfa`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ mfa_token: mfaToken, code }),
    });
    if (!res.ok) throw await toError(res);
    const pair = (await res.json()) as TokenPair;
    this.keepDeviceToken(pair);
    this.enrolmentNeeded = false;
    this.endedByServer = false;
    this.set(this.fromPair(pair, true));
    return pair.user;
  }

  async logout(): Promise<void> {
    const s = this.stored;
    this.enrolmentNeeded = false;
    this.endedByServer = false;
    this.set(null);
    if (s) {
      await this.fetchFn(`${this.base}/api/v1/auth/logout`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${s.access_token}` },
      }).catch(() => undefined);
    }
  }

  /** Exchanges the refresh token for a new pair; signs out when it is refused. */
  refresh(): Promise<Stored | null> {
    if (this.inflight) return this.inflight;
    const s = this.stored;
    if (!s) return Promise.resolve(null);
    this.inflight = (async () => {
      try {
        const res = await this.fetchFn(`${this.base}/api/v1/auth/refresh`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ refresh_token: s.refresh_token }),
        });
        if (res.status === 401) {
          // Another tab may have rotated it already.
          if (this.stored && this.stored.refresh_token !== s.refresh_token) return this.stored;
          this.endedHere();
          return null;
        }
        if (!res.ok) throw await toError(res);
        const next = this.fromPair((await res.json()) as TokenPair, this.stored?.mfa);
        this.set(next);
        return next;
      } catch (e) {
        // Network trouble: keep the session, try again shortly.
        clearTimeout(this.timer);
        this.timer = setTimeout(() => void this.refresh(), 5000);
        if (e instanceof ApiError) throw e;
        return this.stored;
      } finally {
        this.inflight = null;
      }
    })();
    return this.inflight;
  }

  /** A usable access token, refreshed first when it is about to expire. */
  async token(): Promise<string | null> {
    if (!this.stored) return null;
    if (this.stored.expires_at - Date.now() < 10_000) await this.refresh();
    return this.stored?.access_token ?? null;
  }

  /**
   * An authenticated request answered as a raw `Response` (files, uploads' fallbacks): the
   * bearer token added, a 401 refreshed and retried once. Non-2xx answers are returned, not
   * thrown; network failures throw as `fetch` does.
   */
  async fetchRaw(path: string, init: RequestInit = {}): Promise<Response> {
    for (let attempt = 0; ; attempt++) {
      const token = await this.token();
      if (!token) throw new ApiError(401, 'signed_out');
      const headers = new Headers(init.headers);
      headers.set('Authorization', `Bearer ${token}`);
      const res = await this.fetchFn(`${this.base}/api/v1${path}`, { ...init, headers });
      if (res.status === 401 && attempt === 0) {
        await this.refresh();
        continue;
      }
      if (res.status === 403) {
        const p = (await res
          .clone()
          .json()
          .catch(() => null)) as Problem | null;
        if (p?.code === ENROLMENT_REQUIRED) this.noteEnrolmentRequired(true);
      }
      return res;
    }
  }

  /** An authenticated JSON request; a 401 triggers one refresh and one retry. */
  async request<T>(method: string, path: string, body?: unknown, extraHeaders?: Record<string, string>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const token = await this.token();
      if (!token) throw new ApiError(401, 'signed_out');
      const headers: Record<string, string> = { ...extraHeaders, Authorization: `Bearer ${token}` };
      if (body !== undefined) headers['Content-Type'] = 'application/json';
      const sentAt = Date.now();
      const res = await this.fetchFn(`${this.base}/api/v1${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      noteServerDate(res.headers?.get?.('Date') ?? null, sentAt, Date.now());
      if (res.status === 401) {
        const err = await toError(res);
        if (FIELD_401.has(err.code)) throw err;
        if (attempt === 0) {
          await this.refresh();
          continue;
        }
        // Refused with a token just refreshed: the session has ended (refresh() has usually
        // signed out already).
        if (this.stored) this.endedHere();
        throw err;
      }
      if (!res.ok) {
        const err = await toError(res);
        if (res.status === 403 && err.code === ENROLMENT_REQUIRED) this.noteEnrolmentRequired(true);
        throw err;
      }
      if (res.status === 204) return undefined as T;
      return (await res.json()) as T;
    }
  }
}

export async function toError(res: Response): Promise<ApiError> {
  const header = res.headers?.get?.('Retry-After');
  const secs = header ? Number(header) : NaN;
  const retryAfter = Number.isFinite(secs) && secs >= 0 ? secs : undefined;
  try {
    const p = (await res.json()) as Problem;
    return new ApiError(res.status, p.code || 'error', p.detail, typeof p.reason === 'string' ? p.reason : undefined, retryAfter);
  } catch {
    return new ApiError(res.status, 'error', undefined, undefined, retryAfter);
  }
}
