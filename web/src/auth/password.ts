// "Đổi mật khẩu": the password change form's rules and its answer (docs/api.md "Signed-in
// devices and passwords"). Each problem belongs to a field: a wrong current password (401
// `invalid_credentials`, which the session does not take as being signed out) to the current
// password, a refused new one (422 `invalid_password`) and a repeat that differs to theirs.
import { ApiError } from '../session';

/** The server's password rule (server/src/users: 8 to 1024 characters, Unicode characters). */
export const MIN_PASSWORD = 8;
export const MAX_PASSWORD = 1024;

export type PasswordField = 'current' | 'next' | 'repeat';

/** Why a field is refused: a translation key's last part (`pw.err.<reason>`), or an API error. */
export type FieldError = { reason: 'required' | 'short' | 'long' | 'mismatch' | 'same' } | { api: ApiError };

export interface PasswordState {
  busy: boolean;
  /** Problems by field, shown next to each. */
  fields: Partial<Record<PasswordField, FieldError>>;
  /** A problem of the whole form (a wait after 429, the network). */
  error: unknown;
  /** The change went through; the other devices were signed out. */
  done: boolean;
}

export interface PasswordInput {
  current: string;
  next: string;
  repeat: string;
}

/** The problems the client sees before asking the server; empty when the form can be sent. */
export function checkPassword(input: PasswordInput): PasswordState['fields'] {
  const f: PasswordState['fields'] = {};
  if (!input.current) f.current = { reason: 'required' };
  const n = [...input.next].length;
  if (n === 0) f.next = { reason: 'required' };
  else if (n < MIN_PASSWORD) f.next = { reason: 'short' };
  else if (n > MAX_PASSWORD) f.next = { reason: 'long' };
  else if (input.next === input.current) f.next = { reason: 'same' };
  if (!f.next && input.repeat !== input.next) f.repeat = { reason: 'mismatch' };
  return f;
}

export class PasswordFlow {
  private s: PasswordState = { busy: false, fields: {}, error: null, done: false };
  private listeners = new Set<(s: PasswordState) => void>();

  constructor(private readonly change: (current: string, next: string) => Promise<void>) {}

  get state(): PasswordState {
    return this.s;
  }

  subscribe(fn: (s: PasswordState) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private go(s: PasswordState) {
    this.s = s;
    for (const l of this.listeners) l(s);
  }

  /** Checks and sends the form; true when the password was changed. */
  async submit(input: PasswordInput): Promise<boolean> {
    if (this.s.busy) return false;
    const fields = checkPassword(input);
    if (Object.keys(fields).length) {
      this.go({ busy: false, fields, error: null, done: false });
      return false;
    }
    this.go({ busy: true, fields: {}, error: null, done: false });
    try {
      await this.change(input.current, input.next);
      this.go({ busy: false, fields: {}, error: null, done: true });
      return true;
    } catch (e) {
      if (e instanceof ApiError && e.status === 401 && e.code === 'invalid_credentials') {
        this.go({ busy: false, fields: { current: { api: e } }, error: null, done: false });
      } else if (e instanceof ApiError && e.status === 422 && e.code === 'invalid_password') {
        this.go({ busy: false, fields: { next: { api: e } }, error: null, done: false });
      } else {
        this.go({ busy: false, fields: {}, error: e, done: false });
      }
      return false;
    }
  }
}
