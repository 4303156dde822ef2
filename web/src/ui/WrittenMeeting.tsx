// A meeting held in writing on screen: its questions with the answer form (Đồng ý / Không đồng
// ý / Ý kiến khác, a comment required with the last), the member's current answer, changeable
// until the deadline; the dossier's documents in the reader; for the chair and the secretary
// how many have answered, the live counts and "close now"; once closed, the result with those
// deemed to agree and each member's answer; the record, the báo cáo tổng hợp ý kiến, in the
// session's minutes panel (preview, finalise, the final document and its signing). Its
// managers prepare it in a console (details, questions, documents, participants) and send it.
import { useEffect, useState } from 'preact/hooks';
import { errorText, navigate, session, setHeaderRole, useNow } from '../app';
import { fmtDateTime, fmtNumber, fmtTime, t, tag } from '../i18n';
import { LIMITS, overLimit } from '../limits';
import { canManage, canPreside, isFinal, myParticipant, type MeetingView } from '../meeting/state';
import type { MeetingHandle } from '../meeting/useMeeting';
import { ApiError } from '../session';
import type { MeetingState, Poll, Silence, User } from '../types';
import { answersInWriting, COMMENT_MAX, countdown, mergeAnswer, myAnswer, splitAnswers, validateAnswer, writtenResult, writtenVoters, type MyAnswer } from '../written/logic';
import { submitAnswer, useAnswers, useMyBallot, usePollAnswers, type AnswersState } from '../written/sync';
import { fmtSignedAt } from '../signatures/model';
import { Link } from './App';
import { isRecordDoc } from '../minutes/model';
import { useMinutes } from '../minutes/useMinutes';
import { ActionError, ConfirmButton, fromLocalInput, TextField, toLocalInput } from './bits';
import { ParticipantsEditor } from './Console';
import { DocList, DocumentsEditor, useOfflineIds, useReaderHost } from './Documents';
import { ConnectionBanner } from './MeetingScreen';
import { MinutesPanel } from './Minutes';
import { AnswerNotices, WRITTEN_PATH } from './Written';

interface Props {
  h: MeetingHandle;
  view: MeetingView;
  user: User;
}

type Tab = 'meeting' | 'console';

/** An answer's words: the three defaults translated, anything else as the poll lists it. */
export function answerLabel(option: string): string {
  return option === 'agree' || option === 'disagree' || option === 'other' ? t(`written.answer.${option}`) : option;
}

const tone = (option: string) => (option === 'agree' ? 'yes' : option === 'disagree' ? 'no' : 'other');

