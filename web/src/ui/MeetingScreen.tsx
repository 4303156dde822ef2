import { useEffect, useRef, useState } from 'preact/hooks';
import { errorText, navigate, session, setHeaderRole, useLocale, useNow, useUser } from '../app';
import { chairVotes } from '../polls/logic';
import { LIMITS, overLimit } from '../limits';
import { t, fmtTime, fmtClock, fmtNumber } from '../i18n';
import type { LiveStatus } from '../live';
import { useMeeting, type MeetingHandle } from '../meeting/useMeeting';
import {
  attendanceKey,
  discussedItem,
  canManage,
  canPreside,
  canTakePart,
  counts,
  findItem,
  isCheckedIn,
  myParticipant,
  remainingSecs,
  isFinal,
  type MeetingView,
} from '../meeting/state';
import type { AgendaItem, MeetingState, Participant, User } from '../types';
import { Link } from './App';
import { ActionError, ConfirmButton, MeetingWhen, StateBadge, TextField } from './bits';
import { Console } from './Console';
import { DocList, DocumentsBar, PresenterNotice, useOfflineIds, useReaderHost, type ReaderHost } from './Documents';
import { PollsPanel, useVoteCall, type VoteCall } from './Polls';
import { documentsOf } from '../meeting/state';
import { isRecordDoc } from '../minutes/model';
import { useMinutes, type MinutesHandle } from '../minutes/useMinutes';
import { ItemMinutes, MinutesPanel } from './Minutes';
import { WrittenBody } from './WrittenMeeting';
import { isWritten } from '../written/logic';
import { createFromItemPath } from '../written/fromItem';
import { WRITTEN_PATH } from './Written';

type Tab = 'meeting' | 'console';

export function MeetingScreen({ id, initialTab }: { id: string; initialTab: string | null }) {
  useLocale();
  const user = useUser()!;
  const h = useMeeting(id);
  const [tab, setTab] = useState<Tab>(initialTab === 'console' ? 'console' : 'meeting');
  const { view } = h;
  if (h.error)
    return (
      <div class="page">
        <p>
          <Link href="/">← {t('nav.back')}</Link>
        </p>
        <p class="error" role="alert">
          {errorText(h.error.e)}
        </p>
      </div>
    );
  if (!view)
    return (
      <div class="page">
        <p class="muted">{t('common.loading')}</p>
      </div>
    );
  if (isWritten(view.meeting)) return <WrittenBody h={h} view={view} user={user} tab={tab} setTab={setTab} />;
  return <MeetingBody h={h} view={view} user={user} tab={tab} setTab={setTab} />;
}

