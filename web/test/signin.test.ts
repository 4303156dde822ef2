import { describe, expect, it, vi } from 'vitest';
import { SignInFlow, codeReady, normaliseTotp, type SignInApi } from '../src/auth/signin';
import { ApiError, Session } from '../src/session';

const user = { id: 'u1', username: 'thuky', display_name: 'Trần Thị Thư', role: 'secretary' as const };
const pair = (n: number) => ({ access_token: `a${n}`, token_type: 'Bearer', expires_in: 900, refresh_token: `r${n}`, user });
const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(status === 204 ? null : JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });

class MemStorage {
  m = new Map<string, string>();
  getItem(k: string) {
    return this.m.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.m.set(k, v);
  }
  removeItem(k: string) {
    this.m.delete(k);
  }
}

/** A fake API answering from a script of outcomes, recording what it was sent. */
function fakeApi(login: (() => any)[], mfa: (() => any)[]) {
  const sent: string[] = [];
  const api: SignInApi = {
    login: async (u, p) => {
      sent.push(`login ${u} ${p}`);
      return login.shift()!();
    },
    completeMfa: async (tok, code) => {
      sent.push(`mfa ${tok} ${code}`);
      return mfa.shift()!();
    },
  };
  return { api, sent };
}

const fail = (status: number, code: string, retryAfter?: number) => () => {
  throw new ApiError(status, code, undefined, undefined, retryAfter);
};

describe('SignInFlow', () => {
  it('signs in at once when the account has no second factor', async () => {
    const { api } = fakeApi([() => ({ user })], []);
    const f = new SignInFlow(api);
    await f.password('thuky', 'pw');
    expect(f.state).toEqual({ step: 'done', user });
  });

  it('goes password → code → signed in, sending the token and the typed digits', async () => {
    const { api, sent } = fakeApi([() => ({ mfaToken: 'T1' })], [() => user]);
    const f = new SignInFlow(api);
    const seen: string[] = [];
    f.subscribe((s) => seen.push(s.step));
    await f.password('thuky', 'pw');
    expect(f.state).toMatchObject({ step: 'code', mfaToken: 'T1', recovery: false, error: null });
    await f.code('123 456');
    expect(f.state).toEqual({ step: 'done', user });
    expect(sent).toEqual(['login thuky pw', 'mfa T1 123456']);
    expect(seen).toEqual(['password', 'code', 'code', 'done']);
  });

  it('keeps the code step and its token after a wrong code, and lets the user try again', async () => {
    const { api, sent } = fakeApi([() => ({ mfaToken: 'T1' })], [fail(401, 'invalid_code'), () => user]);
    const f = new SignInFlow(api);
    await f.password('thuky', 'pw');
    await f.code('000000');
    expect(f.state.step).toBe('code');
    expect((f.state as any).error).toBeInstanceOf(ApiError);
    expect((f.state as any).error.code).toBe('invalid_code');
    expect((f.state as any).mfaToken).toBe('T1');
    await f.code('654321');
    expect(f.state.step).toBe('done');
    expect(sent).toEqual(['login thuky pw', 'mfa T1 000000', 'mfa T1 654321']);
  });

  it('goes back to the password step when the mfa_token has expired or was used', async () => {
    const { api, sent } = fakeApi([() => ({ mfaToken: 'T1' }), () => ({ mfaToken: 'T2' })], [fail(401, 'invalid_mfa_token'), () => user]);
    const f = new SignInFlow(api);
    await f.password('thuky', 'pw');
    await f.code('111111');
    expect(f.state.step).toBe('password');
    expect((f.state as any).error.code).toBe('invalid_mfa_token');
    // A code typed now is not sent: there is no token for it.
    await f.code('222222');
    expect(sent).toHaveLength(2);
    await f.password('thuky', 'pw');
    await f.code('333333');
    expect(f.state.step).toBe('done');
    expect(sent.at(-1)).toBe('mfa T2 333333');
  });

  it('holds the form for Retry-After seconds after a 429, then lets it be sent again', async () => {
    let now = 1_000_000;
    const { api, sent } = fakeApi([() => ({ mfaToken: 'T1' })], [fail(429, 'rate_limited', 120), () => user]);
    const f = new SignInFlow(api, () => now);
    await f.password('thuky', 'pw');
    await f.code('123456');
    expect(f.state).toMatchObject({ step: 'code', mfaToken: 'T1', waitUntil: now + 120_000 });
    expect(f.waitLeft()).toBe(120_000);
    now += 60_000;
    await f.code('123456');
    expect(sent).toHaveLength(2); // held: not sent
    expect(f.waitLeft()).toBe(60_000);
    now += 60_000;
    expect(f.waitLeft()).toBe(0);
    await f.code('123456');
    expect(f.state.step).toBe('done');
    expect(sent).toHaveLength(3);
  });

  it('holds the password step after a 429 too', async () => {
    let now = 0;
    const { api, sent } = fakeApi([fail(429, 'rate_limited', 5), () => ({ user })], []);
    const f = new SignInFlow(api, () => now);
    await f.password('thuky', 'pw');
    expect(f.state.step).toBe('password');
    expect(f.waitLeft()).toBe(5000);
    await f.password('thuky', 'pw');
    expect(sent).toHaveLength(1);
    now = 5000;
    await f.password('thuky', 'pw');
    expect(f.state.step).toBe('done');
  });

  it('sends a recovery code as typed, and switches back and forth clearing the error', async () => {
    const { api, sent } = fakeApi([() => ({ mfaToken: 'T1' })], [fail(401, 'invalid_code'), () => user]);
    const f = new SignInFlow(api);
    await f.password('thuky', 'pw');
    f.toggleRecovery();
    expect(f.state).toMatchObject({ step: 'code', recovery: true });
    await f.code(' ABCD-EFGH-JKLM-NPQR ');
    expect((f.state as any).error.code).toBe('invalid_code');
    f.toggleRecovery();
    expect(f.state).toMatchObject({ recovery: false, error: null, mfaToken: 'T1' });
    f.toggleRecovery();
    await f.code('abcd efgh jklm npqr');
    expect(f.state.step).toBe('done');
    expect(sent.slice(1)).toEqual(['mfa T1 ABCD-EFGH-JKLM-NPQR', 'mfa T1 abcd efgh jklm npqr']);
  });

  it('leaves the code step for another account', async () => {
    const { api } = fakeApi([() => ({ mfaToken: 'T1' })], []);
    const f = new SignInFlow(api);
    await f.password('thuky', 'pw');
    f.back();
    expect(f.state).toMatchObject({ step: 'password', error: null });
  });

  it('knows a complete code', () => {
    expect(normaliseTotp(' 123 456 ')).toBe('123456');
    expect(codeReady('123 456', false)).toBe(true);
    expect(codeReady('12345', false)).toBe(false);
    expect(codeReady('12345a', false)).toBe(false);
    expect(codeReady('ABCD-EFGH', true)).toBe(true);
    expect(codeReady('ABC-D', true)).toBe(false);
  });
});

