import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError, Session, noteServerDate, refreshDelay, serverClockOffset } from '../src/session';

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

const user = { id: 'u1', username: 'uyvien1', display_name: 'Phạm Quốc Bảo', role: 'member' as const };
const pair = (n: number, expires_in = 900) => ({ access_token: `a${n}`, token_type: 'Bearer', expires_in, refresh_token: `r${n}`, user });
const json = (status: number, body: unknown) =>
  new Response(status === 204 ? null : JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('refreshDelay', () => {
  it('refreshes a minute early, or at 80 % of a short lifetime', () => {
    expect(refreshDelay(900_000, 0)).toBe(840_000);
    expect(refreshDelay(60_000, 0)).toBe(48_000);
    expect(refreshDelay(1000, 5000)).toBe(0);
  });
});

describe('Session', () => {
  it('signs in, sends the bearer token and refreshes before expiry', async () => {
    let n = 0;
    const calls: string[] = [];
    const fetchFn = vi.fn(async (url: any, init?: any) => {
      calls.push(`${init?.method ?? 'GET'} ${url} ${init?.headers?.Authorization ?? ''}`);
      if (String(url).endsWith('/auth/login')) return json(200, pair(++n));
      if (String(url).endsWith('/auth/refresh')) {
        expect(JSON.parse(init.body)).toEqual({ refresh_token: `r${n}` });
        return json(200, pair(++n));
      }
      return json(200, { meetings: [] });
    }) as unknown as typeof fetch;
    const storage = new MemStorage() as unknown as Storage;
    const s = new Session('', fetchFn, storage);
    await s.login('uyvien1', 'demo1234');
    expect(s.user?.display_name).toBe('Phạm Quốc Bảo');
    await s.request('GET', '/meetings');
    expect(calls[1]).toBe('GET /api/v1/meetings Bearer a1');
    await vi.advanceTimersByTimeAsync(840_000);
    expect(calls[2]).toMatch(/POST \/api\/v1\/auth\/refresh/);
    await s.request('GET', '/meetings');
    expect(calls[3]).toBe('GET /api/v1/meetings Bearer a2');
    // Kept for the next page load.
    expect(JSON.parse(storage.getItem('ecabinet.session')!).refresh_token).toBe('r2');
    expect(new Session('', fetchFn, storage).user?.username).toBe('uyvien1');
  });

  it('retries once after a 401 with a refreshed token', async () => {
    let n = 0;
    const fetchFn = vi.fn(async (url: any, init?: any) => {
      const u = String(url);
      if (u.endsWith('/auth/login')) return json(200, pair(++n));
      if (u.endsWith('/auth/refresh')) return json(200, pair(++n));
      if (init?.headers?.Authorization === 'Bearer a1') return json(401, { status: 401, code: 'token_expired' });
      return json(200, { ok: true });
    }) as unknown as typeof fetch;
    const s = new Session('', fetchFn, new MemStorage() as unknown as Storage);
    await s.login('u', 'p');
    expect(await s.request('GET', '/me')).toEqual({ ok: true });
  });

  it('signs out when the refresh token is refused', async () => {
    const fetchFn = vi.fn(async (url: any) => {
      const u = String(url);
      if (u.endsWith('/auth/login')) return json(200, pair(1));
      if (u.endsWith('/auth/refresh')) return json(401, { status: 401, code: 'refresh_token_reused' });
      return json(401, { status: 401, code: 'invalid_token' });
    }) as unknown as typeof fetch;
    const s = new Session('', fetchFn, new MemStorage() as unknown as Storage);
    const seen: (string | null)[] = [];
    s.subscribe((x) => seen.push(x?.user.username ?? null));
    await s.login('u', 'p');
    await expect(s.request('GET', '/me')).rejects.toBeInstanceOf(ApiError);
    expect(s.user).toBeNull();
    expect(seen).toEqual(['uyvien1', null]);
    // Ended by the server: the sign-in screen says so, until the next sign-in.
    expect(s.ended).toBe(true);
    await s.login('u', 'p');
    expect(s.ended).toBe(false);
  });

  it('a session ended elsewhere: the 401 after a refresh signs out with `ended`; signing out oneself does not set it', async () => {
    let n = 0;
    const fetchFn = vi.fn(async (url: any) => {
      const u = String(url);
      if (u.endsWith('/auth/login')) return json(200, pair(++n));
      // The refresh still goes through (other instance), the token is refused all the same.
      if (u.endsWith('/auth/refresh')) return json(200, pair(++n));
      if (u.endsWith('/auth/logout')) return json(204, null);
      return json(401, { status: 401, code: 'invalid_token' });
    }) as unknown as typeof fetch;
    const s = new Session('', fetchFn, new MemStorage() as unknown as Storage);
    await s.login('u', 'p');
    const err = (await s.request('GET', '/me/sessions').catch((e: unknown) => e)) as ApiError;
    expect(err.code).toBe('invalid_token');
    expect(s.user).toBeNull();
    expect(s.ended).toBe(true);
    await s.login('u', 'p');
    await s.logout();
    expect(s.user).toBeNull();
    expect(s.ended).toBe(false);
  });

  it('a wrong current password (401 invalid_credentials) is an answer for the form: no refresh, not signed out', async () => {
    const calls: string[] = [];
    const fetchFn = vi.fn(async (url: any, init?: any) => {
      const u = String(url);
      calls.push(`${init?.method ?? 'GET'} ${u}`);
      if (u.endsWith('/auth/login')) return json(200, pair(1));
      if (u.endsWith('/auth/refresh')) return json(200, pair(2));
      if (u.endsWith('/me/password')) return json(401, { status: 401, code: 'invalid_credentials' });
      return json(200, { ok: true });
    }) as unknown as typeof fetch;
    const storage = new MemStorage() as unknown as Storage;
    const s = new Session('', fetchFn, storage);
    const seen: (string | null)[] = [];
    s.subscribe((x) => seen.push(x?.user.username ?? null));
    await s.login('u', 'p');
    const err = (await s.request('POST', '/me/password', { current_password: 'sai', new_password: 'mật khẩu mới' }).catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.code).toBe('invalid_credentials');
    expect(s.user?.username).toBe('uyvien1');
    expect(s.ended).toBe(false);
    expect(seen).toEqual(['uyvien1']);
    expect(calls.filter((c) => c.includes('/auth/refresh'))).toEqual([]);
    expect(calls.filter((c) => c.includes('/me/password'))).toHaveLength(1);
    expect(JSON.parse(storage.getItem('ecabinet.session')!).access_token).toBe('a1');
    expect(await s.request('GET', '/me')).toEqual({ ok: true });
  });

  it('keeps each sign-in’s device token per username, across sign-outs, and sends it with the next sign-in of that username', async () => {
    const bodies: any[] = [];
    let n = 0;
    const fetchFn = vi.fn(async (url: any, init?: any) => {
      const u = String(url);
      if (u.endsWith('/auth/login')) {
        const body = JSON.parse(init.body);
        bodies.push(body);
        const who = { ...user, username: String(body.username).toLowerCase() };
        return json(200, { ...pair(++n), user: who, device_token: `d1.dev${n}` });
      }
      if (u.endsWith('/auth/mfa')) return json(200, { ...pair(++n), device_token: `d1.mfa${n}` });
      return json(204, null);
    }) as unknown as typeof fetch;
    const storage = new MemStorage() as unknown as Storage;
    const s = new Session('', fetchFn, storage);
    await s.login('ChuTich', 'p');
    // The first sign-in has nothing to send: the contract's body as it was.
    expect(bodies[0]).toEqual({ username: 'ChuTich', password: 'p' });
    await s.logout();
    // Signing out does not forget the device; another user on the same tablet has their own.
    await s.login('chutich ', 'p');
    expect(bodies[1]).toEqual({ username: 'chutich ', password: 'p', device_token: 'd1.dev1' });
    await s.login('thuky', 'p');
    expect(bodies[2]).toEqual({ username: 'thuky', password: 'p' });
    // A fresh one replaces the old; the page reload still has them.
    const again = new Session('', fetchFn, storage);
    expect(again.deviceToken('ChuTich')).toBe('d1.dev2');
    expect(again.deviceToken('thuky')).toBe('d1.dev3');
    // The code step of a two-step sign-in hands one out too.
    await again.completeMfa('m', '123456');
    expect(again.deviceToken('uyvien1')).toBe('d1.mfa4');
    // Something unreadable stored is no token, never an error.
    storage.setItem('ecabinet.devices', '[oops');
    expect(new Session('', fetchFn, storage).deviceToken('chutich')).toBeUndefined();
  });

  it('turns problem+json into ApiError with its code', async () => {
    const fetchFn = vi.fn(async () => json(401, { status: 401, code: 'invalid_credentials', detail: 'the username or password is wrong' })) as unknown as typeof fetch;
    const s = new Session('', fetchFn, new MemStorage() as unknown as Storage);
    const err = await s.login('u', 'bad').catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err.code).toBe('invalid_credentials');
    expect(err.status).toBe(401);
  });
});

describe('server clock offset', () => {
  it('follows the Date header, ignoring sub-second differences', () => {
    const t0 = Date.parse('2026-12-01T01:00:00.000Z');
    noteServerDate('Tue, 01 Dec 2026 01:02:00 GMT', t0, t0 + 200);
    expect(serverClockOffset()).toBe(120_000 + 500 - 100);
    noteServerDate('Tue, 01 Dec 2026 01:00:00 GMT', t0, t0 + 200);
    expect(serverClockOffset()).toBe(0);
    noteServerDate(null, t0, t0);
    expect(serverClockOffset()).toBe(0);
  });
});