function MeetingBody({ h, view, user, tab, setTab }: PanelProps & { tab: Tab; setTab: (t: Tab) => void }) {
  const manage = canManage(view, user);
  const m = view.meeting;
  const call = useVoteCall(h, view, user);
  const host = useReaderHost(h, view, user, tab === 'meeting' || !manage, call.banner);
  const minutes = useMinutes(h, view, user);
  // The header names the role in this meeting ("Chủ tọa"); a substitute sits in a member's seat.
  const mine = myParticipant(view, user);
  const role = mine ? (mine.user_id === user.id ? mine.role : 'member') : null;
  useEffect(() => {
    setHeaderRole(role);
    return () => setHeaderRole(null);
  }, [role]);
  return (
    <div class="page meeting">
      {host.element}
      {call.dialog}
      <ConnectionBanner status={h.status} />
      {!host.opened && call.banner}
      <div class="meeting-head">
        <div class="meeting-head-main">
          <p class="crumbs">
            <Link href="/">← {t('nav.meetings')}</Link>
          </p>
          <h1 data-testid="meeting-title">{m.title}</h1>
          <p class="meeting-meta">
            <StateBadge state={m.state} />
            <MeetingWhen m={m} />
            {m.location && <span>· {m.location}</span>}
            <LiveIndicator status={h.status} />
          </p>
          {m.description && <p class="muted description">{m.description}</p>}
          {m.state === 'cancelled' && (
            <p class="notice cancelled-note" role="status" data-testid="cancelled-note">
              {t('state.cancelledNote')}
            </p>
          )}
        </div>
        <StateControls h={h} view={view} user={user} />
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
          <button
            type="button"
            role="tab"
            id="tab-meeting"
            aria-selected={tab === 'meeting'}
            aria-controls="panel-meeting"
            class={`tab ${tab === 'meeting' ? 'on' : ''}`}
            onClick={() => setTab('meeting')}
          >
            {t('tab.meeting')}
          </button>
          <button
            type="button"
            role="tab"
            id="tab-console"
            aria-selected={tab === 'console'}
            aria-controls="panel-console"
            class={`tab ${tab === 'console' ? 'on' : ''}`}
            onClick={() => setTab('console')}
          >
            {t('tab.console')}
          </button>
        </div>
      )}
      {tab === 'console' && manage ? (
        <div id="panel-console" role="tabpanel" aria-labelledby="tab-console">
          <Console h={h} view={view} user={user} />
        </div>
      ) : (
        <div id="panel-meeting" role={manage ? 'tabpanel' : undefined} aria-labelledby={manage ? 'tab-meeting' : undefined} class="meeting-grid">
          <div class="main-col">
            <PresenterNotice view={view} host={host} />
            <AgendaPanel h={h} view={view} user={user} host={host} minutes={minutes} />
          </div>
          <div class="side">
            <MinutesPanel h={h} view={view} user={user} host={host} m={minutes} />
            <PollsPanel h={h} view={view} user={user} />
            <SpeakersPanel h={h} view={view} user={user} />
            <AttendancePanel h={h} view={view} user={user} />
          </div>
          <QuickBar h={h} view={view} user={user} call={call} />
        </div>
      )}
    </div>
  );
}

/** How long "Đã kết nối lại" stays after the connection is back. */
export const BACK_BANNER_MS = 5000;

/** "Connection lost" while offline, then "back online" for a few seconds. */
export function ConnectionBanner({ status }: { status: LiveStatus }) {
  const [back, setBack] = useState(false);
  const wasOffline = useRef(false);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(() => {
    if (status === 'offline') {
      wasOffline.current = true;
      setBack(false);
      return;
    }
    if ((status === 'socket' || status === 'polling') && wasOffline.current) {
      wasOffline.current = false;
      setBack(true);
      // Not cleared by the next status change (polling → socket once the socket is back): the
      // banner went away only when the effect of the same status ran again, which it never did.
      if (timer.current) clearTimeout(timer.current);
      timer.current = setTimeout(() => setBack(false), BACK_BANNER_MS);
    }
  }, [status]);
  useEffect(() => () => void (timer.current && clearTimeout(timer.current)), []);
  if (status === 'offline')
    return (
      <div class="banner offline" role="alert" data-testid="banner-offline">
        {t('conn.lost')}
      </div>
    );
  if (status === 'forbidden')
    return (
      <div class="banner offline" role="alert">
        {t('conn.forbidden')}
      </div>
    );
  if (back)
    return (
      <div class="banner online" role="status" data-testid="banner-back">
        {t('conn.back')}
      </div>
    );
  return null;
}

function LiveIndicator({ status }: { status: LiveStatus }) {
  const on = status === 'socket' || status === 'polling';
  return (
    <span class={`live-ind ${on ? 'on' : 'off'}`} data-status={status} title={t(`conn.mode.${status}`)}>
      <span class="dot" aria-hidden="true" />
      {t(`conn.mode.${status}`)}
    </span>
  );
}

interface PanelProps {
  h: MeetingHandle;
  view: MeetingView;
  user: User;
}

