// "Chữ ký của tôi": the signed-in user's signature image (docs/api.md "Signatures (ký số)"), a
// PNG of their handwritten signature that the server draws in their signature block when they
// sign a meeting's record. A small store the account page renders: the current image as an
// object URL (fetched with the bearer token, revoked when replaced, removed or the page goes),
// uploading a file after checking it here with the server's limits (PNG, ≤ 512 KiB, ≤ 2,000
// pixels a side, read from the file's own header), and removing it. No Preact here.
import { toError } from '../session';

/** The largest PNG the server takes, in bytes. */
export const MAX_IMAGE_BYTES = 512 * 1024;
/** The largest picture the server takes, in pixels per side. */
export const MAX_IMAGE_SIDE = 2000;

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * Width and height from a PNG's first bytes (the signature, then the IHDR chunk, which the
 * format requires first), or null when the bytes do not begin as a PNG does.
 */
export function pngSize(head: Uint8Array): { width: number; height: number } | null {
  if (head.length < 24) return null;
  for (let i = 0; i < PNG_MAGIC.length; i++) if (head[i] !== PNG_MAGIC[i]) return null;
  // Chunk length (4 bytes, 13 for IHDR), then its type.
  if (String.fromCharCode(head[12], head[13], head[14], head[15]) !== 'IHDR') return null;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

/** Why the tablet refuses a file before sending it (the server would refuse it the same way). */
export type ImageRefusal =
  | { reason: 'not_png' }
  | { reason: 'too_big'; size: number }
  | { reason: 'too_wide'; width: number; height: number }
  | { reason: 'unreadable' };

/** A refusal made on the tablet, kept in the store's `error` like a server's. */
export class ImageRefused extends Error {
  constructor(public readonly refusal: ImageRefusal) {
    super(refusal.reason);
  }
}

/** A chosen file as far as the check needs it (a `File` is one). */
export interface ChosenFile {
  size: number;
  slice(start?: number, end?: number): Blob;
}

/**
 * The server's rules, checked on the tablet first: the file begins as a PNG (whatever its name
 * or the type the browser guessed), is at most 512 KiB and at most 2,000 pixels a side. Null
 * when it may be sent; the server still decodes it and may refuse it (422 `invalid_image`).
 */
export async function checkImage(file: ChosenFile): Promise<ImageRefusal | null> {
  let head: Uint8Array;
  try {
    head = new Uint8Array(await file.slice(0, 24).arrayBuffer());
  } catch {
    return { reason: 'unreadable' };
  }
  const size = pngSize(head);
  if (!size) return { reason: 'not_png' };
  if (file.size > MAX_IMAGE_BYTES) return { reason: 'too_big', size: file.size };
  if (size.width < 1 || size.height < 1 || size.width > MAX_IMAGE_SIDE || size.height > MAX_IMAGE_SIDE) return { reason: 'too_wide', ...size };
  return null;
}

export interface SignatureImageApi {
  /** The current image, or null when the user has none (404). */
  get(): Promise<Blob | null>;
  put(png: Blob): Promise<void>;
  /** Removes the image; a 404 (none any more) is no failure. */
  remove(): Promise<void>;
}

/** The three requests over an authenticated raw fetch (the app's `session.fetchRaw`). */
export function signatureImageApi(fetchRaw: (path: string, init?: RequestInit) => Promise<Response>): SignatureImageApi {
  const PATH = '/me/signature-image';
  return {
    async get() {
      const res = await fetchRaw(PATH, { headers: { Accept: 'image/png' }, cache: 'no-store' });
      if (res.status === 404) return null;
      if (!res.ok) throw await toError(res);
      return res.blob();
    },
    async put(png) {
      const res = await fetchRaw(PATH, { method: 'PUT', headers: { 'Content-Type': 'image/png' }, body: png });
      if (!res.ok) throw await toError(res);
    },
    async remove() {
      const res = await fetchRaw(PATH, { method: 'DELETE' });
      if (!res.ok && res.status !== 404) throw await toError(res);
    },
  };
}

/** Object URLs for the preview (the browser's `URL`; a fake one in tests). */
export interface UrlMaker {
  create(b: Blob): string;
  revoke(url: string): void;
}

export const browserUrls: UrlMaker = {
  create: (b) => URL.createObjectURL(b),
  revoke: (u) => URL.revokeObjectURL(u),
};

export interface SignatureImageState {
  /** Whether the user has an image: null until the first answer. */
  has: boolean | null;
  /** The preview's object URL while they have one. */
  url: string | null;
  loading: boolean;
  /** What is being sent: a new image, or its removal. */
  busy: 'upload' | 'remove' | null;
  /** The last failure: an `ImageRefused` (the tablet's check), an `ApiError`, or a network error. */
  error: unknown;
  /** What the last action did, for a short confirmation. */
  done: 'saved' | 'removed' | null;
}

export class SignatureImage {
  private s: SignatureImageState = { has: null, url: null, loading: false, busy: null, error: null, done: null };
  private listeners = new Set<(s: SignatureImageState) => void>();
  /** Bumped by every change: an older load's answer must not overwrite a newer state. */
  private generation = 0;
  private disposed = false;

  constructor(
    private readonly api: SignatureImageApi,
    private readonly urls: UrlMaker = browserUrls,
  ) {}

  get state(): SignatureImageState {
    return this.s;
  }

  subscribe(fn: (s: SignatureImageState) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private go(next: Partial<SignatureImageState>) {
    if (this.disposed) return;
    this.s = { ...this.s, ...next };
    for (const l of this.listeners) l(this.s);
  }

  /** Shows `blob` (or nothing), revoking the URL shown before. */
  private show(blob: Blob | null, extra: Partial<SignatureImageState> = {}) {
    const old = this.s.url;
    const url = blob && !this.disposed ? this.urls.create(blob) : null;
    if (old) this.urls.revoke(old);
    this.go({ has: !!blob, url, ...extra });
  }

  async load(): Promise<void> {
    const gen = ++this.generation;
    this.go({ loading: true, error: null });
    try {
      const blob = await this.api.get();
      if (gen !== this.generation || this.disposed) return;
      this.show(blob, { loading: false });
    } catch (e) {
      if (gen !== this.generation) return;
      this.go({ loading: false, error: e });
    }
  }

  /**
   * Checks `file` and sends it; true when the server took it. The preview shows the file sent
   * (the server keeps those very bytes). Refused here or by the server, the image shown before
   * stays and the error says why.
   */
  async upload(file: ChosenFile & Blob): Promise<boolean> {
    this.go({ busy: 'upload', error: null, done: null });
    const refusal = await checkImage(file);
    if (refusal) {
      this.go({ busy: null, error: new ImageRefused(refusal) });
      return false;
    }
    const gen = ++this.generation;
    try {
      await this.api.put(file);
    } catch (e) {
      this.go({ busy: null, error: e });
      return false;
    }
    if (gen === this.generation) this.show(file, { busy: null, loading: false, done: 'saved' });
    else this.go({ busy: null, done: 'saved' });
    return true;
  }

  /** Removes the image ("Xóa ảnh chữ ký", after the page's confirmation). */
  async remove(): Promise<boolean> {
    const gen = ++this.generation;
    this.go({ busy: 'remove', error: null, done: null });
    try {
      await this.api.remove();
    } catch (e) {
      this.go({ busy: null, error: e });
      return false;
    }
    if (gen === this.generation) this.show(null, { busy: null, loading: false, done: 'removed' });
    else this.go({ busy: null, done: 'removed' });
    return true;
  }

  /** The page goes: the preview's URL is revoked and later answers are dropped. */
  dispose() {
    if (this.s.url) this.urls.revoke(this.s.url);
    this.s = { ...this.s, url: null };
    this.disposed = true;
    this.listeners.clear();
  }
}