export function WrittenBody({ h, view, user, tab, setTab }: Props & { tab: Tab; setTab: (t: Tab) => void }) {
  const manage = canManage(view, user);
  const m = view.meeting;
  const mine = useAnswers(user);
  const host = useReaderHost(h, view, user, tab === 'meeting' || !manage);
  const record = useMinutes(h, view, user);
  const me = myParticipant(view, user);
  const role = me && me.user_id === user.id ? me.role : null;
  useEffect(() => {
    setHeaderRole(role);
    return () => setHeaderRole(null);
  }, [role]);
  return (
    <div class="page meeting written">
      {host.element}
      <ConnectionBanner status={h.status} />
      <div class="meeting-head">
        <div class="meeting-head-main">
          <p class="crumbs">
            <Link href={WRITTEN_PATH}>← {t('nav.written')}</Link>
          </p>
          <h1 data-testid="meeting-title">{m.title}</h1>
          <p class="meeting-meta">
            <WrittenBadge state={m.state} />
            <span>{t('written.kind')}</span>
          </p>
          <Deadline view={view} />
          <p class="muted small" data-testid="written-silence">
            {t(m.silence === 'agree' ? 'written.silence.agree' : 'written.silence.none')}
          </p>
          {m.description && <p class="muted description">{m.description}</p>}
        </div>
        <WrittenControls h={h} view={view} user={user} />
      </div>
      {h.actionError && h.actionError.where === null && (
        <div class="error toast" role="alert">
          <span>{errorText(h.actionError.e)}</span>
          <button type="button" class="btn ghost" onClick={h.clearActionError}>
            {t('common.dismiss')}
          </button>
        </div>
      )}
      {manage && (
        <div class="tabs" role="tablist" aria-label={t('meeting.views')}>
          <button type="button" role="tab" id="tab-meeting" aria-selected={tab === 'meeting'} aria-controls="panel-meeting" class={`tab ${tab === 'meeting' ? 'on' : ''}`} onClick={() => setTab('meeting')}>
            {t('written.tab.answers')}
          </button>
          <button type="button" role="tab" id="tab-console" aria-selected={tab === 'console'} aria-controls="panel-console" class={`tab ${tab === 'console' ? 'on' : ''}`} onClick={() => setTab('console')}>
            {t('written.tab.console')}
          </button>
        </div>
      )}
      {tab === 'console' && manage ? (
        <div id="panel-console" role="tabpanel" aria-labelledby="tab-console" class="console">
          <WrittenDetails h={h} view={view} />
          <QuestionsEditor h={h} view={view} />
          <DocumentsEditor h={h} view={view} />
          <ParticipantsEditor h={h} view={view} user={user} />
        </div>
      ) : (
        <div id="panel-meeting" role={manage ? 'tabpanel' : undefined} aria-labelledby={manage ? 'tab-meeting' : undefined} class="meeting-grid">
          <div class="main-col">
            <AnswerNotices mine={mine} />
            <section class="card panel written-questions" aria-labelledby="questions-h">
              <h2 id="questions-h">{t('written.questions')}</h2>
              <Questions h={h} view={view} user={user} mine={mine} />
            </section>
          </div>
          <div class="side">
            <MinutesPanel h={h} view={view} user={user} host={host} m={record} />
            <section class="card panel agenda" aria-labelledby="dossier-h">
              <h2 id="dossier-h">{t('written.docs')}</h2>
              <Dossier view={view} onOpen={(d) => host.openByUser(d)} />
            </section>
          </div>
        </div>
      )}
    </div>
  );
}

/** The documents sent with the questions; the finalised summary has its own place (the record panel). */
function Dossier({ view, onOpen }: { view: MeetingView; onOpen: (d: MeetingView['documents'][number]) => void }) {
  const docs = view.documents.filter((d) => !isRecordDoc(d));
  const offline = useOfflineIds(docs);
  if (!docs.length) return <p class="muted">{t('written.docsNone')}</p>;
  return <DocList docs={docs} offline={offline} onOpen={onOpen} />;
}

function WrittenBadge({ state }: { state: MeetingState }) {
  return (
    <span class={`badge state-${state === 'scheduled' ? 'live' : state}`} data-testid="written-state" data-state={state}>
      {t(`written.state.${state}`)}
    </span>
  );
}

/** "Hạn trả lời: …" and the time left, counting down to the second in the last hour. */
function Deadline({ view }: { view: MeetingView }) {
  const now = useNow(1000);
  const m = view.meeting;
  if (!m.deadline) return null;
  const left = m.state === 'scheduled' ? countdown(m.deadline, now) : null;
  return (
    <p class="written-deadline" data-testid="written-deadline">
      <span>{t('written.deadline', { when: fmtDateTime(m.deadline) })}</span>
      {left && (
        <span class={`countdown ${left.over ? 'over' : left.soon ? 'soon' : ''}`} role="timer" data-testid="written-countdown">
          {t(left.key, left.params)}
        </span>
      )}
    </p>
  );
}

/** Send (managers, a draft), delete a draft, close now (the chair and managers, while open). */
function WrittenControls({ h, view, user }: Props) {
  const m = view.meeting;
  const manage = canManage(view, user);
  const preside = canPreside(view, user);
  const [deleteError, setDeleteError] = useState<string | null>(null);
  const voters = writtenVoters(view.participants, m.chair_votes !== false).length;
  const buttons = [];
  if (m.state === 'draft' && manage) {
    const missing = view.polls.length === 0 ? 'written.sendHint.noQuestions' : voters === 0 ? 'written.sendHint.noVoters' : null;
    buttons.push(
      missing ? (
        <p class="hint" role="note" data-testid="send-hint">
          {t(missing)}
        </p>
      ) : (
        <ConfirmButton class="btn primary" label={t('written.sendAction')} confirm={t('written.sendConfirm')} onConfirm={() => void send(h, view)} />
      ),
      <ConfirmButton
        class="btn danger"
        label={t('written.delete')}
        confirm={t('state.action.deleteConfirm')}
        onConfirm={async () => {
          try {
            await session.request('DELETE', `/meetings/${encodeURIComponent(m.id)}`);
            navigate(WRITTEN_PATH);
          } catch (e) {
            setDeleteError(errorText(e));
          }
        }}
      />,
    );
  }
  if (m.state === 'scheduled' && preside)
    buttons.push(
      <ConfirmButton
        class="btn danger"
        label={t('written.closeNow')}
        confirm={t('written.closeConfirm')}
        onConfirm={() => void h.act('POST', `/meetings/${m.id}/state`, { state: 'closed' }, { where: 'state' })}
      />,
    );
  if (!buttons.length) return null;
  return (
    <div class="state-controls" role="group" aria-label={t('state.controls')}>
      {buttons}
      <ActionError h={h} where="state" />
      {deleteError && (
        <p class="error" role="alert">
          {deleteError}
        </p>
      )}
    </div>
  );
}

