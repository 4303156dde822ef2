// The "Xác thực hai lớp" settings of the signed-in user as a state machine: off → pending (the
// secret and its QR code) → the recovery codes, shown once → on; and on → off with a code.
// `GET /me` does not say whether a second factor is on, so the flow starts from what this
// session learnt (`known`), and a 409 `mfa_already_active` when starting is taken as "it is on".
import { ApiError } from '../session';

export interface EnrolApi {
  start(): Promise<{ secret: string; otpauth_uri: string }>;
  confirm(code: string): Promise<{ recovery_codes: string[] }>;
  disable(code: string): Promise<void>;
  /** Tells the session what is now known (stored with the tokens). */
  known(on: boolean): void;
}

export type EnrolState =
  | { step: 'off'; busy: boolean; error: unknown }
  | { step: 'pending'; secret: string; uri: string; busy: boolean; error: unknown }
  | { step: 'codes'; codes: string[] }
  | { step: 'on'; busy: boolean; error: unknown };

/** The secret in groups of four for typing it by hand ("JBSW Y3DP …"). */
export function groupSecret(secret: string): string {
  return (secret.replace(/\s+/g, '').match(/.{1,4}/g) ?? []).join(' ');
}

/** The recovery codes as a text file to keep (one per line, with who and when). */
export function recoveryText(codes: string[], heading: string): string {
  return `${heading}\n\n${codes.map((c, i) => `${String(i + 1).padStart(2, ' ')}. ${c}`).join('\n')}\n`;
}

export class EnrolFlow {
  private s: EnrolState;
  private listeners = new Set<(s: EnrolState) => void>();

  constructor(
    private readonly api: EnrolApi,
    known: boolean | undefined,
  ) {
    this.s = known ? { step: 'on', busy: false, error: null } : { step: 'off', busy: false, error: null };
  }

  get state(): EnrolState {
    return this.s;
  }

  subscribe(fn: (s: EnrolState) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private go(s: EnrolState) {
    this.s = s;
    for (const l of this.listeners) l(s);
  }

  private static code(e: unknown): string | null {
    return e instanceof ApiError ? e.code : null;
  }

  /** Starts (or starts again) an enrolment: a new secret replaces a pending one. */
  async start(): Promise<void> {
    const s = this.s;
    if ((s.step !== 'off' && s.step !== 'pending') || s.busy) return;
    this.go({ ...s, busy: true, error: null });
    try {
      const r = await this.api.start();
      this.go({ step: 'pending', secret: r.secret, uri: r.otpauth_uri, busy: false, error: null });
    } catch (e) {
      if (EnrolFlow.code(e) === 'mfa_already_active') {
        this.api.known(true);
        this.go({ step: 'on', busy: false, error: e });
        return;
      }
      this.go({ ...s, busy: false, error: e });
    }
  }

  async confirm(code: string): Promise<void> {
    const s = this.s;
    if (s.step !== 'pending' || s.busy) return;
    this.go({ ...s, busy: true, error: null });
    try {
      const r = await this.api.confirm(code.replace(/\s+/g, ''));
      this.api.known(true);
      this.go({ step: 'codes', codes: r.recovery_codes });
    } catch (e) {
      const c = EnrolFlow.code(e);
      if (c === 'mfa_already_active') {
        this.api.known(true);
        this.go({ step: 'on', busy: false, error: e });
      } else if (c === 'mfa_not_pending') {
        // Another tablet finished or restarted it: start again from the beginning.
        this.go({ step: 'off', busy: false, error: e });
      } else {
        // A wrong code (422 invalid_code): the same secret, another try.
        this.go({ ...s, busy: false, error: e });
      }
    }
  }

  /** The user has kept the recovery codes: they are not shown again. */
  doneWithCodes() {
    if (this.s.step === 'codes') this.go({ step: 'on', busy: false, error: null });
  }

  async disable(code: string): Promise<void> {
    const s = this.s;
    if (s.step !== 'on' || s.busy) return;
    this.go({ ...s, busy: true, error: null });
    try {
      await this.api.disable(code.trim());
      this.api.known(false);
      this.go({ step: 'off', busy: false, error: null });
    } catch (e) {
      if (EnrolFlow.code(e) === 'mfa_not_active') {
        this.api.known(false);
        this.go({ step: 'off', busy: false, error: e });
        return;
      }
      this.go({ ...s, busy: false, error: e });
    }
  }
}
