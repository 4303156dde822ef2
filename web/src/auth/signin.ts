// The sign-in's steps as a small state machine, apart from the screen so that it can be tested:
// the password step, then (when the account has a second factor) the code step with the
// `mfa_token` it gave. A wrong code keeps the code step (same token); an expired or used token
// goes back to the password step; a 429 holds the form until `Retry-After` has passed.
import { ApiError, type LoginOutcome } from '../session';
import type { User } from '../types';

export interface SignInApi {
  login(username: string, password: string): Promise<LoginOutcome>;
  completeMfa(mfaToken: string, code: string): Promise<User>;
}

export type SignInState =
  | { step: 'password'; busy: boolean; error: unknown; waitUntil: number | null }
  | {
      step: 'code';
      mfaToken: string;
      /** A recovery code is typed instead of the authenticator's six digits. */
      recovery: boolean;
      busy: boolean;
      error: unknown;
      waitUntil: number | null;
    }
  | { step: 'done'; user: User };

const PASSWORD: SignInState = { step: 'password', busy: false, error: null, waitUntil: null };

/** A TOTP code as typed: digits only (spaces, from "123 456", dropped). */
export function normaliseTotp(code: string): string {
  return code.replace(/\s+/g, '');
}

/** Whether the code step can be sent: six digits, or a recovery code of some length. */
export function codeReady(code: string, recovery: boolean): boolean {
  if (recovery) return code.replace(/[\s-]/g, '').length >= 8;
  return /^\d{6}$/.test(normaliseTotp(code));
}

export class SignInFlow {
  private s: SignInState = PASSWORD;
  private listeners = new Set<(s: SignInState) => void>();

  constructor(
    private readonly api: SignInApi,
    private readonly now: () => number = () => Date.now(),
  ) {}

  get state(): SignInState {
    return this.s;
  }

  subscribe(fn: (s: SignInState) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private go(s: SignInState) {
    this.s = s;
    for (const l of this.listeners) l(s);
  }

  /** Milliseconds left before the form may be sent again after a 429 (0: now). */
  waitLeft(): number {
    const until = this.s.step === 'done' ? null : this.s.waitUntil;
    return until === null ? 0 : Math.max(0, until - this.now());
  }

  private waitFrom(e: unknown): number | null {
    if (!(e instanceof ApiError) || e.status !== 429) return null;
    // No header: a short pause rather than none, so the button is not hammered.
    return this.now() + (e.retryAfter ?? 30) * 1000;
  }

  async password(username: string, password: string): Promise<void> {
    if (this.s.step !== 'password' || this.s.busy || this.waitLeft() > 0) return;
    this.go({ ...this.s, busy: true, error: null, waitUntil: null });
    try {
      const r = await this.api.login(username, password);
      if ('user' in r) this.go({ step: 'done', user: r.user });
      else this.go({ step: 'code', mfaToken: r.mfaToken, recovery: false, busy: false, error: null, waitUntil: null });
    } catch (e) {
      this.go({ step: 'password', busy: false, error: e, waitUntil: this.waitFrom(e) });
    }
  }

  async code(code: string): Promise<void> {
    const s = this.s;
    if (s.step !== 'code' || s.busy || this.waitLeft() > 0) return;
    const sent = s.recovery ? code.trim() : normaliseTotp(code);
    this.go({ ...s, busy: true, error: null, waitUntil: null });
    try {
      const user = await this.api.completeMfa(s.mfaToken, sent);
      this.go({ step: 'done', user });
    } catch (e) {
      if (e instanceof ApiError && e.code === 'invalid_mfa_token') {
        // Five minutes passed, or the token was used: the password is asked again.
        this.go({ step: 'password', busy: false, error: e, waitUntil: null });
        return;
      }
      this.go({ ...s, busy: false, error: e, waitUntil: this.waitFrom(e) });
    }
  }

  /** Switches the code step between the authenticator's code and a recovery code. */
  toggleRecovery() {
    if (this.s.step !== 'code' || this.s.busy) return;
    this.go({ ...this.s, recovery: !this.s.recovery, error: null });
  }

  /** Leaves the code step for the password step (another account, a mistyped name). */
  back() {
    if (this.s.step !== 'code' || this.s.busy) return;
    this.go(PASSWORD);
  }
}
