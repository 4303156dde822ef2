// Small PNGs written here (node's zlib for the image data), for the signature image's unit and
// e2e tests: a stroke in dark blue on a transparent background, of any size.
import { deflateSync } from 'node:zlib';

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  Buffer.from(data).copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

const MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function ihdr(width: number, height: number): Buffer {
  const h = Buffer.alloc(13);
  h.writeUInt32BE(width, 0);
  h.writeUInt32BE(height, 4);
  h[8] = 8; // bit depth
  h[9] = 6; // RGBA
  return chunk('IHDR', h);
}

/** A valid RGBA PNG of `width` × `height`: a wavy dark-blue line on transparency. */
export function makePng(width: number, height: number): Buffer {
  const raw = Buffer.alloc((width * 4 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 4 + 1);
    raw[row] = 0; // filter: none
    for (let x = 0; x < width; x++) {
      const line = Math.round(height / 2 + (height / 4) * Math.sin((x / width) * Math.PI * 2));
      if (Math.abs(y - line) <= Math.max(1, Math.round(height / 30))) {
        const p = row + 1 + x * 4;
        raw[p] = 0x10;
        raw[p + 1] = 0x2a;
        raw[p + 2] = 0x80;
        raw[p + 3] = 0xff;
      }
    }
  }
  return Buffer.concat([MAGIC, ihdr(width, height), chunk('IDAT', deflateSync(raw)), chunk('IEND', new Uint8Array())]);
}

/** Begins as a PNG (signature and IHDR within the limits) but its image data is not deflate. */
export function brokenPng(width = 40, height = 20): Buffer {
  return Buffer.concat([MAGIC, ihdr(width, height), chunk('IDAT', Buffer.from('không phải dữ liệu ảnh')), chunk('IEND', new Uint8Array())]);
}

/** Only the first bytes of a PNG that claims `width` × `height` (enough for the tablet's check). */
export function pngHead(width: number, height: number, total = 100): Buffer {
  const head = Buffer.concat([MAGIC, ihdr(width, height)]);
  return Buffer.concat([head, Buffer.alloc(Math.max(0, total - head.length))]);
}