function StateControls({ h, view, user }: PanelProps) {
  const manage = canManage(view, user);
  const preside = canPreside(view, user);
  const m = view.meeting;
  const go = (state: MeetingState) => void h.act('POST', `/meetings/${m.id}/state`, { state }, { where: 'state' });
  const [deleteError, setDeleteError] = useState<string | null>(null);
  const buttons = [];
  if (m.state === 'draft' && manage)
    buttons.push(
      <button type="button" class="btn primary" onClick={() => go('scheduled')}>
        {t('state.action.schedule')}
      </button>,
    );
  if (m.state === 'scheduled' && manage)
    buttons.push(
      <button type="button" class="btn" onClick={() => go('draft')}>
        {t('state.action.unschedule')}
      </button>,
    );
  if (m.state === 'draft' && manage)
    buttons.push(
      <ConfirmButton
        class="btn danger"
        label={t('state.action.delete')}
        confirm={t('state.action.deleteConfirm')}
        onConfirm={async () => {
          try {
            await session.request('DELETE', `/meetings/${encodeURIComponent(m.id)}`);
            navigate('/');
          } catch (e) {
            setDeleteError(errorText(e));
          }
        }}
      />,
    );
  if (m.state !== 'draft')
    buttons.push(
      <button type="button" class="btn" data-testid="calendar" onClick={() => void saveCalendar(m.id)}>
        {t('state.action.calendar')}
      </button>,
    );
  if (m.state === 'scheduled' && preside)
    buttons.push(
      <button type="button" class="btn primary" onClick={() => go('live')}>
        {t('state.action.start')}
      </button>,
    );
  if (m.state === 'scheduled' && manage)
    buttons.push(
      <ConfirmButton
        class="btn danger"
        label={t('state.action.cancel')}
        confirm={t('state.action.cancelConfirm')}
        onConfirm={() => go('cancelled')}
      />,
    );
  if (m.state === 'live' && preside)
    buttons.push(
      <ConfirmButton
        class="btn danger"
        label={t('state.action.close')}
        confirm={t('state.action.closeConfirm')}
        onConfirm={() => go('closed')}
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

/** Downloads the meeting's invitation (`.ics`) for the device's calendar. */
async function saveCalendar(id: string) {
  const res = await session.fetchRaw(`/meetings/${encodeURIComponent(id)}/calendar.ics`);
  if (!res.ok) return;
  const url = URL.createObjectURL(new Blob([await res.arrayBuffer()], { type: 'text/calendar' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = 'cuoc-hop.ics';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function AgendaPanel({ h, view, user, host, minutes }: PanelProps & { host: ReaderHost; minutes: MinutesHandle }) {
  const offline = useOfflineIds(view.documents);
  // The finalised record has its own place (the minutes panel).
  const others = documentsOf(view, null).filter((d) => !isRecordDoc(d));
  const preside = canPreside(view, user) && !isFinal(view.meeting.state);
  // Those who manage every meeting (and alone may create one) ask for opinions in writing on an
  // item: the creation form with the item chosen (docs/web.md, "Meetings held in writing").
  const askInWriting = (user.role === 'admin' || user.role === 'secretary') && view.meeting.state !== 'cancelled';
  const current = discussedItem(view.meeting);
  const names = new Map(view.participants.map((p) => [p.user_id, p.display_name]));
  const setCurrent = (id: string) => void h.act('PATCH', `/meetings/${view.meeting.id}`, { current_item_id: id }, { where: `current-${id}`, retry: true });
  const renderItems = (items: AgendaItem[], prefix: string) => (
    <ol class="agenda-list">
      {items.map((item, i) => {
        const number = prefix ? `${prefix}.${i + 1}` : `${i + 1}`;
        // Only a meeting in progress discusses an item: none is "Đang thảo luận" before or after.
        const isCurrent = item.id === current;
        return (
          <li class="agenda-li">
            <div class={`agenda-item ${isCurrent ? 'current' : ''}`} aria-current={isCurrent ? 'step' : undefined} data-testid="agenda-item">
              <span class="agenda-num">{number}.</span>
              <div class="agenda-body">
                <span class="agenda-title">{item.title}</span>
                <span class="agenda-meta">
                  {item.duration_minutes != null && <span>{t('agenda.minutes', { n: item.duration_minutes })}</span>}
                  {item.presenter_id && names.get(item.presenter_id) && (
                    <span>
                      {t('agenda.presenter')}: {names.get(item.presenter_id)}
                    </span>
                  )}
                </span>
                {isCurrent && <span class="badge current-badge">{t('agenda.current')}</span>}
              </div>
              {(preside && !isCurrent) || askInWriting ? (
                <div class="agenda-actions">
                  {preside && !isCurrent && (
                    <button type="button" class="btn small" onClick={() => setCurrent(item.id)} aria-label={`${t('agenda.makeCurrent')}: ${item.title}`}>
                      {t('agenda.makeCurrent')}
                    </button>
                  )}
                  {askInWriting && (
                    <Link
                      href={createFromItemPath(WRITTEN_PATH, view.meeting.id, item.id)}
                      class="btn small"
                      aria-label={`${t('agenda.askInWriting')}: ${item.title}`}
                      data-testid="ask-in-writing"
                    >
                      {t('agenda.askInWriting')}
                    </Link>
                  )}
                </div>
              ) : null}
            </div>
            <ActionError h={h} where={`current-${item.id}`} />
            <DocList docs={documentsOf(view, item.id)} offline={offline} onOpen={(d) => host.openByUser(d)} />
            <ItemMinutes item={item} view={view} user={user} m={minutes} />
            {item.children?.length > 0 && renderItems(item.children, number)}
          </li>
        );
      })}
    </ol>
  );
  return (
    <section class="card panel agenda" aria-labelledby="agenda-h">
      <h2 id="agenda-h">{t('agenda.title')}</h2>
      <DocumentsBar view={view} host={host} />
      {view.agenda.length === 0 ? <p class="muted">{t('agenda.empty')}</p> : renderItems(view.agenda, '')}
      {others.length > 0 && (
        <div class="other-docs">
          <h3>{t('doc.general')}</h3>
          <DocList docs={others} offline={offline} onOpen={(d) => host.openByUser(d)} />
        </div>
      )}
    </section>
  );
}

function SpeakersPanel({ h, view, user }: PanelProps) {
  const now = useNow(500);
  const m = view.meeting;
  const preside = canPreside(view, user);
  const open = m.state === 'scheduled' || m.state === 'live';
  const speaking = view.speakers.find((s) => s.state === 'speaking');
  const waiting = view.speakers.filter((s) => s.state === 'waiting');
  const mine = view.speakers.find((s) => s.user_id === user.id);
  const itemTitle = (id: string | null) => findItem(view.agenda, id)?.title;
  const left = speaking ? remainingSecs(speaking.deadline, now, speaking.limit_secs) : null;
  const move = (id: string, delta: number) => {
    const ids = waiting.map((s) => s.id);
    const i = ids.indexOf(id);
    const j = i + delta;
    if (j < 0 || j >= ids.length) return;
    [ids[i], ids[j]] = [ids[j], ids[i]];
    void h.act('PUT', `/meetings/${m.id}/speakers/order`, { speaker_ids: ids }, { where: `queue-${id}` });
  };
  const setState = (id: string, state: string, where: string) => void h.act('POST', `/speakers/${id}/state`, { state }, { where });
  return (
    <section class="card panel speakers" aria-labelledby="speakers-h">
      <h2 id="speakers-h">{t('speakers.title')}</h2>
      <div class="now-speaking" data-testid="now-speaking">
        {speaking ? (
          <>
            <span class="label">{t('speakers.speaking')}</span>
            <span class="speaker-name">{speaking.display_name}</span>
            {itemTitle(speaking.agenda_item_id) && <span class="muted small">{itemTitle(speaking.agenda_item_id)}</span>}
            {left !== null && (
              <span class={`countdown ${left <= 0 ? 'over' : left <= 30 ? 'soon' : ''}`} role="timer" aria-label={t('speakers.remaining')} data-testid="countdown">
                {left <= 0 ? t('speakers.timeUp') : fmtClock(left)}
              </span>
            )}
            {preside && (
              <button type="button" class="btn" onClick={() => setState(speaking.id, 'done', 'speaker-now')}>
                {t('speakers.end')}
              </button>
            )}
            <ActionError h={h} where="speaker-now" />
          </>
        ) : (
          <span class="muted">{t('speakers.nobody')}</span>
        )}
      </div>
      {canTakePart(view, user) && open && (
        <div class="my-request">
          {!mine && (
            <button
              type="button"
              class="btn primary wide in-quick-bar"
              onClick={() => void h.act('POST', `/meetings/${m.id}/speakers`, m.current_item_id ? { agenda_item_id: m.current_item_id } : {}, { where: 'speaker-mine' })}
            >
              {t('speakers.request')}
            </button>
          )}
          {mine?.state === 'waiting' && (
            <>
              <p class="ok">{t('speakers.youWait', { n: waiting.findIndex((s) => s.id === mine.id) + 1 })}</p>
              <button type="button" class="btn wide in-quick-bar" onClick={() => setState(mine.id, 'withdrawn', 'speaker-mine')}>
                {t('speakers.withdraw')}
              </button>
            </>
          )}
          {mine?.state === 'speaking' && <p class="ok">{t('speakers.youSpeak')}</p>}
          <ActionError h={h} where="speaker-mine" />
        </div>
      )}
      <h3>
        {t('speakers.queue')} <span class="count">({fmtNumber(waiting.length)})</span>
      </h3>
      {waiting.length === 0 ? (
        <p class="muted">{t('speakers.queueEmpty')}</p>
      ) : (
        <ol class="queue" data-testid="queue">
          {waiting.map((s, i) => (
            <li class="queue-item">
              <span class="queue-pos">{i + 1}</span>
              <span class="queue-name">
                {s.display_name}
                <span class="muted small"> · {fmtTime(s.requested_at)}</span>
              </span>
              {preside && (
                <span class="queue-actions">
                  <button
                    type="button"
                    class="btn small primary"
                    disabled={!!speaking || m.state !== 'live'}
                    onClick={() => setState(s.id, 'speaking', `queue-${s.id}`)}
                    aria-label={`${t('speakers.give')}: ${s.display_name}`}
                  >
                    {t('speakers.give')}
                  </button>
                  <button type="button" class="btn small icon" disabled={i === 0} onClick={() => move(s.id, -1)} aria-label={`${t('common.up')}: ${s.display_name}`}>
                    ↑
                  </button>
                  <button type="button" class="btn small icon" disabled={i === waiting.length - 1} onClick={() => move(s.id, 1)} aria-label={`${t('common.down')}: ${s.display_name}`}>
                    ↓
                  </button>
                  <button type="button" class="btn small" onClick={() => setState(s.id, 'withdrawn', `queue-${s.id}`)} aria-label={`${t('speakers.remove')}: ${s.display_name}`}>
                    {t('speakers.remove')}
                  </button>
                </span>
              )}
              <ActionError h={h} where={`queue-${s.id}`} />
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

function AttendancePanel({ h, view, user }: PanelProps) {
  const m = view.meeting;
  const c = counts(view.participants, chairVotes(m));
  const preside = canPreside(view, user) && (m.state === 'scheduled' || m.state === 'live');
  const me = myParticipant(view, user);
  const checkedIn = isCheckedIn(view, user);
  const mayCheckIn = canTakePart(view, user) && (m.state === 'scheduled' || m.state === 'live');
  const online = h.presence;
  const mark = (p: Participant, status: 'present' | 'absent', reason?: string) =>
    h.act('POST', `/meetings/${m.id}/attendance`, { user_id: p.user_id, status, ...(reason ? { reason } : {}) }, { where: `att-${p.user_id}`, retry: true });
  // The person whose absence is being recorded (with or without a reason).
  const [absentFor, setAbsentFor] = useState<string | null>(null);
  return (
    <section class="card panel attendance" aria-labelledby="att-h">
      <h2 id="att-h">{t('att.title')}</h2>
      <dl class="counts" data-testid="counts">
        <div>
          <dt>{t('att.present')}</dt>
          <dd data-testid="count-present">{t('att.ofTotal', { n: c.present + c.substituted, total: view.participants.length })}</dd>
        </div>
        <div>
          <dt>{t('att.voting')}</dt>
          <dd data-testid="count-voting">{t('att.ofTotal', { n: c.voting_present, total: c.voting_total })}</dd>
        </div>
        <div>
          <dt>{t('att.absent')}</dt>
          <dd>{t('att.number', { n: c.absent })}</dd>
        </div>
      </dl>
      {mayCheckIn &&
        (checkedIn ? (
          <p class="ok" data-testid="checked-in">
            {me?.checked_in_at ? t('att.checkedInAt', { time: fmtTime(me.checked_in_at) }) : t('att.checkedIn')}
          </p>
        ) : (
          <button type="button" class="btn primary wide in-quick-bar" onClick={() => void h.act('POST', `/meetings/${m.id}/check-in`, undefined, { where: 'check-in', retry: true })}>
            {t('att.checkIn')}
          </button>
        ))}
      <ActionError h={h} where="check-in" />
      <ul class="people">
        {view.participants.map((p) => (
          <li class="person" data-testid="person" data-user={p.username}>
            {online && (
              <span
                class={`presence ${online.has(p.user_id) || (p.substitute_id && online.has(p.substitute_id)) ? 'on' : ''}`}
                role="img"
                aria-label={online.has(p.user_id) || (p.substitute_id && online.has(p.substitute_id)) ? t('att.online') : t('att.offline')}
                title={online.has(p.user_id) || (p.substitute_id && online.has(p.substitute_id)) ? t('att.online') : t('att.offline')}
                data-testid="presence"
              />
            )}
            <span class="person-main">
              <span class="person-name">{p.display_name}</span>
              <span class="muted small">
                {t(`role.meeting.${p.role}`)}
                {p.substitute_name && ` · ${t('att.substitute')}: ${p.substitute_name}`}
                {p.attendance === 'absent' && p.absence_reason && ` · ${t('att.reason')}: ${p.absence_reason}`}
              </span>
            </span>
            <span class={`badge att-${p.attendance}`} data-testid="att-status">
              {t(attendanceKey(p))}
            </span>
            {preside && p.role !== 'observer' && (
              <span class="person-actions">
                {p.attendance !== 'present' && (
                  <button type="button" class="btn small" onClick={() => void mark(p, 'present')} aria-label={`${t('att.markPresent')}: ${p.display_name}`}>
                    {t('att.markPresent')}
                  </button>
                )}
                <button
                  type="button"
                  class="btn small"
                  aria-expanded={absentFor === p.user_id}
                  onClick={() => setAbsentFor(absentFor === p.user_id ? null : p.user_id)}
                  aria-label={`${p.attendance === 'absent' ? t('att.editAbsence') : t('att.markAbsent')}: ${p.display_name}`}
                >
                  {p.attendance === 'absent' ? t('att.editAbsence') : t('att.markAbsent')}
                </button>
              </span>
            )}
            {preside && absentFor === p.user_id && (
              <AbsenceForm
                p={p}
                onCancel={() => setAbsentFor(null)}
                onSave={async (reason) => {
                  const r = await mark(p, 'absent', reason ?? undefined);
                  if (r) setAbsentFor(null);
                }}
              />
            )}
            <ActionError h={h} where={`att-${p.user_id}`} />
          </li>
        ))}
      </ul>
    </section>
  );
}


/**
 * On a portrait tablet or a phone (one column, CSS) the actions a member uses most — check in,
 * ask to speak, vote, documents — in a bar kept at the bottom of the screen, so none needs
 * scrolling to (the panels further down still have them).
 */
function QuickBar({ h, view, user, call }: PanelProps & { call: VoteCall }) {
  const m = view.meeting;
  if (!canTakePart(view, user) || (m.state !== 'scheduled' && m.state !== 'live')) return null;
  const mine = view.speakers.find((s) => s.user_id === user.id);
  const checkedIn = isCheckedIn(view, user);
  const toDocs = () => document.getElementById('agenda-h')?.scrollIntoView({ block: 'start' });
  return (
    <nav class="quick-bar" aria-label={t('quick.label')} data-testid="quick-bar">
      {!checkedIn && (
        <button type="button" class="btn primary" onClick={() => void h.act('POST', `/meetings/${m.id}/check-in`, undefined, { where: 'quick', retry: true })}>
          {t('att.checkIn')}
        </button>
      )}
      {call.waiting && (
        <button type="button" class="btn primary" onClick={() => call.openBallot(call.waiting!.id)}>
          {t('poll.voteNow')}
        </button>
      )}
      {!mine && (
        <button
          type="button"
          class="btn"
          onClick={() => void h.act('POST', `/meetings/${m.id}/speakers`, m.current_item_id ? { agenda_item_id: m.current_item_id } : {}, { where: 'quick' })}
        >
          {t('speakers.request')}
        </button>
      )}
      {mine?.state === 'waiting' && (
        <button type="button" class="btn" onClick={() => void h.act('POST', `/speakers/${mine.id}/state`, { state: 'withdrawn' }, { where: 'quick' })}>
          {t('speakers.withdraw')}
        </button>
      )}
      {mine?.state === 'speaking' && <span class="ok">{t('speakers.youSpeak')}</span>}
      <button type="button" class="btn" onClick={toDocs}>
        {t('doc.title')}
      </button>
      <ActionError h={h} where="quick" />
    </nav>
  );
}

/** Marking someone absent: with a reason (vắng có lý do, the reason asked) or without one. */
function AbsenceForm({ p, onSave, onCancel }: { p: Participant; onSave: (reason: string | null) => Promise<void>; onCancel: () => void }) {
  const [excused, setExcused] = useState(p.attendance !== 'absent' || !!p.absence_reason);
  const [reason, setReason] = useState(p.absence_reason ?? '');
  const [busy, setBusy] = useState(false);
  const missing = excused && !reason.trim();
  const bad = missing || overLimit(reason, LIMITS.reason);
  const name = `absence-${p.user_id}`;
  return (
    <form
      class="absence-form"
      aria-label={t('att.absenceOf', { name: p.display_name })}
      data-testid="absence-form"
      onSubmit={async (e) => {
        e.preventDefault();
        if (bad) return;
        setBusy(true);
        try {
          await onSave(excused ? reason.trim() : null);
        } finally {
          setBusy(false);
        }
      }}
    >
      <fieldset>
        <legend class="sr-only">{t('att.absenceOf', { name: p.display_name })}</legend>
        <label class="radio">
          <input type="radio" name={name} checked={excused} onChange={() => setExcused(true)} />
          {t('att.status.absentExcused')}
        </label>
        {excused && <TextField label={t('att.reason')} name="absence_reason" required max={LIMITS.reason} value={reason} onInput={setReason} />}
        <label class="radio">
          <input type="radio" name={name} checked={!excused} onChange={() => setExcused(false)} />
          {t('att.status.absentUnexcused')}
        </label>
      </fieldset>
      {missing && <p class="muted small">{t('att.reasonNeeded')}</p>}
      <div class="actions">
        <button type="submit" class="btn primary" disabled={busy || bad}>
          {t('common.save')}
        </button>
        <button type="button" class="btn" onClick={onCancel}>
          {t('common.cancel')}
        </button>
      </div>
    </form>
  );
}