/**
 * "Gửi": the meeting is sent (scheduled); the server opens its questions in the same step.
 */
async function send(h: MeetingHandle, view: MeetingView) {
  await h.act('POST', `/meetings/${view.meeting.id}/state`, { state: 'scheduled' }, { where: 'state' });
}

function Questions({ h, view, user, mine }: Props & { mine: AnswersState }) {
  const manage = canManage(view, user);
  const polls = view.polls.filter((p) => manage || p.state !== 'draft');
  if (!polls.length) return <p class="muted">{t('written.noQuestions')}</p>;
  return (
    <>
      {polls.map((p, i) => (
        <QuestionCard key={p.id} h={h} view={view} user={user} poll={p} n={i + 1} mine={mine} />
      ))}
    </>
  );
}

export function QuestionCard({ h, view, user, poll: p, n, mine }: Props & { poll: Poll; n: number; mine: AnswersState }) {
  const now = useNow(1000);
  const m = view.meeting;
  const voter = answersInWriting(view.participants, user.id, m.chair_votes !== false);
  const preside = canPreside(view, user);
  const over = !!m.deadline && Date.parse(m.deadline) <= now;
  const open = p.state === 'open' && m.state === 'scheduled' && !over;
  const local = myAnswer(p, user.id, mine.answers);
  // While open the server's word (an answer given on another device shows), else what the tablet remembers.
  const server = useMyBallot(p.id, open && voter, `${local?.state ?? ''}/${local?.at ?? ''}`);
  const answer = open ? mergeAnswer(server, local) : local;
  const [changing, setChanging] = useState(false);
  useEffect(() => {
    if (!open) setChanging(false);
  }, [open]);
  const showForm = open && voter && (!answer || changing);
  return (
    <article class={`poll written-question poll-${p.state}`} data-testid="question" data-poll={p.id} data-state={p.state} aria-labelledby={`q-${p.id}`}>
      <h3 id={`q-${p.id}`}>
        <span class="muted small">{t('written.questionLabel', { n })}</span> {p.title ?? t('poll.untitled')}
      </h3>
      <AnswerNotices mine={mine} poll={p.id} />
      {p.state === 'draft' && m.state === 'draft' && (
        <p class="muted small" data-testid="question-options">
          {t('poll.optionsAre', { list: (p.options ?? []).map(answerLabel).join(' · ') })}
        </p>
      )}
      {p.state === 'draft' && m.state === 'scheduled' && preside && (
        <div class="actions">
          <button type="button" class="btn primary" onClick={() => void h.act('POST', `/polls/${encodeURIComponent(p.id)}/open`, undefined, { where: `open-${p.id}` })}>
            {t('written.openPoll')}
          </button>
          <ActionError h={h} where={`open-${p.id}`} />
        </div>
      )}
      {answer && !showForm && <CurrentAnswer answer={answer} />}
      {answer && !showForm && open && voter && p.allow_change !== false && (
        <button type="button" class="btn" onClick={() => setChanging(true)}>
          {t('written.change')}
        </button>
      )}
      {showForm && (
        <AnswerForm
          user={user}
          view={view}
          poll={p}
          initial={answer}
          onDone={() => setChanging(false)}
          onCancel={answer ? () => setChanging(false) : undefined}
        />
      )}
      {p.state === 'open' && !voter && !preside && <p class="muted small">{t('written.notAVoter')}</p>}
      {p.state === 'open' && preside && <Progress poll={p} />}
      {p.state === 'closed' && <Result view={view} poll={p} user={user} />}
    </article>
  );
}

