// Voting (biểu quyết): the open poll with large buttons and a confirmation, the receipt, the
// live tally (counts only: secret-safe), the result at close; presiders create, open and close
// polls. Observers see without buttons.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { ComponentChildren } from 'preact';
import { errorText, session } from '../app';
import { fmtNumber, t } from '../i18n';
import type { MeetingHandle } from '../meeting/useMeeting';
import { canPreside, canVote, findItem, flatten, isFinal, type MeetingView } from '../meeting/state';
import { ActionError, ConfirmButton, TextField } from './bits';
import { LIMITS } from '../limits';
import { createBody, defaultMajorityLabel, defaultRows, emptyForm, formOf, MAX_OPTIONS, optionLabel, patchBody, validate, type PollFormValue } from '../polls/form';
import { castBallot, chairVotes, pollAwaitingBallot, receiptGrouped, receiptShort, countsVisible, loadReceipts, noQuorumWhy, optionsOf, optionTone, quorumCheck, resultKey, saveReceipt, tallyRows, voterStatus } from '../polls/logic';
import { ApiError } from '../session';
import { announceVote, setSoundOn, soundOn } from '../polls/chime';
import { MAJORITIES, type Majority, type Poll, type User } from '../types';

interface Props {
  h: MeetingHandle;
  view: MeetingView;
  user: User;
}

const label = (option: string) => optionLabel(option);

export function PollsPanel({ h, view, user }: Props) {
  const preside = canPreside(view, user) && !isFinal(view.meeting.state);
  const polls = view.polls.filter((p) => preside || p.state !== 'draft');
  if (!polls.length && !preside) return null;
  const order = { open: 0, draft: 1, closed: 2 } as const;
  const sorted = polls.slice().sort((a, b) => order[a.state] - order[b.state]);
  return (
    <section class="card panel polls" aria-labelledby="polls-h">
      <h2 id="polls-h">{t('poll.title')}</h2>
      {sorted.length === 0 && <p class="muted">{t('poll.none')}</p>}
      {sorted.map((p) => (
        <PollCard key={p.id} h={h} view={view} user={user} poll={p} preside={preside} />
      ))}
      {preside && <CreatePoll h={h} view={view} />}
    </section>
  );
}

/**
 * An open poll waiting for this user's ballot reaches them wherever they are: a banner ("Biểu
 * quyết ngay") over the page or inside the reader, a vibration where the device has one, a short
 * chime where it has Web Audio (unless turned off in the banner: polls/chime.ts), and the ballot
 * in a dialog one tap away. Closing the dialog leaves the reader where it was.
 */
export interface VoteCall {
  banner: ComponentChildren;
  dialog: ComponentChildren;
  /** The open poll waiting for this user's ballot. */
  waiting: Poll | undefined;
  /** Opens the ballot of that poll over whatever is on screen. */
  openBallot: (pollId: string) => void;
}

export function useVoteCall(h: MeetingHandle, view: MeetingView, user: User): VoteCall {
  const [done, setDone] = useState<ReadonlySet<string>>(new Set());
  const [ballotFor, setBallotFor] = useState<string | null>(null);
  const buzzed = useRef(new Set<string>());
  const [sound, setSound] = useState(soundOn);
  const receipts = loadReceipts();
  const waiting = pollAwaitingBallot(view, user, receipts, done);
  useEffect(() => {
    if (waiting) announceVote(waiting.id, buzzed.current);
  }, [waiting?.id]);
  const toggleSound = () => {
    setSoundOn(!sound);
    setSound(!sound);
  };
  const ballot = ballotFor ? view.polls.find((p) => p.id === ballotFor) : undefined;
  const banner =
    waiting && !ballot ? (
      <div class="vote-call" role="alert" data-testid="vote-call">
        <span class="vote-call-text">
          <strong>{t('poll.call')}</strong> {waiting.title ?? t('poll.untitled')}
        </span>
        <button type="button" class="btn ghost" aria-pressed={sound} data-testid="vote-sound" onClick={toggleSound}>
          {sound ? t('poll.sound.on') : t('poll.sound.off')}
        </button>
        <button type="button" class="btn primary" onClick={() => setBallotFor(waiting.id)}>
          {t('poll.voteNow')}
        </button>
      </div>
    ) : null;
  const dialog = ballot ? (
    <div class="vote-dialog-backdrop">
      <div class="vote-dialog card" role="dialog" aria-modal="true" aria-label={t('poll.yourVote')} data-testid="vote-dialog">
        <PollCard
          h={h}
          view={view}
          user={user}
          poll={ballot}
          preside={false}
          onVoted={(id) => setDone((old) => new Set([...old, id]))}
        />
        <button type="button" class="btn wide" onClick={() => setBallotFor(null)}>
          {t('poll.back')}
        </button>
      </div>
    </div>
  ) : null;
  return { banner, dialog, waiting, openBallot: setBallotFor };
}

