// The reader's annotation tools (ghi chú): pen, highlighter, sticky note, eraser, colours,
// "share with the meeting", undo; the overlay that draws every annotation of the page shown
// (an SVG in page fractions, so it fits any zoom), others' ink in progress, and the panel of
// the selected annotation (sharing, deleting, a note's text and replies), and the list of
// annotations whose page a new version of the document no longer has (moved or deleted there). The state and the
// protocol live in plain modules (store.ts, outbox.ts, undo.ts); this file is the UI.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { errorText, session } from '../app';
import { fmtTime, t, type Key } from '../i18n';
import {
  HIGHLIGHT_COLORS,
  MAX_BATCH_POINTS,
  NOTE_COLOR,
  PEN_COLORS,
  PEN_WIDTH,
  addPoint,
  dist,
  hasPressure,
  meaningfulRect,
  newId,
  pathOf,
  pressureWidth,
  rectFrom,
  snapToText,
  toPage,
  topAt,
  validStroke,
  type Annotation,
  type InkData,
  type HighlightData,
  type NoteData,
  type Point,
  type Rect,
  type Stroke,
} from './model';
import { applyEvent, expireStrokes, fromList, moveTarget, onPage, orphans, overlay, patched, remove, strokeBatch, upsert, type Items, type LiveStrokes } from './store';
import { UndoStack, inverse, snapshot } from './undo';
import { flushSoon, listAnnotations, outbox } from './sync';
import type { Patch } from './outbox';
import './annotations.css';

/** What the reader host tells the annotator (built in ui/Documents.tsx). */
export interface AnnotateConfig {
  docId: string;
  /** The version the reader shows (annotations are made on the latest). */
  docVersion: number;
  me: string;
  /** Display names of the meeting's people, for notes' and replies' authors. */
  names: ReadonlyMap<string, string>;
  /** May share (not an observer, the meeting not closed). */
  canShare: boolean;
  /** The meeting is closed: shared annotations can no longer change. */
  closed: boolean;
  /** Live annotation traffic (MeetingHandle.onAnnotation). */
  subscribe: (fn: (type: string, data: any) => void) => () => void;
  /** A live-channel request (MeetingHandle.send). */
  send: (body: Record<string, unknown>) => Promise<unknown>;
}

/** The page on screen: its number and size in CSS pixels. */
export interface Shown {
  page: number;
  width: number;
  height: number;
}

type Tool = 'none' | 'pen' | 'highlight' | 'note' | 'eraser';
const TOOLS: Tool[] = ['none', 'pen', 'highlight', 'note', 'eraser'];
/** The SVG's width in its own units; its height follows the page's aspect. */
const W = 1000;
/** How often a shared stroke in progress is sent to the others. */
const STROKE_BATCH_MS = 50;

interface Drawing {
  id: string;
  pointer: number;
  page: number;
  points: Point[];
  /** Points already sent to the live channel. */
  sent: number;
  color: string;
  live: boolean;
  timer?: ReturnType<typeof setInterval>;
}

export interface Annotator {
  /** The tools' bar, its notices and the selected annotation's panel. */
  bar: any;
  /** The overlay over the page (absolutely positioned over it). */
  layer: any;
}

/**
 * The annotator of one document. `textBoxes` gives the page's text boxes (page fractions) for
 * snapping highlights to the text, when the reader can; `pageCount` is the document's (0 while
 * it loads), the pages an orphan may move to.
 */
