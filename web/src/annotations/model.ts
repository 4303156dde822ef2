// Annotations as the server keeps them (docs/annotations.md) and the geometry the reader needs:
// page-fraction coordinates (0..1 of the page as displayed, origin top-left), pointer positions
// turned into them, strokes thinned as they are drawn, and what a tap or an eraser touches.
// No DOM and no PDF.js here, so it is unit-tested in Node.
import { randomId } from '../ids';

export type Kind = 'ink' | 'highlight' | 'note';

/** A point `[x, y]` or `[x, y, pressure]`, all in 0..1. */
export type Point = [number, number] | [number, number, number];

export interface Stroke {
  points: Point[];
  color: string;
  /** A fraction of the page's width, in (0, 0.1]. */
  width: number;
}

export interface InkData {
  strokes: Stroke[];
}
/** `[x, y, w, h]`: top-left corner, width, height. */
export type Rect = [number, number, number, number];
export interface HighlightData {
  rects: Rect[];
  color: string;
}
export interface Reply {
  id: string;
  user_id: string;
  text: string;
  created_at: string;
}
export interface NoteData {
  x: number;
  y: number;
  text: string;
  color?: string;
}

export interface Annotation {
  id: string;
  document_id: string;
  document_version?: number;
  page: number;
  kind: Kind;
  shared: boolean;
  orphaned?: boolean;
  user_id: string;
  /** The revision (1 at creation); 0 while it exists on this tablet only. */
  version: number;
  data: any;
  /** Shared notes: the replies (not part of `data`). */
  replies?: Reply[];
  created_at?: string;
  updated_at?: string;
}

/** The pens' colours: red, blue, green, black; the highlighter's: yellow, green, pink, blue. */
export const PEN_COLORS = ['#d01010', '#1f4fd1', '#157a32', '#1b1f24'];
export const HIGHLIGHT_COLORS = ['#ffd400', '#7ee06d', '#ff8fc8', '#7fd3ff'];
export const NOTE_COLOR = '#f2b705';
/** The pen's width, as a fraction of the page's width (about 2 px on a 700 px page). */
export const PEN_WIDTH = 0.003;
/** Points per stroke the server takes (`[annotations] max_points_per_stroke`). */
export const MAX_POINTS = 5000;
/** Points per live batch the relay takes (`live.max_stroke_points`). */
export const MAX_BATCH_POINTS = 1000;

/** A client id: a UUID (the server takes 1 to 64 letters, digits, `-`, `_`). */
export const newId = randomId;

const clamp01 = (v: number) => (Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 0);
/** Six decimals: a thousandth of a pixel on any screen, and short JSON. */
const round = (v: number) => Math.round(v * 1e6) / 1e6;

/** The box of the page on screen (`getBoundingClientRect` of the page). */
export interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}

/**
 * A pointer position (client pixels) as a point on the page, clamped to it; `pressure` is
 * kept (0..1) when the device reports one (a stylus), else left out.
 */
export function toPage(box: Box, clientX: number, clientY: number, pressure?: number): Point {
  const x = round(clamp01((clientX - box.left) / (box.width || 1)));
  const y = round(clamp01((clientY - box.top) / (box.height || 1)));
  if (pressure === undefined || !Number.isFinite(pressure)) return [x, y];
  return [x, y, round(clamp01(pressure))];
}

/** Back to client pixels (for tests and placing popovers). */
export function toClient(box: Box, p: readonly number[]): { x: number; y: number } {
  return { x: box.left + p[0] * box.width, y: box.top + p[1] * box.height };
}

/**
 * Appends `p` to a stroke unless it is closer than `minDist` (in page widths) to the last
 * point: pointer events come faster than the eye needs. Returns whether it was added.
 */
export function addPoint(points: Point[], p: Point, aspect: number, minDist = 0.0015): boolean {
  if (points.length >= MAX_POINTS) return false;
  const last = points[points.length - 1];
  if (last && dist(last, p, aspect) < minDist) return false;
  points.push(p);
  return true;
}

/** Distance between two page points in page widths (`aspect` = page height / width). */
export function dist(a: readonly number[], b: readonly number[], aspect: number): number {
  return Math.hypot(a[0] - b[0], (a[1] - b[1]) * aspect);
}

/** Distance from `p` to the segment a-b, in page widths. */
export function segDist(p: readonly number[], a: readonly number[], b: readonly number[], aspect: number): number {
  const ax = a[0], ay = a[1] * aspect, bx = b[0], by = b[1] * aspect, px = p[0], py = p[1] * aspect;
  const dx = bx - ax, dy = by - ay;
  const len = dx * dx + dy * dy;
  const t = len ? Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / len)) : 0;
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}

/** A rectangle from two corners of a drag, inside the page. */
export function rectFrom(a: readonly number[], b: readonly number[]): Rect {
  const x = clamp01(Math.min(a[0], b[0]));
  const y = clamp01(Math.min(a[1], b[1]));
  const w = Math.min(1 - x, Math.abs(a[0] - b[0]));
  const h = Math.min(1 - y, Math.abs(a[1] - b[1]));
  return [round(x), round(y), round(w), round(h)];
}