function CurrentAnswer({ answer }: { answer: MyAnswer }) {
  return (
    <div class={`ok receipt written-answer ${answer.state}`} role="status" data-testid="my-answer" data-choice={answer.choice ?? ''} data-state={answer.state}>
      {answer.choice === null ? (
        <p>{t('written.answeredSecret')}</p>
      ) : (
        <p>
          {answer.at ? t('written.yourAnswerAt', { time: fmtTime(answer.at) }) : t('written.yourAnswer')}: <strong>{answerLabel(answer.choice)}</strong>
        </p>
      )}
      {answer.comment && <blockquote class="written-comment">{answer.comment}</blockquote>}
      {answer.state === 'queued' && (
        <p class="hint warn" data-testid="answer-queued">
          {t('written.queued')}
        </p>
      )}
    </div>
  );
}

function AnswerForm({ user, view, poll: p, initial, onDone, onCancel }: { user: User; view: MeetingView; poll: Poll; initial: MyAnswer | null; onDone: () => void; onCancel?: () => void }) {
  const options = p.options?.length ? p.options : ['agree', 'disagree', 'other'];
  // A secret poll's ballot carries no comment (it would tell who answered), so no "other" either.
  const shown = p.secret ? options.filter((o) => o !== 'other') : options;
  const [choice, setChoice] = useState<string | null>(initial?.choice ?? null);
  const [comment, setComment] = useState(initial?.comment ?? '');
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<{ e: unknown } | null>(null);
  const problem = validateAnswer(choice, comment, !!p.secret);
  async function submit(e: Event) {
    e.preventDefault();
    if (problem || !choice) return;
    setBusy(true);
    setErr(null);
    try {
      await submitAnswer(user, view.meeting, p, choice, p.secret ? '' : comment);
      onDone();
    } catch (x) {
      setErr({ e: x });
    } finally {
      setBusy(false);
    }
  }
  const late = err?.e instanceof ApiError && (err.e.code === 'poll_not_open' || err.e.code === 'poll_closed');
  return (
    <form class="written-form" onSubmit={submit} aria-label={t('written.yourAnswer')} data-testid="answer-form">
      <div class="vote-buttons" role="radiogroup" aria-label={t('written.yourAnswer')}>
        {shown.map((o) => (
          <button type="button" role="radio" aria-checked={choice === o} class={`btn vote vote-${tone(o)} ${choice === o ? 'on' : ''}`} onClick={() => setChoice(o)}>
            {answerLabel(o)}
          </button>
        ))}
      </div>
      {!p.secret && (
        <TextField label={t('written.comment')} name="comment" rows={4} max={COMMENT_MAX} required={choice === 'other'} value={comment} onInput={setComment}>
          <span class="muted small">{t('written.commentHint')}</span>
        </TextField>
      )}
      {choice && problem && (
        <p class="hint warn" role="note" data-testid="answer-problem">
          {t(problem)}
        </p>
      )}
      {err && (
        <p class="error" role="alert" data-testid="answer-error">
          {late ? t('written.tooLate') : errorText(err.e)}
        </p>
      )}
      <div class="actions">
        <button type="submit" class="btn primary" disabled={busy || !!problem}>
          {t('written.send')}
        </button>
        {onCancel && (
          <button type="button" class="btn" onClick={onCancel}>
            {t('common.cancel')}
          </button>
        )}
      </div>
    </form>
  );
}

/**
 * While open, for the chair and the secretary: how many answered, the counts (named polls), and
 * who has answered and who not yet, read again on each live count of the poll.
 */
function Progress({ poll: p }: { poll: Poll }) {
  const total = p.members ?? p.eligible;
  const list = usePollAnswers(p.id, p.state === 'open', `${p.voted}/${JSON.stringify(p.tally ?? null)}`);
  return (
    <div class="written-progress" data-testid="written-progress">
      <h4>{t('written.progress')}</h4>
      <p data-testid="answered-count">{t('written.answeredOf', { n: p.voted, total })}</p>
      {p.tally && (
        <ul class="tally-rows">
          {(p.options ?? Object.keys(p.tally)).map((o) => (
            <li class="tally-row" data-testid="tally-row" data-option={o}>
              <span class="tally-label">{answerLabel(o)}</span>
              <span class="tally-count" data-testid="tally-count">
                {fmtNumber(p.tally?.[o] ?? 0)}
              </span>
            </li>
          ))}
        </ul>
      )}
      {list && <WhoAnswered list={list} />}
      <p class="muted small">{t(p.secret ? 'poll.secretHidden' : 'written.whoLater')}</p>
    </div>
  );
}

