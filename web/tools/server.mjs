// The one way the real server is started outside cargo's tests: `ecabinet serve --demo` on a
// loopback port, a fresh data directory, the built client from web/dist. Used by the measuring
// tools (tools/lighthouse.mjs, tools/first-page.mjs) and by the e2e harness (e2e/harness.ts),
// which passes its own binary (it may build one) and settings. Types: server.d.mts.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const webDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const repoRoot = resolve(webDir, '..');

/** Chromium flags for this machine (docs: the helper brief; same as the e2e harness). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

export function serverBinary() {
  const candidates = [process.env.E2E_SERVER_BIN, join(repoRoot, 'target', 'release', 'ecabinet'), join(repoRoot, 'target', 'debug', 'ecabinet')];
  const bin = candidates.find((c) => c && existsSync(c));
  if (!bin) throw new Error('no server binary: set E2E_SERVER_BIN=/path/to/ecabinet');
  return bin;
}

/**
 * Starts the server; resolves with `{ base, bin, stop }` once `/readyz` answers.
 * `opts.bin`: the binary (default: `serverBinary()`); `opts.env`: extra ECABINET_* settings;
 * `opts.tmpPrefix`: the data directory's prefix; `opts.requireDist` (default true): refuse to
 * start without web/dist/index.html; `opts.demo` (default true): `--demo` (its users and meetings;
 * it also turns settings such as `auth.mfa_required_roles` off); `opts.users`: accounts created
 * with `ecabinet user add` before the server starts (`{username, role, password, displayName?}`).
 */
export async function startServer(opts = {}) {
  const bin = opts.bin ?? serverBinary();
  if ((opts.requireDist ?? true) && !existsSync(join(webDir, 'dist', 'index.html'))) throw new Error('web/dist is missing: run npm run build first');
  const data = mkdtempSync(join(tmpdir(), opts.tmpPrefix ?? 'ecabinet-measure-'));
  const env = {
    // The server refuses unknown ECABINET_* variables: pass none but ours.
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ECABINET_'))),
    ECABINET_WEB__DIR: join(webDir, 'dist'),
    ECABINET_LOG__FILTER: 'warn',
    ...opts.env,
  };
  for (const u of opts.users ?? []) {
    const args = ['user', 'add', '--data', data, '--username', u.username, '--role', u.role];
    if (u.displayName) args.push('--display-name', u.displayName);
    execFileSync(bin, args, { cwd: repoRoot, env, input: `${u.password}\n`, stdio: ['pipe', 'ignore', 'inherit'], timeout: 60_000 });
  }
  const serveArgs = ['serve', ...((opts.demo ?? true) ? ['--demo'] : []), '--bind', '127.0.0.1:0', '--data', data];
  const child = spawn(bin, serveArgs, {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const base = await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`server did not start:\n${out}`)), 60_000);
    child.stdout.on('data', (b) => {
      out += b.toString();
      const m = out.match(/(http:\/\/127\.0\.0\.1:\d+)\//);
      if (m) {
        clearTimeout(timer);
        ok(m[1]);
      }
    });
    child.stderr.on('data', (b) => (out += b.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`server exited with ${code}:\n${out}`));
    });
  });
  for (let i = 0; i < 100; i++) {
    const r = await fetch(`${base}/readyz`).catch(() => null);
    if (r?.ok) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    base,
    bin,
    stop: async () => {
      child.removeAllListeners('exit');
      child.kill('SIGTERM');
      await new Promise((r) => {
        const t = setTimeout(() => {
          child.kill('SIGKILL');
          r(null);
        }, 5000);
        child.once('exit', () => {
          clearTimeout(t);
          r(null);
        });
      });
      rmSync(data, { recursive: true, force: true });
    },
  };
}

/** Signs `username` in over the API; the session as the client keeps it in localStorage. */
export async function apiSession(base, username, password = 'demo1234') {
  const r = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (!r.ok) throw new Error(`sign-in of ${username}: ${r.status}`);
  const p = await r.json();
  return { access_token: p.access_token, refresh_token: p.refresh_token, expires_at: Date.now() + p.expires_in * 1000, user: p.user };
}

/** The demo meeting's id, as `username` sees the list. */
export async function demoMeetingId(base, session) {
  const r = await fetch(`${base}/api/v1/meetings`, { headers: { Authorization: `Bearer ${session.access_token}` } });
  const body = await r.json();
  const m = body.meetings.find((x) => x.title.startsWith('Phiên họp thường kỳ')) ?? body.meetings[0];
  return m.id;
}
