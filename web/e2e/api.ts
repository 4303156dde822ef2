// The API as a test sets the scene with it (what the screens under test do not need to show):
// one client per account, signed in with the demo password, its token refreshed before it ends.
import { expect } from 'vitest';

export interface Api {
  /** The JSON answer (null for none) and its status. */
  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  /** The answer's bytes (a document's file, a preview). */
  bytes(path: string): Promise<{ status: number; bytes: Uint8Array }>;
  /** A PDF sent as the body (`POST …/documents?title=…`), the JSON answer and its status. */
  pdf(path: string, pdf: Uint8Array): Promise<{ status: number; body: any }>;
}

export function apiAs(base: string, username: string, password = 'demo1234'): Api {
  let session: { access: string; refresh: string; until: number } | null = null;
  async function token(): Promise<string> {
    if (session && session.until - Date.now() > 5000) return session.access;
    const r = session
      ? await fetch(`${base}/api/v1/auth/refresh`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ refresh_token: session.refresh }) })
      : await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username, password }) });
    expect(r.status, `sign-in of ${username}`).toBe(200);
    const p = await r.json();
    session = { access: p.access_token, refresh: p.refresh_token, until: Date.now() + p.expires_in * 1000 };
    return p.access_token;
  }
  const send = async (method: string, path: string, body?: unknown) =>
    fetch(`${base}/api/v1${path}`, {
      method,
      headers: { Authorization: `Bearer ${await token()}`, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const answer = async (r: Response) => {
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : null };
  };
  return {
    async call(method, path, body) {
      return answer(await send(method, path, body));
    },
    async pdf(path, pdf) {
      return answer(
        await fetch(`${base}/api/v1${path}`, { method: 'POST', headers: { Authorization: `Bearer ${await token()}`, 'Content-Type': 'application/pdf' }, body: new Uint8Array(pdf) }),
      );
    },
    async bytes(path) {
      const r = await send('GET', path);
      return { status: r.status, bytes: new Uint8Array(await r.arrayBuffer()) };
    },
  };
}
