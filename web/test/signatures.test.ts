// Digital signatures' logic (signatures/model.ts, signatures/cache.ts): which badges a version's
// signature list gives (one per signature; "changed after signing" judged by the last one only),
// the record's blocks from the field names, whose turn it is in the order secretary → chair →
// seal (chair → seal on the conclusions and on a written meeting's summary), who may seal, the signing time's format, and the
// cache: one request per (document, version), a new version fetched anew, failures not kept.
import { describe, expect, it } from 'vitest';
import { fromDetail } from '../src/meeting/state';
import { SignatureCache } from '../src/signatures/cache';
import { blockOfField, blockOrder, fmtSignedAt, maySeal, myBlock, nextBlock, sealRequest, sealTurn, signatureBadges, signedBlocks, signKind, turnOf } from '../src/signatures/model';
import { badgeText, signCommand } from '../src/ui/Signatures';
import type { DocSignature, User } from '../src/types';
import { detail, participant } from './fixtures';
import { sig, signedInOrder } from './signature-fixtures';

const user = (id: string, role: User['role'] = 'member'): User => ({ id, username: id, display_name: id, role });
const view = fromDetail(detail({ participants: [participant('chair', 'chair'), participant('sec', 'secretary'), participant('m1', 'member')] }));

describe('signature badges', () => {
  it('none for an unsigned version', () => {
    expect(signatureBadges([])).toEqual([]);
  });

  it('one "signed by" badge per valid signature, trusted or not', () => {
    const b = signatureBadges([sig('ThuKy', { modified_after: true }), sig('DauCoQuan', { trusted: false })]);
    expect(b).toEqual([
      { kind: 'signed', name: 'Người ký ThuKy', at: '2026-12-08T07:05:00Z', trusted: true, field: 'ThuKy' },
      { kind: 'signed', name: 'Người ký DauCoQuan', at: '2026-12-08T07:05:00Z', trusted: false, field: 'DauCoQuan' },
    ]);
  });

  it('an invalid signature is "Chữ ký không hợp lệ"', () => {
    const b = signatureBadges([sig('ChuToa', { valid: false, trusted: false })]);
    expect(b.map((x) => x.kind)).toEqual(['invalid']);
    expect(badgeText(b[0])).toBe('Chữ ký không hợp lệ');
  });

  it('earlier signatures with bytes after them are normal; only the last one says the file changed', () => {
    // Signed three times: the first two have later revisions after them, the last covers it all.
    expect(signatureBadges(signedInOrder('ThuKy', 'ChuToa', 'DauCoQuan')).map((x) => x.kind)).toEqual(['signed', 'signed', 'signed']);
    // Bytes appended after the last signature.
    const changed = signatureBadges([sig('ThuKy', { modified_after: true }), sig('ChuToa', { modified_after: true, covers_whole_document: false })]);
    expect(changed.map((x) => x.kind)).toEqual(['signed', 'signed', 'modified']);
    expect(badgeText(changed[2])).toBe('Tài liệu đã bị sửa sau khi ký');
  });

  it('says who and when, dd/mm/yyyy HH:mm', () => {
    const [b] = signatureBadges([sig('ChuToa', { signer: { common_name: 'Nguyễn Văn An', serial: '01', issuer: null } })]);
    expect(badgeText(b, 'Asia/Ho_Chi_Minh')).toBe('Đã ký số bởi Nguyễn Văn An, lúc 08/12/2026 14:05');
    const [noTime] = signatureBadges([sig('X', { signed_at: null, signer: { common_name: null, serial: '01', issuer: null } })]);
    expect(badgeText(noTime)).toBe('Đã ký số bởi (không rõ tên người ký)');
  });

  it('formats the signing time with a 24-hour clock', () => {
    expect(fmtSignedAt('2026-01-02T15:04:00Z', 'UTC')).toBe('02/01/2026 15:04');
    expect(fmtSignedAt('2026-12-31T17:30:00Z', 'Asia/Ho_Chi_Minh')).toBe('01/01/2027 00:30');
    expect(fmtSignedAt('2026-12-31T16:59:00Z', 'Asia/Ho_Chi_Minh')).toBe('31/12/2026 23:59');
    expect(fmtSignedAt('not a date')).toBe('not a date');
  });
});

