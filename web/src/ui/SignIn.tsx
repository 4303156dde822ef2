// The sign-in screen: the password step, then (accounts with a second factor) the code step
// with the authenticator's six digits or a recovery code (auth/signin.ts holds the steps).
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { errorText, session, useLocale } from '../app';
import { t } from '../i18n';
import { SignInFlow, codeReady, type SignInState } from '../auth/signin';
import { LanguageSwitch } from './App';

export function SignIn() {
  useLocale();
  const flow = useMemo(() => new SignInFlow(session), []);
  const [state, setState] = useState<SignInState>(flow.state);
  useEffect(() => flow.subscribe(setState), [flow]);
  const waitSecs = useWait(flow, state);
  // Kept across the steps: back at the password step, only the password is typed again.
  const [username, setUsername] = useState('');
  return (
    <main class="signin">
      <div class="signin-lang">
        <LanguageSwitch />
      </div>
      {state.step === 'code' ? (
        <CodeStep flow={flow} state={state} waitSecs={waitSecs} />
      ) : (
        <PasswordStep flow={flow} state={state.step === 'password' ? state : null} waitSecs={waitSecs} username={username} setUsername={setUsername} />
      )}
    </main>
  );
}

/** Seconds left of a 429's wait, counted down once a second (0: none). */
function useWait(flow: SignInFlow, state: SignInState): number {
  const [, tick] = useState(0);
  const left = Math.ceil(flow.waitLeft() / 1000);
  useEffect(() => {
    if (left <= 0) return;
    const id = setInterval(() => tick((n) => n + 1), 1000);
    return () => clearInterval(id);
  }, [left > 0, state]);
  return left;
}

function Problem({ error, waitSecs }: { error: unknown; waitSecs: number }) {
  if (waitSecs > 0)
    return (
      <p class="error" role="alert" data-testid="signin-wait">
        {t('mfa.wait', { n: waitSecs })}
      </p>
    );
  if (!error) return null;
  return (
    <p class="error" role="alert">
      {errorText(error)}
    </p>
  );
}

function PasswordStep(p: {
  flow: SignInFlow;
  state: Extract<SignInState, { step: 'password' }> | null;
  waitSecs: number;
  username: string;
  setUsername: (v: string) => void;
}) {
  const { flow, state, waitSecs, username, setUsername } = p;
  const [password, setPassword] = useState('');
  const busy = !!state?.busy;
  function submit(e: Event) {
    e.preventDefault();
    void flow.password(username.trim(), password);
  }
  return (
    <form class="card signin-card" onSubmit={submit} aria-labelledby="signin-title">
      <div class="signin-brand" aria-hidden="true">
        ▤
      </div>
      <h1 id="signin-title">{t('auth.title')}</h1>
      <p class="muted">{t('app.tagline')}</p>
      {session.ended && !state?.error && (
        <p class="notice" role="status" data-testid="session-ended">
          {t('auth.sessionEnded')}
        </p>
      )}
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
      <Problem error={state?.error} waitSecs={waitSecs} />
      <button type="submit" class="btn primary wide" disabled={busy || waitSecs > 0}>
        {busy ? t('auth.signingIn') : t('auth.signIn')}
      </button>
    </form>
  );
}

function CodeStep({ flow, state, waitSecs }: { flow: SignInFlow; state: Extract<SignInState, { step: 'code' }>; waitSecs: number }) {
  const [code, setCode] = useState('');
  const input = useRef<HTMLInputElement>(null);
  // A fresh field (and the keyboard) for each try and each kind of code.
  useEffect(() => {
    if (state.busy) return;
    if (state.error) setCode('');
    input.current?.focus();
  }, [state.recovery, state.error, state.busy]);
  function submit(e: Event) {
    e.preventDefault();
    if (!codeReady(code, state.recovery)) return;
    void flow.code(code);
  }
  const label = state.recovery ? t('mfa.recoveryLabel') : t('mfa.codeLabel');
  return (
    <form class="card signin-card" onSubmit={submit} aria-labelledby="signin-title" data-testid="mfa-step">
      <div class="signin-brand" aria-hidden="true">
        ▤
      </div>
      <h1 id="signin-title">{t('mfa.stepTitle')}</h1>
      <p class="muted">{state.recovery ? t('mfa.recoveryHint') : t('mfa.codeHint')}</p>
      <label class="field">
        <span>{label}</span>
        {state.recovery ? (
          <input
            ref={input}
            key="recovery"
            name="recovery_code"
            autocomplete="off"
            autocapitalize="characters"
            spellcheck={false}
            required
            value={code}
            onInput={(e) => setCode(e.currentTarget.value)}
          />
        ) : (
          <input
            ref={input}
            key="totp"
            name="code"
            class="otp-input"
            inputMode="numeric"
            pattern="[0-9 ]*"
            autocomplete="one-time-code"
            maxLength={7}
            required
            value={code}
            onInput={(e) => setCode(e.currentTarget.value)}
          />
        )}
      </label>
      <Problem error={state.error} waitSecs={waitSecs} />
      <button type="submit" class="btn primary wide" disabled={state.busy || waitSecs > 0 || !codeReady(code, state.recovery)}>
        {state.busy ? t('auth.signingIn') : t('mfa.verify')}
      </button>
      <div class="signin-links">
        <button type="button" class="btn ghost" onClick={() => flow.toggleRecovery()} disabled={state.busy}>
          {state.recovery ? t('mfa.useTotp') : t('mfa.useRecovery')}
        </button>
        <button type="button" class="btn ghost" onClick={() => flow.back()} disabled={state.busy}>
          {t('mfa.backToPassword')}
        </button>
      </div>
    </form>
  );
}