function WhoAnswered({ list }: { list: NonNullable<ReturnType<typeof usePollAnswers>> }) {
  const { answered, waiting } = splitAnswers(list, tag());
  return (
    <div class="written-who row2">
      <div data-testid="answered-list">
        <h5>{t('written.answeredList', { n: answered.length })}</h5>
        {answered.length ? (
          <ul>
            {answered.map((a) => (
              <li data-user={a.user_id}>
                {a.display_name}
                {a.answered_at && <span class="muted small"> · {t('written.at', { time: fmtSignedAt(a.answered_at) })}</span>}
              </li>
            ))}
          </ul>
        ) : (
          <p class="muted small">{t('written.nobody')}</p>
        )}
      </div>
      <div data-testid="waiting-list">
        <h5>{t('written.waitingList', { n: waiting.length })}</h5>
        {waiting.length ? (
          <ul>
            {waiting.map((a) => (
              <li data-user={a.user_id}>{a.display_name}</li>
            ))}
          </ul>
        ) : (
          <p class="muted small">{t('written.nobody')}</p>
        )}
      </div>
    </div>
  );
}

/** Once closed: the result, the counts with those deemed to agree, and each member's answer. */
function Result({ view, poll: p, user }: { view: MeetingView; poll: Poll; user: User }) {
  const r = writtenResult(p);
  const m = view.meeting;
  const ballots = new Map((p.ballots ?? []).map((b) => [b.user_id, b]));
  const voters = writtenVoters(view.participants, m.chair_votes !== false);
  const silent = m.silence === 'agree' ? t('written.deemed') : t('written.noAnswer');
  return (
    <div class="written-result" data-testid="written-result">
      {p.result && (
        <p class={`poll-result result-${p.result}`} data-testid="poll-result">
          {t(`poll.result.${p.result}`)}
        </p>
      )}
      <ul class="tally-rows">
        {r.rows.map((row) => (
          <li class="tally-row" data-testid="tally-row" data-option={row.option}>
            <span class="tally-label">{answerLabel(row.option)}</span>
            <span class="tally-count" data-testid="tally-count">
              {fmtNumber(row.count + row.deemed)}
            </span>
            {row.deemed > 0 && (
              <span class="muted small" data-testid="tally-deemed">
                {t('written.deemedOf', { n: row.count, deemed: row.deemed })}
              </span>
            )}
          </li>
        ))}
      </ul>
      <p class="small" data-testid="written-turnout">
        {t('written.answeredOf', { n: r.answered, total: r.members })}
        {r.deemed > 0 && ` · ${t('written.deemedCount', { n: r.deemed })}`}
      </p>
      {p.secret ? (
        <p class="muted small">{t('poll.secretNote')}</p>
      ) : (
        <details class="ballots" open data-testid="written-ballots">
          <summary>{t('written.who')}</summary>
          <ul>
            {voters.map((v) => {
              const b = ballots.get(v.user_id);
              return (
                <li data-user={v.username} data-choice={b?.choice ?? ''}>
                  {v.display_name}
                  {v.user_id === user.id && ` (${t('written.you')})`}: <strong>{b ? answerLabel(b.choice) : silent}</strong>
                  {b?.comment && <blockquote class="written-comment">{b.comment}</blockquote>}
                </li>
              );
            })}
          </ul>
        </details>
      )}
    </div>
  );
}

// --- the console ---------------------------------------------------------------------------

