import { useEffect } from 'preact/hooks';
import { navigate, session, useEnrolmentRequired, useHeaderRole, useLocale, useRoute, useUser } from '../app';
import { t, setLocale, LOCALES } from '../i18n';
import { MeetingList } from './MeetingList';
import { CreateMeeting } from './CreateMeeting';
import { MeetingScreen } from './MeetingScreen';
import { SignIn } from './SignIn';
import { Security } from './Security';
import { Users } from './Users';
import { Consultations, CreateWritten, WRITTEN_PATH } from './Written';
import { NOTIFICATIONS_PATH, NotificationBell, NotificationsPage } from './Notifications';

export const SECURITY_PATH = '/account/security';

export function App() {
  const user = useUser();
  const locale = useLocale();
  const { path, search } = useRoute();
  const enrolmentRequired = useEnrolmentRequired();
  useEffect(() => {
    document.title = `ecabinet — ${t('app.tagline')}`;
  }, [locale]);
  // The server refuses everything else until this user has a second factor: lead them to it
  // (on its own address, so the page stays once enrolment has lifted the refusal).
  useEffect(() => {
    if (user && enrolmentRequired && location.pathname !== SECURITY_PATH) navigate(SECURITY_PATH);
  }, [user, enrolmentRequired, path]);
  if (!user) return <SignIn />;
  const m = path.match(/^\/meetings\/([^/]+)$/);
  let page;
  if (path === SECURITY_PATH || enrolmentRequired) page = <Security required={enrolmentRequired} />;
  else if (path === '/users' && user.role === 'admin') page = <Users />;
  else if (path === '/meetings/new') page = <CreateMeeting />;
  else if (path === WRITTEN_PATH) page = <Consultations />;
  else if (path === NOTIFICATIONS_PATH) page = <NotificationsPage />;
  else if (path === `${WRITTEN_PATH}/new` && (user.role === 'admin' || user.role === 'secretary')) page = <CreateWritten key={search.toString()} fromMeeting={search.get('from_meeting')} fromItem={search.get('from_item')} />;
  else if (m) page = <MeetingScreen key={m[1]} id={decodeURIComponent(m[1])} initialTab={search.get('tab')} />;
  else page = <MeetingList />;
  return (
    <div class="shell">
      <Header />
      <main id="main" class="main">
        {page}
      </main>
    </div>
  );
}

export function Link(props: { href: string; class?: string; children: any; 'aria-label'?: string; 'data-testid'?: string }) {
  return (
    <a
      href={props.href}
      class={props.class}
      aria-label={props['aria-label']}
      data-testid={props['data-testid']}
      onClick={(e) => {
        if (e.ctrlKey || e.metaKey || e.shiftKey) return;
        e.preventDefault();
        navigate(props.href);
      }}
    >
      {props.children}
    </a>
  );
}

function Header() {
  const user = useUser()!;
  const meetingRole = useHeaderRole();
  return (
    <header class="topbar">
      <Link href="/" class="brand" aria-label={t('nav.meetings')}>
        <span class="logo" aria-hidden="true">
          ▤
        </span>
        <span>ecabinet</span>
      </Link>
      <nav class="topnav" aria-label={t('nav.label')}>
        <Link href="/" class="navlink">
          {t('nav.meetings')}
        </Link>
        <Link href={WRITTEN_PATH} class="navlink">
          {t('nav.written')}
        </Link>
        {user.role === 'admin' && (
          <Link href="/users" class="navlink">
            {t('nav.users')}
          </Link>
        )}
        <Link href={SECURITY_PATH} class="navlink">
          {t('nav.security')}
        </Link>
      </nav>
      <div class="topbar-end">
        {/* The navigation is hidden on phones: the second factor's page stays one tap away. */}
        <Link href={SECURITY_PATH} class="btn ghost icon phone-only" aria-label={t('nav.security')}>
          <svg width="22" height="22" viewBox="0 0 24 24" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="2">
            <rect x="5" y="11" width="14" height="10" rx="2" />
            <path d="M8 11V8a4 4 0 0 1 8 0v3" />
          </svg>
        </Link>
        <NotificationBell />
        <LanguageSwitch />
        <span class="who" data-testid="who">
          <span class="who-name">{user.display_name}</span>
          <span class="who-role" data-testid="who-role">
            {meetingRole ? t(`role.meeting.${meetingRole}`) : t(`role.system.${user.role}`)}
          </span>
        </span>
        <button type="button" class="btn ghost" onClick={() => void session.logout()}>
          {t('auth.signOut')}
        </button>
      </div>
    </header>
  );
}

export function LanguageSwitch() {
  const locale = useLocale();
  return (
    <div class="langswitch" role="group" aria-label={t('lang.label')}>
      {LOCALES.map((l) => (
        <button
          type="button"
          class={`btn seg ${l === locale ? 'on' : ''}`}
          aria-pressed={l === locale}
          lang={l}
          title={t(`lang.${l}`)}
          onClick={() => setLocale(l)}
        >
          {l.toUpperCase()}
        </button>
      ))}
    </div>
  );
}
