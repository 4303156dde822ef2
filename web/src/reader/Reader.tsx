// The document reader (trình đọc tài liệu): PDF.js renders one page at a time into a canvas,
// with page navigation (buttons, page number, arrow keys, swipe), zoom and fit-width, the page
// count and page thumbnails. Loaded lazily (a dynamic import from MeetingScreen), so PDF.js
// never weighs on the first page of the app. The bytes come from DocStore (authenticated,
// kept for offline reading): a kept copy whole, a file not yet kept by ranges as PDF.js needs
// them while the whole file is downloaded, fed to PDF.js and kept (documents/ranged.ts); the
// server has already stamped the reader's watermark.
import { useEffect, useRef, useState } from 'preact/hooks';
import * as pdfjs from 'pdfjs-dist';
import type { PDFDocumentProxy, RenderTask } from 'pdfjs-dist';
import workerUrl from 'pdfjs-dist/build/pdf.worker.min.mjs?url';
import { fmtPercent, t } from '../i18n';
import { OfflineError, type DocStore } from '../documents/offline';
import { RANGE_CHUNK, openDocument, type RangeReader } from '../documents/ranged';
import { clampPage, nextZoom, type Zoom } from './view';
import { useAnnotator, type AnnotateConfig, type Shown } from '../annotations/Annotator';
import { textBoxes } from './text';

pdfjs.GlobalWorkerOptions.workerSrc = workerUrl;

/** Fonts, character maps and image decoders PDF.js may need, served by ecabinet itself (vite.config.ts). */
const ASSETS = {
  cMapUrl: '/pdfjs/cmaps/',
  cMapPacked: true,
  standardFontDataUrl: '/pdfjs/standard_fonts/',
  wasmUrl: '/pdfjs/wasm/',
  iccUrl: '/pdfjs/iccs/',
};

export interface ReaderProps {
  title: string;
  /** The /api/v1 path of the file (documents/offline.ts filePath or bookPath). */
  path: string;
  store: DocStore;
  /** A page to go to; `n` changes for every request (the presenter may announce one page twice). */
  goto: { page: number; n: number } | null;
  /** Every page change: `byUser` when the reader turned it, not a `goto`. */
  onPage: (page: number, byUser: boolean) => void;
  onClose: () => void;
  /** Extra toolbar controls (follow and present toggles). */
  tools?: any;
  /** A line under the toolbar (the presenter's position, errors). */
  notice?: any;
  /** Annotation tools for this document (none for the board book). */
  annotate?: AnnotateConfig;
  /** The signature badges of the version shown (ui/Signatures.tsx), under the title bar. */
  badges?: any;
}

type Load =
  | { state: 'loading' }
  | { state: 'ready'; pdf: PDFDocumentProxy; fromCache: boolean; offline: boolean; ranged?: RangeReader }
  | { state: 'error'; message: string };