function PollCard({ h, view, user, poll: p, preside, onVoted }: Props & { poll: Poll; preside: boolean; onVoted?: (pollId: string) => void }) {
  const receiptKey = `${user.id}/${p.id}`;
  const [receipt, setReceipt] = useState<string | null>(loadReceipts()[receiptKey] ?? null);
  const [choice, setChoice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [already, setAlready] = useState(false);
  const [changing, setChanging] = useState(false);
  const [editing, setEditing] = useState(false);
  // The error itself, translated when shown (a language switch changes it too).
  const [err, setErr] = useState<{ e: unknown } | null>(null);
  const item = findItem(view.agenda, p.agenda_item_id ?? null);
  const chair = chairVotes(view.meeting);
  const status = canVote(view, user) ? voterStatus(view.participants, user.id, chair) : 'none';
  const [confirmOpen, setConfirmOpen] = useState(false);
  const voted = !!receipt || already;
  const showButtons = p.state === 'open' && status === 'voter' && (!voted || changing);
  async function vote() {
    if (!choice) return;
    setBusy(true);
    setErr(null);
    try {
      const r = await castBallot(p.id, choice, {
        live: (body) => h.send(body),
        http: (id, c, key) =>
          session.request<{ receipt?: string }>('POST', `/polls/${encodeURIComponent(id)}/ballots`, { choice: c }, { 'Idempotency-Key': key }),
      });
      const code = r ?? '—';
      saveReceipt(receiptKey, code);
      setReceipt(code);
      setAlready(false);
      setChanging(false);
      onVoted?.(p.id);
      void h.catchUp();
    } catch (e) {
      if (e instanceof ApiError && e.code === 'already_voted') {
        setAlready(true);
        setChanging(false);
        onVoted?.(p.id);
      } else setErr({ e });
    } finally {
      setBusy(false);
      setChoice(null);
    }
  }
  /** Open or close: the refusal (no_eligible_voters, meeting_not_live…) is shown on the poll itself. */
  async function run(action: 'open' | 'close') {
    setBusy(true);
    setErr(null);
    try {
      await session.request('POST', `/polls/${encodeURIComponent(p.id)}/${action}`);
      await h.catchUp();
    } catch (e) {
      setErr({ e });
    } finally {
      setBusy(false);
    }
  }
  const names = new Map<string, string>();
  for (const x of view.participants) {
    names.set(x.user_id, x.display_name);
    if (x.substitute_id && x.substitute_name) names.set(x.substitute_id, x.substitute_name);
  }
  const q = quorumCheck(p, view.participants, chair);
  const eligible = q.present;
  const live = view.meeting.state === 'live';
  /** "Bắt đầu biểu quyết": below the quorum (or unable to pass) it asks first. */
  const askOpen = () => (live && (q.below || q.cannotPass) ? setConfirmOpen(true) : void run('open'));
  const why = noQuorumWhy(p);
  // A refusal to open (no_eligible_voters, meeting_not_live) is stale once attendance or the
  // meeting's state changes; a refused ballot once the poll's state does.
  useEffect(() => setErr(null), [eligible, live, p.state]);
  useEffect(() => setConfirmOpen(false), [p.state]);
  // Someone opened (or deleted) the poll while it was being edited: the form goes away.
  useEffect(() => {
    if (p.state !== 'draft') setEditing(false);
  }, [p.state]);
  async function remove() {
    setBusy(true);
    setErr(null);
    try {
      await session.request('DELETE', `/polls/${encodeURIComponent(p.id)}`);
      await h.catchUp();
    } catch (e) {
      setErr({ e });
    } finally {
      setBusy(false);
    }
  }
  if (editing && preside && p.state === 'draft')
    return (
      <article class="poll poll-draft" data-testid="poll" data-poll={p.id} data-state={p.state}>
        <EditPoll h={h} view={view} poll={p} onDone={() => setEditing(false)} />
      </article>
    );
  return (
    <article class={`poll poll-${p.state}`} data-testid="poll" data-poll={p.id} data-state={p.state} aria-labelledby={`poll-${p.id}`}>
      <h3 id={`poll-${p.id}`}>{p.title ?? t('poll.untitled')}</h3>
      <p class="muted small">
        <span class={`badge poll-state-${p.state}`}>{t(`poll.state.${p.state}` as any)}</span>{' '}
        {p.secret ? t('poll.secret') : t('poll.named')}
        {p.majority && ` · ${t(`poll.majority.${p.majority}` as any)}`}
        {p.quorum ? ` · ${t('poll.quorumIs', { n: p.quorum })}` : ''}
        {p.allow_change && ` · ${t('poll.allowChange')}`}
        {item && ` · ${item.title}`}
      </p>
      {p.state === 'draft' && (
        <p class="muted small" data-testid="poll-options">
          {t('poll.optionsAre', { list: optionsOf(p).map(label).join(' · ') })}
        </p>
      )}
      {preside && p.state === 'draft' && (
        <div class="poll-eligibility" data-testid="poll-eligibility">
          <p class="small">{t('poll.eligibleNow', { n: q.present, total: q.members })}</p>
          <p class="small" data-testid="poll-quorum">
            {q.quorum !== null ? t('poll.quorumRule', { quorum: q.quorum }) : t('poll.noQuorumRule')}
          </p>
          {!live ? (
            <p class="hint" role="note">
              {t('poll.hint.notLive')}
            </p>
          ) : eligible === 0 ? (
            <p class="hint warn" role="note">
              {t('poll.hint.checkInFirst')}
            </p>
          ) : (
            <>
              {q.below && (
                <p class="hint warn" role="note" data-testid="poll-below-quorum">
                  {t('poll.hint.belowQuorum', { present: q.present, quorum: q.quorum ?? 0 })}
                </p>
              )}
              {q.cannotPass && (
                <p class="hint warn" role="note" data-testid="poll-cannot-pass">
                  {t('poll.hint.cannotPass', { present: q.present, members: q.members })}
                </p>
              )}
            </>
          )}
        </div>
      )}
      {p.state === 'open' && status === 'not_checked_in' && !voted && (
        <p class="hint" role="note" data-testid="poll-not-checked-in">
          {t('poll.hint.notCheckedIn')}
        </p>
      )}
      {showButtons && (
        <div class="ballot" role="group" aria-label={t('poll.yourVote')}>
          {choice === null ? (
            <div class="vote-buttons">
              {optionsOf(p).map((o) => (
                <button type="button" key={o} class={`btn vote vote-${optionTone(o)}`} onClick={() => setChoice(o)}>
                  {label(o)}
                </button>
              ))}
              {changing && (
                <button type="button" class="btn" onClick={() => setChanging(false)}>
                  {t('common.cancel')}
                </button>
              )}
            </div>
          ) : (
            <div class="vote-confirm" role="alertdialog" aria-label={t('poll.confirm')}>
              <p>{t('poll.confirmChoice', { choice: label(choice) })}</p>
              <button type="button" class="btn primary" disabled={busy} onClick={() => void vote()}>
                {t('poll.send')}
              </button>
              <button type="button" class="btn" disabled={busy} onClick={() => setChoice(null)}>
                {t('poll.change')}
              </button>
            </div>
          )}
        </div>
      )}
      {voted && !changing && (
        <div class="ok receipt" role="status" data-testid="receipt">
          {already ? (
            <p>{t('poll.alreadyVoted')}</p>
          ) : (
            <>
              <p>{t('poll.recorded')}</p>
              <p class="receipt-line">
                {t('poll.receipt')}:{' '}
                <code class="receipt-code" data-testid="receipt-code" data-receipt={receipt ?? ''}>
                  {receiptShort(receipt ?? '')}
                </code>
              </p>
              <p class="muted small">{t('poll.receiptProves')}</p>
              <details class="receipt-full">
                <summary>{t('poll.receiptFull')}</summary>
                <code>{receiptGrouped(receipt ?? '')}</code>
              </details>
            </>
          )}
          {p.state === 'open' && p.allow_change && status === 'voter' && (
            <button type="button" class="btn" onClick={() => setChanging(true)}>
              {t('poll.changeVote')}
            </button>
          )}
        </div>
      )}
      {err && (
        <p class="error" role="alert" data-testid="poll-error">
          {errorText(err.e)}
        </p>
      )}
      {p.state !== 'draft' && <Tally poll={p} />}
      {p.state === 'closed' && p.result && (
        <p class={`poll-result result-${p.result}`} data-testid="poll-result">
          {t(resultKey(p) as any)}
        </p>
      )}
      {p.state === 'closed' && why && (
        <p class="muted small" data-testid="poll-result-why">
          {t(why.key, why.params)}
        </p>
      )}
      {p.state === 'closed' && p.secret && (
        <p class="muted small" data-testid="poll-secret-note">
          {t('poll.secretNote')}
        </p>
      )}
      {p.state === 'closed' && !p.secret && p.ballots?.length ? (
        <details class="ballots" open data-testid="poll-ballots">
          <summary>{t('poll.ballots')}</summary>
          <ul>
            {p.ballots.map((b) => (
              <li data-user={b.user_id}>
                {names.get(b.user_id) ?? b.user_id}: <strong>{label(b.choice)}</strong>
                {b.cast_by && b.cast_by !== b.user_id && ` (${t('poll.castBy', { name: names.get(b.cast_by) ?? b.cast_by })})`}
              </li>
            ))}
          </ul>
        </details>
      ) : null}
      {preside && p.state === 'draft' && (
        <div class="actions">
          {confirmOpen ? (
            <span class="confirm" role="group" aria-label={t('poll.openAnyway')} data-testid="poll-open-confirm">
              <span class="confirm-q">{t('poll.openAnyway')}</span>
              <button
                type="button"
                class="btn danger"
                disabled={busy}
                onClick={() => {
                  setConfirmOpen(false);
                  void run('open');
                }}
              >
                {t('common.yes')}
              </button>
              <button type="button" class="btn" onClick={() => setConfirmOpen(false)}>
                {t('common.no')}
              </button>
            </span>
          ) : (
            <button type="button" class="btn primary" disabled={busy} onClick={askOpen}>
              {t('poll.open')}
            </button>
          )}
          <button type="button" class="btn" disabled={busy} aria-label={t('poll.editOf', { title: p.title ?? '' })} onClick={() => setEditing(true)}>
            {t('poll.edit')}
          </button>
          <ConfirmButton label={t('poll.delete')} confirm={t('poll.deleteConfirm')} disabled={busy} onConfirm={() => void remove()} />
        </div>
      )}
      {preside && p.state === 'open' && (
        <button type="button" class="btn danger" disabled={busy} onClick={() => void run('close')}>
          {t('poll.close')}
        </button>
      )}
    </article>
  );
}

function Tally({ poll: p }: { poll: Poll }) {
  const shown = countsVisible(p);
  return (
    <div class="tally" data-testid="tally">
      <p class="small" data-testid="turnout">
        {t('poll.turnout', { voted: p.voted, eligible: p.eligible })}
        {p.majority === 'absolute_all' && typeof p.members === 'number' && ` · ${t('poll.membersAll', { n: p.members })}`}
      </p>
      {!shown && p.secret && (
        <p class="muted small" data-testid="poll-secret-hidden">
          {t('poll.secretHidden')}
        </p>
      )}
      {shown && (
      <ul class="tally-rows">
        {tallyRows(p).map((r) => (
          <li key={r.option} class="tally-row" data-testid="tally-row" data-option={r.option}>
            <span class="tally-label">{label(r.option)}</span>
            <span class="tally-bar" aria-hidden="true">
              <span class={`tally-fill fill-${optionTone(r.option)}`} style={{ width: `${r.percent}%` }} />
            </span>
            <span class="tally-count" data-testid="tally-count">
              {fmtNumber(r.count)}
            </span>
          </li>
        ))}
      </ul>
      )}
    </div>
  );
}

function CreatePoll({ h, view }: { h: MeetingHandle; view: MeetingView }) {
  const [open, setOpen] = useState(false);
  if (!open)
    return (
      <button type="button" class="btn" onClick={() => setOpen(true)}>
        {t('poll.create')}
      </button>
    );
  return (
    <>
      <PollForm
        view={view}
        formId="new"
        initial={emptyForm(view.meeting.current_item_id ?? '')}
        label={t('poll.create')}
        submit={t('poll.createSubmit')}
        onCancel={() => setOpen(false)}
        onSubmit={async (f) => {
          const r = await h.act('POST', `/meetings/${view.meeting.id}/polls`, createBody(f), { where: 'poll-create' });
          if (r) setOpen(false);
        }}
      />
      <ActionError h={h} where="poll-create" />
    </>
  );
}

/** Editing a draft poll: only what changed is sent (`PATCH /polls/{id}`). */
function EditPoll({ h, view, poll: p, onDone }: { h: MeetingHandle; view: MeetingView; poll: Poll; onDone: () => void }) {
  const [nothing, setNothing] = useState(false);
  return (
    <>
      <PollForm
        view={view}
        formId={p.id}
        initial={formOf(p)}
        label={t('poll.editOf', { title: p.title ?? '' })}
        submit={t('poll.editSubmit')}
        onCancel={onDone}
        onSubmit={async (f) => {
          const body = patchBody(p, f);
          if (!Object.keys(body).length) {
            setNothing(true);
            return;
          }
          const r = await h.act('PATCH', `/polls/${encodeURIComponent(p.id)}`, body, { where: `poll-edit-${p.id}` });
          if (r) onDone();
        }}
      />
      {nothing && (
        <p class="muted small" role="status">
          {t('poll.noChange')}
        </p>
      )}
      <ActionError h={h} where={`poll-edit-${p.id}`} />
    </>
  );
}

/** The poll form (create and edit): checked here first, the server stays the authority. */
/** The organisation's default majority (`GET /organization`), read once per page load. */
let orgMajorityCache: Promise<Majority | null> | null = null;
function useOrgMajority(): Majority | null {
  const [m, setM] = useState<Majority | null>(null);
  useEffect(() => {
    orgMajorityCache ??= session
      .request<{ default_majority?: Majority }>('GET', '/organization')
      .then((o) => o.default_majority ?? null)
      .catch(() => {
        orgMajorityCache = null;
        return null;
      });
    let live = true;
    void orgMajorityCache.then((v) => live && setM(v));
    return () => {
      live = false;
    };
  }, []);
  return m;
}

function PollForm(props: {
  /** Unique on the page (ids inside the form derive from it). */
  formId: string;
  view: MeetingView;
  initial: PollFormValue;
  label: string;
  submit: string;
  onSubmit: (f: PollFormValue) => Promise<void>;
  onCancel: () => void;
}) {
  const [f, setF] = useState<PollFormValue>(props.initial);
  const orgMajority = useOrgMajority();
  const [shown, setShown] = useState(false);
  const [busy, setBusy] = useState(false);
  const set = (patch: Partial<PollFormValue>) => setF((old) => ({ ...old, ...patch }));
  const setRow = (i: number, text: string) => set({ options: (f.options ?? []).map((r, j) => (j === i ? { text } : r)) });
  const errors = validate(f);
  const rowError = (i: number) => errors.find((e) => e.row === i);
  const uid = props.formId;
  async function submit(e: Event) {
    e.preventDefault();
    setShown(true);
    if (errors.length) return;
    setBusy(true);
    try {
      await props.onSubmit(f);
    } finally {
      setBusy(false);
    }
  }
  return (
    <form class="form create-poll" onSubmit={submit} aria-label={props.label} noValidate data-testid="poll-form">
      <TextField label={t('poll.question')} name="poll_title" required max={LIMITS.title} value={f.title} onInput={(v) => set({ title: v })} />
      <label class="field">
        <span>{t('upload.item')}</span>
        <select name="poll_item" value={f.agendaItemId} onChange={(e) => set({ agendaItemId: e.currentTarget.value })}>
          <option value="">{t('common.none')}</option>
          {flatten(props.view.agenda).map((x) => (
            <option value={x.item.id}>
              {x.number}. {x.item.title}
            </option>
          ))}
        </select>
      </label>
      <label class="field">
        <span>{t('poll.majorityLabel')}</span>
        <select name="poll_majority" value={f.majority} onChange={(e) => set({ majority: e.currentTarget.value as Majority | '' })}>
          {props.formId === 'new' && <option value="">{defaultMajorityLabel(orgMajority)}</option>}
          {MAJORITIES.map((mj) => (
            <option value={mj}>{t(`poll.majority.${mj}`)}</option>
          ))}
        </select>
      </label>
      <label class="field">
        <span>{t('poll.quorum')}</span>
        <input name="poll_quorum" type="number" min="1" max="100000" inputMode="numeric" value={f.quorum} onInput={(e) => set({ quorum: e.currentTarget.value })} />
      </label>
      <label class="field">
        <span>{t('poll.kind')}</span>
        <select name="poll_secret" value={f.secret ? 'secret' : 'named'} onChange={(e) => set({ secret: e.currentTarget.value === 'secret' })}>
          <option value="named">{t('poll.named')}</option>
          <option value="secret">{t('poll.secret')}</option>
        </select>
      </label>
      {!f.secret && (
        <label class="field">
          <span>{t('poll.allowChangeLabel')}</span>
          <select name="poll_allow_change" value={f.allowChange ? 'yes' : 'no'} onChange={(e) => set({ allowChange: e.currentTarget.value === 'yes' })}>
            <option value="no">{t('poll.allowChange.no')}</option>
            <option value="yes">{t('poll.allowChange.yes')}</option>
          </select>
        </label>
      )}
      <fieldset class="field poll-options">
        <legend>{t('pollForm.options')}</legend>
        <label class="field">
          <span class="sr-only">{t('pollForm.options')}</span>
          <select
            name="poll_options_mode"
            value={f.options ? 'custom' : 'default'}
            onChange={(e) => set({ options: e.currentTarget.value === 'custom' ? (f.options ?? defaultRows()) : null })}
          >
            <option value="default">{t('pollForm.optionsDefault')}</option>
            <option value="custom">{t('pollForm.optionsCustom')}</option>
          </select>
        </label>
        {f.options && (
          <>
            <p class="muted small" id={`poll-options-hint-${uid}`}>
              {t('pollForm.optionsHint')}
            </p>
            <ol class="option-rows">
              {f.options.map((row, i) => {
                const err = shown ? rowError(i) : undefined;
                return (
                  <li class="option-row" data-testid="poll-option-row">
                    <label class="field">
                      <span>{t('pollForm.option', { n: i + 1 })}</span>
                      <input
                        name="poll_option"
                        value={row.text}
                        maxLength={200}
                        aria-invalid={err ? true : undefined}
                        aria-describedby={`poll-options-hint-${uid}`}
                        onInput={(e) => setRow(i, e.currentTarget.value)}
                      />
                    </label>
                    <button
                      type="button"
                      class="btn ghost"
                      aria-label={t('pollForm.removeOption', { n: i + 1 })}
                      disabled={(f.options?.length ?? 0) <= 2}
                      onClick={() => set({ options: (f.options ?? []).filter((_, j) => j !== i) })}
                    >
                      ✕
                    </button>
                  </li>
                );
              })}
            </ol>
            {f.options.length < MAX_OPTIONS && (
              <button type="button" class="btn" onClick={() => set({ options: [...(f.options ?? []), { text: '' }] })}>
                {t('pollForm.addOption')}
              </button>
            )}
          </>
        )}
      </fieldset>
      {shown && errors.length > 0 && (
        <ul class="error form-errors" role="alert" data-testid="poll-form-errors">
          {errors.map((e) => (
            <li>{t(e.key, e.row !== undefined ? { n: e.row + 1 } : undefined)}</li>
          ))}
        </ul>
      )}
      <div class="actions">
        <button type="submit" class="btn primary" disabled={busy}>
          {props.submit}
        </button>
        <button type="button" class="btn" onClick={props.onCancel}>
          {t('common.cancel')}
        </button>
      </div>
    </form>
  );
}
