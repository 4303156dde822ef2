// Where the text is on a page, for snapping highlights to it: each PDF.js text item's box as
// page fractions (of the page as displayed, like annotations). Read once per page.
import { Util, type PDFDocumentProxy } from 'pdfjs-dist';
import type { Rect } from '../annotations/model';

const seen = new WeakMap<PDFDocumentProxy, Map<number, Promise<Rect[]>>>();

export function textBoxes(pdf: PDFDocumentProxy, n: number): Promise<Rect[]> {
  let pages = seen.get(pdf);
  if (!pages) seen.set(pdf, (pages = new Map()));
  let got = pages.get(n);
  if (!got) {
    got = (async () => {
      const page = await pdf.getPage(n);
      const vp = page.getViewport({ scale: 1 });
      const content = await page.getTextContent();
      const out: Rect[] = [];
      for (const item of content.items) {
        if (!('str' in item) || !item.str.trim()) continue;
        const m = Util.transform(vp.transform, item.transform);
        const h = Math.hypot(m[2], m[3]);
        const w = item.width * vp.scale;
        // Horizontal text only; rotated runs keep the dragged rectangle.
        if (Math.abs(m[1]) > 1e-3 || !h || !w) continue;
        const x = m[4];
        const y = m[5] - h;
        out.push([x / vp.width, y / vp.height, w / vp.width, (h * 1.15) / vp.height]);
      }
      return out;
    })();
    pages.set(n, got);
  }
  return got;
}
