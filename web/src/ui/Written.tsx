// Meetings held in writing (xin ý kiến bằng văn bản): the list of consultations a user takes
// part in, those awaiting their answer first with the deadline counting down, and the
// secretary's first step of a new one (its details and questions; participants and documents
// follow in its console, ui/WrittenMeeting.tsx, before it is sent).
import { useEffect, useState } from 'preact/hooks';
import { errorText, navigate, session, useLocale, useNow, useUser } from '../app';
import { fmtDateTime, t, type Key } from '../i18n';
import { LIMITS, overLimit } from '../limits';
import { answeredPolls, answersInWriting, countdown, isWritten, orderConsultations, standingOf, type Entry, type ServerBallot } from '../written/logic';
import { useAnswers, type AnswersState } from '../written/sync';
import { ApiError } from '../session';
import type { Meeting, MeetingDetail, Silence, User } from '../types';
import { Link } from './App';
import { fromLocalInput, TextField, toLocalInput } from './bits';

export const WRITTEN_PATH = '/written';

/** How often the list looks again (the deadlines, answers given on another device). */
const REFRESH_MS = 15_000;

interface Loaded {
  meetings: Meeting[];
  /** Open consultations looked into: their polls and participants. */
  details: Map<string, MeetingDetail>;
  /** Open polls the server says the user has answered (on any device: `GET /polls/{id}/my-ballot`). */
  answered: Set<string>;
}

/**
 * The written meetings the user sees, each with where the user stands, in the list's order;
 * read again every `REFRESH_MS`. Open ones are read whole (their polls and participants).
 */
export function useConsultations(user: User, mine: AnswersState, now: number) {
  const [data, setData] = useState<Loaded | null>(null);
  const [error, setError] = useState<{ e: unknown } | null>(null);
  useEffect(() => {
    let alive = true;
    const load = async () => {
      try {
        const r = await session.request<{ meetings: Meeting[] }>('GET', '/meetings');
        const written = r.meetings.filter(isWritten);
        // Only an open consultation can be waiting for an answer: look into those.
        const open = written.filter((m) => m.state === 'scheduled');
        const details = new Map<string, MeetingDetail>();
        const answered = new Set<string>();
        await Promise.all(
          open.map(async (m) => {
            const d = await session.request<MeetingDetail>('GET', `/meetings/${encodeURIComponent(m.id)}`).catch(() => null);
            if (!d) return;
            details.set(m.id, d);
            if (!answersInWriting(d.participants, user.id, d.chair_votes !== false)) return;
            // An answer given on another device counts too; one that cannot be asked about is left to the tablet's memory.
            await Promise.all(
              d.polls
                .filter((p) => p.state === 'open')
                .map(async (p) => {
                  const b = await session.request<ServerBallot>('GET', `/polls/${encodeURIComponent(p.id)}/my-ballot`).catch(() => null);
                  if (b?.voted) answered.add(p.id);
                }),
            );
          }),
        );
        if (alive) {
          setData({ meetings: written, details, answered });
          setError(null);
        }
      } catch (e) {
        if (alive) setError({ e });
      }
    };
    void load();
    const id = setInterval(load, REFRESH_MS);
    return () => {
      alive = false;
      clearInterval(id);
    };
  }, []);
  const answered = new Set([...answeredPolls(user, mine.answers), ...(data?.answered ?? [])]);
  const voters = new Set<string>();
  const queued = new Set<string>();
  const entries: Entry[] = (data?.meetings ?? []).map((m) => {
    const d = data?.details.get(m.id);
    const voter = d ? answersInWriting(d.participants, user.id, d.chair_votes !== false) : false;
    if (voter) voters.add(m.id);
    if (d?.polls.some((p) => mine.answers[`${user.id}/${p.id}`]?.state === 'queued')) queued.add(m.id);
    return { meeting: m, standing: standingOf(m, d?.polls ?? null, voter, answered, now) };
  });
  return { loaded: data !== null, error, ordered: orderConsultations(entries), voters, queued };
}

