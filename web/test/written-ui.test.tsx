// @vitest-environment happy-dom
// A question of a meeting held in writing as rendered (ui/WrittenMeeting.tsx) over the app's own
// session, with `fetch` answering as the server does: "Ý kiến khác" needs a comment before it can
// be sent; an answer given offline is queued, said so, and sent with the same idempotency key
// when the browser is back online; one that arrives after the poll closed is said not to count.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { session } from '../src/app';
import { setLocale } from '../src/i18n';
import { QuestionCard } from '../src/ui/WrittenMeeting';
import { useAnswers } from '../src/written/sync';
import type { MeetingView } from '../src/meeting/state';
import type { MeetingHandle } from '../src/meeting/useMeeting';
import type { User } from '../src/types';
import { poll } from './fixtures';

const user: User = { id: 'u1', username: 'uyvien1', display_name: 'Phạm Quốc Bảo', role: 'member' };
const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

let ballots: { body: any; key: string | null }[];
let mode: 'up' | 'down' | 'closed';
/** An answer given on another device, as `GET /polls/p1/my-ballot` reports it. */
let answersReads = 0;
let elsewhere: { choice: string; comment: string | null; cast_at: string } | null;
let root: HTMLElement;

async function server(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const p = new URL(String(input), 'http://127.0.0.1').pathname;
  if (p === '/api/v1/auth/login') return json(200, { access_token: 'a1', token_type: 'Bearer', expires_in: 900, refresh_token: 'r1', user });
  if (p === '/api/v1/polls/p1/ballots') {
    if (mode === 'down') throw new TypeError('Failed to fetch');
    if (mode === 'closed') return json(409, { status: 409, code: 'poll_not_open' });
    ballots.push({ body: JSON.parse(String(init?.body)), key: new Headers(init?.headers).get('Idempotency-Key') });
    return json(201, { poll_id: 'p1', receipt: `r${ballots.length}` });
  }
  if (p === '/api/v1/polls/p1/answers') {
    answersReads++;
    return json(200, {
      poll_id: 'p1',
      secret: false,
      answered: 1,
      answers: [
        { user_id: 'u2', display_name: 'Lê Thị Mai', answered: true, answered_at: '2026-12-08T02:05:00Z' },
        { user_id: 'u3', display_name: 'Trần Văn Nam', answered: false, answered_at: null },
      ],
    });
  }
  if (p === '/api/v1/polls/p1/my-ballot') {
    if (mode === 'down') throw new TypeError('Failed to fetch');
    const last = ballots.at(-1);
    if (last) return json(200, { poll_id: 'p1', voted: true, choice: last.body.choice, comment: last.body.comment ?? null, cast_at: new Date().toISOString() });
    if (elsewhere) return json(200, { poll_id: 'p1', voted: true, ...elsewhere });
    return json(200, { poll_id: 'p1', voted: false, choice: null, comment: null, cast_at: null });
  }
  return json(404, { status: 404, code: 'not_found' });
}

const view: MeetingView = {
  meeting: {
    id: 'm1',
    title: 'Xin ý kiến về Tờ trình số 12',
    description: null,
    location: null,
    starts_at: '2026-12-07T08:00:00Z',
    state: 'scheduled',
    watermark: null,
    speech_limit_secs: null,
    current_item_id: null,
    kind: 'written',
    deadline: new Date(Date.now() + 3600_000).toISOString(),
    silence: 'agree',
    last_seq: 1,
    created_by: 'sec',
    created_at: '2026-12-07T00:00:00Z',
    updated_at: '2026-12-07T00:00:00Z',
  },
  agenda: [],
  participants: [{ user_id: 'u1', username: 'uyvien1', display_name: 'Phạm Quốc Bảo', role: 'member', substitute_id: null, substitute_name: null, attendance: 'unknown', absence_reason: null, checked_in_at: null }],
  speakers: [],
  documents: [],
  polls: [poll('p1', { state: 'open', title: 'Thông qua tờ trình', options: ['agree', 'disagree', 'other'], allow_change: true, tally: { agree: 0, disagree: 0, other: 0 } })],
  lastSeq: 1,
};
const h = { act: vi.fn(), actionError: null, clearActionError: () => undefined } as unknown as MeetingHandle;

function Card() {
  const mine = useAnswers(user);
  return <QuestionCard h={h} view={view} user={user} poll={view.polls[0]} n={1} mine={mine} />;
}

const flush = async () => {
  for (let i = 0; i < 6; i++) await act(async () => await new Promise((r) => setTimeout(r, 0)));
};

function button(text: string, role?: string): HTMLButtonElement {
  const b = Array.from(root.querySelectorAll('button')).find((x) => x.textContent?.trim() === text && (!role || x.getAttribute('role') === role));
  if (!b) throw new Error(`no button "${text}" in ${root.textContent}`);
  return b as HTMLButtonElement;
}

async function type(name: string, value: string) {
  const input = root.querySelector(`textarea[name="${name}"]`) as HTMLTextAreaElement;
  await act(() => {
    input.value = value;
    input.dispatchEvent(new Event('input', { bubbles: true }));
  });
}

async function send() {
  const form = root.querySelector('form[data-testid="answer-form"]') as HTMLFormElement;
  await act(async () => void form.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true })));
  await flush();
}

beforeEach(async () => {
  localStorage.clear();
  ballots = [];
  elsewhere = null;
  mode = 'up';
  vi.stubGlobal('fetch', vi.fn(server));
  setLocale('vi');
  await session.login('uyvien1', 'demo1234');
  root = document.createElement('div');
  document.body.appendChild(root);
  await act(() => void render(<Card />, root));
});
afterEach(async () => {
  render(null, root);
  root.remove();
  await session.logout();
  vi.unstubAllGlobals();
});

