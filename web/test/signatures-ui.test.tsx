// @vitest-environment happy-dom
// The signatures on screen (ui/Signatures.tsx) in happy-dom, over a fake signature list: the
// badges (none for an unsigned version, fetched again for a new version), and on the record's
// documents what each seat gets: the chair's and secretary's "Ký số" with their block, whose
// turn it is and the PC steps; "Tải lên bản đã ký" posting the file to /signed; the seal button
// only for admins and the meeting's secretary and only once the chair has signed, asking first,
// then POST /documents/{id}/seal, its refusal shown beside it.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { fromDetail, type MeetingView } from '../src/meeting/state';
import type { MeetingHandle } from '../src/meeting/useMeeting';
import { SignatureCache } from '../src/signatures/cache';
import { RETRY_MS, RecordSigning, SignatureBadges } from '../src/ui/Signatures';
import { ApiError } from '../src/session';
import { uploadErrorText } from '../src/documents/upload';
import { errorText, session } from '../src/app';
import type { DocSignature, User } from '../src/types';
import { detail, doc, participant } from './fixtures';
import { sig, signedInOrder } from './signature-fixtures';

const user = (id: string, role: User['role'] = 'member'): User => ({ id, username: id, display_name: id, role });
const view: MeetingView = fromDetail(
  detail({ state: 'closed', participants: [participant('chair', 'chair'), participant('sec', 'secretary'), participant('m1', 'member')] }),
);
const minutes = (version = 1) => doc('bb', null, { kind: 'minutes', title: 'Biên bản', version });
const conclusions = () => doc('tb', null, { kind: 'conclusions', title: 'Thông báo kết luận' });

/** Answers from a table of (id@version → list); records what was asked. */
function fakeCache(lists: Record<string, DocSignature[]>) {
  const asked: string[] = [];
  const cache = new SignatureCache(async (id, v) => {
    asked.push(`${id}@${v}`);
    const l = lists[`${id}@${v}`];
    if (!l) throw new ApiError(404, 'not_found');
    return l;
  }, (e) => e instanceof ApiError && e.status === 404);
  return { cache, asked };
}

function handle(extra: Partial<MeetingHandle> = {}) {
  return {
    act: vi.fn(async () => ({})),
    catchUp: vi.fn(async () => undefined),
    actionError: null,
    clearActionError: () => undefined,
    ...extra,
  } as unknown as MeetingHandle & { act: ReturnType<typeof vi.fn>; catchUp: ReturnType<typeof vi.fn> };
}