export function useAnnotator(
  cfg: AnnotateConfig | undefined,
  shown: Shown | null,
  textBoxes?: (page: number) => Promise<Rect[]>,
  pageCount = 0,
): Annotator {
  const [items, setItemsState] = useState<Items>(new Map());
  const itemsRef = useRef<Items>(items);
  const setItems = (f: (cur: Items) => Items) => {
    const next = f(itemsRef.current);
    if (next === itemsRef.current) return;
    itemsRef.current = next;
    setItemsState(next);
  };
  const [strokes, setStrokes] = useState<LiveStrokes>(new Map());
  const [tool, setTool] = useState<Tool>('none');
  const [penColor, setPenColor] = useState(PEN_COLORS[0]);
  const [hlColor, setHlColor] = useState(HIGHLIGHT_COLORS[0]);
  const [shareNew, setShareNew] = useState(false);
  const [selected, setSelected] = useState<string | null>(null);
  const [draft, setDraft] = useState<{ page: number; x: number; y: number } | null>(null);
  const [notice, setNotice] = useState<{ text: string; error: boolean } | null>(null);
  const [queued, setQueued] = useState(0);
  const [undoable, setUndoable] = useState(0);
  const [dragRect, setDragRect] = useState<Rect | null>(null);
  const [showOrphans, setShowOrphans] = useState(false);
  const undo = useRef(undoFor(cfg?.me, cfg?.docId));
  const deleted = useRef(new Set<string>());
  const drawing = useRef<Drawing | null>(null);
  const pathEl = useRef<SVGPathElement>(null);
  const layerEl = useRef<HTMLDivElement>(null);
  const docId = cfg?.docId;
  const me = cfg?.me ?? '';
  const canShare = !!cfg?.canShare;
  const sharing = canShare && shareNew;

  const countQueued = () => setQueued(outbox.ops().filter((o) => o.user === me).length);
  const ctx = () => ({ me, docId: docId!, pending: outbox.pendingIds(docId), deleted: deleted.current });

  // Load the document's annotations, with what waits in the outbox laid over them.
  const reload = async () => {
    if (!docId) return;
    try {
      const [{ list }] = await Promise.all([listAnnotations(docId), outbox.load()]);
      const fresh = overlay(fromList(list), outbox.ops(), docId, me);
      itemsRef.current = fresh;
      setItemsState(fresh);
      countQueued();
    } catch (e) {
      setNotice({ text: errorText(e), error: true });
    }
  };
  useEffect(() => {
    if (!docId) return;
    undo.current = undoFor(me, docId);
    setUndoable(undo.current.size);
    void reload();
    flushSoon();
    const fetchOne = (id: string) =>
      void session
        .request<Annotation>('GET', `/annotations/${encodeURIComponent(id)}`)
        .then((a) => setItems((cur) => upsert(cur, a)))
        .catch((e) => {
          if (e?.status === 404) setItems((cur) => remove(cur, id));
        });
    const offOutbox = outbox.subscribe((e) => {
      if (e.type === 'queue') return countQueued();
      if (e.doc !== docId) return;
      if (e.type === 'saved') setItems((cur) => new Map(cur).set(e.annotation.id, e.annotation));
      else if (e.type === 'gone') setItems((cur) => remove(cur, e.id));
      else if (e.type === 'conflict') {
        undo.current.forget(e.id);
        setUndoable(undo.current.size);
        setItems((cur) => (e.annotation ? new Map(cur).set(e.id, e.annotation) : remove(cur, e.id)));
        setNotice({ text: t('ann.conflict'), error: true });
      } else if (e.type === 'refused') {
        undo.current.forget(e.id);
        setUndoable(undo.current.size);
        setNotice({ text: `${t('ann.refused')} ${errorText(e.error)}`, error: true });
        fetchOne(e.id);
      }
    });
    const offLive = cfg!.subscribe((type, data) => {
      if (type === 'reconnected') return void reload();
      if (type === 'annotation.stroke') return setStrokes((s) => strokeBatch(s, data, docId, me, Date.now()));
      const r = applyEvent(itemsRef.current, type, data, ctx());
      setItems(() => r.items);
      if (r.fetch) fetchOne(r.fetch);
      if (r.finished) setStrokes((s) => expireStrokes(s, Date.now(), [r.finished!]));
    });
    return () => {
      offOutbox();
      offLive();
      const d = drawing.current;
      if (d?.timer) clearInterval(d.timer);
    };
  }, [docId]);

  // Others' strokes that stopped without an annotation fade out.
  useEffect(() => {
    if (!strokes.size) return;
    const id = setInterval(() => setStrokes((s) => expireStrokes(s, Date.now())), 2000);
    return () => clearInterval(id);
  }, [strokes.size > 0]);

  // --- changes (each one queued, remembered for undo) ------------------------------------

  const create = async (a: Annotation, record = true) => {
    deleted.current.delete(a.id);
    setItems((cur) => new Map(cur).set(a.id, a));
    if (record) {
      undo.current.push({ kind: 'create', annotation: a });
      setUndoable(undo.current.size);
    }
    const body = { page: a.page, kind: a.kind, shared: a.shared, data: a.data, document_version: cfg!.docVersion };
    await outbox.create(me, { id: a.id, doc: docId!, body });
  };
  const destroy = async (a: Annotation, record = true) => {
    deleted.current.add(a.id);
    setItems((cur) => remove(cur, a.id));
    if (selected === a.id) setSelected(null);
    if (record) {
      undo.current.push({ kind: 'delete', annotation: a });
      setUndoable(undo.current.size);
    }
    await outbox.remove(me, { id: a.id, doc: docId! });
  };
  const edit = async (a: Annotation, patch: Patch, record = true) => {
    setItems((cur) => new Map(cur).set(a.id, patched(a, patch)));
    if (record) {
      undo.current.push({ kind: 'edit', id: a.id, before: snapshot(a, patch), after: patch });
      setUndoable(undo.current.size);
    }
    await outbox.update(me, { id: a.id, doc: docId!, base: a.version, patch });
  };
  const undoLast = () => {
    const e = undo.current.pop((id) => itemsRef.current.has(id));
    setUndoable(undo.current.size);
    if (!e) return;
    const inv = inverse(e);
    if (inv.kind === 'delete') {
      const a = itemsRef.current.get(inv.id);
      if (a) void destroy(a, false);
    } else if (inv.kind === 'create') void create({ ...inv.annotation, version: 0, replies: inv.annotation.kind === 'note' ? [] : undefined }, false);
    else {
      const a = itemsRef.current.get(inv.id);
      if (a) void edit(a, inv.patch, false);
    }
  };

  const mine = (a: Annotation) => a.user_id === me && (!a.shared || !cfg?.closed);
  const page = shown?.page ?? 0;
  const aspect = shown && shown.width ? shown.height / shown.width : 1.414;
  const H = W * aspect;
  const list = useMemo(() => onPage(items, page), [items, page]);
  const lost = useMemo(() => orphans(items), [items]);

  // --- pointer input ---------------------------------------------------------------------

  const pointAt = (e: PointerEvent, withPressure = false): Point => {
    const box = layerEl.current!.getBoundingClientRect();
    const pressure = withPressure && e.pointerType === 'pen' && e.pressure > 0 ? e.pressure : undefined;
    return toPage(box, e.clientX, e.clientY, pressure);
  };

  const sendBatch = () => {
    const d = drawing.current;
    if (!d || !d.live || d.sent >= d.points.length) return;
    const pts = d.points.slice(d.sent, d.sent + MAX_BATCH_POINTS);
    d.sent += pts.length;
    cfg!
      .send({ type: 'annotation.stroke', document_id: docId, page: d.page, stroke_id: d.id, points: pts, color: d.color, width: PEN_WIDTH })
      .catch(() => undefined);
  };

  const gesture = useRef<{ pointer: number; start: Point; last: Point; erased: Set<string> } | null>(null);

  const eraseAt = (p: Point, erased: Set<string>) => {
    const hit = topAt(list, p, aspect, (a) => mine(a) && !erased.has(a.id));
    if (!hit) return;
    erased.add(hit.id);
    void destroy(hit);
  };

  const onDown = (e: PointerEvent) => {
    if (tool === 'none' || !shown || !cfg) return;
    // Drawing, not turning pages or scrolling.
    e.stopPropagation();
    e.preventDefault();
    if (drawing.current || gesture.current) return; // a second finger: ignore
    try {
      (e.currentTarget as HTMLElement).setPointerCapture(e.pointerId);
    } catch {
      /* a pointer the browser no longer tracks: moves still arrive while over the page */
    }
    const p = pointAt(e, tool === 'pen');
    if (tool === 'pen') {
      const d: Drawing = { id: newId(), pointer: e.pointerId, page, points: [p], sent: 0, color: penColor, live: sharing };
      drawing.current = d;
      if (d.live) d.timer = setInterval(sendBatch, STROKE_BATCH_MS);
      pathEl.current?.setAttribute('d', pathOf(d.points, W, H));
      pathEl.current?.setAttribute('stroke', d.color);
    } else {
      gesture.current = { pointer: e.pointerId, start: p, last: p, erased: new Set() };
      if (tool === 'highlight') setDragRect(rectFrom(p, p));
      if (tool === 'eraser') eraseAt(p, gesture.current.erased);
    }
  };

  const onMove = (e: PointerEvent) => {
    const d = drawing.current;
    if (d && e.pointerId === d.pointer) {
      e.stopPropagation();
      const evs = (e as any).getCoalescedEvents?.() as PointerEvent[] | undefined;
      let added = false;
      for (const ev of evs?.length ? evs : [e]) added = addPoint(d.points, pointAt(ev, true), aspect) || added;
      if (added) pathEl.current?.setAttribute('d', pathOf(d.points, W, H));
      return;
    }
    const g = gesture.current;
    if (!g || e.pointerId !== g.pointer) return;
    e.stopPropagation();
    const p = pointAt(e);
    if (tool === 'highlight') setDragRect(rectFrom(g.start, p));
    else if (tool === 'eraser') {
      // Along the path, not only where move events land: a quick swipe erases what it crosses.
      const steps = Math.min(50, Math.ceil(dist(g.last, p, aspect) / 0.005));
      for (let i = 1; i <= steps; i++) eraseAt([g.last[0] + ((p[0] - g.last[0]) * i) / steps, g.last[1] + ((p[1] - g.last[1]) * i) / steps], g.erased);
      g.last = p;
    }
  };

  const onUp = (e: PointerEvent) => {
    const d = drawing.current;
    if (d && e.pointerId === d.pointer) {
      e.stopPropagation();
      drawing.current = null;
      if (d.timer) clearInterval(d.timer);
      sendBatch();
      pathEl.current?.setAttribute('d', '');
      const stroke: Stroke = { points: d.points, color: d.color, width: PEN_WIDTH };
      if (e.type === 'pointercancel' && d.points.length < 2) return;
      if (!validStroke(stroke)) return;
      void create({ id: d.id, document_id: docId!, user_id: me, version: 0, page: d.page, kind: 'ink', shared: d.live, data: { strokes: [stroke] } });
      return;
    }
    const g = gesture.current;
    if (!g || e.pointerId !== g.pointer) return;
    e.stopPropagation();
    gesture.current = null;
    if (tool === 'highlight') {
      setDragRect(null);
      const r = rectFrom(g.start, pointAt(e));
      if (!meaningfulRect(r) || e.type === 'pointercancel') return;
      const color = hlColor;
      const pg = page;
      const make = (rects: Rect[]) =>
        void create({ id: newId(), document_id: docId!, user_id: me, version: 0, page: pg, kind: 'highlight', shared: sharing, data: { rects, color } });
      if (textBoxes)
        void textBoxes(pg)
          .then((boxes) => snapToText(r, boxes))
          .catch(() => [] as Rect[])
          .then((snapped) => {
            const lines = snapped.filter((x) => x[2] > 0 && x[3] > 0);
            make(lines.length ? lines : [r]);
          });
      else make([r]);
    } else if (tool === 'note' && e.type !== 'pointercancel') {
      const p = pointAt(e);
      setSelected(null);
      setDraft({ page, x: p[0], y: p[1] });
    }
  };

  // A tap with no tool selects the annotation under it.
  const onClick = (e: MouseEvent) => {
    if (tool !== 'none' || !shown) return;
    const box = layerEl.current!.getBoundingClientRect();
    const p = toPage(box, e.clientX, e.clientY);
    const hit = topAt(list, p, aspect, (a) => a.kind !== 'note');
    setSelected(hit ? hit.id : null);
    setDraft(null);
  };

  // --- drawing ---------------------------------------------------------------------------

  const inkEl = (id: string, s: Stroke, cls: string) =>
    hasPressure(s) ? (
      <g class={cls} data-id={id} stroke={s.color} stroke-linecap="round" fill="none">
        {s.points.slice(1).map((p, i) => {
          const a = s.points[i];
          const pr = a.length === 3 && p.length === 3 ? (a[2] + p[2]) / 2 : undefined;
          return <line x1={a[0] * W} y1={a[1] * H} x2={p[0] * W} y2={p[1] * H} stroke-width={pressureWidth(s.width, pr) * W} />;
        })}
      </g>
    ) : (
      <path class={cls} data-id={id} d={pathOf(s.points, W, H)} stroke={s.color} stroke-width={s.width * W} stroke-linecap="round" stroke-linejoin="round" fill="none" />
    );

  const layer =
    cfg && shown ? (
      <div
        ref={layerEl}
        class={`ann-layer tool-${tool}`}
        data-testid="ann-layer"
        data-page={page}
        data-doc={docId}
        onPointerDown={onDown as any}
        onPointerMove={onMove as any}
        onPointerUp={onUp as any}
        onPointerCancel={onUp as any}
        onClick={onClick as any}
      >
        <svg class="ann-svg" viewBox={`0 0 ${W} ${H}`} aria-hidden="true">
          {list.map((a) => {
            const cls = `ann ann-${a.kind} ${a.shared ? 'shared' : 'private'} ${selected === a.id ? 'sel' : ''}`;
            if (a.kind === 'highlight') {
              const h = a.data as HighlightData;
              return (
                <g class={cls} data-id={a.id} data-shared={String(a.shared)} fill={h.color}>
                  {h.rects.map(([x, y, w, hh]) => (
                    <rect x={x * W} y={y * H} width={w * W} height={hh * H} />
                  ))}
                </g>
              );
            }
            if (a.kind === 'ink')
              return (
                <g class={cls} data-id={a.id} data-shared={String(a.shared)} data-testid="ann-ink">
                  {((a.data as InkData).strokes ?? []).map((s) => inkEl(a.id, s, ''))}
                </g>
              );
            return null;
          })}
          {[...strokes.values()]
            .filter((s) => s.page === page)
            .map((s) => (
              <g class="ann live-stroke" data-testid="live-stroke" data-id={s.id}>
                {inkEl(s.id, s, '')}
              </g>
            ))}
          <path ref={pathEl} class="ann drawing" d="" stroke={penColor} stroke-width={PEN_WIDTH * W} stroke-linecap="round" stroke-linejoin="round" fill="none" />
          {dragRect && <rect class="ann drag-rect" x={dragRect[0] * W} y={dragRect[1] * H} width={dragRect[2] * W} height={dragRect[3] * H} fill={hlColor} />}
        </svg>
        {list
          .filter((a) => a.kind === 'note')
          .map((a) => {
            const n = a.data as NoteData;
            return (
              <button
                type="button"
                class={`note-pin ${a.shared ? 'shared' : 'private'} ${selected === a.id ? 'sel' : ''}`}
                style={{ left: `${n.x * 100}%`, top: `${n.y * 100}%`, background: n.color ?? NOTE_COLOR }}
                data-testid="note-pin"
                data-id={a.id}
                aria-label={`${t('ann.note')}: ${n.text.slice(0, 60)}`}
                onPointerDown={(e) => tool === 'eraser' && e.stopPropagation()}
                onClick={(e) => {
                  e.stopPropagation();
                  if (tool === 'eraser') {
                    if (mine(a)) void destroy(a);
                    return;
                  }
                  setDraft(null);
                  setSelected(a.id);
                }}
              >
                <span aria-hidden="true">✎</span>
              </button>
            );
          })}
        {draft && draft.page === page && <span class="note-pin draft" style={{ left: `${draft.x * 100}%`, top: `${draft.y * 100}%`, background: NOTE_COLOR }} aria-hidden="true" />}
      </div>
    ) : null;

  // --- the bar and the panel -------------------------------------------------------------

  const sel = selected ? items.get(selected) ?? null : null;
  const colors = tool === 'highlight' ? HIGHLIGHT_COLORS : PEN_COLORS;
  const color = tool === 'highlight' ? hlColor : penColor;
  const setColor = tool === 'highlight' ? setHlColor : setPenColor;
  const bar = cfg ? (
    <>
      <div class="reader-bar ann-bar" role="toolbar" aria-label={t('ann.tools')} data-testid="ann-bar">
        <span class="ann-tools" role="group" aria-label={t('ann.tool')}>
          {TOOLS.map((k) => (
            <button
              type="button"
              class={`btn ann-tool ${tool === k ? 'on' : ''}`}
              aria-pressed={tool === k}
              title={t(`ann.tool.${k}` as Key)}
              data-tool={k}
              onClick={() => {
                setTool(k);
                setDraft(null);
                if (k !== 'none') setSelected(null);
              }}
            >
              <span aria-hidden="true">{TOOL_ICON[k]}</span> <span class="ann-label">{t(`ann.tool.${k}` as Key)}</span>
            </button>
          ))}
        </span>
        {(tool === 'pen' || tool === 'highlight') && (
          <span class="ann-colors" role="radiogroup" aria-label={t('ann.color')}>
            {colors.map((c, i) => (
              <button
                type="button"
                role="radio"
                aria-checked={color === c}
                class={`swatch ${color === c ? 'on' : ''}`}
                style={{ '--swatch': c } as any}
                aria-label={t(`ann.color.${tool === 'highlight' ? 'hl' : 'pen'}${i}` as Key)}
                title={t(`ann.color.${tool === 'highlight' ? 'hl' : 'pen'}${i}` as Key)}
                onClick={() => setColor(c)}
              />
            ))}
          </span>
        )}
        {canShare && (
          <button
            type="button"
            role="switch"
            aria-checked={shareNew}
            class={`btn switch ${shareNew ? 'on' : ''}`}
            title={t('ann.shareHint')}
            data-testid="ann-share-new"
            onClick={() => setShareNew(!shareNew)}
          >
            <span class="switch-knob" aria-hidden="true" />
            {t('ann.shareNew')}
          </button>
        )}
        <button type="button" class="btn" disabled={!undoable} onClick={undoLast} data-testid="ann-undo">
          <span aria-hidden="true">↶</span> <span class="ann-label">{t('ann.undo')}</span>
        </button>
        {lost.length > 0 && (
          <button type="button" class={`btn ${showOrphans ? 'on' : ''}`} aria-expanded={showOrphans} onClick={() => setShowOrphans(!showOrphans)} data-testid="ann-orphans-toggle">
            {t('ann.orphans')} <span class="badge att-absent">{lost.length}</span>
          </button>
        )}
        {queued > 0 && (
          <span class="badge att-absent" role="status" data-testid="ann-queued">
            {t('ann.queued', { n: queued })}
          </span>
        )}
      </div>
      {notice && (
        <p class={`reader-notice ${notice.error ? 'error' : ''}`} role="alert">
          {notice.text}{' '}
          <button type="button" class="btn small" onClick={() => setNotice(null)}>
            {t('common.dismiss')}
          </button>
        </p>
      )}
      {draft && (
        <NoteEditor
          key={`${draft.page}:${draft.x}:${draft.y}`}
          onCancel={() => setDraft(null)}
          shared={sharing}
          onSave={(text) => {
            setDraft(null);
            void create({ id: newId(), document_id: docId!, user_id: me, version: 0, page: draft.page, kind: 'note', shared: sharing, data: { x: draft.x, y: draft.y, text }, replies: [] });
          }}
        />
      )}
      {showOrphans && lost.length > 0 && !draft && !sel && (
        <Orphans
          list={lost}
          cfg={cfg}
          mine={mine}
          pageCount={pageCount}
          onClose={() => setShowOrphans(false)}
          onDelete={(a) => void destroy(a)}
          // Not undoable: undoing would send it back to a page the server no longer has.
          onMove={(a, to) => void edit(a, { page: to }, false)}
        />
      )}
      {sel && !draft && (
        <Selected
          a={sel}
          cfg={cfg}
          mine={mine(sel)}
          onClose={() => setSelected(null)}
          onDelete={() => void destroy(sel)}
          onEdit={(patch) => void edit(sel, patch)}
          onNote={(a) => setItems((cur) => new Map(cur).set(a.id, a))}
          onError={(e) => setNotice({ text: errorText(e), error: true })}
        />
      )}
    </>
  ) : null;

  return { bar, layer };
}

