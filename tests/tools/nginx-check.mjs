// The client side of scripts/nginx-check.sh: everything a tablet does, through nginx
// (packaging/nginx/ecabinet.conf) in front of two ecabinet instances on one PostgreSQL.
//
//   node tests/tools/nginx-check.mjs
//
// Settings come from the environment the script sets: NGINX_HTTPS (https://127.0.0.1:P),
// NGINX_HTTP (the plain port that redirects), NGINX_ACCESS_LOG, NGINX_ERROR_LOG, METRICS_TOKEN and INSTANCES,
// a JSON list of {name, url, pidfile, start} (start: a shell script that starts that instance
// again and writes its pid to pidfile). NODE_EXTRA_CA_CERTS makes the test certificate trusted.
//
// Checks, each with a bounded wait, exiting 1 with a message on the first failure:
// readiness and the HTTP→HTTPS redirect; X-Forwarded-For replaced, not appended; an upload
// through nginx, then Range downloads through nginx answered by both instances and from each
// instance directly; the live channel's Origin check behind the proxy; then, twice (once per
// instance), a live channel whose instance is killed with SIGKILL: the tablet reconnects through
// nginx to the other instance and resumes with last_seq, with events written during the outage,
// none missed or duplicated; the killed instance is started again and a new channel lands on it.
import { createHash } from 'node:crypto';
import https from 'node:https';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

// `ws` is the benchmarks' dependency (benches/package.json); the script runs `npm ci` there.
const WebSocket = createRequire(new URL('../../benches/package.json', import.meta.url))('ws');

const BASE = must('NGINX_HTTPS');
const PLAIN = must('NGINX_HTTP');
const ACCESS_LOG = must('NGINX_ACCESS_LOG');
const ERROR_LOG = must('NGINX_ERROR_LOG');
const METRICS_TOKEN = must('METRICS_TOKEN');
const INSTANCES = JSON.parse(must('INSTANCES'));
const t0 = performance.now();

function must(name) {
  const v = process.env[name];
  if (!v) fail(`environment variable ${name} is not set`);
  return v;
}
function fail(msg) {
  console.error(`nginx check FAILED: ${msg}`);
  process.exit(1);
}
function check(cond, msg) {
  if (!cond) fail(msg);
}
function log(msg) {
  console.log(`[${((performance.now() - t0) / 1000).toFixed(2)}s] ${msg}`);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(what, ms, fn, every = 50) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) fail(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(every);
  }
}