/** Whether a dragged rectangle is big enough to be meant (not a slip of the finger). */
export function meaningfulRect(r: Rect): boolean {
  return r[2] > 0.005 && r[3] > 0.003;
}

/**
 * Whether `p` touches annotation `a` (on its page), within `tol` page widths: near a stroke
 * (its width counted), inside a highlighted rectangle, or on a note's pin.
 */
export function hits(a: Annotation, p: readonly number[], aspect: number, tol = 0.012): boolean {
  if (a.kind === 'ink') {
    for (const s of (a.data as InkData).strokes ?? []) {
      const pts = s.points;
      const reach = tol + s.width / 2;
      if (pts.length === 1 && dist(pts[0], p, aspect) <= reach) return true;
      for (let i = 1; i < pts.length; i++) if (segDist(p, pts[i - 1], pts[i], aspect) <= reach) return true;
    }
    return false;
  }
  if (a.kind === 'highlight') {
    const m = tol / 2;
    return ((a.data as HighlightData).rects ?? []).some(
      ([x, y, w, h]) => p[0] >= x - m && p[0] <= x + w + m && p[1] >= y - m / aspect && p[1] <= y + h + m / aspect,
    );
  }
  const n = a.data as NoteData;
  // The pin is about 44 px on a page some 700 px wide.
  return dist([n.x, n.y], p, aspect) <= Math.max(tol, 0.035);
}

/** The annotation on top at `p` (the last drawn), among `list`, passing `filter`. */
export function topAt(list: readonly Annotation[], p: readonly number[], aspect: number, filter: (a: Annotation) => boolean = () => true): Annotation | null {
  for (let i = list.length - 1; i >= 0; i--) if (filter(list[i]) && hits(list[i], p, aspect)) return list[i];
  return null;
}

/** An SVG path through stroke points, in a box `w` wide and `h` high. */
export function pathOf(points: readonly (readonly number[])[], w: number, h: number): string {
  if (!points.length) return '';
  const f = (v: number) => Math.round(v * 100) / 100;
  const [x0, y0] = points[0];
  let d = `M${f(x0 * w)} ${f(y0 * h)}`;
  if (points.length === 1) return `${d}l0.01 0`; // a dot: round caps draw it
  for (let i = 1; i < points.length; i++) d += `L${f(points[i][0] * w)} ${f(points[i][1] * h)}`;
  return d;
}

/**
 * The width of a stroke at a point with `pressure` (0..1): a light touch draws at half the
 * width, a firm one at one and a half.
 */
export function pressureWidth(width: number, pressure: number | undefined): number {
  if (pressure === undefined) return width;
  return width * (0.5 + clamp01(pressure));
}

/** Whether a stroke carries pressure worth drawing (varying widths). */
export function hasPressure(s: Stroke): boolean {
  return s.points.some((p) => p.length === 3);
}

/** Validation the server would do anyway, done first so a bad stroke is never queued. */
export function validStroke(s: Stroke): boolean {
  return (
    s.points.length > 0 &&
    s.points.length <= MAX_POINTS &&
    /^#[0-9a-fA-F]{6}$/.test(s.color) &&
    s.width > 0 &&
    s.width <= 0.1 &&
    s.points.every((p) => (p.length === 2 || p.length === 3) && p.every((v) => Number.isFinite(v) && v >= 0 && v <= 1))
  );
}

/** The rectangles of text boxes (page fractions) the drag rectangle `r` covers, line by line. */
export function snapToText(r: Rect, boxes: readonly Rect[]): Rect[] {
  const [rx, ry, rw, rh] = r;
  const hit = boxes.filter(([x, y, w, h]) => x < rx + rw && x + w > rx && y < ry + rh && y + h > ry && w > 0 && h > 0);
  if (!hit.length) return [];
  // Merge boxes on one line (vertical overlap of more than half the smaller height).
  const lines: Rect[] = [];
  for (const b of [...hit].sort((a, c) => a[1] - c[1] || a[0] - c[0])) {
    const [bx, by, bw, bh] = b;
    const cx = Math.max(bx, rx), cw = Math.min(bx + bw, rx + rw) - cx;
    if (cw <= 0) continue;
    const line = lines.find(([, ly, , lh]) => Math.min(ly + lh, by + bh) - Math.max(ly, by) > Math.min(lh, bh) / 2);
    if (line) {
      const x0 = Math.min(line[0], cx), x1 = Math.max(line[0] + line[2], cx + cw);
      const y0 = Math.min(line[1], by), y1 = Math.max(line[1] + line[3], by + bh);
      line[0] = x0; line[1] = y0; line[2] = x1 - x0; line[3] = y1 - y0;
    } else lines.push([cx, by, cw, bh]);
  }
  return lines.map(([x, y, w, h]) => rectFrom([x, y], [x + w, y + h]));
}
