// Voting (biểu quyết): the open poll with large buttons and a confirmation, the receipt, the
// live tally (counts only: secret-safe), the result at close; presiders create, open and close
// polls. Observers see without buttons.
import { useEffect, useState } from 'preact/hooks';
import { errorText, session } from '../app';
import { t } from '../i18n';
import type { MeetingHandle } from '../meeting/useMeeting';
import { canPreside, canVote, counts, findItem, flatten, type MeetingView } from '../meeting/state';
import { castBallot, eligibleNow, loadReceipts, optionKey, optionsOf, resultKey, saveReceipt, tallyRows, voterStatus } from '../polls/logic';
import { ApiError } from '../session';
import type { Majority, Poll, User } from '../types';

interface Props {
  h: MeetingHandle;
  view: MeetingView;
  user: User;
}

const label = (option: string) => {
  const k = optionKey(option);
  return k ? t(k as any) : option;
};

export function PollsPanel({ h, view, user }: Props) {
  const preside = canPreside(view, user) && view.meeting.state !== 'closed';
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

function PollCard({ h, view, user, poll: p, preside }: Props & { poll: Poll; preside: boolean }) {
  const receiptKey = `${user.id}/${p.id}`;
  const [receipt, setReceipt] = useState<string | null>(loadReceipts()[receiptKey] ?? null);
  const [choice, setChoice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [already, setAlready] = useState(false);
  const [changing, setChanging] = useState(false);
  // The error itself, translated when shown (a language switch changes it too).
  const [err, setErr] = useState<{ e: unknown } | null>(null);
  const item = findItem(view.agenda, p.agenda_item_id ?? null);
  const status = canVote(view, user) ? voterStatus(view.participants, user.id) : 'none';
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
      void h.catchUp();
    } catch (e) {
      if (e instanceof ApiError && e.code === 'already_voted') {
        setAlready(true);
        setChanging(false);
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
  const eligible = eligibleNow(view.participants);
  const live = view.meeting.state === 'live';
  // A refusal to open (no_eligible_voters, meeting_not_live) is stale once attendance or the
  // meeting's state changes; a refused ballot once the poll's state does.
  useEffect(() => setErr(null), [eligible, live, p.state]);
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
      {preside && p.state === 'draft' && (
        <div class="poll-eligibility" data-testid="poll-eligibility">
          <p class="small">{t('poll.eligibleNow', { n: eligible, total: counts(view.participants).voting_total })}</p>
          {!live ? (
            <p class="hint" role="note">
              {t('poll.hint.notLive')}
            </p>
          ) : eligible === 0 ? (
            <p class="hint warn" role="note">
              {t('poll.hint.checkInFirst')}
            </p>
          ) : null}
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
                <button type="button" class={`btn vote vote-${o}`} onClick={() => setChoice(o)}>
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
            <p>
              {t('poll.recorded')} {t('poll.receipt')}: <code data-testid="receipt-code">{receipt}</code>
            </p>
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
        <button type="button" class="btn primary" disabled={busy} onClick={() => void run('open')}>
          {t('poll.open')}
        </button>
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
  return (
    <div class="tally" data-testid="tally">
      <p class="small">{t('poll.turnout', { voted: p.voted, eligible: p.eligible })}</p>
      <ul class="tally-rows">
        {tallyRows(p).map((r) => (
          <li class="tally-row" data-option={r.option}>
            <span class="tally-label">{label(r.option)}</span>
            <span class="tally-bar" aria-hidden="true">
              <span class={`tally-fill fill-${r.option}`} style={{ width: `${r.percent}%` }} />
            </span>
            <span class="tally-count" data-testid={`tally-${r.option}`}>
              {r.count}
            </span>
          </li>
        ))}
      </ul>
    </div>
  );
}

function CreatePoll({ h, view }: { h: MeetingHandle; view: MeetingView }) {
  const [open, setOpen] = useState(false);
  const [title, setTitle] = useState('');
  const [item, setItem] = useState(view.meeting.current_item_id ?? '');
  const [secret, setSecret] = useState(false);
  const [majority, setMajority] = useState<Majority>('simple');
  const [quorum, setQuorum] = useState('');
  const [allowChange, setAllowChange] = useState(false);
  if (!open)
    return (
      <button type="button" class="btn" onClick={() => setOpen(true)}>
        {t('poll.create')}
      </button>
    );
  async function submit(e: Event) {
    e.preventDefault();
    const q = parseInt(quorum, 10);
    const r = await h.act('POST', `/meetings/${view.meeting.id}/polls`, {
      title: title.trim(),
      agenda_item_id: item || undefined,
      secret,
      majority,
      quorum: Number.isFinite(q) && q > 0 ? q : undefined,
      // A secret poll never knows which choice was the member's, so it cannot let them change it.
      allow_change: !secret && allowChange,
    });
    if (r) {
      setTitle('');
      setOpen(false);
    }
  }
  return (
    <form class="form create-poll" onSubmit={submit} aria-label={t('poll.create')}>
      <label class="field">
        <span>{t('poll.question')}</span>
        <input name="poll_title" required value={title} onInput={(e) => setTitle(e.currentTarget.value)} />
      </label>
      <label class="field">
        <span>{t('upload.item')}</span>
        <select name="poll_item" value={item} onChange={(e) => setItem(e.currentTarget.value)}>
          <option value="">{t('common.none')}</option>
          {flatten(view.agenda).map((f) => (
            <option value={f.item.id}>
              {f.number}. {f.item.title}
            </option>
          ))}
        </select>
      </label>
      <label class="field">
        <span>{t('poll.majorityLabel')}</span>
        <select name="poll_majority" value={majority} onChange={(e) => setMajority(e.currentTarget.value as Majority)}>
          {(['simple', 'absolute', 'two_thirds'] as const).map((mj) => (
            <option value={mj}>{t(`poll.majority.${mj}`)}</option>
          ))}
        </select>
      </label>
      <label class="field">
        <span>{t('poll.quorum')}</span>
        <input name="poll_quorum" type="number" min="1" inputMode="numeric" value={quorum} onInput={(e) => setQuorum(e.currentTarget.value)} />
      </label>
      <label class="field">
        <span>{t('poll.kind')}</span>
        <select name="poll_secret" value={secret ? 'secret' : 'named'} onChange={(e) => setSecret(e.currentTarget.value === 'secret')}>
          <option value="named">{t('poll.named')}</option>
          <option value="secret">{t('poll.secret')}</option>
        </select>
      </label>
      {!secret && (
        <label class="field">
          <span>{t('poll.allowChangeLabel')}</span>
          <select name="poll_allow_change" value={allowChange ? 'yes' : 'no'} onChange={(e) => setAllowChange(e.currentTarget.value === 'yes')}>
            <option value="no">{t('poll.allowChange.no')}</option>
            <option value="yes">{t('poll.allowChange.yes')}</option>
          </select>
        </label>
      )}
      <div class="actions">
        <button type="submit" class="btn primary">
          {t('poll.createSubmit')}
        </button>
        <button type="button" class="btn" onClick={() => setOpen(false)}>
          {t('common.cancel')}
        </button>
      </div>
    </form>
  );
}
