import { describe, expect, it } from 'vitest';
import { createBody, defaultRows, emptyForm, formOf, formOptions, optionFromText, optionLabel, patchBody, rowOption, tidy, validate, type PollFormValue, defaultMajorityLabel } from '../src/polls/form';
import { hasKey, setLocale } from '../src/i18n';
import { poll } from './fixtures';

const form = (extra: Partial<PollFormValue> = {}): PollFormValue => ({ ...emptyForm(), title: 'Thông qua dự toán', ...extra });
const rows = (...texts: string[]) => texts.map((text) => ({ text }));
/** "Phường án A" typed on a keyboard that sends decomposed letters (base + combining marks). */
const DECOMPOSED = 'Phu\u031bo\u031b\u0300ng a\u0301n A';

describe('options as text', () => {
  it('are what was typed, with its accents: trimmed, whitespace collapsed, in NFC', () => {
    expect(optionFromText('Phương án A: xây mới')).toBe('Phương án A: xây mới');
    expect(optionFromText('  Đồng ý \t  phương án 2 ')).toBe('Đồng ý phương án 2');
    expect(optionFromText('Giữ nguyên (không đổi)')).toBe('Giữ nguyên (không đổi)');
    expect(optionFromText('!!!')).toBe('!!!');
    expect(optionFromText('   ')).toBe('');
    expect(DECOMPOSED).not.toBe('Phường án A');
    expect(optionFromText(DECOMPOSED)).toBe('Phường án A');
    expect(tidy(' a\u00a0\u00a0b ')).toBe('a b');
  });

  it('map the default options’ own words, in either language and any case, to their keys', () => {
    expect(optionFromText('Tán thành')).toBe('yes');
    expect(optionFromText(' không TÁN  thành ')).toBe('no');
    expect(optionFromText('Không biểu quyết')).toBe('abstain');
    expect(optionFromText('Abstain')).toBe('abstain');
    expect(optionFromText('yes')).toBe('yes');
    expect(optionFromText('Tán thành có điều kiện')).toBe('Tán thành có điều kiện');
    expect(optionFromText('no_change')).toBe('no_change');
  });

  it('show as stored, the defaults in the glossary’s words', () => {
    expect(optionLabel('yes', 'vi')).toBe('Tán thành');
    expect(optionLabel('abstain', 'en')).toBe('Abstain');
    expect(optionLabel('Phương án B: sửa chữa', 'vi')).toBe('Phương án B: sửa chữa');
    expect(optionLabel('Phương án B: sửa chữa', 'en')).toBe('Phương án B: sửa chữa');
  });

  it('keep a loaded option while its row is untouched', () => {
    // Stored through the API with two spaces: sent back as it is, not tidied into a change.
    expect(rowOption({ stored: 'Giữ  nguyên', text: 'Giữ  nguyên' })).toBe('Giữ  nguyên');
    expect(rowOption({ stored: 'yes', text: optionLabel('yes', 'vi') })).toBe('yes');
    expect(rowOption({ stored: 'yes', text: optionLabel('yes', 'en') })).toBe('yes');
    expect(rowOption({ stored: 'Giữ nguyên', text: 'Giữ nguyên hiện trạng ' })).toBe('Giữ nguyên hiện trạng');
  });
});

describe('validate', () => {
  it('accepts the defaults and a sound custom list', () => {
    expect(validate(form())).toEqual([]);
    expect(validate(form({ options: rows('Phương án A', 'Phương án B', 'Không biểu quyết') }))).toEqual([]);
    expect(validate(form({ options: rows('???', '!!!') }))).toEqual([]);
  });

  it('needs a question and a sane quorum', () => {
    expect(validate(form({ title: '   ' })).map((e) => e.key)).toEqual(['pollForm.err.title']);
    for (const q of ['0', '-3', '2.5', '100001', 'abc']) expect(validate(form({ quorum: q })).map((e) => e.key), q).toEqual(['pollForm.err.quorum']);
    expect(validate(form({ quorum: '100000' }))).toEqual([]);
  });

  it('refuses what the server refuses in options', () => {
    const keys = (texts: string[]) => validate(form({ options: rows(...texts) })).map((e) => [e.key, e.row]);
    expect(keys(['A', ' \t '])).toEqual([['pollForm.err.optionEmpty', 1]]);
    // Differing only by case, or only by how the accents were typed, is the same option.
    expect(keys(['Phương án A', 'PHƯƠNG ÁN A'])).toEqual([['pollForm.err.optionTwice', 1]]);
    expect(keys(['Phường án A', DECOMPOSED.toLowerCase()])).toEqual([['pollForm.err.optionTwice', 1]]);
    expect(keys(['Đồng ý', 'đồng  ý'])).toEqual([['pollForm.err.optionTwice', 1]]);
    expect(keys(['Tán thành', 'yes'])).toEqual([['pollForm.err.optionTwice', 1]]);
    // Transliteration no longer merges options: these are two.
    expect(keys(['Phương án A', 'Phuong an A'])).toEqual([]);
    expect(keys(['Chỉ một'])).toEqual([['pollForm.err.optionCount', undefined]]);
    expect(keys(Array.from({ length: 21 }, (_, i) => `P${i}`))).toEqual([['pollForm.err.optionCount', undefined]]);
    expect(keys(Array.from({ length: 20 }, (_, i) => `P${i}`))).toEqual([]);
    expect(keys(['Không biểu quyết', 'Tán thành'])).toEqual([['pollForm.err.firstAbstain', 0]]);
    expect(keys(['abstain', 'yes'])).toEqual([['pollForm.err.firstAbstain', 0]]);
    expect(keys(['a\u0007b', 'c\u009fd', 'e\u200bf'])).toEqual([
      ['pollForm.err.optionControl', 0],
      ['pollForm.err.optionControl', 1],
    ]);
  });

  it('counts the length in code points, as the server does', () => {
    const keys = (texts: string[]) => validate(form({ options: rows(...texts) })).map((e) => [e.key, e.row]);
    expect(keys(['x'.repeat(65), 'y'])).toEqual([['pollForm.err.optionLong', 0]]);
    expect(keys(['x'.repeat(64), 'y'])).toEqual([]);
    // 64 letters of Vietnamese, each one code point in NFC (two or three when decomposed).
    const long = 'ườ'.repeat(32);
    expect([...long].length).toBe(64);
    expect(keys([long, 'y'])).toEqual([]);
    expect(keys([long.normalize('NFD'), 'y'])).toEqual([]);
    expect(keys([long + 'a', 'y'])).toEqual([['pollForm.err.optionLong', 0]]);
    // Outside the BMP: two UTF-16 units, one code point.
    expect(keys(['🗳'.repeat(64), 'y'])).toEqual([]);
    expect(keys(['🗳'.repeat(65), 'y'])).toEqual([['pollForm.err.optionLong', 0]]);
  });

  it('names every error in both languages', () => {
    const all = ['title', 'quorum', 'optionEmpty', 'optionLong', 'optionControl', 'optionTwice', 'optionCount', 'firstAbstain'];
    for (const k of all) expect(hasKey(`pollForm.err.${k}`), k).toBe(true);
  });
});