describe('blocks and turns', () => {
  it('reads the block from the field name', () => {
    expect(blockOfField('ThuKy')).toBe('secretary');
    expect(blockOfField('ChuToa')).toBe('chair');
    expect(blockOfField('ChuToa2')).toBe('chair');
    expect(blockOfField('DauCoQuan')).toBe('organization');
    expect(blockOfField('Signature1')).toBeNull();
    expect(blockOfField('KySo')).toBeNull();
    expect([...signedBlocks([sig('ThuKy'), sig('Signature1'), sig('ChuToa', { valid: false })])]).toEqual(['secretary', 'chair']);
  });

  it('a biên bản: secretary, then chair, then the seal', () => {
    expect(nextBlock('minutes', [])).toBe('secretary');
    expect(turnOf('minutes', [], 'secretary')).toEqual({ state: 'yours' });
    expect(turnOf('minutes', [], 'chair')).toEqual({ state: 'waiting', before: 'secretary' });
    const one = signedInOrder('ThuKy');
    expect(nextBlock('minutes', one)).toBe('chair');
    expect(turnOf('minutes', one, 'secretary')).toEqual({ state: 'signed' });
    expect(turnOf('minutes', one, 'chair')).toEqual({ state: 'yours' });
    expect(sealTurn('minutes', one)).toEqual({ state: 'waiting', before: 'chair' });
    const two = signedInOrder('ThuKy', 'ChuToa');
    expect(sealTurn('minutes', two)).toEqual({ state: 'yours' });
    const three = signedInOrder('ThuKy', 'ChuToa', 'DauCoQuan');
    expect(sealTurn('minutes', three)).toEqual({ state: 'signed' });
    expect(nextBlock('minutes', three)).toBeNull();
  });

  it('a thông báo kết luận: chair, then the seal; no secretary block', () => {
    expect(nextBlock('conclusions', [])).toBe('chair');
    expect(sealTurn('conclusions', [])).toEqual({ state: 'waiting', before: 'chair' });
    expect(sealTurn('conclusions', signedInOrder('ChuToa'))).toEqual({ state: 'yours' });
    expect(myBlock(view, user('sec'), 'conclusions')).toBeNull();
    expect(myBlock(view, user('chair'), 'conclusions')).toBe('chair');
  });

  it('a written meeting’s summary (its "minutes" document): the chair, then the seal; no secretary block', () => {
    const written = fromDetail(detail({ kind: 'written', participants: [participant('chair', 'chair'), participant('sec', 'secretary'), participant('m1', 'member')] }));
    expect(signKind('minutes', written.meeting)).toBe('summary');
    expect(signKind('minutes', view.meeting)).toBe('minutes');
    expect(signKind('conclusions', view.meeting)).toBe('conclusions');
    expect(signKind('document', written.meeting)).toBe('document');
    expect(blockOrder('summary')).toEqual(['chair', 'organization']);
    // The chair does not wait for a secretary's signature the summary has no room for.
    expect(nextBlock('summary', [])).toBe('chair');
    expect(turnOf('summary', [], 'chair')).toEqual({ state: 'yours' });
    expect(sealTurn('summary', [])).toEqual({ state: 'waiting', before: 'chair' });
    expect(sealTurn('summary', signedInOrder('ChuToa'))).toEqual({ state: 'yours' });
    expect(myBlock(written, user('chair'), 'summary')).toBe('chair');
    expect(myBlock(written, user('sec'), 'summary')).toBeNull();
  });

  it('ordinary documents have no blocks and no seal', () => {
    expect(nextBlock('document', [])).toBeNull();
    expect(nextBlock(undefined, [])).toBeNull();
    expect(sealTurn('document', [])).toBeNull();
    expect(myBlock(view, user('chair'), 'document')).toBeNull();
  });

  it('the meeting’s chair and secretary sign their own block; nobody else has one', () => {
    expect(myBlock(view, user('chair'), 'minutes')).toBe('chair');
    expect(myBlock(view, user('sec'), 'minutes')).toBe('secretary');
    expect(myBlock(view, user('m1'), 'minutes')).toBeNull();
    // A system secretary or admin who is not the meeting's secretary signs no block.
    expect(myBlock(view, user('boss', 'admin'), 'minutes')).toBeNull();
    // A substitute sits in a member's seat, never in a block.
    const sub = fromDetail(detail({ participants: [participant('chair', 'chair', { substitute_id: 'dep', substitute_name: 'Phó' })] }));
    expect(myBlock(sub, user('dep'), 'minutes')).toBeNull();
  });

  it('admins and the meeting’s secretary seal; the chair, members and system secretaries do not', () => {
    expect(maySeal(view, user('boss', 'admin'))).toBe(true);
    expect(maySeal(view, user('sec'))).toBe(true);
    expect(maySeal(view, user('chair'))).toBe(false);
    expect(maySeal(view, user('m1'))).toBe(false);
    expect(maySeal(view, user('other-sec', 'secretary'))).toBe(false);
    expect(sealRequest('d/1')).toEqual({ method: 'POST', path: '/documents/d%2F1/seal' });
  });
});

