import { useEffect, useState } from 'preact/hooks';
import type { ComponentChildren } from 'preact';
import { overLimit, textLength } from '../limits';
import { fmtDateTime, fmtNumber, fmtRecordDate, fmtTime } from '../i18n';
import { t } from '../i18n';
import { errorText, session } from '../app';
import { heldFromMeeting, heldOnce, type Held } from '../meeting/held';
import type { MeetingHandle } from '../meeting/useMeeting';
import type { EventPage, Meeting, MeetingState } from '../types';

export function StateBadge({ state }: { state: MeetingState }) {
  return <span class={`badge state-${state}`}>{t(`state.${state}`)}</span>;
}

/** A button that asks for confirmation in place before acting. */
export function ConfirmButton(props: {
  label: string;
  confirm: string;
  onConfirm: () => void;
  class?: string;
  disabled?: boolean;
}) {
  const [asking, setAsking] = useState(false);
  if (!asking)
    return (
      <button type="button" class={props.class ?? 'btn'} disabled={props.disabled} onClick={() => setAsking(true)}>
        {props.label}
      </button>
    );
  return (
    <span class="confirm" role="group" aria-label={props.confirm}>
      <span class="confirm-q">{props.confirm}</span>
      <button
        type="button"
        class="btn danger"
        onClick={() => {
          setAsking(false);
          props.onConfirm();
        }}
      >
        {t('common.yes')}
      </button>
      <button type="button" class="btn" onClick={() => setAsking(false)}>
        {t('common.no')}
      </button>
    </span>
  );
}

/** `datetime-local` value (local time) from an RFC 3339 string, and back. */
export function toLocalInput(iso: string): string {
  const d = new Date(iso);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

export function fromLocalInput(v: string): string {
  return new Date(v).toISOString();
}

/** The failure of an action started at `where`, shown right there (not at the top of the page). */
export function ActionError({ h, where }: { h: MeetingHandle; where: string }) {
  if (h.actionError?.where !== where) return null;
  return (
    <p class="error action-error" role="alert" data-testid="action-error" data-where={where}>
      <span>{errorText(h.actionError.e)}</span>
      <button type="button" class="btn ghost small" onClick={h.clearActionError}>
        {t('common.dismiss')}
      </button>
    </p>
  );
}

let fieldIds = 0;

/**
 * A labelled text input (or textarea) that shows its limit as a counter while typing ("12/300")
 * and marks itself invalid past it, instead of cutting the text (no `maxLength`): the form
 * refuses to send it (see `overLimit`).
 */
export function TextField(p: {
  label: string;
  name: string;
  value: string;
  onInput: (v: string) => void;
  max: number;
  required?: boolean;
  rows?: number;
  placeholder?: string;
  class?: string;
  /** Extra content under the field (a hint, a picker). */
  children?: ComponentChildren;
}) {
  const [id] = useState(() => `field-${p.name}-${++fieldIds}`);
  const inputId = `${id}-input`;
  const n = textLength(p.value);
  const over = overLimit(p.value, p.max);
  const common = {
    name: p.name,
    required: p.required,
    placeholder: p.placeholder,
    value: p.value,
    'aria-invalid': over ? true : undefined,
    'aria-describedby': id,
    onInput: (e: Event) => p.onInput((e.currentTarget as HTMLInputElement).value),
  };
  return (
    // The counter sits outside the <label>, so the field's accessible name stays its label.
    <div class={`field ${p.class ?? ''}`}>
      <label for={inputId}>{p.label}</label>
      {p.rows ? <textarea id={inputId} rows={p.rows} {...common} /> : <input id={inputId} {...common} />}
      <span id={id} class={`counter small ${over ? 'error' : 'muted'}`} data-testid={`counter-${p.name}`} aria-live={over ? 'polite' : undefined}>
        {over ? t('field.tooLong', { n, max: p.max }) : `${fmtNumber(n)}/${fmtNumber(p.max)}`}
      </span>
      {p.children}
    </div>
  );
}

/** "Đã họp ngày 08/12/2026, 08:00–10:30" from the times the meeting went live and closed. */
export function heldText(h: Held): string | null {
  if (!h.started) return null;
  const date = fmtRecordDate(h.started);
  return h.ended ? t('meeting.heldOnRange', { date, from: fmtTime(h.started), to: fmtTime(h.ended) }) : t('meeting.heldOn', { date, from: fmtTime(h.started) });
}

/**
 * When the meeting is: the planned time, or for a closed meeting when it was held (from its
 * `meeting.state` events; the planned time until they are read, or if it never went live).
 */
export function MeetingWhen({ m }: { m: Meeting }) {
  const fields = heldFromMeeting(m);
  const [fetched, setHeld] = useState<Held | null>(null);
  const held = fields ?? fetched;
  useEffect(() => {
    if (m.state !== 'closed' || fields) return;
    let alive = true;
    heldOnce(m.id, (after) => session.request<EventPage>('GET', `/meetings/${encodeURIComponent(m.id)}/events?after=${after}`))
      .then((h) => alive && setHeld(h))
      .catch(() => undefined);
    return () => {
      alive = false;
    };
  }, [m.id, m.state, !!fields]);
  const text = m.state === 'closed' && held ? heldText(held) : null;
  if (text && held?.started)
    return (
      <time dateTime={held.started} data-testid="held-on">
        {text}
      </time>
    );
  return <time dateTime={m.starts_at}>{fmtDateTime(m.starts_at)}</time>;
}