describe('request bodies', () => {
  it('create: options only when customised, allow_change never with secret', () => {
    // No majority chosen: left out, the poll takes the organisation's rule (contract v2).
    expect(createBody(form())).toEqual({ title: 'Thông qua dự toán', secret: false, allow_change: false });
    expect(createBody(form({ majority: 'simple' }))).toEqual({ title: 'Thông qua dự toán', secret: false, majority: 'simple', allow_change: false });
    expect(createBody(form({ majority: 'absolute_all' })).majority).toBe('absolute_all');
    expect(createBody(form({ agendaItemId: 'a1', quorum: ' 5 ', secret: true, allowChange: true, majority: 'two_thirds', options: rows(' Phương án A ', 'Phương án  B') }))).toEqual({
      title: 'Thông qua dự toán',
      agenda_item_id: 'a1',
      quorum: 5,
      secret: true,
      majority: 'two_thirds',
      allow_change: false,
      options: ['Phương án A', 'Phương án B'],
    });
  });

  it('custom rows start from the defaults, which keep their keys', () => {
    expect(defaultRows('vi').map((r) => r.text)).toEqual(['Tán thành', 'Không tán thành', 'Không biểu quyết']);
    expect(formOptions(form({ options: defaultRows('vi') }))).toEqual(['yes', 'no', 'abstain']);
    expect(formOptions(form({ options: defaultRows('en') }))).toEqual(['yes', 'no', 'abstain']);
  });

  it('edit: an untouched form changes nothing', () => {
    const p = poll('p1', { title: 'Q', agenda_item_id: 'a1', quorum: 4, options: ['Giữ nguyên hiện trạng', 'yes', 'abstain'] });
    expect(formOf(p, 'vi').options?.map((r) => r.text)).toEqual(['Giữ nguyên hiện trạng', 'Tán thành', 'Không biểu quyết']);
    expect(patchBody(p, formOf(p))).toEqual({});
    expect(patchBody(poll('p2'), formOf(poll('p2')))).toEqual({});
  });

  it('edit: only what changed, null to clear the item and the quorum', () => {
    const p = poll('p1', { title: 'Q', agenda_item_id: 'a1', quorum: 4, allow_change: true });
    const f = { ...formOf(p), title: 'Q2', agendaItemId: '', quorum: '', secret: true };
    // Making it secret turns allow_change off too (the server refuses both).
    expect(patchBody(p, f)).toEqual({ title: 'Q2', agenda_item_id: null, quorum: null, secret: true, allow_change: false });
    const g = { ...formOf(p), options: rows('Phương án A', 'Phương án B', 'Không biểu quyết') };
    expect(patchBody(p, g)).toEqual({ options: ['Phương án A', 'Phương án B', 'abstain'] });
    // Back to the defaults from custom options.
    const c = poll('p3', { options: ['a', 'b'] });
    expect(patchBody(c, { ...formOf(c), options: null })).toEqual({ options: ['yes', 'no', 'abstain'] });
  });
});

describe('the default majority', () => {
  it('is named when the server says which it is', () => {
    setLocale('vi');
    expect(defaultMajorityLabel(null)).toBe('Theo quy định chung của cơ quan');
    expect(defaultMajorityLabel('absolute_all')).toBe('Theo quy định chung của cơ quan: Quá nửa tổng số thành viên');
    setLocale('en');
    expect(defaultMajorityLabel('simple')).toContain('More votes for than against');
    setLocale('vi');
  });
});