async function api(method, path, { token, body, headers = {}, base = BASE, raw = false } = {}) {
  const h = { ...headers };
  if (token) h.Authorization = `Bearer ${token}`;
  let payload = body;
  if (body !== undefined && !(body instanceof Uint8Array)) {
    h['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const r = await fetch(base + path, { method, headers: h, body: payload, redirect: 'manual', signal: AbortSignal.timeout(10_000) });
  if (raw) return r;
  const text = await r.text();
  if (!r.ok) fail(`${method} ${path} via ${base}: ${r.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** A small valid PDF, large enough (~150 KB) for Range requests to mean something. */
function makePdf(pages = 3) {
  const objs = [];
  const kids = [];
  objs[1] = '<< /Type /Catalog /Pages 2 0 R >>';
  objs[3] = '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>';
  let n = 4;
  for (let p = 0; p < pages; p++) {
    let s = '';
    for (let line = 0; line < 900; line++) s += `BT /F1 6 Tf 20 ${(830 - (line % 130) * 6).toFixed(0)} Td (page ${p + 1} line ${line} nginx check) Tj ET\n`;
    objs[n] = `<< /Length ${s.length} >>\nstream\n${s}endstream`;
    objs[n + 1] = `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents ${n} 0 R /Resources << /Font << /F1 3 0 R >> >> >>`;
    kids.push(`${n + 1} 0 R`);
    n += 2;
  }
  objs[2] = `<< /Type /Pages /Kids [${kids.join(' ')}] /Count ${pages} >>`;
  let out = '%PDF-1.4\n%\xe2\xe3\xcf\xd3\n';
  const offsets = [];
  for (let i = 1; i < n; i++) {
    offsets[i] = Buffer.byteLength(out, 'latin1');
    out += `${i} 0 obj\n${objs[i]}\nendobj\n`;
  }
  const xref = Buffer.byteLength(out, 'latin1');
  out += `xref\n0 ${n}\n0000000000 65535 f \n`;
  for (let i = 1; i < n; i++) out += `${String(offsets[i]).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${n} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return new Uint8Array(Buffer.from(out, 'latin1'));
}

/** The live sessions an instance holds, from its metrics (read directly, not through nginx). */
async function liveSessions(inst) {
  const r = await fetch(`${inst.url}/metrics`, { headers: { Authorization: `Bearer ${METRICS_TOKEN}` }, signal: AbortSignal.timeout(3000) }).catch(() => null);
  if (!r || !r.ok) return null;
  const m = (await r.text()).match(/^\w*live_sessions(?:\{[^}]*\})? (\d+)/m);
  check(m, `no live_sessions series in ${inst.name}'s metrics`);
  return Number(m[1]);
}
async function sessionsByInstance() {
  return Promise.all(INSTANCES.map(liveSessions));
}

function pid(inst) {
  return Number(readFileSync(inst.pidfile, 'utf8').trim());
}
async function kill(inst, signal) {
  process.kill(pid(inst), signal);
  await until(`${inst.name} to be gone after ${signal}`, 15_000,
    async () => !(await fetch(`${inst.url}/healthz`, { signal: AbortSignal.timeout(1000) }).catch(() => null)));
}
async function restart(inst) {
  spawn('bash', [inst.start], { detached: true, stdio: 'ignore' }).unref();
  await until(`${inst.name} to be ready again`, 20_000, async () => (await fetch(`${inst.url}/readyz`).catch(() => null))?.ok, 100);
}

/**
 * A tablet's live channel as the client keeps it: hello with the last seq it holds; on any
 * close, reconnect (through nginx, to whichever instance answers) and resume from there.
 * Every durable event must be the next seq: anything else is a gap or a duplicate.
 */
class Tablet {
  constructor(name, meetingId, token) {
    Object.assign(this, { name, meetingId, token, lastSeq: 0, seqs: [], welcomes: [], closes: [], stopped: false });
    this.connect();
  }
  connect() {
    const ws = new WebSocket(`${BASE.replace(/^http/, 'ws')}/api/v1/meetings/${this.meetingId}/live`);
    this.ws = ws;
    ws.on('open', () => ws.send(JSON.stringify({ type: 'hello', token: this.token, last_seq: this.lastSeq })));
    ws.on('message', (data) => {
      const msg = JSON.parse(data.toString());
      if (msg.type === 'welcome') {
        this.welcomes.push({ seq: msg.seq, at: performance.now() });
      } else if (typeof msg.seq === 'number') {
        if (msg.seq !== this.lastSeq + 1) {
          fail(`${this.name}: got seq ${msg.seq} after ${this.lastSeq} (${msg.seq <= this.lastSeq ? 'a duplicate' : 'a gap'})`);
        }
        this.lastSeq = msg.seq;
        this.seqs.push(msg.seq);
      }
    });
    ws.on('error', () => {}); // a refused or reset connection ends in 'close', handled there
    ws.on('close', (code) => {
      this.closes.push({ code, at: performance.now() });
      if (this.stopped) return;
      check(this.closes.length < 40, `${this.name}: reconnected 40 times without staying up`);
      setTimeout(() => this.connect(), 100 * Math.min(this.closes.length, 5));
    });
  }
  stop() {
    this.stopped = true;
    this.ws.close();
  }
  async welcomed(n, ms = 10_000) {
    await until(`${this.name}'s welcome #${n}`, ms, () => this.welcomes.length >= n);
  }
}

async function lastSeq(meetingId, token, base = BASE) {
  return (await api('GET', `/api/v1/meetings/${meetingId}`, { token, base })).last_seq;
}

// --- readiness, redirect, headers ---
const ready = await api('GET', '/readyz', { raw: true });
check(ready.status === 200, `/readyz through nginx: ${ready.status}`);
check(/max-age=31536000/.test(ready.headers.get('strict-transport-security') ?? ''), 'no HSTS header from nginx');
const redirect = await api('GET', '/api/v1/me?x=1', { base: PLAIN, raw: true });
check(redirect.status === 308 && redirect.headers.get('location')?.startsWith('https://') && redirect.headers.get('location')?.endsWith('/api/v1/me?x=1'),
  `plain HTTP should redirect to HTTPS: ${redirect.status} ${redirect.headers.get('location')}`);
log('readyz through nginx, HSTS, HTTP→HTTPS redirect: ok');

// --- sign-in; the address the server records is the one nginx saw, not what the client
// claims, nor nginx's own: the sign-in comes from 127.0.0.2 (nginx reaches the instances from
// 127.0.0.1) with spoofed X-Forwarded-For and Forwarded headers ---
const login = await new Promise((resolve, reject) => {
  const body = JSON.stringify({ username: 'thuky', password: 'demo1234' });
  const req = https.request(`${BASE}/api/v1/auth/login`, {
    method: 'POST',
    localAddress: '127.0.0.2',
    timeout: 10_000,
    headers: { 'Content-Type': 'application/json', 'X-Forwarded-For': '203.0.113.9', Forwarded: 'for=198.51.100.7' },
  }, (res) => {
    let text = '';
    res.on('data', (c) => { text += c; });
    res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(text)) : reject(new Error(`sign-in: ${res.statusCode} ${text}`))));
  });
  req.on('timeout', () => req.destroy(new Error('sign-in timed out')));
  req.on('error', reject);
  req.end(body);
}).catch((e) => fail(e.message));
const token = login.access_token;
const sessions = await api('GET', '/api/v1/me/sessions', { token });
const current = sessions.sessions.find((s) => s.current);
check(current?.address === '127.0.0.2', `the session's address should be the client's as nginx saw it, 127.0.0.2, got ${current?.address}`);
log('sign-in through nginx; X-Forwarded-For set by nginx, spoofed X-Forwarded-For/Forwarded replaced: ok');

