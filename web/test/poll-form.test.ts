import { describe, expect, it } from 'vitest';
import { createBody, defaultRows, emptyForm, formOf, keyFromLabel, labelFromKey, optionKeys, optionLabel, patchBody, rowKey, validate, type PollFormValue } from '../src/polls/form';
import { hasKey } from '../src/i18n';
import { poll } from './fixtures';

const form = (extra: Partial<PollFormValue> = {}): PollFormValue => ({ ...emptyForm(), title: 'Thông qua dự toán', ...extra });
const rows = (...labels: string[]) => labels.map((label) => ({ label }));

describe('option keys', () => {
  it('are made from Vietnamese labels without their accents', () => {
    expect(keyFromLabel('Phương án A')).toBe('phuong-an-a');
    expect(keyFromLabel('  Đồng ý   phương án 2 ')).toBe('dong-y-phuong-an-2');
    expect(keyFromLabel('Giữ nguyên (không đổi)')).toBe('giu-nguyen-khong-doi');
    expect(keyFromLabel('!!!')).toBe('');
  });

  it('map the default options’ own words, in either language, to their keys', () => {
    expect(keyFromLabel('Tán thành')).toBe('yes');
    expect(keyFromLabel('không TÁN thành')).toBe('no');
    expect(keyFromLabel('Không biểu quyết')).toBe('abstain');
    expect(keyFromLabel('Abstain')).toBe('abstain');
    expect(keyFromLabel('no_change')).toBe('no_change');
  });

  it('read back as labels', () => {
    expect(labelFromKey('phuong-an-a')).toBe('Phuong an a');
    expect(labelFromKey('giu_nguyen')).toBe('Giu nguyen');
    expect(optionLabel('yes', 'vi')).toBe('Tán thành');
    expect(optionLabel('abstain', 'en')).toBe('Abstain');
    expect(optionLabel('phuong-an-b', 'vi')).toBe('Phuong an B'.replace('B', 'b'));
  });

  it('keep a loaded key while its row is untouched', () => {
    expect(rowKey({ key: 'giu_nguyen', label: 'Giu nguyen' })).toBe('giu_nguyen');
    expect(rowKey({ key: 'yes', label: optionLabel('yes') })).toBe('yes');
    expect(rowKey({ key: 'giu_nguyen', label: 'Giữ nguyên hiện trạng' })).toBe('giu-nguyen-hien-trang');
  });
});

describe('validate', () => {
  it('accepts the defaults and a sound custom list', () => {
    expect(validate(form())).toEqual([]);
    expect(validate(form({ options: rows('Phương án A', 'Phương án B', 'Không biểu quyết') }))).toEqual([]);
  });

  it('needs a question and a sane quorum', () => {
    expect(validate(form({ title: '   ' })).map((e) => e.key)).toEqual(['pollForm.err.title']);
    for (const q of ['0', '-3', '2.5', '100001', 'abc']) expect(validate(form({ quorum: q })).map((e) => e.key), q).toEqual(['pollForm.err.quorum']);
    expect(validate(form({ quorum: '100000' }))).toEqual([]);
  });

  it('refuses what the server refuses in options', () => {
    const keys = (labels: string[]) => validate(form({ options: rows(...labels) })).map((e) => [e.key, e.row]);
    expect(keys(['A', '???'])).toEqual([['pollForm.err.optionEmpty', 1]]);
    expect(keys(['Phương án A', 'phuong an a'])).toEqual([['pollForm.err.optionTwice', 1]]);
    expect(keys(['Chỉ một'])).toEqual([['pollForm.err.optionCount', undefined]]);
    expect(keys(Array.from({ length: 21 }, (_, i) => `P${i}`))).toEqual([['pollForm.err.optionCount', undefined]]);
    expect(keys(['Không biểu quyết', 'Tán thành'])).toEqual([['pollForm.err.firstAbstain', 0]]);
    expect(keys(['x'.repeat(65), 'y'])).toEqual([['pollForm.err.optionLong', 0]]);
  });

  it('names every error in both languages', () => {
    const all = ['title', 'quorum', 'optionEmpty', 'optionLong', 'optionTwice', 'optionCount', 'firstAbstain'];
    for (const k of all) expect(hasKey(`pollForm.err.${k}`), k).toBe(true);
  });
});

describe('request bodies', () => {
  it('create: options only when customised, allow_change never with secret', () => {
    expect(createBody(form())).toEqual({ title: 'Thông qua dự toán', secret: false, majority: 'simple', allow_change: false });
    expect(createBody(form({ agendaItemId: 'a1', quorum: ' 5 ', secret: true, allowChange: true, majority: 'two_thirds', options: rows('Phương án A', 'Phương án B') }))).toEqual({
      title: 'Thông qua dự toán',
      agenda_item_id: 'a1',
      quorum: 5,
      secret: true,
      majority: 'two_thirds',
      allow_change: false,
      options: ['phuong-an-a', 'phuong-an-b'],
    });
  });

  it('custom rows start from the defaults, which keep their keys', () => {
    expect(optionKeys(form({ options: defaultRows('vi') }))).toEqual(['yes', 'no', 'abstain']);
    expect(optionKeys(form({ options: defaultRows('en') }))).toEqual(['yes', 'no', 'abstain']);
  });

  it('edit: an untouched form changes nothing', () => {
    const p = poll('p1', { title: 'Q', agenda_item_id: 'a1', quorum: 4, options: ['giu_nguyen', 'yes', 'abstain'] });
    expect(patchBody(p, formOf(p))).toEqual({});
    expect(patchBody(poll('p2'), formOf(poll('p2')))).toEqual({});
  });

  it('edit: only what changed, null to clear the item and the quorum', () => {
    const p = poll('p1', { title: 'Q', agenda_item_id: 'a1', quorum: 4, allow_change: true });
    const f = { ...formOf(p), title: 'Q2', agendaItemId: '', quorum: '', secret: true };
    // Making it secret turns allow_change off too (the server refuses both).
    expect(patchBody(p, f)).toEqual({ title: 'Q2', agenda_item_id: null, quorum: null, secret: true, allow_change: false });
    const g = { ...formOf(p), options: rows('Phương án A', 'Phương án B', 'Không biểu quyết') };
    expect(patchBody(p, g)).toEqual({ options: ['phuong-an-a', 'phuong-an-b', 'abstain'] });
    // Back to the defaults from custom options.
    const c = poll('p3', { options: ['a', 'b'] });
    expect(patchBody(c, { ...formOf(c), options: null })).toEqual({ options: ['yes', 'no', 'abstain'] });
  });
});