function WrittenDetails({ h, view }: { h: MeetingHandle; view: MeetingView }) {
  const m = view.meeting;
  const [title, setTitle] = useState(m.title);
  const [description, setDescription] = useState(m.description ?? '');
  const [startsAt, setStartsAt] = useState(toLocalInput(m.starts_at));
  const [deadline, setDeadline] = useState(m.deadline ? toLocalInput(m.deadline) : '');
  const [silence, setSilence] = useState<Silence>(m.silence === 'agree' ? 'agree' : 'none');
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    setTitle(m.title);
    setDescription(m.description ?? '');
    setStartsAt(toLocalInput(m.starts_at));
    setDeadline(m.deadline ? toLocalInput(m.deadline) : '');
    setSilence(m.silence === 'agree' ? 'agree' : 'none');
  }, [m.updated_at]);
  const closed = isFinal(m.state);
  const tooLong = overLimit(title, LIMITS.title) || overLimit(description, LIMITS.description);
  async function submit(e: Event) {
    e.preventDefault();
    setSaved(false);
    if (tooLong) return;
    const r = await h.act(
      'PATCH',
      `/meetings/${m.id}`,
      {
        title: title.trim(),
        description: description.trim() || null,
        starts_at: fromLocalInput(startsAt),
        ...(deadline && (!m.deadline || fromLocalInput(deadline) !== new Date(m.deadline).toISOString()) ? { deadline: fromLocalInput(deadline) } : {}),
        // Fixed once sent (409 meeting_sent).
        ...(m.state === 'draft' && silence !== m.silence ? { silence } : {}),
      },
      { where: 'details' },
    );
    if (r) setSaved(true);
  }
  return (
    <form class="card panel form" onSubmit={submit} aria-labelledby="details-h">
      <h2 id="details-h">{t('written.console.details')}</h2>
      <fieldset disabled={closed}>
        <TextField label={t('meeting.title')} name="title" required max={LIMITS.title} value={title} onInput={setTitle} />
        <TextField label={t('meeting.description')} name="description" rows={2} max={LIMITS.description} value={description} onInput={setDescription} />
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
          <select name="silence" value={silence} disabled={m.state !== 'draft'} onChange={(e) => setSilence(e.currentTarget.value as Silence)}>
            <option value="none">{t('written.silence.none')}</option>
            <option value="agree">{t('written.silence.agree')}</option>
          </select>
        </label>
        <div class="actions">
          <button type="submit" class="btn primary" disabled={tooLong}>
            {t('common.save')}
          </button>
          {saved && (
            <span class="ok" role="status">
              {t('common.saved')}
            </span>
          )}
        </div>
        <ActionError h={h} where="details" />
      </fieldset>
    </form>
  );
}

/** The questions (the meeting's polls): added and removed while a draft. */
function QuestionsEditor({ h, view }: { h: MeetingHandle; view: MeetingView }) {
  const m = view.meeting;
  const [title, setTitle] = useState('');
  const editable = m.state === 'draft' || m.state === 'scheduled';
  async function add(e: Event) {
    e.preventDefault();
    const q = title.trim();
    if (!q || overLimit(q, LIMITS.title)) return;
    const r = await h.act('POST', `/meetings/${m.id}/polls`, { title: q }, { where: 'q-add' });
    if (r) setTitle('');
  }
  return (
    <section class="card panel" aria-labelledby="qe-h">
      <h2 id="qe-h">{t('written.questions')}</h2>
      {view.polls.length === 0 && <p class="muted">{t('written.noQuestions')}</p>}
      <ol class="question-list">
        {view.polls.map((p) => (
          <li data-testid="question-row">
            <span>{p.title}</span> <span class={`badge poll-state-${p.state}`}>{t(`poll.state.${p.state}`)}</span>
            {p.state === 'draft' && (
              <ConfirmButton class="btn small danger-outline" label={t('poll.delete')} confirm={t('poll.deleteConfirm')} onConfirm={() => void h.act('DELETE', `/polls/${encodeURIComponent(p.id)}`, undefined, { where: `q-${p.id}` })} />
            )}
            <ActionError h={h} where={`q-${p.id}`} />
          </li>
        ))}
      </ol>
      {editable && (
        <form class="inline-form" onSubmit={add} aria-label={t('written.addQuestion')}>
          <TextField label={t('written.newQuestion')} name="new_question" max={LIMITS.title} value={title} onInput={setTitle} class="grow" />
          <button type="submit" class="btn primary" disabled={!title.trim() || overLimit(title, LIMITS.title)}>
            {t('written.addQuestionSubmit')}
          </button>
        </form>
      )}
      {m.state === 'scheduled' && <p class="muted small">{t('written.addWhileOpen')}</p>}
      <ActionError h={h} where="q-add" />
    </section>
  );
}