// --- a meeting, and a document uploaded through nginx, read back with Range from both ---
const meeting = await api('POST', '/api/v1/meetings', { token, body: { title: 'nginx check', starts_at: new Date(Date.now() + 86_400_000).toISOString() } });
const pdf = makePdf();
const doc = await api('POST', `/api/v1/meetings/${meeting.id}/documents?title=${encodeURIComponent('Tờ trình')}`, {
  token, body: pdf, headers: { 'Content-Type': 'application/pdf' },
});
const sha = createHash('sha256').update(pdf).digest('hex');
const served = new Set();
const logBefore = readFileSync(ACCESS_LOG, 'utf8').length;
for (let i = 0; i < 8; i++) {
  const a = 1000 + i * 7919;
  const b = a + 4095;
  const r = await api('GET', `/api/v1/documents/${doc.id}/file`, { token, raw: true, headers: { Range: `bytes=${a}-${b}`, 'Accept-Encoding': 'gzip' } });
  const body = new Uint8Array(await r.arrayBuffer());
  check(r.status === 206, `Range download #${i}: ${r.status}`);
  check(r.headers.get('content-range') === `bytes ${a}-${b}/${pdf.length}`, `Content-Range: ${r.headers.get('content-range')}`);
  check(!r.headers.get('content-encoding'), `a PDF came back with Content-Encoding ${r.headers.get('content-encoding')}`);
  check(Buffer.compare(body, pdf.subarray(a, b + 1)) === 0, `Range download #${i}: wrong bytes`);
}
const whole = await api('GET', `/api/v1/documents/${doc.id}/file`, { token, raw: true });
check(createHash('sha256').update(new Uint8Array(await whole.arrayBuffer())).digest('hex') === sha, 'the whole download differs from the upload');
await sleep(100); // nginx writes the access log line once the response is done
for (const line of readFileSync(ACCESS_LOG, 'utf8').slice(logBefore).split('\n')) {
  const m = line.match(/"GET \/api\/v1\/documents\/\S+\/file HTTP\/1\.1" 20[06] .*upstream=(\S+)/);
  if (m) served.add(m[1]);
}
check(served.size === 2, `the downloads through nginx should be answered by both instances, were by: ${[...served].join(', ')}`);
for (const inst of INSTANCES) {
  const r = await api('GET', `/api/v1/documents/${doc.id}/file`, { token, base: inst.url, raw: true, headers: { Range: 'bytes=-512' } });
  const body = new Uint8Array(await r.arrayBuffer());
  check(r.status === 206 && Buffer.compare(body, pdf.subarray(pdf.length - 512)) === 0, `Range download from ${inst.name} directly: ${r.status}`);
}
const outside = await api('GET', `/api/v1/documents/${doc.id}/file`, { token, raw: true, headers: { Range: `bytes=${pdf.length + 10}-` } });
check(outside.status === 416, `a range past the end: ${outside.status}`);
log(`upload (${pdf.length} B) through nginx; Range downloads answered by ${[...served].join(' and ')}, and by each directly: ok`);