/** Undo stacks per user and document for this page's life: closing and reopening a document keeps its undo. */
const stacks = new Map<string, UndoStack>();
function undoFor(me = '', docId = ''): UndoStack {
  const k = `${me}/${docId}`;
  let s = stacks.get(k);
  if (!s) stacks.set(k, (s = new UndoStack()));
  return s;
}

const TOOL_ICON: Record<Tool, string> = { none: '☝', pen: '✒', highlight: '▮', note: '✎', eraser: '⌫' };

function NoteEditor({ onSave, onCancel, shared }: { onSave: (text: string) => void; onCancel: () => void; shared: boolean }) {
  const [text, setText] = useState('');
  const ref = useRef<HTMLTextAreaElement>(null);
  useEffect(() => ref.current?.focus(), []);
  return (
    <form
      class="ann-panel card"
      data-testid="note-editor"
      aria-label={t('ann.newNote')}
      onSubmit={(e) => {
        e.preventDefault();
        if (text.trim()) onSave(text.trim());
      }}
    >
      <h3>{t('ann.newNote')}</h3>
      <label class="field">
        <span>{t('ann.noteText')}</span>
        <textarea ref={ref} rows={4} maxLength={4000} value={text} onInput={(e) => setText(e.currentTarget.value)} />
      </label>
      <p class="muted small">{shared ? t('ann.willShare') : t('ann.willKeepPrivate')}</p>
      <div class="row">
        <button type="submit" class="btn primary" disabled={!text.trim()}>
          {t('ann.save')}
        </button>
        <button type="button" class="btn" onClick={onCancel}>
          {t('common.cancel')}
        </button>
      </div>
    </form>
  );
}

