import { describe, expect, it, vi } from 'vitest';
import { PDF_REASONS, titleFromFileName, uploadErrorKey, uploadErrorText, uploadPdf, type XhrLike } from '../src/documents/upload';
import { hasKey, setLocale } from '../src/i18n';
import { ApiError } from '../src/session';

class FakeXhr implements XhrLike {
  static answers: { status: number; body: string }[] = [];
  static sent: FakeXhr[] = [];
  method = '';
  url = '';
  headers: Record<string, string> = {};
  body: unknown;
  status = 0;
  responseText = '';
  upload = { onprogress: null as XhrLike['upload']['onprogress'] };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;
  open(m: string, u: string) {
    this.method = m;
    this.url = u;
  }
  setRequestHeader(n: string, v: string) {
    this.headers[n] = v;
  }
  send(body: unknown) {
    this.body = body;
    FakeXhr.sent.push(this);
    const a = FakeXhr.answers.shift();
    queueMicrotask(() => {
      if (!a) return this.onerror?.();
      this.upload.onprogress?.({ loaded: 50, total: 100, lengthComputable: true });
      this.status = a.status;
      this.responseText = a.body;
      this.onload?.();
    });
  }
  abort() {
    this.onabort?.();
  }
}

const problem = (status: number, code: string, reason?: string) => ({ status, body: JSON.stringify({ status, code, detail: 'x', reason }) });

function run(answers: { status: number; body: string }[]) {
  FakeXhr.answers = answers;
  FakeXhr.sent = [];
  const progress: number[] = [];
  const refresh = vi.fn(async () => undefined);
  let n = 0;
  const p = uploadPdf({
    url: '/api/v1/meetings/m1/documents?title=A',
    method: 'POST',
    file: new Blob(['%PDF-1.4']),
    getToken: async () => `tok${++n}`,
    refresh,
    onProgress: (f) => progress.push(f),
    createXhr: () => new FakeXhr(),
  });
  return { p, progress, refresh };
}

describe('uploadPdf', () => {
  it('sends the raw PDF with the bearer token and reports progress', async () => {
    const { p, progress } = run([{ status: 201, body: JSON.stringify({ id: 'd1', title: 'A', pages: 3 }) }]);
    await expect(p).resolves.toMatchObject({ id: 'd1', pages: 3 });
    const x = FakeXhr.sent[0];
    expect(x.method).toBe('POST');
    expect(x.headers).toMatchObject({ Authorization: 'Bearer tok1', 'Content-Type': 'application/pdf' });
    expect(progress).toEqual([0.5, 1]);
  });

  it('refreshes once on 401 and sends again', async () => {
    const { p, refresh } = run([problem(401, 'token_expired'), { status: 201, body: '{"id":"d1"}' }]);
    await expect(p).resolves.toMatchObject({ id: 'd1' });
    expect(refresh).toHaveBeenCalledTimes(1);
    expect(FakeXhr.sent[1].headers.Authorization).toBe('Bearer tok2');
  });

  it('turns problem documents into ApiErrors with their reason', async () => {
    const { p } = run([problem(422, 'invalid_pdf', 'encrypted')]);
    await expect(p).rejects.toMatchObject({ status: 422, code: 'invalid_pdf', reason: 'encrypted' });
    const { p: p2 } = run([{ status: 413, body: '' }]);
    await expect(p2).rejects.toMatchObject({ status: 413, code: 'payload_too_large' });
    const { p: p3 } = run([]);
    await expect(p3).rejects.toMatchObject({ code: 'network' });
  });
});

describe('upload errors', () => {
  it('maps status, code and reason to messages', () => {
    expect(uploadErrorKey(413, 'payload_too_large')).toBe('upload.err.tooLarge');
    expect(uploadErrorKey(415, 'unsupported_media_type')).toBe('upload.err.notPdf');
    expect(uploadErrorKey(422, 'invalid_pdf', 'encrypted')).toBe('upload.err.reason.encrypted');
    expect(uploadErrorKey(422, 'invalid_pdf', 'something_new')).toBe('upload.err.invalidPdf');
    expect(uploadErrorKey(422, 'invalid_pdf')).toBe('upload.err.invalidPdf');
    expect(uploadErrorKey(409, 'meeting_closed')).toBe('err.meeting_closed');
    expect(uploadErrorKey(400, 'mystery')).toBe('err.generic');
  });

  it('has a message for every reason the server gives, in both languages', () => {
    for (const r of PDF_REASONS) expect(hasKey(`upload.err.reason.${r}`), r).toBe(true);
    expect(uploadErrorText(new ApiError(422, 'invalid_pdf', 'x', 'password_required'))).toMatch(/mật khẩu/);
    setLocale('en');
    expect(uploadErrorText(new ApiError(422, 'invalid_pdf', 'x', 'password_required'))).toMatch(/password/);
    expect(uploadErrorText(new ApiError(415, 'unsupported_media_type'))).toBe('The file is not a PDF.');
    expect(uploadErrorText(new TypeError('Failed to fetch'))).toMatch(/server/);
    setLocale('vi');
  });

  it('takes a title from the file name', () => {
    expect(titleFromFileName('Báo cáo tháng 11.PDF')).toBe('Báo cáo tháng 11');
    expect(titleFromFileName('to_trinh_2027.pdf')).toBe('to trinh 2027');
  });
});
