// @vitest-environment happy-dom
// The secretary's creation form of a meeting held in writing (ui/Written.tsx CreateWritten)
// with "Lấy từ nội dung phiên họp", over the app's own session and a `fetch` answering as the
// server does: the sessions offered, an item's document count, the prefilled title, the body
// carrying `from_agenda_item` (and no question of the form's own unless one was added), the
// server's 422 said in words, and an item named by the address chosen by itself.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { session } from '../src/app';
import { setLocale } from '../src/i18n';
import { CreateWritten } from '../src/ui/Written';
import type { Meeting, MeetingDetail, User } from '../src/types';
import { doc, item } from './fixtures';

const user: User = { id: 'sec', username: 'thuky', display_name: 'Trần Thị Thu', role: 'secretary' };
const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

const base = {
  description: null,
  location: null,
  state: 'scheduled' as const,
  watermark: null,
  speech_limit_secs: null,
  current_item_id: null,
  last_seq: 0,
  created_by: 'sec',
  created_at: '2026-11-01T00:00:00Z',
  updated_at: '2026-11-01T00:00:00Z',
};
const meetings: Meeting[] = [
  { ...base, id: 's-old', title: 'Phiên họp tháng 10', starts_at: '2026-10-20T01:00:00Z', kind: 'session', state: 'closed' },
  { ...base, id: 's1', title: 'Phiên họp thường kỳ tháng 11', starts_at: '2026-11-28T01:00:00Z', kind: 'session' },
  { ...base, id: 'w1', title: 'Xin ý kiến cũ', starts_at: '2026-11-29T01:00:00Z', kind: 'written' },
  { ...base, id: 's-off', title: 'Phiên họp bị hủy', starts_at: '2026-12-01T01:00:00Z', kind: 'session', state: 'cancelled' },
];
const s1: MeetingDetail = {
  ...meetings[1],
  agenda: [item('i1', 'Báo cáo tình hình kinh tế'), item('i2', 'Tờ trình dự toán ngân sách xã năm 2027', [item('i21', 'Dự toán thu', [], 'i2')])],
  participants: [],
  documents: [doc('d1', 'i2'), doc('d2', 'i2'), doc('d3', 'i1')],
  polls: [],
  speakers: [],
};

let posts: { path: string; body: any }[];
let refuse: boolean;
let root: HTMLElement;

async function server(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const p = new URL(String(input), 'http://127.0.0.1').pathname;
  const method = init?.method ?? 'GET';
  if (p === '/api/v1/auth/login') return json(200, { access_token: 'a1', token_type: 'Bearer', expires_in: 900, refresh_token: 'r1', user });
  if (p === '/api/v1/auth/logout') return new Response(null, { status: 204 });
  if (method === 'GET' && p === '/api/v1/meetings') return json(200, { meetings });
  if (method === 'GET' && p === '/api/v1/meetings/s1') return json(200, s1);
  if (method === 'POST') {
    const body = init?.body ? JSON.parse(String(init.body)) : null;
    if (p === '/api/v1/meetings' && refuse) return json(422, { status: 422, code: 'invalid_agenda_item', title: 'Unprocessable' });
    posts.push({ path: p, body });
    if (p === '/api/v1/meetings') return json(201, { ...base, id: 'new1', title: body.title, starts_at: body.starts_at, kind: 'written', state: 'draft' });
    return json(201, { id: `p${posts.length}`, state: 'draft' });
  }
  return json(404, { status: 404, code: 'not_found' });
}

const flush = async () => {
  for (let i = 0; i < 8; i++) await act(async () => await new Promise((r) => setTimeout(r, 0)));
};
const $ = <T extends Element>(sel: string) => root.querySelector(sel) as T | null;
const field = (name: string) => $<HTMLInputElement | HTMLTextAreaElement>(`[name="${name}"]`)!;

async function click(el: HTMLElement | null) {
  if (!el) throw new Error(`nothing to click in ${root.textContent}`);
  await act(async () => el.click());
  await flush();
}

async function select(name: string, value: string) {
  const s = $<HTMLSelectElement>(`select[name="${name}"]`)!;
  await act(() => {
    s.value = value;
    s.dispatchEvent(new Event('change', { bubbles: true }));
  });
  await flush();
}

async function type(name: string, value: string) {
  const input = field(name);
  await act(() => {
    input.value = value;
    input.dispatchEvent(new Event('input', { bubbles: true }));
  });
}

async function submit() {
  await act(async () => void $<HTMLFormElement>('form')!.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true })));
  await flush();
}

const submitButton = () => Array.from(root.querySelectorAll('button[type="submit"]'))[0] as HTMLButtonElement;

beforeEach(async () => {
  posts = [];
  refuse = false;
  vi.stubGlobal('fetch', vi.fn(server));
  setLocale('vi');
  await session.login('thuky', 'demo1234');
  root = document.createElement('div');
  document.body.appendChild(root);
});
afterEach(async () => {
  render(null, root);
  root.remove();
  await session.logout();
  vi.unstubAllGlobals();
});

