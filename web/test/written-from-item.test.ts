// A meeting held in writing prepared from a session's agenda item (written/fromItem.ts): the
// sessions offered, the items with the documents the server copies, what choosing one writes
// into the form (and what it leaves), and the request body.
import { describe, expect, it } from 'vitest';
import {
  createBody,
  createFromItemPath,
  descriptionFor,
  hasQuestion,
  itemChoices,
  prefill,
  questionsToAdd,
  sessionChoices,
  titleFor,
  type Prefilled,
} from '../src/written/fromItem';
import { LIMITS, textLength } from '../src/limits';
import type { Meeting } from '../src/types';
import { doc, item } from './fixtures';

function meeting(id: string, extra: Partial<Meeting> = {}): Meeting {
  return {
    id,
    title: `Cuộc họp ${id}`,
    description: null,
    location: null,
    starts_at: '2026-11-20T01:00:00Z',
    state: 'scheduled',
    watermark: null,
    speech_limit_secs: null,
    current_item_id: null,
    last_seq: 0,
    created_by: 'sec',
    created_at: '2026-11-01T00:00:00Z',
    updated_at: '2026-11-01T00:00:00Z',
    ...extra,
  };
}

describe('the sessions offered', () => {
  it('leaves out meetings held in writing and cancelled sessions, the most recent first', () => {
    const list = [
      meeting('old', { starts_at: '2026-10-01T01:00:00Z', state: 'closed' }),
      meeting('written', { kind: 'written', starts_at: '2026-12-01T01:00:00Z' }),
      meeting('cancelled', { state: 'cancelled', starts_at: '2026-12-02T01:00:00Z' }),
      meeting('new', { kind: 'session', starts_at: '2026-11-30T01:00:00Z', state: 'draft' }),
      // Older servers leave `kind` out: a session.
      meeting('mid', { starts_at: '2026-11-15T01:00:00Z', state: 'live' }),
    ];
    expect(sessionChoices(list).map((m) => m.id)).toEqual(['new', 'mid', 'old']);
    // The list it was given is left as it was.
    expect(list[0].id).toBe('old');
  });

  it('keeps a steady order for sessions at the same time', () => {
    const at = '2026-11-20T01:00:00Z';
    const list = [meeting('b', { title: 'Phiên B', starts_at: at }), meeting('a', { title: 'Phiên A', starts_at: at })];
    expect(sessionChoices(list).map((m) => m.title)).toEqual(['Phiên A', 'Phiên B']);
  });
});

describe('the items of a session', () => {
  const agenda = [item('i1', 'Báo cáo tình hình'), item('i2', 'Tờ trình dự toán', [item('i21', 'Dự toán thu', [], 'i2'), item('i22', 'Dự toán chi', [], 'i2')]), item('i3', 'Các vấn đề khác')];
  const documents = [
    doc('d1', 'i2'),
    doc('d2', 'i2'),
    doc('d3', 'i21'),
    doc('d4', null),
    // The finalised record is never copied.
    doc('bb', 'i2', { kind: 'minutes' }),
    doc('tb', 'i2', { kind: 'conclusions' }),
    doc('d5', 'i1', { kind: 'document' }),
  ];

  it('lists every item depth first with its number, and counts only the documents of the item itself', () => {
    const c = itemChoices({ agenda, documents });
    expect(c.map((x) => [x.number, x.item.id, x.depth, x.docs])).toEqual([
      ['1', 'i1', 0, 1],
      ['2', 'i2', 0, 2],
      ['2.1', 'i21', 1, 1],
      ['2.2', 'i22', 1, 0],
      ['3', 'i3', 0, 0],
    ]);
  });

  it('is empty for a session without an agenda', () => {
    expect(itemChoices({ agenda: [], documents })).toEqual([]);
  });
});

