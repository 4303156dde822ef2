import { useEffect, useState } from 'preact/hooks';
import { navigate, session, useHeaderRole, useLocale, useRoute, useUser, errorText } from '../app';
import { t, setLocale, LOCALES } from '../i18n';
import { MeetingList } from './MeetingList';
import { CreateMeeting } from './CreateMeeting';
import { MeetingScreen } from './MeetingScreen';

export function App() {
  const user = useUser();
  const locale = useLocale();
  const { path, search } = useRoute();
  useEffect(() => {
    document.title = `ecabinet — ${t('app.tagline')}`;
  }, [locale]);
  if (!user) return <SignIn />;
  const m = path.match(/^\/meetings\/([^/]+)$/);
  let page;
  if (path === '/meetings/new') page = <CreateMeeting />;
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

export function Link(props: { href: string; class?: string; children: any; 'aria-label'?: string }) {
  return (
    <a
      href={props.href}
      class={props.class}
      aria-label={props['aria-label']}
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
      </nav>
      <div class="topbar-end">
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

function SignIn() {
  useLocale();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<{ e: unknown } | null>(null);
  const [busy, setBusy] = useState(false);
  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await session.login(username.trim(), password);
    } catch (err) {
      setError({ e: err });
    } finally {
      setBusy(false);
    }
  }
  return (
    <main class="signin">
      <div class="signin-lang">
        <LanguageSwitch />
      </div>
      <form class="card signin-card" onSubmit={submit} aria-labelledby="signin-title">
        <div class="signin-brand" aria-hidden="true">
          ▤
        </div>
        <h1 id="signin-title">{t('auth.title')}</h1>
        <p class="muted">{t('app.tagline')}</p>
        <label class="field">
          <span>{t('auth.username')}</span>
          <input
            name="username"
            autocomplete="username"
            autocapitalize="none"
            required
            value={username}
            onInput={(e) => setUsername(e.currentTarget.value)}
          />
        </label>
        <label class="field">
          <span>{t('auth.password')}</span>
          <input
            name="password"
            type="password"
            autocomplete="current-password"
            required
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </label>
        {error && (
          <p class="error" role="alert">
            {errorText(error.e)}
          </p>
        )}
        <button type="submit" class="btn primary wide" disabled={busy}>
          {busy ? t('auth.signingIn') : t('auth.signIn')}
        </button>
      </form>
    </main>
  );
}