// --- the live channel's Origin check sees the tablet's Host through nginx ---
async function upgrade(origin) {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${BASE.replace(/^http/, 'ws')}/api/v1/meetings/${meeting.id}/live`, { headers: { Origin: origin } });
    ws.on('open', () => { ws.close(); resolve(101); });
    ws.on('unexpected-response', (_req, res) => { resolve(res.statusCode); ws.terminate(); });
    ws.on('error', () => resolve(0));
  });
}
check((await upgrade(BASE)) === 101, `the live channel with the page's own Origin ${BASE} should upgrade through nginx`);
check((await upgrade('https://evil.example')) === 403, 'the live channel with a foreign Origin should get 403 through nginx');
log('websocket upgrade through nginx, Origin checked against the forwarded Host: ok');

// --- failover: kill the instance a tablet is on, twice (so each instance is killed once) ---
let agendaN = 0;
// A POST that nginx had already sent on an idle kept-alive connection when its instance died
// fails with 502 (nginx never resends a POST): the client's to repeat, as a tablet does. Each
// such 502 is reported with nginx's reason.
let repeated = 0;
async function writeEvents(n, base = BASE) {
  for (let i = 0; i < n; i++) {
    agendaN += 1;
    const body = { title: `Nội dung ${agendaN}` };
    for (let attempt = 1; ; attempt++) {
      const r = await api('POST', `/api/v1/meetings/${meeting.id}/agenda`, { token, base, body, raw: true });
      if (r.status === 201) break;
      const text = await r.text();
      check(r.status === 502 && attempt < 3, `POST …/agenda via ${base}: ${r.status} ${text}`);
      repeated += 1;
      const reason = readFileSync(ERROR_LOG, 'utf8').trim().split('\n').at(-1)?.match(/\] \d+#\d+: \*\d+ ([^,]*)/)?.[1];
      log(`a POST got 502 (nginx: ${reason}); sent again`);
    }
  }
}
async function instanceOf(expectTotal) {
  return until('the live sessions to show in the metrics', 5000, async () => {
    // An instance that does not answer (killed) holds nothing.
    const s = (await sessionsByInstance()).map((x) => x ?? 0);
    return s.reduce((a, b) => a + b, 0) === expectTotal ? s : null;
  });
}

const tablet = new Tablet('tablet', meeting.id, token);
await tablet.welcomed(1);
await writeEvents(3);
await until('the first events on the tablet', 5000, async () => tablet.lastSeq === (await lastSeq(meeting.id, token)));

// Two SIGKILLs (each instance dies once); a SIGTERM, as `systemctl stop` sends during an
// upgrade one instance at a time: the server closes its channels with 1012 and the tablet
// goes over to the other instance the same way; a SIGSTOP, an instance that stops answering
// without closing anything (a host gone from the network): nginx's read timeout on the live
// channel (45 s in the file, 6 s here, with 2 s heartbeats) closes the tablet's socket. The
// stopped instance still accepts connections (the kernel does), so meanwhile the events are
// written to the other instance directly; then it is killed and started again.
const rounds = [
  { signal: 'SIGKILL', newChannel: true },
  { signal: 'SIGKILL', newChannel: true },
  { signal: 'SIGTERM', newChannel: false },
  { signal: 'SIGSTOP', newChannel: false },
];
for (const [i, { signal, newChannel }] of rounds.entries()) {
  const round = i + 1;
  const counts = await instanceOf(1);
  const victim = INSTANCES[counts.findIndex((c) => c === 1)];
  const other = INSTANCES.find((x) => x !== victim);
  const before = tablet.lastSeq;
  const welcomes = tablet.welcomes.length;
  const killedAt = performance.now();
  const closes = tablet.closes.length;
  await kill(victim, signal);
  // Durable events while the tablet is cut off or reconnecting: written through nginx, which
  // finds the dead instance refusing and passes each request to the live one.
  const writeVia = signal === 'SIGSTOP' ? other.url : BASE;
  await writeEvents(4, writeVia);
  // After SIGSTOP: 6 s until nginx closes the silent channel, and the tablet's first attempt
  // may go to the stopped instance again (accepted by the kernel, never answered) for 6 s.
  await tablet.welcomed(welcomes + 1, signal === 'SIGSTOP' ? 25_000 : 15_000);
  const back = tablet.welcomes.at(-1).at - killedAt;
  await writeEvents(2, writeVia);
  const latest = await lastSeq(meeting.id, token, writeVia);
  await until(`the tablet to catch up to seq ${latest}`, 5000, () => tablet.lastSeq === latest);
  check(latest - before >= 6, `expected at least 6 new events, got ${latest - before}`);
  const now = await instanceOf(1);
  check(now[INSTANCES.indexOf(other)] === 1, `the tablet should now be on ${other.name}`);
  if (signal === 'SIGTERM') {
    const code = tablet.closes[closes]?.code;
    check(code === 1012, `a stopping instance should close the live channel with 1012, got ${code}`);
  }
  log(`round ${round}: ${signal} ${victim.name}; tablet back on ${other.name} after ${back.toFixed(0)} ms, resumed from seq ${before} to ${latest}, no gap, no duplicate`);

  if (signal === 'SIGSTOP') process.kill(pid(victim), 'SIGKILL');
  await restart(victim);
  if (!newChannel) {
    log(`round ${round}: ${victim.name} restarted`);
    continue;
  }
  // least_conn sends a new channel to the instance with fewer connections: the restarted one,
  // once nginx tries it again (at once, or after fail_timeout, 3 s here, if it counted it as failed).
  let attempts = 0;
  const landedAt = performance.now();
  await until(`a new channel to land on the restarted ${victim.name}`, 20_000, async () => {
    attempts += 1;
    const t = new Tablet(`new tablet ${round}.${attempts}`, meeting.id, token);
    await t.welcomed(1);
    const s = await instanceOf(2);
    t.stop();
    await instanceOf(1);
    return s[INSTANCES.indexOf(victim)] === 1;
  }, 500);
  log(`round ${round}: ${victim.name} restarted, a new channel landed on it ${((performance.now() - landedAt) / 1000).toFixed(1)} s after it was ready (${attempts} attempt(s))`);
}
tablet.stop();
const seqs = tablet.seqs;
check(seqs.every((s, i) => s === i + 1), 'the tablet did not see every seq from 1 once and in order');
log(`live failover: ${repeated} POST(s) repeated after a 502; ${seqs.length} events, seqs 1..${seqs.at(-1)} each once; closes seen: ${tablet.closes.map((c) => c.code).join(', ')}`);
console.log('nginx check: ok');
process.exit(0);