/** Annotations whose page is gone: kind, old page, author; their author moves or deletes them. */
function Orphans(p: {
  list: Annotation[];
  cfg: AnnotateConfig;
  mine: (a: Annotation) => boolean;
  pageCount: number;
  onClose: () => void;
  onDelete: (a: Annotation) => void;
  onMove: (a: Annotation, page: number) => void;
}) {
  return (
    <section class="ann-panel card" data-testid="ann-orphans" aria-label={t('ann.orphans')}>
      <h3>
        {t('ann.orphans')} <span class="badge att-absent">{p.list.length}</span>
      </h3>
      <p class="muted small">{t('ann.orphansHint')}</p>
      <ul class="orphans">
        {p.list.map((a) => (
          <OrphanRow key={a.id} a={a} cfg={p.cfg} mine={p.mine(a)} pageCount={p.pageCount} onDelete={() => p.onDelete(a)} onMove={(n) => p.onMove(a, n)} />
        ))}
      </ul>
      <div class="row">
        <button type="button" class="btn" onClick={p.onClose}>
          {t('ann.closePanel')}
        </button>
      </div>
    </section>
  );
}

function OrphanRow(p: { a: Annotation; cfg: AnnotateConfig; mine: boolean; pageCount: number; onDelete: () => void; onMove: (page: number) => void }) {
  const { a, cfg } = p;
  const [to, setTo] = useState(moveTarget(a.page, p.pageCount));
  useEffect(() => setTo(moveTarget(a.page, p.pageCount)), [p.pageCount]);
  const author = a.user_id === cfg.me ? t('ann.you') : cfg.names.get(a.user_id) ?? t('ann.someone');
  const text = a.kind === 'note' ? (a.data as NoteData).text : '';
  return (
    <li data-testid="ann-orphan" data-kind={a.kind} data-page={a.page}>
      <p>
        <strong>{t(`ann.kind.${a.kind}` as Key)}</strong> · {t('ann.orphanPage', { page: a.page })} · {author}{' '}
        <span class={`badge ${a.shared ? 'att-present' : 'att-unknown'}`}>{a.shared ? t('ann.shared') : t('ann.private')}</span>
      </p>
      {text && <p class="note-text">{text}</p>}
      {p.mine && (
        <form
          class="row"
          onSubmit={(e) => {
            e.preventDefault();
            if (to >= 1 && to <= p.pageCount) p.onMove(to);
          }}
        >
          {p.pageCount > 0 && (
            <>
              <label>
                <span>{t('ann.moveTo')}</span>{' '}
                <select value={String(to)} onChange={(e) => setTo(Number((e.target as HTMLSelectElement).value))}>
                  {Array.from({ length: p.pageCount }, (_, i) => i + 1).map((n) => (
                    <option value={String(n)}>{n}</option>
                  ))}
                </select>
              </label>
              <button type="submit" class="btn">
                {t('ann.move')}
              </button>
            </>
          )}
          <button type="button" class="btn danger-outline" onClick={p.onDelete}>
            {t('ann.delete')}
          </button>
        </form>
      )}
    </li>
  );
}

