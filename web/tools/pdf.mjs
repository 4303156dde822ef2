// A small PDF writer for tests and measurements: `pages` pages of Helvetica text, each
// numbered, with an exact cross-reference table (the server refuses files it would have to
// repair). `imageBytes` > 0 adds to every page its own RGB image of about that many bytes
// (Flate-compressed noise, which does not shrink), like a scanned page.
import { deflateSync } from 'node:zlib';

export function makePdf(pages, label, opts = {}) {
  const imageBytes = opts.imageBytes ?? 0;
  const side = imageBytes > 0 ? Math.max(8, Math.round(Math.sqrt(imageBytes / 3))) : 0;
  // Objects as byte buffers: 1 catalog, 2 page tree, 3 font, then per page: page, content, image?
  const per = side ? 3 : 2;
  const objs = [];
  const kids = Array.from({ length: pages }, (_, i) => `${4 + i * per} 0 R`).join(' ');
  objs.push(Buffer.from('<< /Type /Catalog /Pages 2 0 R >>', 'latin1'));
  objs.push(Buffer.from(`<< /Type /Pages /Kids [${kids}] /Count ${pages} >>`, 'latin1'));
  objs.push(Buffer.from('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>', 'latin1'));
  let seed = 1;
  const noise = (n) => {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      b[i] = seed >>> 24;
    }
    return b;
  };
  for (let i = 0; i < pages; i++) {
    const own = 4 + i * per;
    let text = `BT /F1 28 Tf 72 720 Td (${label} - page ${i + 1} of ${pages}) Tj ET\n` + `0 0 1 rg 72 200 450 ${100 + ((i * 37) % 300)} re f\n`;
    let xobj = '';
    if (side) {
      text += `q 300 0 0 300 156 150 cm /Im0 Do Q\n`;
      xobj = ` /XObject << /Im0 ${own + 2} 0 R >>`;
    }
    objs.push(Buffer.from(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >>${xobj} >> /Contents ${own + 1} 0 R >>`, 'latin1'));
    objs.push(Buffer.from(`<< /Length ${Buffer.byteLength(text, 'latin1')} >>\nstream\n${text}endstream`, 'latin1'));
    if (side) {
      const data = deflateSync(noise(side * side * 3));
      objs.push(
        Buffer.concat([
          Buffer.from(`<< /Type /XObject /Subtype /Image /Width ${side} /Height ${side} /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode /Length ${data.length} >>\nstream\n`, 'latin1'),
          data,
          Buffer.from('\nendstream', 'latin1'),
        ]),
      );
    }
  }
  const parts = [Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  let size = parts[0].length;
  const offsets = [];
  objs.forEach((o, i) => {
    offsets.push(size);
    const b = Buffer.concat([Buffer.from(`${i + 1} 0 obj\n`, 'latin1'), o, Buffer.from('\nendobj\n', 'latin1')]);
    parts.push(b);
    size += b.length;
  });
  let tail = `xref\n0 ${objs.length + 1}\n0000000000 65535 f \n`;
  for (const off of offsets) tail += `${String(off).padStart(10, '0')} 00000 n \n`;
  tail += `trailer\n<< /Size ${objs.length + 1} /Root 1 0 R >>\nstartxref\n${size}\n%%EOF\n`;
  parts.push(Buffer.from(tail, 'latin1'));
  return Buffer.concat(parts);
}