describe('the desktop signer’s command', () => {
  it('names the server, document, block and account, quoted for a shell when needed', () => {
    expect(signCommand('http://10.0.0.5:8080', 'd1', 'chair', 'chutich')).toBe(
      'ecabinet sign --server http://10.0.0.5:8080 --document d1 --block chair --p12 tep-khoa-ky-so.p12 --username chutich',
    );
    expect(signCommand('http://h', 'd1', 'secretary', "o'neil thu")).toBe(
      `ecabinet sign --server http://h --document d1 --block secretary --p12 tep-khoa-ky-so.p12 --username 'o'\\''neil thu'`,
    );
  });
});

describe('SignatureCache', () => {
  function counting(answer: (id: string, v: number) => Promise<DocSignature[]>) {
    const calls: string[] = [];
    const cache = new SignatureCache(
      (id, v) => {
        calls.push(`${id}@${v}`);
        return answer(id, v);
      },
      (e) => (e as { status?: number }).status === 404,
    );
    return { cache, calls };
  }

  it('fetches a version once, concurrent callers sharing the request', async () => {
    const { cache, calls } = counting(async () => [sig('ChuToa')]);
    const [a, b] = await Promise.all([cache.load('d1', 1), cache.load('d1', 1)]);
    expect(a).toBe(b);
    await cache.load('d1', 1);
    expect(calls).toEqual(['d1@1']);
    expect(cache.get('d1', 1)?.length).toBe(1);
  });

  it('a new version (document.replaced) is another key, fetched anew', async () => {
    const { cache, calls } = counting(async (_id, v) => (v === 1 ? [] : signedInOrder('ThuKy')));
    expect(await cache.load('d1', 1)).toEqual([]);
    expect((await cache.load('d1', 2)).length).toBe(1);
    expect(calls).toEqual(['d1@1', 'd1@2']);
  });

  it('a failure is not kept; a 404 is kept as no signatures', async () => {
    let fail = true;
    const { cache, calls } = counting(async (id) => {
      if (id === 'gone') throw { status: 404 };
      if (fail) throw new Error('offline');
      return [sig('ChuToa')];
    });
    await expect(cache.load('d1', 1)).rejects.toThrow('offline');
    expect(cache.get('d1', 1)).toBeUndefined();
    fail = false;
    expect((await cache.load('d1', 1)).length).toBe(1);
    expect(await cache.load('gone', 1)).toEqual([]);
    expect(await cache.load('gone', 1)).toEqual([]);
    expect(calls).toEqual(['d1@1', 'd1@1', 'gone@1']);
  });

  it('has at most two requests in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const { cache } = counting(async () => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      return [];
    });
    await Promise.all(['a', 'b', 'c', 'd', 'e'].map((id) => cache.load(id, 1)));
    expect(most).toBe(2);
  });
});