describe('answering in writing', () => {
  it('“Ý kiến khác” needs a comment; the answer then shows, changeable', async () => {
    await act(async () => button('Ý kiến khác', 'radio').click());
    expect(root.querySelector('[data-testid="answer-problem"]')?.textContent).toBe('Chọn “Ý kiến khác” thì cần ghi rõ ý kiến.');
    expect(button('Gửi ý kiến').disabled).toBe(true);
    await type('comment', '  Đề nghị bổ sung dự toán.  ');
    expect(root.querySelector('[data-testid="counter-comment"]')?.textContent).toBe('24/2.000');
    expect(button('Gửi ý kiến').disabled).toBe(false);
    await send();
    expect(ballots).toHaveLength(1);
    expect(ballots[0].body).toEqual({ choice: 'other', comment: 'Đề nghị bổ sung dự toán.' });
    expect(ballots[0].key).toBeTruthy();
    const mine = root.querySelector('[data-testid="my-answer"]')!;
    expect(mine.getAttribute('data-state')).toBe('sent');
    expect(mine.textContent).toContain('Ý kiến khác');
    expect(mine.textContent).toContain('Đề nghị bổ sung dự toán.');
    // Changed: the form comes back with the current answer chosen.
    await act(async () => button('Sửa ý kiến').click());
    expect(button('Ý kiến khác', 'radio').getAttribute('aria-checked')).toBe('true');
    await act(async () => button('Đồng ý', 'radio').click());
    await send();
    expect(ballots[1].body).toEqual({ choice: 'agree', comment: 'Đề nghị bổ sung dự toán.' });
    expect(root.querySelector('[data-testid="my-answer"]')?.getAttribute('data-choice')).toBe('agree');
  });

  it('offline, the answer is kept and sent with the same key once back online', async () => {
    mode = 'down';
    await act(async () => button('Không đồng ý', 'radio').click());
    await send();
    expect(root.querySelector('[data-testid="answer-queued"]')?.textContent).toContain('Chưa có mạng');
    expect(root.querySelector('[data-testid="my-answer"]')?.getAttribute('data-state')).toBe('queued');
    const queued = JSON.parse(localStorage.getItem('ecabinet.written.outbox') ?? '[]');
    expect(queued.map((p: any) => [p.poll, p.choice])).toEqual([['p1', 'disagree']]);
    mode = 'up';
    await act(async () => void window.dispatchEvent(new Event('online')));
    await flush();
    expect(ballots).toEqual([{ body: { choice: 'disagree' }, key: queued[0].key }]);
    expect(root.querySelector('[data-testid="my-answer"]')?.getAttribute('data-state')).toBe('sent');
    expect(root.querySelector('[data-testid="answer-queued"]')).toBeNull();
  });

  it('an answer given on another device shows, from the server', async () => {
    render(null, root);
    elsewhere = { choice: 'disagree', comment: 'Gửi từ máy tính bảng khác.', cast_at: new Date(Date.now() - 60_000).toISOString() };
    await act(() => void render(<Card />, root));
    await flush();
    const mine = root.querySelector('[data-testid="my-answer"]')!;
    expect(mine.getAttribute('data-choice')).toBe('disagree');
    expect(mine.textContent).toContain('Gửi từ máy tính bảng khác.');
    expect(root.querySelector('[data-testid="answer-form"]')).toBeNull();
    expect(button('Sửa ý kiến')).toBeTruthy();
  });

  it('an answer that reaches a closed poll is said not to count', async () => {
    mode = 'down';
    await act(async () => button('Đồng ý', 'radio').click());
    await send();
    mode = 'closed';
    await act(async () => void window.dispatchEvent(new Event('online')));
    await flush();
    const late = root.querySelector('[data-testid="answer-late"]');
    expect(late?.textContent).toContain('KHÔNG được ghi nhận');
    expect(late?.textContent).toContain('Thông qua tờ trình');
    // Not shown as given any more: the form is back while the poll is open here.
    expect(root.querySelector('[data-testid="my-answer"]')).toBeNull();
    await act(async () => (late!.querySelector('button') as HTMLButtonElement).click());
    expect(root.querySelector('[data-testid="answer-late"]')).toBeNull();
  });
});

describe("the chair's view while open", () => {
  it('lists who has answered, with the time, and who has not yet; read again on a live count', async () => {
    render(null, root);
    answersReads = 0;
    const chairView: MeetingView = { ...view, participants: [{ ...view.participants[0], role: 'chair' }] };
    const Chair = ({ voted }: { voted: number }) => {
      const mine = useAnswers(user);
      const p = { ...chairView.polls[0], voted };
      return <QuestionCard h={h} view={{ ...chairView, polls: [p] }} user={user} poll={p} n={1} mine={mine} />;
    };
    await act(() => void render(<Chair voted={0} />, root));
    await flush();
    const answered = root.querySelector('[data-testid="answered-list"]')!;
    expect(answered.textContent).toContain('Đã trả lời (1)');
    expect(answered.textContent).toContain('Lê Thị Mai');
    expect(answered.querySelector('li')?.textContent).toMatch(/lúc 08\/12\/2026 \d\d:\d\d/);
    expect(root.querySelector('[data-testid="waiting-list"]')?.textContent).toContain('Trần Văn Nam');
    const before = answersReads;
    await act(() => void render(<Chair voted={1} />, root));
    await flush();
    expect(answersReads).toBe(before + 1);
  });
});