export function Consultations() {
  useLocale();
  const user = useUser()!;
  const now = useNow(1000);
  const mine = useAnswers(user);
  const { loaded, error, ordered, voters, queued } = useConsultations(user, mine, now);
  const mayCreate = user.role === 'admin' || user.role === 'secretary';
  return (
    <div class="page written-list">
      <div class="page-head">
        <h1>{t('written.list.title')}</h1>
        {mayCreate && (
          <Link href={`${WRITTEN_PATH}/new`} class="btn primary">
            {t('written.list.create')}
          </Link>
        )}
      </div>
      <AnswerNotices mine={mine} />
      {error && (
        <p class="error" role="alert">
          {errorText(error.e)}
        </p>
      )}
      {!loaded && !error && <p class="muted">{t('common.loading')}</p>}
      {loaded && ordered.length === 0 && <p class="muted">{t('written.list.empty')}</p>}
      {ordered.length > 0 && (
        <ul class="meeting-cards written-cards" data-testid="written-list">
          {ordered.map((e) => (
            <li>
              <ConsultationCard e={e} now={now} voter={voters.has(e.meeting.id)} queued={queued.has(e.meeting.id)} />
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function ConsultationCard({ e, now, voter, queued }: { e: Entry; now: number; voter: boolean; queued: boolean }) {
  const m = e.meeting;
  const left = m.deadline && m.state === 'scheduled' ? countdown(m.deadline, now) : null;
  // Someone who follows without answering (the secretary, a chair without a vote) sees it open.
  const standingKey: Key = e.standing === 'answered' && !voter ? 'written.standing.open' : (`written.standing.${e.standing}` as Key);
  return (
    <Link href={`/meetings/${m.id}`} class={`card meeting-card written-card standing-${e.standing}`}>
      <span class="meeting-card-title" data-testid="written-title">
        {m.title}
      </span>
      <span class="meeting-card-meta">
        {m.deadline && <span>{t('written.deadline', { when: fmtDateTime(m.deadline) })}</span>}
        {left && (
          <span class={`countdown-text ${left.soon ? 'soon' : ''}`} role="timer" data-testid="written-countdown">
            {' · '}
            {t(left.key, left.params)}
          </span>
        )}
      </span>
      <span class={`badge standing standing-${e.standing}`} data-testid="written-standing" data-standing={e.standing}>
        {t(standingKey)}
      </span>
      {queued && (
        <span class="badge queued" data-testid="written-queued">
          {t('written.queuedShort')}
        </span>
      )}
    </Link>
  );
}

/** On the meeting list: how many consultations wait for the user's answer, one tap from them. */
export function AwaitingConsultations() {
  const user = useUser()!;
  const now = useNow(30_000);
  const mine = useAnswers(user);
  const { ordered } = useConsultations(user, mine, now);
  const n = ordered.filter((e) => e.standing === 'awaiting').length;
  if (!n && !mine.late.length) return null;
  return (
    <p class="hint" role="status" data-testid="written-awaiting">
      {n > 0 && <span>{t('written.awaitingCount', { n })} </span>}
      {mine.late.length > 0 && <span>{t('written.lateCount', { n: mine.late.length })} </span>}
      <Link href={WRITTEN_PATH}>{t('written.list.open')}</Link>
    </p>
  );
}

/** Answers given offline that reached the server too late (or were refused): said until read. */
export function AnswerNotices({ mine, poll }: { mine: AnswersState; poll?: string }) {
  const late = mine.late.filter((p) => !poll || p.poll === poll);
  const refused = mine.refused.filter((o) => !poll || o.p.poll === poll);
  if (!late.length && !refused.length) return null;
  return (
    <div class="written-notices">
      {late.map((p) => (
        <div class="error notice-late" role="alert" data-testid="answer-late">
          <span>{t('written.late', { time: fmtDateTime(p.at), title: p.title || t('poll.untitled') })}</span>
          <button type="button" class="btn ghost small" onClick={() => mine.dismissLate(p.poll)}>
            {t('common.dismiss')}
          </button>
        </div>
      ))}
      {refused.map((o) => (
        <div class="error" role="alert" data-testid="answer-refused">
          <span>
            {t('written.refused', { title: o.p.title || t('poll.untitled') })} {o.kind === 'refused' ? errorText(new ApiError(422, o.code)) : ''}
          </span>
          <button type="button" class="btn ghost small" onClick={() => mine.dismissRefused(o.p.poll)}>
            {t('common.dismiss')}
          </button>
        </div>
      ))}
    </div>
  );
}

// --- a new consultation ------------------------------------------------------------------------

/** The deadline offered: three days from now at 17:00. */
function defaultDeadline(now = new Date()): string {
  const d = new Date(now.getTime() + 3 * 24 * 3600 * 1000);
  d.setHours(17, 0, 0, 0);
  return toLocalInput(d.toISOString());
}

export function CreateWritten() {
  useLocale();
  const [title, setTitle] = useState('');
  const [description, setDescription] = useState('');
  const [startsAt, setStartsAt] = useState(() => toLocalInput(new Date().toISOString()));
  const [deadline, setDeadline] = useState(() => defaultDeadline());
  const [silence, setSilence] = useState<Silence>('none');
  const [questions, setQuestions] = useState<string[]>(['']);
  const [error, setError] = useState<{ e: unknown } | null>(null);
  const [busy, setBusy] = useState(false);
  const filled = questions.map((q) => q.trim()).filter(Boolean);
  const bad =
    overLimit(title, LIMITS.title) || overLimit(description, LIMITS.description) || questions.some((q) => overLimit(q, LIMITS.title)) || filled.length === 0;
  async function submit(e: Event) {
    e.preventDefault();
    if (bad) return;
    setBusy(true);
    setError(null);
    try {
      const m = await session.request<Meeting>('POST', '/meetings', {
        title: title.trim(),
        description: description.trim() || undefined,
        starts_at: fromLocalInput(startsAt),
        kind: 'written',
        deadline: fromLocalInput(deadline),
        silence,
      });
      // The questions are the meeting's polls: agree / disagree / other by default (docs/polls.md).
      for (const q of filled) await session.request('POST', `/meetings/${encodeURIComponent(m.id)}/polls`, { title: q });
      navigate(`/meetings/${m.id}?tab=console`);
    } catch (err) {
      setError({ e: err });
      setBusy(false);
    }
  }
  return (
    <div class="page narrow">
      <p>
        <Link href={WRITTEN_PATH}>← {t('written.back')}</Link>
      </p>
      <form class="card form" onSubmit={submit} aria-labelledby="create-written-title">
        <h1 id="create-written-title">{t('written.create.title')}</h1>
        <TextField label={t('meeting.title')} name="title" required max={LIMITS.title} value={title} onInput={setTitle} />
        <TextField label={t('meeting.description')} name="description" rows={3} max={LIMITS.description} value={description} onInput={setDescription} />
        <div class="row2">
          <label class="field">
            <span>{t('written.startsAt')}</span>
            <input name="starts_at" type="datetime-local" step="1" required value={startsAt} onInput={(e) => setStartsAt(e.currentTarget.value)} />
          </label>
          <label class="field">
            <span>{t('written.deadlineLabel')}</span>
            <input name="deadline" type="datetime-local" step="1" required value={deadline} onInput={(e) => setDeadline(e.currentTarget.value)} />
          </label>
        </div>
        <label class="field">
          <span>{t('written.silenceLabel')}</span>
          <select name="silence" value={silence} onChange={(e) => setSilence(e.currentTarget.value as Silence)}>
            <option value="none">{t('written.silence.none')}</option>
            <option value="agree">{t('written.silence.agree')}</option>
          </select>
        </label>
        <fieldset class="questions">
          <legend>{t('written.questions')}</legend>
          {questions.map((q, i) => (
            <div class="question-row">
              <TextField
                label={t('written.questionLabel', { n: i + 1 })}
                name={`question_${i + 1}`}
                required={i === 0}
                max={LIMITS.title}
                value={q}
                onInput={(v) => setQuestions(questions.map((x, j) => (j === i ? v : x)))}
              />
              {questions.length > 1 && (
                <button type="button" class="btn small" onClick={() => setQuestions(questions.filter((_, j) => j !== i))}>
                  {t('written.removeQuestion')}
                </button>
              )}
            </div>
          ))}
          <button type="button" class="btn" onClick={() => setQuestions([...questions, ''])}>
            {t('written.addQuestion')}
          </button>
          <p class="muted small">{t('written.create.options')}</p>
        </fieldset>
        <p class="hint" role="note">
          {t('written.create.hint')}
        </p>
        {error && (
          <p class="error" role="alert">
            {errorText(error.e)}
          </p>
        )}
        <div class="actions">
          <button type="submit" class="btn primary" disabled={busy || bad}>
            {t('written.create.submit')}
          </button>
        </div>
      </form>
    </div>
  );
}