export function Reader(p: ReaderProps) {
  const [load, setLoad] = useState<Load>({ state: 'loading' });
  const [page, setPage] = useState(p.goto?.page ?? 1);
  const [zoom, setZoom] = useState<Zoom>('fit');
  const [thumbs, setThumbs] = useState(false);
  const [pageInput, setPageInput] = useState(String(page));
  /** A range the page needs could not be fetched, nor the whole file (the network dropped). */
  const [rangeFailed, setRangeFailed] = useState(false);
  const stage = useRef<HTMLDivElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const dialog = useRef<HTMLDivElement>(null);
  const task = useRef<RenderTask | null>(null);
  const [width, setWidth] = useState(0);
  /** The scale of the page on screen (fit-width computes one). */
  const scaleRef = useRef(1);
  const pages = load.state === 'ready' ? load.pdf.numPages : 0;
  /** The page drawn on the canvas now, and its size on screen (the annotation overlay fits it). */
  const [shown, setShown] = useState<Shown | null>(null);
  const ann = useAnnotator(p.annotate, shown, load.state === 'ready' ? (n) => textBoxes(load.pdf, n) : undefined, pages);

  // Load the file.
  useEffect(() => {
    let alive = true;
    let pdf: PDFDocumentProxy | null = null;
    setLoad({ state: 'loading' });
    setRangeFailed(false);
    performance.mark('ecabinet:reader-open');
    openDocument(p.store, p.path)
      .then(async (o) => {
        if (o.kind === 'bytes') {
          // PDF.js takes the buffer over (transfers it to its worker): give it its own copy.
          const doc = await pdfjs.getDocument({ data: new Uint8Array(o.loaded.bytes), ...ASSETS, isEvalSupported: false }).promise;
          pdf = doc;
          if (!alive) return void doc.destroy();
          return setLoad({ state: 'ready', pdf: doc, fromCache: o.loaded.fromCache, offline: o.loaded.offline });
        }
        const reader = o.reader;
        const range = new pdfjs.PDFDataRangeTransport(o.length, new Uint8Array(o.initial));
        range.requestDataRange = (begin: number, end: number) => {
          reader.read(begin, end).then(
            (bytes) => alive && range.onDataRange(begin, new Uint8Array(bytes)),
            () => alive && setRangeFailed(true),
          );
        };
        // The whole file, downloaded once and kept, reaches PDF.js as it arrives (after the
        // bytes it already has); PDF.js asks for other ranges meanwhile and prefetches nothing.
        const skip = o.initial.byteLength;
        void reader
          .keepWhole((begin, chunk) => {
            if (!alive) return;
            const end = begin + chunk.byteLength;
            if (end > skip) range.onDataProgressiveRead(chunk.slice(Math.max(0, skip - begin)));
          })
          .then(() => alive && range.onDataProgressiveDone())
          .catch(() => undefined);
        const doc = await pdfjs.getDocument({ range, rangeChunkSize: RANGE_CHUNK, disableAutoFetch: true, ...ASSETS, isEvalSupported: false }).promise;
        pdf = doc;
        if (!alive) return void doc.destroy();
        setLoad({ state: 'ready', pdf: doc, fromCache: false, offline: false, ranged: reader });
      })
      .catch((e) => {
        if (!alive) return;
        const message = e instanceof OfflineError ? t('reader.notOffline') : e?.name === 'InvalidPDFException' ? t('reader.broken') : t('reader.loadFailed');
        setLoad({ state: 'error', message });
      });
    return () => {
      alive = false;
      task.current?.cancel();
      void pdf?.destroy();
    };
  }, [p.path]);

  // Jumps asked from outside (follow the presenter).
  useEffect(() => {
    if (p.goto) setPage(p.goto.page);
  }, [p.goto?.n]);

  // Keep the page within the document and report changes.
  const lastReported = useRef<number | null>(null);
  const turnedByUser = useRef(false);
  useEffect(() => {
    if (!pages) return;
    const c = clampPage(page, pages);
    if (c !== page) return setPage(c);
    setPageInput(String(c));
    if (lastReported.current !== c) {
      lastReported.current = c;
      p.onPage(c, turnedByUser.current);
    }
    turnedByUser.current = false;
  }, [page, pages]);

  // The stage's width, for fit-width.
  useEffect(() => {
    const el = stage.current;
    if (!el) return;
    const measure = () => setWidth(el.clientWidth);
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, [load.state]);

  // Render the page.
  useEffect(() => {
    if (load.state !== 'ready' || !canvas.current || !width) return;
    let alive = true;
    (async () => {
      const pg = await load.pdf.getPage(clampPage(page, pages));
      if (!alive) return;
      const base = pg.getViewport({ scale: 1 });
      const scale = zoom === 'fit' ? Math.max(0.1, (width - 16) / base.width) : zoom;
      scaleRef.current = scale;
      const vp = pg.getViewport({ scale });
      const dpr = Math.min(window.devicePixelRatio || 1, 3);
      const c = canvas.current!;
      task.current?.cancel();
      const off = document.createElement('canvas');
      off.width = Math.floor(vp.width * dpr);
      off.height = Math.floor(vp.height * dpr);
      const rt = pg.render({ canvas: off, canvasContext: off.getContext('2d')!, viewport: vp, transform: dpr !== 1 ? [dpr, 0, 0, dpr, 0, 0] : undefined });
      task.current = rt;
      try {
        await rt.promise;
      } catch {
        return; // cancelled by a newer render
      }
      if (!alive) return;
      // Swap in the finished page at once: no blank flash between pages.
      c.width = off.width;
      c.height = off.height;
      c.style.width = `${Math.floor(vp.width)}px`;
      c.style.height = `${Math.floor(vp.height)}px`;
      c.getContext('2d')!.drawImage(off, 0, 0);
      c.dataset.renderedPage = String(pg.pageNumber);
      setShown({ page: pg.pageNumber, width: Math.floor(vp.width), height: Math.floor(vp.height) });
      if (!performance.getEntriesByName('ecabinet:reader-first-page').length) {
        performance.mark('ecabinet:reader-first-page');
        try {
          performance.measure('ecabinet:reader-open-to-first-page', 'ecabinet:reader-open', 'ecabinet:reader-first-page');
        } catch {
          /* marks cleared */
        }
      }
    })();
    return () => {
      alive = false;
    };
  }, [load, page, zoom, width]);

  const go = (n: number) => {
    turnedByUser.current = true;
    setPage(clampPage(n, pages || 1));
  };

  // Focus moves into the reader when it opens (not on every render: that would take it from
  // the page number field).
  useEffect(() => {
    dialog.current?.focus();
  }, []);

  // Keyboard: arrows and PageUp/PageDown turn pages, Escape closes.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const tag = (e.target as HTMLElement)?.tagName;
      if (tag === 'INPUT' || tag === 'TEXTAREA') return;
      if (e.key === 'Escape') p.onClose();
      else if (e.key === 'ArrowRight' || e.key === 'PageDown') go(page + 1);
      else if (e.key === 'ArrowLeft' || e.key === 'PageUp') go(page - 1);
      else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });

  // Swipe left/right to turn pages when the page fits the width (no horizontal scrolling).
  const swipe = useRef<{ x: number; y: number; id: number } | null>(null);
  const onPointerDown = (e: PointerEvent) => {
    if (e.pointerType === 'mouse') return;
    swipe.current = { x: e.clientX, y: e.clientY, id: e.pointerId };
  };
  const onPointerUp = (e: PointerEvent) => {
    const s = swipe.current;
    swipe.current = null;
    if (!s || s.id !== e.pointerId || zoom !== 'fit') return;
    const dx = e.clientX - s.x;
    const dy = e.clientY - s.y;
    if (Math.abs(dx) > 60 && Math.abs(dx) > 2 * Math.abs(dy)) go(dx < 0 ? page + 1 : page - 1);
  };

  const ready = load.state === 'ready';
  return (
    <div class="reader" role="dialog" aria-modal="true" aria-label={p.title} ref={dialog} tabIndex={-1} data-testid="reader">
      <div class="reader-bar">
        <button type="button" class="btn" onClick={p.onClose}>
          ← {t('reader.close')}
        </button>
        <h2 class="reader-title" title={p.title}>
          {p.title}
        </h2>
        {ready && (load.fromCache || load.offline) && (
          <span class={`badge ${load.offline ? 'att-absent' : 'att-present'}`} data-testid="reader-source">
            {load.offline ? t('reader.offlineCopy') : t('doc.offline')}
          </span>
        )}
        <div class="reader-tools">{p.tools}</div>
      </div>
      <div class="reader-bar reader-nav" role="toolbar" aria-label={t('reader.navigation')}>
        <button type="button" class="btn icon" disabled={!ready || page <= 1} onClick={() => go(page - 1)} aria-label={t('reader.prev')}>
          ‹
        </button>
        <form
          class="page-form"
          onSubmit={(e) => {
            e.preventDefault();
            const n = parseInt(pageInput, 10);
            if (Number.isFinite(n)) go(n);
          }}
        >
          <label>
            <span class="sr-only">{t('reader.pageNumber')}</span>
            <input
              class="page-input"
              name="page"
              inputMode="numeric"
              value={pageInput}
              disabled={!ready}
              onInput={(e) => setPageInput(e.currentTarget.value)}
              onBlur={() => setPageInput(String(page))}
            />
          </label>
          <span class="page-count" data-testid="page-count">
            {t('reader.pageOf', { page, pages })}
          </span>
        </form>
        <button type="button" class="btn icon" disabled={!ready || page >= pages} onClick={() => go(page + 1)} aria-label={t('reader.next')}>
          ›
        </button>
        <span class="sep" />
        <button type="button" class="btn icon" disabled={!ready} onClick={() => setZoom(nextZoom(zoom, -1, scaleRef.current))} aria-label={t('reader.zoomOut')}>
          −
        </button>
        <button type="button" class={`btn ${zoom === 'fit' ? 'on' : ''}`} aria-pressed={zoom === 'fit'} disabled={!ready} onClick={() => setZoom('fit')}>
          {t('reader.fitWidth')}
        </button>
        <button type="button" class="btn icon" disabled={!ready} onClick={() => setZoom(nextZoom(zoom, 1, scaleRef.current))} aria-label={t('reader.zoomIn')}>
          +
        </button>
        <span class="zoom-level" aria-live="polite">
          {zoom === 'fit' ? '' : fmtPercent(zoom)}
        </span>
        <button type="button" class={`btn ${thumbs ? 'on' : ''}`} aria-pressed={thumbs} disabled={!ready} onClick={() => setThumbs(!thumbs)}>
          {t('reader.thumbnails')}
        </button>
      </div>
      {p.badges && <div class="reader-badges">{p.badges}</div>}
      {ann.bar}
      {p.notice}
      <div class="reader-body">
        {thumbs && ready && <Thumbnails pdf={load.pdf} page={page} onPick={(n) => go(n)} />}
        <div class="reader-stage" ref={stage} onPointerDown={onPointerDown as any} onPointerUp={onPointerUp as any}>
          {load.state === 'loading' && <p class="muted reader-msg">{t('common.loading')}</p>}
          {load.state === 'error' && (
            <p class="error reader-msg" role="alert">
              {load.message}
            </p>
          )}
          {rangeFailed && (
            <p class="error reader-msg" role="alert">
              {t('reader.notOffline')}
            </p>
          )}
          {ready && (
            <div class="page-wrap">
              <canvas ref={canvas} class="reader-canvas" data-testid="reader-canvas" role="img" aria-label={t('reader.pageOf', { page, pages })} />
              {shown && ann.layer}
            </div>
          )}
        </div>
      </div>
    </div>
  );
}

