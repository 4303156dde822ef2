// PDFs in the e2e tests: the writer is shared with the measuring tools (tools/pdf.mjs); the
// text of a PDF the server made is read through PDF.js in Node, as the reader would show it.
export { makePdf } from '../tools/pdf.mjs';

/** The text of every page of a PDF, pages joined with spaces. */
export async function pdfText(bytes: Uint8Array): Promise<string> {
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const doc = await pdfjs.getDocument({ data: bytes, isEvalSupported: false, verbosity: 0 }).promise;
  const out: string[] = [];
  for (let n = 1; n <= doc.numPages; n++) {
    const c = await (await doc.getPage(n)).getTextContent();
    out.push(c.items.map((i) => ('str' in i ? i.str : '')).join(' '));
  }
  await doc.destroy();
  return out.join(' ');
}

/** Text without its spacing, composed: lines and items break a PDF's text anywhere. */
export const squash = (s: string) => s.normalize('NFC').replace(/\s+/g, '');
