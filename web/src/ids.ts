/**
 * Random ids made on the tablet: a UUID v4 from the browser's random source. Plain http on a
 * LAN address is not a secure context and has no `crypto.randomUUID`, but it has
 * `crypto.getRandomValues`; nothing here is derived from the clock, so an id never tells when
 * it was made (a ballot's idempotency key once did, and dated each secret ballot).
 */
export function randomId(): string {
  const c = globalThis.crypto as Crypto | undefined;
  if (c?.randomUUID) return c.randomUUID();
  const b = new Uint8Array(16);
  if (c?.getRandomValues) c.getRandomValues(b);
  else for (let i = 0; i < 16; i++) b[i] = Math.floor(Math.random() * 256);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
