// Uploading a PDF (new document or new version) with progress, and turning the server's
// refusals (problem documents: 413, 415, 422 invalid_pdf with a `reason`) into messages.
import { ApiError } from '../session';
import { hasKey, t } from '../i18n';
import type { Doc, Problem } from '../types';

/** Every `reason` the server gives for `invalid_pdf` (docs/documents.md). */
export const PDF_REASONS = [
  'password_required',
  'encrypted',
  'broken',
  'broken_xref',
  'page_tree_cycle',
  'no_pages',
  'too_many_pages',
  'too_many_objects',
  'decompression_bomb',
  'hostile',
] as const;

/** The translation key for a refused upload. */
export function uploadErrorKey(status: number, code: string, reason?: string): string {
  if (status === 413 || code === 'payload_too_large') return 'upload.err.tooLarge';
  if (status === 415 || code === 'unsupported_media_type') return 'upload.err.notPdf';
  if (code === 'invalid_pdf') {
    const k = `upload.err.reason.${reason}`;
    return reason && hasKey(k) ? k : 'upload.err.invalidPdf';
  }
  if (code === 'upload_interrupted') return 'upload.err.interrupted';
  if (code === 'network') return 'err.network';
  const k = `err.${code}`;
  return hasKey(k) ? k : 'err.generic';
}

/** The message for an upload error, in the current language. */
export function uploadErrorText(e: unknown): string {
  if (e instanceof ApiError) return t(uploadErrorKey(e.status, e.code, e.reason) as any, { code: e.code });
  return t('err.network');
}

/** "Báo cáo tháng 11.pdf" → "Báo cáo tháng 11". */
export function titleFromFileName(name: string): string {
  return name.replace(/\.pdf$/i, '').replace(/[_]+/g, ' ').trim() || name;
}

export interface XhrLike {
  open(method: string, url: string): void;
  setRequestHeader(name: string, value: string): void;
  send(body: Blob | ArrayBuffer | null): void;
  abort(): void;
  status: number;
  responseText: string;
  upload: { onprogress: ((e: { loaded: number; total: number; lengthComputable: boolean }) => void) | null };
  onload: (() => void) | null;
  onerror: (() => void) | null;
  onabort: (() => void) | null;
}

export interface UploadOptions {
  /** `/api/v1/…` URL: POST …/meetings/{id}/documents?title=…, or PUT …/documents/{id}/content. */
  url: string;
  method: 'POST' | 'PUT';
  file: Blob;
  getToken: () => Promise<string | null>;
  refresh: () => Promise<unknown>;
  onProgress?: (fraction: number) => void;
  createXhr?: () => XhrLike;
  /** Receives a function that cancels the upload. */
  onAbortable?: (abort: () => void) => void;
}

/**
 * Sends the file as the raw `application/pdf` body (XMLHttpRequest: fetch reports no upload
 * progress). A 401 refreshes the token and sends once more. Resolves with the document.
 */
export async function uploadPdf(o: UploadOptions): Promise<Doc> {
  for (let attempt = 0; ; attempt++) {
    const token = await o.getToken();
    if (!token) throw new ApiError(401, 'signed_out');
    const { status, body } = await send(o, token);
    if (status === 401 && attempt === 0) {
      await o.refresh();
      continue;
    }
    if (status >= 200 && status < 300) return JSON.parse(body) as Doc;
    let p: Partial<Problem> = {};
    try {
      p = JSON.parse(body);
    } catch {
      /* not a problem document */
    }
    throw new ApiError(status, p.code || (status === 413 ? 'payload_too_large' : 'error'), p.detail, p.reason);
  }
}

function send(o: UploadOptions, token: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const xhr = o.createXhr ? o.createXhr() : (new XMLHttpRequest() as unknown as XhrLike);
    xhr.open(o.method, o.url);
    xhr.setRequestHeader('Authorization', `Bearer ${token}`);
    xhr.setRequestHeader('Content-Type', 'application/pdf');
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) o.onProgress?.(e.loaded / e.total);
    };
    xhr.onload = () => {
      o.onProgress?.(1);
      resolve({ status: xhr.status, body: xhr.responseText });
    };
    // A 413 answered before the body is read can end the connection early: the browser
    // reports a network error, which is most likely that.
    xhr.onerror = () => reject(new ApiError(0, 'network'));
    xhr.onabort = () => reject(new ApiError(0, 'aborted'));
    o.onAbortable?.(() => xhr.abort());
    xhr.send(o.file);
  });
}
