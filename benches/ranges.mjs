// Small range requests one after another on one keep-alive connection, the way PDF.js reads a
// document that is not yet on the tablet. Shows stalls of ~40 ms when the server's small writes
// wait for delayed ACKs (Nagle's algorithm), which TCP_NODELAY removes.
// Usage: node benches/ranges.mjs [base-url] [requests]   (a server with demo data, e.g.
//        `ecabinet serve --demo`; Node 20's fetch keeps the connection alive)
const base = process.argv[2] ?? 'http://127.0.0.1:8080';
const count = Number(process.argv[3] ?? 60);
const size = 8192;

async function json(res) {
  if (!res.ok) throw new Error(`${res.url}: ${res.status} ${await res.text()}`);
  return res.json();
}

const login = await json(
  await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: 'demo1234' }),
  }),
);
const auth = { authorization: `Bearer ${login.access_token}` };
const meetings = await json(await fetch(`${base}/api/v1/meetings`, { headers: auth }));
let document;
for (const m of meetings.meetings ?? meetings) {
  const meeting = await json(await fetch(`${base}/api/v1/meetings/${m.id}`, { headers: auth }));
  document = (meeting.documents ?? [])[0];
  if (document) break;
}
if (!document) throw new Error('no document in the demo data');

const file = `${base}/api/v1/documents/${document.id}/file`;
const first = await fetch(file, { headers: { ...auth, range: 'bytes=0-0' } });
await first.arrayBuffer();
const length = Number(first.headers.get('content-range')?.split('/')[1]);
if (!(length > size)) throw new Error(`document of ${length} bytes: too small for ${size}-byte ranges`);

const times = [];
for (let i = 0; i < count; i++) {
  const from = (i * size) % (length - size);
  const started = performance.now();
  const res = await fetch(file, {
    headers: { ...auth, range: `bytes=${from}-${from + size - 1}` },
  });
  if (res.status !== 206) throw new Error(`range answered ${res.status}`);
  await res.arrayBuffer();
  times.push(performance.now() - started);
}
times.sort((a, b) => a - b);
const at = (q) => times[Math.min(times.length - 1, Math.floor(q * times.length))].toFixed(1);
console.log(
  `${count} ranges of ${size / 1024} KiB: p50 ${at(0.5)} ms, p90 ${at(0.9)} ms, ` +
    `max ${at(1)} ms, over 30 ms: ${times.filter((t) => t > 30).length}`,
);