/** Small renders of the pages, drawn as they scroll into view. */
function Thumbnails({ pdf, page, onPick }: { pdf: PDFDocumentProxy; page: number; onPick: (n: number) => void }) {
  const list = useRef<HTMLOListElement>(null);
  useEffect(() => {
    const root = list.current;
    if (!root) return;
    const drawn = new Set<number>();
    const io = new IntersectionObserver(
      (entries) => {
        for (const en of entries) {
          if (!en.isIntersecting) continue;
          const c = en.target as HTMLCanvasElement;
          const n = Number(c.dataset.n);
          if (drawn.has(n)) continue;
          drawn.add(n);
          void pdf.getPage(n).then((pg) => {
            const base = pg.getViewport({ scale: 1 });
            const vp = pg.getViewport({ scale: 96 / base.width });
            c.width = Math.floor(vp.width);
            c.height = Math.floor(vp.height);
            return pg.render({ canvas: c, canvasContext: c.getContext('2d')!, viewport: vp }).promise;
          }).catch(() => undefined);
        }
      },
      { root, rootMargin: '200px' },
    );
    root.querySelectorAll('canvas').forEach((c) => io.observe(c));
    return () => io.disconnect();
  }, [pdf]);
  useEffect(() => {
    list.current?.querySelector('[aria-current="page"]')?.scrollIntoView?.({ block: 'nearest' });
  }, [page]);
  return (
    <ol class="thumbs" ref={list} aria-label={t('reader.thumbnails')}>
      {Array.from({ length: pdf.numPages }, (_, i) => i + 1).map((n) => (
        <li>
          <button type="button" class="thumb" aria-current={n === page ? 'page' : undefined} aria-label={t('reader.goToPage', { page: n })} onClick={() => onPick(n)}>
            <canvas data-n={n} width={96} height={128} />
            <span>{n}</span>
          </button>
        </li>
      ))}
    </ol>
  );
}

export default Reader;