describe('what choosing an item writes', () => {
  const session = { title: 'Phiên họp thường kỳ tháng 11/2026' };
  const i2 = { item: item('i2', 'Tờ trình dự toán ngân sách xã năm 2027'), number: '2' };
  const i3 = { item: { ...item('i3', 'Kế hoạch nông thôn mới'), notes: '  Ý kiến các ngành trước ngày 15/12.  ' }, number: '3' };
  const empty: Prefilled = { title: '', description: '', auto: null };

  it('offers "Xin ý kiến về" and the item title, and says where it comes from', () => {
    const f = prefill(empty, i2, session);
    expect(f.title).toBe('Xin ý kiến về Tờ trình dự toán ngân sách xã năm 2027');
    expect(f.description).toBe('Theo nội dung 2 “Tờ trình dự toán ngân sách xã năm 2027” của Phiên họp thường kỳ tháng 11/2026.');
    expect(f.auto).toEqual({ title: f.title, description: f.description });
  });

  it('adds the item’s notes to the description', () => {
    expect(descriptionFor(i3, session)).toBe('Theo nội dung 3 “Kế hoạch nông thôn mới” của Phiên họp thường kỳ tháng 11/2026.\n\nÝ kiến các ngành trước ngày 15/12.');
  });

  it('another item replaces what the first wrote, not what the secretary wrote', () => {
    const first = prefill(empty, i2, session);
    const again = prefill(first, i3, session);
    expect(again.title).toBe('Xin ý kiến về Kế hoạch nông thôn mới');
    expect(again.description).toContain('Kế hoạch nông thôn mới');
    // Edited after the first choice: kept.
    const edited = { ...first, title: 'Xin ý kiến các thành viên về dự toán 2027', description: 'Đề nghị cho ý kiến trước hạn.' };
    const kept = prefill(edited, i3, session);
    expect(kept.title).toBe('Xin ý kiến các thành viên về dự toán 2027');
    expect(kept.description).toBe('Đề nghị cho ý kiến trước hạn.');
    expect(kept.auto?.title).toBe('Xin ý kiến về Kế hoạch nông thôn mới');
  });

  it('fills a field only when empty, before any choice', () => {
    const f = prefill({ title: '', description: 'Mô tả có sẵn', auto: null }, i2, session);
    expect(f.title).toBe('Xin ý kiến về Tờ trình dự toán ngân sách xã năm 2027');
    expect(f.description).toBe('Mô tả có sẵn');
    const g = prefill({ title: 'Tên có sẵn', description: '   ', auto: null }, i2, session);
    expect(g.title).toBe('Tên có sẵn');
    expect(g.description).toContain('Theo nội dung 2');
  });

  it('undoing the choice clears what it wrote and was left untouched', () => {
    const first = prefill(empty, i2, session);
    expect(prefill(first, null, null)).toEqual(empty);
    const edited = prefill({ ...first, title: 'Tên riêng' }, null, null);
    expect(edited).toEqual({ title: 'Tên riêng', description: '', auto: null });
  });

  it('cuts a title over the limit, within it', () => {
    const long = titleFor({ title: 'Đ'.repeat(LIMITS.title) });
    expect(textLength(long)).toBe(LIMITS.title);
    expect(long.startsWith('Xin ý kiến về ĐĐ')).toBe(true);
    expect(long.endsWith('…')).toBe(true);
    expect(titleFor({ title: '  Dự toán  ' })).toBe('Xin ý kiến về Dự toán');
  });
});

describe('the request', () => {
  const form = { title: '  Xin ý kiến về dự toán ', description: '  ', startsAt: '2026-12-08T01:00:00.000Z', deadline: '2026-12-11T10:00:00.000Z', silence: 'agree' as const };

  it('names the item when there is one', () => {
    expect(createBody({ ...form, fromItem: 'i2' })).toEqual({
      title: 'Xin ý kiến về dự toán',
      description: undefined,
      starts_at: '2026-12-08T01:00:00.000Z',
      kind: 'written',
      deadline: '2026-12-11T10:00:00.000Z',
      silence: 'agree',
      from_agenda_item: 'i2',
    });
    expect(createBody({ ...form, description: ' Mô tả ', fromItem: null })).not.toHaveProperty('from_agenda_item');
    expect(createBody({ ...form, description: ' Mô tả ', fromItem: null }).description).toBe('Mô tả');
  });

  it('needs a question of its own only without an item', () => {
    expect(hasQuestion(['', '  '], null)).toBe(false);
    expect(hasQuestion(['', '  '], 'i2')).toBe(true);
    expect(hasQuestion([' Câu hỏi '], null)).toBe(true);
    expect(questionsToAdd(['', ' Câu hỏi thêm ', ' '])).toEqual(['Câu hỏi thêm']);
  });

  it('links a session’s item to the form', () => {
    expect(createFromItemPath('/written', 'm 1', 'i/2')).toBe('/written/new?from_meeting=m%201&from_item=i%2F2');
  });
});