describe('a consultation from an agenda item of a session', () => {
  it('picks a session, then an item with its documents; the title is offered; the POST names the item', async () => {
    await act(() => void render(<CreateWritten />, root));
    // From scratch by default: no picker, a question needed.
    expect($('[data-testid="item-picker"]')).toBeNull();
    expect(submitButton().disabled).toBe(true);
    await click($('input[name="source"][value="item"]'));
    const options = Array.from(root.querySelectorAll('select[name="from_meeting"] option')).map((o) => (o as HTMLOptionElement).value);
    // Sessions only, not cancelled, the most recent first.
    expect(options).toEqual(['', 's1', 's-old']);
    await select('from_meeting', 's1');
    const choices = Array.from(root.querySelectorAll('[data-testid="item-choice"]'));
    expect(choices.map((c) => c.textContent)).toEqual(['1. Báo cáo tình hình kinh tế1 tài liệu', '2. Tờ trình dự toán ngân sách xã năm 20272 tài liệu', '2.1. Dự toán thuKhông có tài liệu']);
    // No item chosen yet: nothing to create.
    expect(submitButton().disabled).toBe(true);
    await click($('input[name="from_item"][value="i2"]'));
    expect(field('title').value).toBe('Xin ý kiến về Tờ trình dự toán ngân sách xã năm 2027');
    expect(field('description').value).toContain('Theo nội dung 2');
    expect($('[data-testid="from-item-summary"]')?.textContent).toBe(
      'Phiếu xin ý kiến sẽ kèm bản sao 2 tài liệu của nội dung này và câu hỏi “Tờ trình dự toán ngân sách xã năm 2027”.',
    );
    expect($('[data-testid="from-item-question"]')?.textContent).toContain('Câu hỏi 1: Tờ trình dự toán ngân sách xã năm 2027');
    // The form's own question is an optional second one.
    expect(field('question_2').required).toBe(false);
    // The title stays editable.
    await type('title', 'Xin ý kiến thành viên về dự toán 2027');
    expect(submitButton().disabled).toBe(false);
    await submit();
    expect(posts).toHaveLength(1);
    expect(posts[0].path).toBe('/api/v1/meetings');
    expect(posts[0].body).toMatchObject({ title: 'Xin ý kiến thành viên về dự toán 2027', kind: 'written', from_agenda_item: 'i2' });
    expect(location.pathname + location.search).toBe('/meetings/new1?tab=console');
  });

  it('an extra question of the form’s own is added after the server’s', async () => {
    await act(() => void render(<CreateWritten />, root));
    await click($('input[name="source"][value="item"]'));
    await select('from_meeting', 's1');
    await click($('input[name="from_item"][value="i1"]'));
    await type('question_2', 'Thống nhất thời gian báo cáo');
    await submit();
    expect(posts.map((p) => [p.path, p.body.title])).toEqual([
      ['/api/v1/meetings', 'Xin ý kiến về Báo cáo tình hình kinh tế'],
      ['/api/v1/meetings/new1/polls', 'Thống nhất thời gian báo cáo'],
    ]);
    expect(posts[0].body.from_agenda_item).toBe('i1');
  });

  it('back to “Soạn mới”: no item sent, what the choice wrote is cleared', async () => {
    await act(() => void render(<CreateWritten />, root));
    await click($('input[name="source"][value="item"]'));
    await select('from_meeting', 's1');
    await click($('input[name="from_item"][value="i2"]'));
    await click($('input[name="source"][value="scratch"]'));
    expect(field('title').value).toBe('');
    expect($('[data-testid="from-item-question"]')).toBeNull();
    await type('title', 'Xin ý kiến về lịch tiếp dân');
    await type('question_1', 'Thống nhất lịch tiếp dân');
    await submit();
    expect(posts[0].body).not.toHaveProperty('from_agenda_item');
    expect(posts[1]).toEqual({ path: '/api/v1/meetings/new1/polls', body: { title: 'Thống nhất lịch tiếp dân' } });
  });

  it('the item named by the address is chosen; the server’s refusal is said in words', async () => {
    refuse = true;
    await act(() => void render(<CreateWritten fromMeeting="s1" fromItem="i2" />, root));
    await flush();
    expect(($('input[name="source"][value="item"]') as HTMLInputElement).checked).toBe(true);
    expect($<HTMLSelectElement>('select[name="from_meeting"]')!.value).toBe('s1');
    expect(($('input[name="from_item"][value="i2"]') as HTMLInputElement).checked).toBe(true);
    expect(field('title').value).toBe('Xin ý kiến về Tờ trình dự toán ngân sách xã năm 2027');
    await submit();
    expect(posts).toEqual([]);
    expect($('[data-testid="create-error"]')?.textContent).toBe(
      'Nội dung đã chọn không dùng được: không thuộc cuộc họp này, hoặc không phải nội dung của một phiên họp bạn được xem.',
    );
  });

  it('an item the session does not have is said so, and nothing is chosen', async () => {
    await act(() => void render(<CreateWritten fromMeeting="s1" fromItem="gone" />, root));
    await flush();
    expect($('[data-testid="from-item-missing"]')?.textContent).toBe('Không tìm thấy nội dung đã chọn trong chương trình phiên họp này.');
    expect(field('title').value).toBe('');
    expect(submitButton().disabled).toBe(true);
  });

  it('speaks English too', async () => {
    setLocale('en');
    await act(() => void render(<CreateWritten fromMeeting="s1" fromItem="i2" />, root));
    await flush();
    expect(root.textContent).toContain('From an agenda item of a session');
    expect($('[data-testid="from-item-summary"]')?.textContent).toBe(
      'The consultation will carry copies of this item’s 2 documents and the question “Tờ trình dự toán ngân sách xã năm 2027”.',
    );
    // The title is the record's text: Vietnamese, as the item's.
    expect(field('title').value).toBe('Xin ý kiến về Tờ trình dự toán ngân sách xã năm 2027');
  });
});