/** The selected annotation: who wrote it, sharing, deleting; a note's text and replies. */
function Selected(p: {
  a: Annotation;
  cfg: AnnotateConfig;
  mine: boolean;
  onClose: () => void;
  onDelete: () => void;
  onEdit: (patch: Patch) => void;
  onNote: (a: Annotation) => void;
  onError: (e: unknown) => void;
}) {
  const { a, cfg } = p;
  const note = a.kind === 'note' ? (a.data as NoteData) : null;
  const [text, setText] = useState(note?.text ?? '');
  const [reply, setReply] = useState('');
  const [busy, setBusy] = useState(false);
  useEffect(() => setText(note?.text ?? ''), [a.id, note?.text]);
  const own = a.user_id === cfg.me;
  const author = own ? t('ann.you') : cfg.names.get(a.user_id) ?? t('ann.someone');
  const sendReply = async () => {
    setBusy(true);
    try {
      const n = await session.request<Annotation>('POST', `/annotations/${encodeURIComponent(a.id)}/replies`, { text: reply.trim() });
      p.onNote(n);
      setReply('');
    } catch (e) {
      p.onError(e);
    } finally {
      setBusy(false);
    }
  };
  const dropReply = async (rid: string) => {
    try {
      p.onNote(await session.request<Annotation>('DELETE', `/annotations/${encodeURIComponent(a.id)}/replies/${encodeURIComponent(rid)}`));
    } catch (e) {
      p.onError(e);
    }
  };
  return (
    <section class="ann-panel card" data-testid="ann-panel" aria-label={t(`ann.kind.${a.kind}` as Key)}>
      <h3>
        {t(`ann.kind.${a.kind}` as Key)} <span class="muted small">· {author}</span>{' '}
        <span class={`badge ${a.shared ? 'att-present' : 'att-unknown'}`}>{a.shared ? t('ann.shared') : t('ann.private')}</span>
      </h3>
      {note &&
        (p.mine ? (
          <form
            onSubmit={(e) => {
              e.preventDefault();
              if (text.trim() && text.trim() !== note.text) p.onEdit({ data: { ...note, text: text.trim() } });
            }}
          >
            <label class="field">
              <span>{t('ann.noteText')}</span>
              <textarea rows={4} maxLength={4000} value={text} onInput={(e) => setText(e.currentTarget.value)} />
            </label>
            <button type="submit" class="btn primary" disabled={!text.trim() || text.trim() === note.text}>
              {t('ann.save')}
            </button>
          </form>
        ) : (
          <p class="note-text">{note.text}</p>
        ))}
      {note && a.shared && (
        <div class="replies">
          <h4>{t('ann.replies', { n: a.replies?.length ?? 0 })}</h4>
          <ul>
            {(a.replies ?? []).map((r) => (
              <li>
                <strong>{r.user_id === cfg.me ? t('ann.you') : cfg.names.get(r.user_id) ?? t('ann.someone')}</strong>{' '}
                <span class="muted small">{fmtTime(r.created_at)}</span>
                <p>{r.text}</p>
                {(r.user_id === cfg.me || own) && !cfg.closed && (
                  <button type="button" class="btn small" onClick={() => void dropReply(r.id)}>
                    {t('ann.deleteReply')}
                  </button>
                )}
              </li>
            ))}
          </ul>
          {cfg.canShare && (
            <form
              onSubmit={(e) => {
                e.preventDefault();
                if (reply.trim()) void sendReply();
              }}
            >
              <label class="field">
                <span>{t('ann.reply')}</span>
                <textarea rows={2} maxLength={2000} value={reply} onInput={(e) => setReply(e.currentTarget.value)} />
              </label>
              <button type="submit" class="btn" disabled={busy || !reply.trim()}>
                {t('ann.sendReply')}
              </button>
            </form>
          )}
        </div>
      )}
      <div class="row">
        {p.mine && cfg.canShare && (
          <button
            type="button"
            role="switch"
            aria-checked={a.shared}
            class={`btn switch ${a.shared ? 'on' : ''}`}
            data-testid="ann-share"
            onClick={() => p.onEdit({ shared: !a.shared })}
          >
            <span class="switch-knob" aria-hidden="true" />
            {t('ann.share')}
          </button>
        )}
        {p.mine && (
          <button type="button" class="btn danger-outline" onClick={p.onDelete} data-testid="ann-delete">
            {t('ann.delete')}
          </button>
        )}
        <button type="button" class="btn" onClick={p.onClose}>
          {t('ann.closePanel')}
        </button>
      </div>
    </section>
  );
}
