import { useEffect, useState } from 'preact/hooks';
import { session, useLocale, useUser, errorText } from '../app';
import { t } from '../i18n';
import { groupOf, type ListGroup } from '../meeting/state';
import type { Meeting } from '../types';
import { isWritten } from '../written/logic';
import { Link } from './App';
import { MeetingWhen, StateBadge } from './bits';
import { AwaitingConsultations } from './Written';

const GROUPS: ListGroup[] = ['live', 'upcoming', 'past'];

export function MeetingList() {
  useLocale();
  const user = useUser()!;
  const [meetings, setMeetings] = useState<Meeting[] | null>(null);
  const [error, setError] = useState<{ e: unknown } | null>(null);
  // The first render of the list after a load: measured by the e2e run (docs/web.md, "Figures").
  useEffect(() => {
    if (meetings && !performance.getEntriesByName('ecabinet:meeting-list').length) performance.mark('ecabinet:meeting-list');
  }, [meetings]);
  useEffect(() => {
    let alive = true;
    const load = async () => {
      try {
        const r = await session.request<{ meetings: Meeting[] }>('GET', '/meetings');
        if (alive) {
          setMeetings(r.meetings);
          setError(null);
        }
      } catch (e) {
        if (alive) setError({ e });
      }
    };
    void load();
    const id = setInterval(load, 10_000);
    return () => {
      alive = false;
      clearInterval(id);
    };
  }, []);
  const mayCreate = user.role === 'admin' || user.role === 'secretary';
  return (
    <div class="page">
      <div class="page-head">
        <h1>{t('list.title')}</h1>
        {mayCreate && (
          <Link href="/meetings/new" class="btn primary">
            {t('list.create')}
          </Link>
        )}
      </div>
      <AwaitingConsultations />
      {error && (
        <p class="error" role="alert">
          {errorText(error.e)}
        </p>
      )}
      {meetings === null && !error && <p class="muted">{t('common.loading')}</p>}
      {meetings &&
        GROUPS.map((g) => {
          // Consultations held in writing have their own list (ui/Written.tsx).
          let items = meetings.filter((m) => !isWritten(m) && groupOf(m) === g);
          if (g === 'past') items = items.slice().reverse();
          return (
            <section class="list-group" aria-labelledby={`group-${g}`} data-group={g}>
              <h2 id={`group-${g}`}>
                {t(`list.${g}`)} <span class="count">{t('list.count', { n: items.length })}</span>
              </h2>
              {items.length === 0 ? (
                <p class="muted">{t(`list.empty.${g}`)}</p>
              ) : (
                <ul class="meeting-cards">
                  {items.map((m) => (
                    <li>
                      <Link href={`/meetings/${m.id}`} class={`card meeting-card state-${m.state}`}>
                        <span class="meeting-card-title">{m.title}</span>
                        <span class="meeting-card-meta">
                          <MeetingWhen m={m} />
                          {m.location && <span> · {m.location}</span>}
                        </span>
                        <StateBadge state={m.state} />
                      </Link>
                    </li>
                  ))}
                </ul>
              )}
            </section>
          );
        })}
    </div>
  );
}
