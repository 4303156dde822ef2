// The header's bell with the unread count, and the notifications page: newest first, unread ones
// marked, worded from their kind and params in the reader's language (notifications/model.ts);
// tapping one marks it read and opens its meeting. The bookkeeping is notifications/store.ts.
import { useEffect } from 'preact/hooks';
import { errorText, navigate, notifications, useLocale, useNotifications } from '../app';
import { fmtDateTime, t } from '../i18n';
import { badgeText, hrefOf, wording, type AppNotification } from '../notifications/model';
import { watchUnread } from '../notifications/store';
import { Link } from './App';

export const NOTIFICATIONS_PATH = '/notifications';

/** The accessible name of the bell: "Thông báo: 3 thông báo chưa đọc". */
export function bellLabel(unread: number | null): string {
  return unread && unread > 0 ? `${t('notif.title')}: ${t('notif.unread', { n: unread })}` : t('notif.title');
}

/** In the header: a bell leading to the list, with the unread count; keeps the count current. */
export function NotificationBell() {
  useLocale();
  const { unread } = useNotifications();
  useEffect(() => watchUnread(notifications, window, document), []);
  const badge = badgeText(unread);
  return (
    <Link href={NOTIFICATIONS_PATH} class="btn ghost icon bell" aria-label={bellLabel(unread)} data-testid="notif-bell">
      <svg width="24" height="24" viewBox="0 0 24 24" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">
        <path d="M18 8a6 6 0 0 0-12 0c0 7-3 9-3 9h18s-3-2-3-9" />
        <path d="M13.73 21a2 2 0 0 1-3.46 0" />
      </svg>
      {badge && (
        <span class="bell-count" aria-hidden="true" data-testid="notif-count">
          {badge}
        </span>
      )}
    </Link>
  );
}

export function NotificationsPage() {
  useLocale();
  const s = useNotifications();
  useEffect(() => notifications.show(), []);
  const unread = s.unread ?? 0;
  const retry = s.error?.where === 'more' ? () => void notifications.loadMore() : () => void notifications.refresh();
  return (
    <div class="page narrow notif-page">
      <div class="page-head">
        <h1>{t('notif.title')}</h1>
        <button type="button" class="btn" disabled={unread === 0} onClick={() => void notifications.markAllRead()} data-testid="notif-read-all">
          {t('notif.markAllRead')}
        </button>
      </div>
      <p class="muted" role="status" data-testid="notif-unread">
        {s.unread === null ? '' : unread > 0 ? t('notif.unread', { n: unread }) : t('notif.none')}
      </p>
      {s.error && (
        <p class="error action-error" role="alert" data-testid="notif-error">
          <span>{errorText(s.error.e)}</span>
          {s.error.where === 'read' ? (
            <button type="button" class="btn ghost small" onClick={() => notifications.dismissError()}>
              {t('common.dismiss')}
            </button>
          ) : (
            <button type="button" class="btn small" onClick={retry}>
              {t('notif.retry')}
            </button>
          )}
        </p>
      )}
      {!s.loaded && !s.error && <p class="muted">{t('common.loading')}</p>}
      {s.loaded && s.items.length === 0 && (
        <p class="muted" data-testid="notif-empty">
          {t('notif.empty')}
        </p>
      )}
      {s.items.length > 0 && (
        <ul class="notif-list" data-testid="notif-list">
          {s.items.map((n) => (
            <li key={n.id}>
              <NotificationItem n={n} />
            </li>
          ))}
        </ul>
      )}
      {s.loaded && s.nextBefore && (
        <div class="actions notif-more">
          <button type="button" class="btn" disabled={s.loadingMore} onClick={() => void notifications.loadMore()} data-testid="notif-more">
            {s.loadingMore ? t('common.loading') : t('notif.loadMore')}
          </button>
        </div>
      )}
    </div>
  );
}

function NotificationItem({ n }: { n: AppNotification }) {
  const w = wording(n);
  const href = hrefOf(n);
  const unread = !n.read_at;
  const body = (
    <>
      <span class="notif-dot" aria-hidden="true" />
      <span class="notif-body">
        {unread && <span class="sr-only">{t('notif.unreadMark')}: </span>}
        <span class="notif-text" data-testid="notif-text">
          {w.text}
        </span>
        {w.previous && <span class="notif-previous">{w.previous}</span>}
        <time class="notif-time" dateTime={n.created_at}>
          {t('notif.receivedAt', { time: fmtDateTime(n.created_at) })}
        </time>
      </span>
    </>
  );
  const cls = `card notif ${unread ? 'unread' : 'read'} kind-${n.kind}`;
  const open = (e: MouseEvent) => {
    void notifications.markRead(n.id);
    // Opened in another tab or window: the browser does that.
    if (href && (e.ctrlKey || e.metaKey || e.shiftKey)) return;
    e.preventDefault();
    if (href) navigate(href);
  };
  return href ? (
    <a href={href} class={cls} data-testid="notif" data-read={unread ? 'false' : 'true'} onClick={open}>
      {body}
    </a>
  ) : (
    <button type="button" class={cls} data-testid="notif" data-read={unread ? 'false' : 'true'} onClick={open}>
      {body}
    </button>
  );
}