describe('Session, second factor', () => {
  it('answers the password step with the mfa_token and stores the tokens only after the code', async () => {
    const calls: string[] = [];
    const fetchFn = vi.fn(async (url: any, init?: any) => {
      calls.push(`${url} ${init?.body ?? ''}`);
      if (String(url).endsWith('/auth/login')) return json(200, { mfa_required: true, mfa_token: 'T1' });
      if (String(url).endsWith('/auth/mfa')) return json(200, pair(1));
      return json(404, { code: 'not_found' });
    }) as unknown as typeof fetch;
    const storage = new MemStorage() as unknown as Storage;
    const s = new Session('', fetchFn, storage);
    expect(await s.login('thuky', 'pw')).toEqual({ mfaToken: 'T1' });
    expect(s.user).toBeNull();
    expect(storage.getItem('ecabinet.session')).toBeNull();
    await s.completeMfa('T1', '123456');
    expect(s.user?.username).toBe('thuky');
    expect(s.current?.mfa).toBe(true);
    expect(JSON.parse(calls[1].split(' ').slice(1).join(' '))).toEqual({ mfa_token: 'T1', code: '123456' });
  });

  it('reads Retry-After into the error', async () => {
    const fetchFn = (async () => json(429, { code: 'rate_limited' }, { 'Retry-After': '42' })) as unknown as typeof fetch;
    const s = new Session('', fetchFn, new MemStorage() as unknown as Storage);
    const e = (await s.completeMfa('T', '1').catch((x) => x)) as ApiError;
    expect(e).toBeInstanceOf(ApiError);
    expect(e.code).toBe('rate_limited');
    expect(e.retryAfter).toBe(42);
  });

  it('remembers a 403 mfa_enrollment_required until the user has a second factor', async () => {
    const fetchFn = (async (url: any) => {
      if (String(url).endsWith('/auth/login')) return json(200, pair(1));
      return json(403, { code: 'mfa_enrollment_required' });
    }) as unknown as typeof fetch;
    const s = new Session('', fetchFn, new MemStorage() as unknown as Storage);
    await s.login('admin', 'pw');
    const seen: boolean[] = [];
    s.subscribe(() => seen.push(s.enrolmentRequired));
    expect(s.enrolmentRequired).toBe(false);
    const e = (await s.request('GET', '/meetings').catch((x) => x)) as ApiError;
    expect(e.code).toBe('mfa_enrollment_required');
    expect(s.enrolmentRequired).toBe(true);
    // Raw requests (files) notice it too, and still get their answer.
    const raw = await s.fetchRaw('/documents/x');
    expect(raw.status).toBe(403);
    s.setMfa(true);
    expect(s.enrolmentRequired).toBe(false);
    expect(s.current?.mfa).toBe(true);
    expect(seen).toContain(true);
    expect(seen.at(-1)).toBe(false);
  });

  it('does not take another 403 for the enrolment refusal', async () => {
    const fetchFn = (async (url: any) => {
      if (String(url).endsWith('/auth/login')) return json(200, pair(1));
      return json(403, { code: 'forbidden' });
    }) as unknown as typeof fetch;
    const s = new Session('', fetchFn, new MemStorage() as unknown as Storage);
    await s.login('member', 'pw');
    await s.request('GET', '/users').catch(() => undefined);
    await s.fetchRaw('/x');
    expect(s.enrolmentRequired).toBe(false);
  });
});
