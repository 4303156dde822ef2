// Meetings held in writing (xin ý kiến bằng văn bản): the list of consultations a user takes
// part in, those awaiting their answer first with the deadline counting down, and the
// secretary's first step of a new one (its details and questions, written from scratch or taken
// from an agenda item of a session, whose documents and question the server copies; participants
// and documents follow in its console, ui/WrittenMeeting.tsx, before it is sent).
import { useEffect, useState } from 'preact/hooks';
import { errorText, navigate, session, useLocale, useNow, useUser } from '../app';
import { fmtDateTime, t, type Key } from '../i18n';
import { LIMITS, overLimit } from '../limits';
import { answeredPolls, answersInWriting, countdown, isWritten, orderConsultations, standingOf, type Entry, type ServerBallot } from '../written/logic';
import { useAnswers, type AnswersState } from '../written/sync';
import { ApiError } from '../session';
import type { Meeting, MeetingDetail, Silence, User } from '../types';
import { createBody, hasQuestion, itemChoices, prefill, questionsToAdd, sessionChoices, type ItemChoice, type Prefilled } from '../written/fromItem';
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

export function CreateWritten({ fromMeeting = null, fromItem = null }: { fromMeeting?: string | null; fromItem?: string | null } = {}) {
  useLocale();
  const [form, setForm] = useState<Prefilled>({ title: '', description: '', auto: null });
  const [startsAt, setStartsAt] = useState(() => toLocalInput(new Date().toISOString()));
  const [deadline, setDeadline] = useState(() => defaultDeadline());
  const [silence, setSilence] = useState<Silence>('none');
  const [questions, setQuestions] = useState<string[]>(['']);
  const [error, setError] = useState<{ e: unknown } | null>(null);
  const [busy, setBusy] = useState(false);
  const source = useItemSource(fromMeeting, fromItem, (choice, from) => setForm((f) => prefill(f, choice, from)));
  const itemId = source.on ? (source.choice?.item.id ?? null) : null;
  const filled = questionsToAdd(questions);
  const bad =
    overLimit(form.title, LIMITS.title) ||
    overLimit(form.description, LIMITS.description) ||
    questions.some((q) => overLimit(q, LIMITS.title)) ||
    !hasQuestion(questions, itemId) ||
    (source.on && !itemId);
  async function submit(e: Event) {
    e.preventDefault();
    if (bad) return;
    setBusy(true);
    setError(null);
    try {
      const m = await session.request<Meeting>(
        'POST',
        '/meetings',
        createBody({ title: form.title, description: form.description, startsAt: fromLocalInput(startsAt), deadline: fromLocalInput(deadline), silence, fromItem: itemId }),
      );
      // The questions are the meeting's polls: agree / disagree / other by default (docs/polls.md);
      // prepared from an item, the server added the first one already.
      for (const q of filled) await session.request('POST', `/meetings/${encodeURIComponent(m.id)}/polls`, { title: q });
      navigate(`/meetings/${m.id}?tab=console`);
    } catch (err) {
      setError({ e: err });
      setBusy(false);
    }
  }
  // Prepared from an item, the form's own questions come after the server's.
  const first = itemId ? 2 : 1;
  return (
    <div class="page narrow">
      <p class="crumbs">
        <Link href={WRITTEN_PATH}>← {t('written.back')}</Link>
      </p>
      <form class="card form" onSubmit={submit} aria-labelledby="create-written-title">
        <h1 id="create-written-title">{t('written.create.title')}</h1>
        <ItemSourcePicker source={source} />
        <TextField label={t('meeting.title')} name="title" required max={LIMITS.title} value={form.title} onInput={(v) => setForm({ ...form, title: v })} />
        <TextField
          label={t('meeting.description')}
          name="description"
          rows={3}
          max={LIMITS.description}
          value={form.description}
          onInput={(v) => setForm({ ...form, description: v })}
        />
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
          {itemId && source.choice && (
            <p class="from-item-question" data-testid="from-item-question">
              <strong>{t('written.questionLabel', { n: 1 })}:</strong> {source.choice.item.title}{' '}
              <span class="muted small">{t('written.fromItem.questionNote')}</span>
            </p>
          )}
          {questions.map((q, i) => (
            <div class="question-row">
              <TextField
                label={t('written.questionLabel', { n: i + first })}
                name={`question_${i + first}`}
                required={i === 0 && !itemId}
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
          <p class="error" role="alert" data-testid="create-error">
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

// --- prepared from an agenda item of a session ---------------------------------------------------

interface ItemSource {
  /** The secretary chose "Lấy từ nội dung phiên họp". */
  on: boolean;
  setOn: (on: boolean) => void;
  /** The sessions offered (null while loading or before the choice is on). */
  sessions: Meeting[] | null;
  sessionId: string;
  chooseSession: (id: string) => void;
  /** The chosen session, read whole (its agenda and documents). */
  detail: MeetingDetail | null;
  items: ItemChoice[] | null;
  choice: ItemChoice | null;
  chooseItem: (c: ItemChoice) => void;
  /** The item the address named is not in that session's agenda. */
  missing: boolean;
  error: { e: unknown } | null;
}

/**
 * The choice of a session and one of its agenda items; `onChoice` is told each chosen item
 * (null: undone), to prefill the form. `fromMeeting`/`fromItem`: an item named by the address
 * (the link on a session's agenda), chosen once its session is read.
 */
function useItemSource(
  fromMeeting: string | null,
  fromItem: string | null,
  onChoice: (c: ItemChoice | null, from: Meeting | null) => void,
): ItemSource {
  const preset = fromMeeting && fromItem ? { meeting: fromMeeting, item: fromItem } : null;
  const [on, setOnState] = useState(preset !== null);
  const [sessions, setSessions] = useState<Meeting[] | null>(null);
  const [sessionId, setSessionId] = useState(preset?.meeting ?? '');
  const [detail, setDetail] = useState<MeetingDetail | null>(null);
  const [choice, setChoice] = useState<ItemChoice | null>(null);
  const [missing, setMissing] = useState(false);
  const [error, setError] = useState<{ e: unknown } | null>(null);
  const [wanted, setWanted] = useState(preset?.item ?? null);
  useEffect(() => {
    if (!on || sessions) return;
    let alive = true;
    session
      .request<{ meetings: Meeting[] }>('GET', '/meetings')
      .then((r) => alive && setSessions(sessionChoices(r.meetings)))
      .catch((e) => alive && setError({ e }));
    return () => {
      alive = false;
    };
  }, [on]);
  useEffect(() => {
    setDetail(null);
    if (!on || !sessionId) return;
    let alive = true;
    session
      .request<MeetingDetail>('GET', `/meetings/${encodeURIComponent(sessionId)}`)
      .then((d) => {
        if (!alive) return;
        setDetail(d);
        if (wanted) {
          const found = itemChoices(d).find((c) => c.item.id === wanted) ?? null;
          setWanted(null);
          setMissing(!found);
          if (found) choose(found, d);
        }
      })
      .catch((e) => alive && setError({ e }));
    return () => {
      alive = false;
    };
  }, [on, sessionId]);
  function choose(c: ItemChoice | null, from: Meeting | null) {
    setChoice(c);
    onChoice(c, from);
  }
  return {
    on,
    setOn(v) {
      setOnState(v);
      setError(null);
      if (!v) {
        setMissing(false);
        choose(null, null);
      }
    },
    sessions,
    sessionId,
    chooseSession(id) {
      setSessionId(id);
      setMissing(false);
      setError(null);
      if (choice) choose(null, null);
    },
    detail,
    items: detail ? itemChoices(detail) : null,
    choice,
    chooseItem: (c) => choose(c, detail),
    missing,
    error,
  };
}

function docCount(n: number): string {
  if (n === 0) return t('written.fromItem.docs.none');
  if (n === 1) return t('written.fromItem.docs.one');
  return t('written.fromItem.docs.many', { n });
}

function ItemSourcePicker({ source }: { source: ItemSource }) {
  const { on, sessions, detail, items, choice } = source;
  // A session named by the address stays offered even when the list leaves it out.
  const offered = sessions && detail && !sessions.some((m) => m.id === detail.id) ? [detail, ...sessions] : sessions;
  return (
    <fieldset class="item-source" data-testid="item-source">
      <legend>{t('written.source.label')}</legend>
      <div class="source-choice">
        <label class="radio">
          <input type="radio" name="source" value="scratch" checked={!on} onChange={() => source.setOn(false)} />
          <span>{t('written.source.scratch')}</span>
        </label>
        <label class="radio">
          <input type="radio" name="source" value="item" checked={on} onChange={() => source.setOn(true)} />
          <span>{t('written.source.item')}</span>
        </label>
      </div>
      {on && (
        <div class="item-picker" data-testid="item-picker">
          {source.error && (
            <p class="error" role="alert">
              {errorText(source.error.e)}
            </p>
          )}
          {!offered && !source.error && <p class="muted">{t('common.loading')}</p>}
          {offered && offered.length === 0 && <p class="muted">{t('written.fromItem.noSessions')}</p>}
          {offered && offered.length > 0 && (
            <label class="field">
              <span>{t('written.fromItem.session')}</span>
              <select name="from_meeting" value={source.sessionId} onChange={(e) => source.chooseSession(e.currentTarget.value)}>
                <option value="">{t('written.fromItem.chooseSession')}</option>
                {offered.map((m) => (
                  <option value={m.id}>
                    {m.title} · {fmtDateTime(m.starts_at)}
                  </option>
                ))}
              </select>
            </label>
          )}
          {source.sessionId && !detail && !source.error && <p class="muted">{t('common.loading')}</p>}
          {source.missing && (
            <p class="error" role="alert" data-testid="from-item-missing">
              {t('written.fromItem.notFound')}
            </p>
          )}
          {items && items.length === 0 && <p class="muted">{t('written.fromItem.noItems')}</p>}
          {items && items.length > 0 && (
            <fieldset class="item-choices">
              <legend>{t('written.fromItem.items')}</legend>
              {items.map((c) => (
                <label class="radio item-choice" style={{ paddingLeft: `${c.depth * 1.5}rem` }} data-testid="item-choice" data-docs={c.docs}>
                  <input type="radio" name="from_item" value={c.item.id} checked={choice?.item.id === c.item.id} onChange={() => source.chooseItem(c)} />
                  <span class="item-choice-text">
                    <span>
                      {c.number}. {c.item.title}
                    </span>
                    <span class="muted small" data-testid="item-docs">
                      {docCount(c.docs)}
                    </span>
                  </span>
                </label>
              ))}
            </fieldset>
          )}
          {choice && (
            <p class="hint" role="status" data-testid="from-item-summary">
              {choice.docs > 0 ? t('written.fromItem.chosen', { docs: docCount(choice.docs), title: choice.item.title }) : t('written.fromItem.chosenNoDocs', { title: choice.item.title })}
            </p>
          )}
        </div>
      )}
    </fieldset>
  );
}