let root: HTMLElement;
beforeEach(() => {
  root = document.createElement('div');
  document.body.appendChild(root);
});
afterEach(() => {
  render(null, root);
  root.remove();
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

/** Renders and lets the fake fetches settle. */
async function show(el: preact.JSX.Element) {
  await act(() => render(el, root));
  await act(async () => {
    await new Promise((r) => setTimeout(r, 0));
  });
}

const badges = () => [...root.querySelectorAll('[data-testid="sig-badge"]')].map((b) => [b.getAttribute('data-kind'), b.textContent!.replace(/^[✓!✗] /, '')]);
const buttons = () => [...root.querySelectorAll('button')].map((b) => b.textContent);
const click = (label: string) => act(() => [...root.querySelectorAll('button')].find((b) => b.textContent === label)!.click());

describe('SignatureBadges', () => {
  it('shows nothing for an unsigned version, and the badges once a new version is signed', async () => {
    const { cache, asked } = fakeCache({ 'bb@1': [], 'bb@2': [sig('ThuKy', { signer: { common_name: 'Trần Thị Thu', serial: '1', issuer: null } })] });
    await show(<SignatureBadges doc={minutes(1)} cache={cache} />);
    expect(root.querySelector('[data-testid="sig-badges"]')).toBeNull();
    // A document.replaced brought version 2.
    await show(<SignatureBadges doc={minutes(2)} cache={cache} />);
    expect(badges()).toEqual([['signed', expect.stringMatching(/^Đã ký số bởi Trần Thị Thu, lúc \d\d\/\d\d\/2026 \d\d:\d\d$/)]]);
    expect(asked).toEqual(['bb@1', 'bb@2']);
    // Shown again (another list, the reader): no second request.
    await show(<SignatureBadges doc={minutes(2)} cache={cache} />);
    expect(asked).toEqual(['bb@1', 'bb@2']);
  });

  it('says when a certificate is not from a trusted CA, an invalid signature, and a change after the last signature', async () => {
    const { cache } = fakeCache({
      'bb@1': [sig('ThuKy', { trusted: false, modified_after: true }), sig('ChuToa', { valid: false, trusted: false, modified_after: true })],
    });
    await show(<SignatureBadges doc={minutes(1)} cache={cache} />);
    const b = badges();
    expect(b.map((x) => x[0])).toEqual(['untrusted', 'invalid', 'modified']);
    expect(b[0][1]).toMatch(/^Đã ký số bởi Người ký ThuKy, lúc .* · Chứng thư số không do tổ chức chứng thực được tin cậy cấp$/);
    expect(b[1][1]).toBe('Chữ ký không hợp lệ');
    expect(b[2][1]).toBe('Tài liệu đã bị sửa sau khi ký');
  });

  it('shows nothing when the list cannot be read (offline), and asks again once back online or later', async () => {
    let up = false;
    let asked = 0;
    const cache = new SignatureCache(async () => {
      asked++;
      if (!up) throw new TypeError('network');
      return [sig('ChuToa')];
    });
    await show(<SignatureBadges doc={minutes(1)} cache={cache} />);
    expect(root.innerHTML).toBe('');
    expect(asked).toBe(1);
    // The browser says the network is back.
    up = true;
    await act(async () => {
      window.dispatchEvent(new Event('online'));
      await new Promise((r) => setTimeout(r, 0));
    });
    await act(async () => {
      await new Promise((r) => setTimeout(r, 0));
    });
    expect(asked).toBe(2);
    expect(badges().map((b) => b[0])).toEqual(['signed']);
  });

  it('after a network failure asks again in a while; a refusal is not asked again', async () => {
    vi.useFakeTimers();
    try {
      let fail: unknown = new TypeError('network');
      let asked = 0;
      const cache = new SignatureCache(async () => {
        asked++;
        if (fail) throw fail;
        return [sig('ChuToa')];
      });
      await act(() => render(<SignatureBadges doc={minutes(1)} cache={cache} />, root));
      await act(async () => {
        await vi.advanceTimersByTimeAsync(0);
      });
      expect(asked).toBe(1);
      fail = new ApiError(403, 'forbidden');
      await act(async () => {
        await vi.advanceTimersByTimeAsync(RETRY_MS);
      });
      expect(asked).toBe(2);
      await act(async () => {
        await vi.advanceTimersByTimeAsync(RETRY_MS * 3);
        window.dispatchEvent(new Event('online'));
      });
      expect(asked).toBe(2);
      expect(root.innerHTML).toBe('');
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('RecordSigning', () => {
  it('nothing for a member, nor on an ordinary document', async () => {
    const { cache, asked } = fakeCache({ 'bb@1': [] });
    await show(<RecordSigning h={handle()} view={view} user={user('m1')} doc={minutes()} cache={cache} />);
    expect(root.innerHTML).toBe('');
    await show(<RecordSigning h={handle()} view={view} user={user('chair')} doc={doc('x', null)} cache={cache} />);
    expect(root.innerHTML).toBe('');
    expect(asked).toEqual([]);
  });

  it('the chair: "Ký số" with the chair’s block, waiting for the secretary, the PC steps; no seal', async () => {
    const { cache } = fakeCache({ 'bb@1': [] });
    await show(<RecordSigning h={handle()} view={view} user={user('chair')} doc={minutes()} cache={cache} />);
    expect(buttons()).toEqual(['Ký số']);
    expect(root.querySelector('[data-testid="sign-help"]')).toBeNull();
    await click('Ký số');
    const help = root.querySelector('[data-testid="sign-help"]')!;
    expect(help.textContent).toContain('Ô chữ ký của bạn: CHỦ TỌA');
    expect(help.querySelector('[data-testid="sign-waiting"]')!.textContent).toBe('Chưa đến lượt bạn: thư ký cần ký số trước.');
    expect(help.textContent).toContain('Thứ tự ký biên bản: thư ký, chủ tọa, rồi đóng dấu cơ quan.');
    expect(help.textContent).toContain('USB token');
    expect(help.textContent).toContain('POST /api/v1/documents/bb/signing kèm "block": "chair"');
    expect(help.textContent).toContain('POST /api/v1/signings/<signing_id>/complete');
    // A key in a PKCS#12 file: the desktop signer's command, for this document and block.
    expect(help.querySelector('[data-testid="sign-cli"]')!.textContent).toMatch(/^ecabinet sign --server \S+ --document bb --block chair --p12 tep-khoa-ky-so\.p12 --username chair$/);
    expect(buttons()).toEqual(['Ký số', 'Tải lên bản đã ký']);
    expect(root.querySelector('[data-testid="seal"]')).toBeNull();
  });

  it('the chair’s turn once the secretary has signed; done once the chair has', async () => {
    const { cache } = fakeCache({ 'bb@2': signedInOrder('ThuKy'), 'bb@3': signedInOrder('ThuKy', 'ChuToa') });
    await show(<RecordSigning h={handle()} view={view} user={user('chair')} doc={minutes(2)} cache={cache} />);
    await click('Ký số');
    expect(root.textContent).toContain('Đã đến lượt bạn ký.');
    expect(root.querySelector('[data-testid="sign-steps"]')).not.toBeNull();
    await show(<RecordSigning h={handle()} view={view} user={user('chair')} doc={minutes(3)} cache={cache} />);
    expect(root.textContent).toContain('Ô chữ ký này đã được ký.');
    // The PC steps go; a file signed elsewhere can still be added.
    expect(root.querySelector('[data-testid="sign-steps"]')).toBeNull();
    expect(buttons()).toEqual(['Ký số', 'Tải lên bản đã ký']);
  });

  it('the secretary: no seal before the chair has signed, said why', async () => {
    const { cache } = fakeCache({ 'bb@1': signedInOrder('ThuKy') });
    await show(<RecordSigning h={handle()} view={view} user={user('sec')} doc={minutes()} cache={cache} />);
    expect(buttons()).toEqual(['Ký số']);
    expect(root.querySelector('[data-testid="seal-waiting"]')!.textContent).toBe('Chưa đóng dấu được: chủ tọa cần ký số trước.');
  });

  it('the secretary seals once the chair has signed: asks, then POST /documents/{id}/seal', async () => {
    const { cache } = fakeCache({ 'bb@1': signedInOrder('ThuKy', 'ChuToa') });
    const h = handle();
    await show(<RecordSigning h={h} view={view} user={user('sec')} doc={minutes()} cache={cache} />);
    expect(buttons()).toEqual(['Ký số', 'Đóng dấu']);
    await click('Đóng dấu');
    expect(h.act).not.toHaveBeenCalled();
    expect(root.textContent).toContain('Đóng dấu số của cơ quan vào văn bản này?');
    await act(async () => {
      await click('Đồng ý');
    });
    expect(h.act).toHaveBeenCalledWith('POST', '/documents/bb/seal', undefined, { where: 'seal-bb' });
  });

  it('a refused seal is shown beside the button', async () => {
    const { cache } = fakeCache({ 'bb@1': signedInOrder('ThuKy', 'ChuToa') });
    const e = new ApiError(409, 'seal_not_configured');
    const h = handle({ actionError: { e, where: 'seal-bb' } });
    await show(<RecordSigning h={h} view={view} user={user('sec')} doc={minutes()} cache={cache} />);
    const err = root.querySelector('[data-testid="seal"] [data-testid="action-error"]')!;
    expect(err.getAttribute('data-where')).toBe('seal-bb');
    expect(err.textContent).toContain(errorText(e));
  });

  it('sealed: said so, no button', async () => {
    const { cache } = fakeCache({ 'bb@1': signedInOrder('ThuKy', 'ChuToa', 'DauCoQuan') });
    await show(<RecordSigning h={handle()} view={view} user={user('sec')} doc={minutes()} cache={cache} />);
    expect(buttons()).toEqual(['Ký số']);
    expect(root.querySelector('[data-testid="seal"]')!.textContent).toBe('Đã đóng dấu số của cơ quan.');
  });

  it('an admin seals the conclusions after the chair; the secretary has no block on them', async () => {
    const { cache } = fakeCache({ 'tb@1': signedInOrder('ChuToa') });
    const h = handle();
    await show(<RecordSigning h={h} view={view} user={user('boss', 'admin')} doc={conclusions()} cache={cache} />);
    expect(buttons()).toEqual(['Đóng dấu']);
    await show(<RecordSigning h={h} view={view} user={user('sec')} doc={conclusions()} cache={cache} />);
    expect(buttons()).toEqual(['Đóng dấu']);
    const { cache: before } = fakeCache({ 'tb@1': [] });
    await show(<RecordSigning h={h} view={view} user={user('boss', 'admin')} doc={conclusions()} cache={before} />);
    expect(buttons()).toEqual([]);
    expect(root.textContent).toContain('Chưa đóng dấu được: chủ tọa cần ký số trước.');
    expect(root.textContent).toContain('Thứ tự ký thông báo kết luận: chủ tọa, rồi đóng dấu cơ quan.');
  });

  it('a written meeting’s summary: the chair signs first; the secretary has no block, only the seal after the chair', async () => {
    const written = fromDetail(
      detail({ kind: 'written', state: 'closed', participants: [participant('chair', 'chair'), participant('sec', 'secretary'), participant('m1', 'member')] }),
    );
    const summary = doc('bc', null, { kind: 'minutes', title: 'Báo cáo tổng hợp ý kiến 01/BC-UBND' });
    const { cache } = fakeCache({ 'bc@1': [] });
    await show(<RecordSigning h={handle()} view={written} user={user('chair')} doc={summary} cache={cache} />);
    await click('Ký số');
    expect(root.textContent).toContain('Đã đến lượt bạn ký.');
    expect(root.querySelector('[data-testid="sign-waiting"]')).toBeNull();
    expect(root.textContent).toContain('Thứ tự ký báo cáo tổng hợp ý kiến: chủ tọa, rồi đóng dấu cơ quan.');
    await show(<RecordSigning h={handle()} view={written} user={user('sec')} doc={summary} cache={cache} />);
    expect(buttons()).toEqual([]);
    expect(root.querySelector('[data-testid="seal-waiting"]')!.textContent).toBe('Chưa đóng dấu được: chủ tọa cần ký số trước.');
    expect(root.textContent).toContain('Thứ tự ký báo cáo tổng hợp ý kiến');
    const { cache: signed } = fakeCache({ 'bc@1': signedInOrder('ChuToa') });
    await show(<RecordSigning h={handle()} view={written} user={user('sec')} doc={summary} cache={signed} />);
    expect(buttons()).toEqual(['Đóng dấu']);
    await show(<RecordSigning h={handle()} view={written} user={user('m1')} doc={summary} cache={signed} />);
    expect(root.innerHTML).toBe('');
  });

  it('"Tải lên bản đã ký" posts the PDF to /documents/{id}/signed and catches up; a refusal is said', async () => {
    const sent: { method: string; url: string; headers: Record<string, string>; body: unknown }[] = [];
    let answer = { status: 201, body: JSON.stringify({ ...minutes(2) }) };
    class FakeXhr {
      status = 0;
      responseText = '';
      upload = { onprogress: null };
      onload: (() => void) | null = null;
      onerror: (() => void) | null = null;
      onabort: (() => void) | null = null;
      private req = { method: '', url: '', headers: {} as Record<string, string>, body: null as unknown };
      open(method: string, url: string) {
        this.req.method = method;
        this.req.url = url;
      }
      setRequestHeader(k: string, v: string) {
        this.req.headers[k] = v;
      }
      send(body: unknown) {
        this.req.body = body;
        sent.push(this.req);
        setTimeout(() => {
          this.status = answer.status;
          this.responseText = answer.body;
          this.onload?.();
        }, 0);
      }
      abort() {}
    }
    vi.stubGlobal('XMLHttpRequest', FakeXhr);
    vi.spyOn(session, 'token').mockResolvedValue('tok');
    const { cache } = fakeCache({ 'bb@1': signedInOrder('ThuKy') });
    const h = handle();
    await show(<RecordSigning h={h} view={view} user={user('chair')} doc={minutes()} cache={cache} />);
    await click('Ký số');
    const input = root.querySelector('input[name="signed_file"]') as HTMLInputElement;
    const pick = async (f: File) => {
      Object.defineProperty(input, 'files', { value: [f], configurable: true });
      await act(async () => {
        input.dispatchEvent(new Event('change', { bubbles: true }));
        await new Promise((r) => setTimeout(r, 5));
      });
    };
    await pick(new File([new Uint8Array([0x25, 0x50, 0x44, 0x46])], 'bien-ban-da-ky.pdf', { type: 'application/pdf' }));
    expect(sent.map((r) => [r.method, r.url, r.headers['Content-Type'], r.headers.Authorization])).toEqual([['POST', '/api/v1/documents/bb/signed', 'application/pdf', 'Bearer tok']]);
    expect(h.catchUp).toHaveBeenCalledTimes(1);
    expect(root.textContent).toContain('Đã nhận bản đã ký (phiên bản 2).');

    answer = { status: 422, body: JSON.stringify({ status: 422, code: 'invalid_signature' }) };
    await pick(new File([new Uint8Array([1])], 'khac.pdf', { type: 'application/pdf' }));
    expect(root.querySelector('[data-testid="sign-upload-error"]')!.textContent).toBe(uploadErrorText(new ApiError(422, 'invalid_signature')));
    expect(h.catchUp).toHaveBeenCalledTimes(1);
  });
});
