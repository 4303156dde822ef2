// The reader's page and zoom arithmetic (no PDF.js here, so it is unit-tested in Node).

/** 'fit': the page's width fills the screen; a number: that scale (1 = 72 dpi, 100 %). */
export type Zoom = 'fit' | number;

export const ZOOM_STEPS = [0.5, 0.75, 1, 1.25, 1.5, 2, 3, 4];

export function clampPage(page: number, pages: number): number {
  if (!Number.isFinite(page)) return 1;
  return Math.min(Math.max(1, Math.round(page)), Math.max(1, pages));
}

/**
 * The next zoom step in direction `dir` (+1 in, -1 out) from the current zoom; from 'fit', the
 * step after the scale fit-width gave (`fitScale`).
 */
export function nextZoom(zoom: Zoom, dir: 1 | -1, fitScale: number): number {
  const cur = zoom === 'fit' ? fitScale : zoom;
  if (dir > 0) return ZOOM_STEPS.find((s) => s > cur + 0.01) ?? ZOOM_STEPS[ZOOM_STEPS.length - 1];
  return [...ZOOM_STEPS].reverse().find((s) => s < cur - 0.01) ?? ZOOM_STEPS[0];
}
