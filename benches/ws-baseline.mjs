// The plain Node.js `ws` broadcast server the live channel is compared with: every POST
// /broadcast sends one small event to every connected socket. Run by benches/live.sh.
import http from 'node:http';
import { WebSocketServer } from 'ws';

let seq = 0;

// The time the broadcast starts, in microseconds like ecabinet's `at` (the load tool measures
// from it): `Date` alone has milliseconds only.
function nowMicros() {
  const ms = performance.timeOrigin + performance.now();
  const micros = Math.floor((ms % 1) * 1000);
  return new Date(Math.floor(ms)).toISOString().replace('Z', `${String(micros).padStart(3, '0')}Z`);
}
const server = http.createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/broadcast') {
    res.statusCode = 404;
    return res.end();
  }
  seq += 1;
  const event = JSON.stringify({ seq, type: 'meeting.updated', at: nowMicros(), data: { location: `Phòng ${seq}` } });
  for (const client of wss.clients) client.send(event);
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ seq }));
});
const wss = new WebSocketServer({ server });
server.listen(Number(process.env.PORT ?? 18091), '127.0.0.1');
