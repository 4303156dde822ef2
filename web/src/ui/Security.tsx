// The account's security page: "Xác thực hai lớp", the signed-in user's second factor
// (auth/enrol.ts holds the steps), then the signed-in devices and the password change
// (Devices.tsx), then "Chữ ký của tôi", the picture drawn where they sign (SignatureImage.tsx). Also the page a user is led to when their role needs a second factor they do
// not have yet; until they have one the server refuses the rest, so only enrolment is shown.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { errorText, session, useLocale } from '../app';
import { t, fmtDateTime } from '../i18n';
import { ApiError } from '../session';
import { EnrolFlow, groupSecret, recoveryText, type EnrolApi, type EnrolState } from '../auth/enrol';
import { QrCode } from './Qr';
import { Link } from './App';
import { ChangePassword, Devices, useDeviceList } from './Devices';
import { SignatureImageSection, useSignatureImage } from './SignatureImage';

const api: EnrolApi = {
  start: () => session.request('POST', '/me/mfa/totp'),
  confirm: (code) => session.request('POST', '/me/mfa/totp/confirm', { code }),
  disable: (code) => session.request('DELETE', '/me/mfa/totp', { code }),
  known: (on) => session.setMfa(on),
};

/** A refused code or a wait after too many (429 names how long). */
export function codeErrorText(e: unknown): string {
  if (e instanceof ApiError && e.status === 429) return t('mfa.wait', { n: e.retryAfter ?? 30 });
  return errorText(e);
}

function Err({ e }: { e: unknown }) {
  if (!e) return null;
  return (
    <p class="error" role="alert">
      {codeErrorText(e)}
    </p>
  );
}

export function Security({ required }: { required: boolean }) {
  useLocale();
  const flow = useMemo(() => new EnrolFlow(api, session.current?.mfa), []);
  const [state, setState] = useState<EnrolState>(flow.state);
  useEffect(() => flow.subscribe(setState), [flow]);
  const devices = useDeviceList();
  // While the recovery codes are shown (once), nothing else competes with them.
  const enrolling = (required && state.step !== 'on') || state.step === 'codes';
  return (
    <div class="page narrow account">
      <h1>{t('account.title')}</h1>
      <MfaSection flow={flow} state={state} required={required} />
      {!enrolling && (
        <>
          <Devices list={devices} />
          <ChangePassword onChanged={() => void devices.load()} />
          <MySignature />
        </>
      )}
    </div>
  );
}

/** Loads the picture when shown; leaving the page revokes its preview. */
function MySignature() {
  const store = useSignatureImage();
  return <SignatureImageSection store={store} />;
}

function MfaSection({ flow, state, required }: { flow: EnrolFlow; state: EnrolState; required: boolean }) {
  return (
    <section class="mfa" aria-labelledby="mfa-h">
      <h2 id="mfa-h">{t('mfa.title')}</h2>
      {required && state.step !== 'codes' && state.step !== 'on' && (
        <p class="notice" role="alert" data-testid="mfa-required">
          {t('err.mfa_enrollment_required')}
        </p>
      )}
      {state.step === 'off' && <Off flow={flow} state={state} />}
      {state.step === 'pending' && <Pending flow={flow} state={state} />}
      {state.step === 'codes' && <Codes flow={flow} codes={state.codes} />}
      {state.step === 'on' && <On flow={flow} state={state} />}
    </section>
  );
}

function Off({ flow, state }: { flow: EnrolFlow; state: Extract<EnrolState, { step: 'off' }> }) {
  return (
    <div class="card panel">
      <p>{t('mfa.intro')}</p>
      <p class="muted">{t('mfa.apps')}</p>
      <Err e={state.error} />
      <button type="button" class="btn primary" disabled={state.busy} onClick={() => void flow.start()}>
        {t('mfa.start')}
      </button>
    </div>
  );
}

function CodeField(p: { name: string; label: string; value: string; onInput: (v: string) => void; recoveryToo?: boolean }) {
  return (
    <label class="field">
      <span>{p.label}</span>
      <input
        name={p.name}
        class="otp-input"
        inputMode={p.recoveryToo ? 'text' : 'numeric'}
        autocomplete={p.recoveryToo ? 'off' : 'one-time-code'}
        autocapitalize="none"
        spellcheck={false}
        required
        value={p.value}
        onInput={(e) => p.onInput(e.currentTarget.value)}
      />
    </label>
  );
}

function Pending({ flow, state }: { flow: EnrolFlow; state: Extract<EnrolState, { step: 'pending' }> }) {
  const [code, setCode] = useState('');
  useEffect(() => {
    if (state.error) setCode('');
  }, [state.error]);
  return (
    <div class="card panel mfa-pending">
      <ol class="mfa-steps">
        <li>
          <p>{t('mfa.scan')}</p>
          <div class="mfa-qr-row">
            <QrCode text={state.uri} label={t('mfa.qrLabel')} />
            <div>
              <p class="muted">{t('mfa.manual')}</p>
              <code class="mfa-secret" data-testid="mfa-secret" data-secret={state.secret}>
                {groupSecret(state.secret)}
              </code>
            </div>
          </div>
        </li>
        <li>
          <form
            class="inline-form"
            onSubmit={(e) => {
              e.preventDefault();
              void flow.confirm(code);
            }}
          >
            <CodeField name="confirm_code" label={t('mfa.codeLabel')} value={code} onInput={setCode} />
            <button type="submit" class="btn primary" disabled={state.busy || !/^\d{6}$/.test(code.replace(/\s+/g, ''))}>
              {t('mfa.confirm')}
            </button>
          </form>
          <Err e={state.error} />
        </li>
      </ol>
      <button type="button" class="btn ghost" disabled={state.busy} onClick={() => void flow.start()}>
        {t('mfa.restart')}
      </button>
    </div>
  );
}

function Codes({ flow, codes }: { flow: EnrolFlow; codes: string[] }) {
  const user = session.user;
  const heading = t('mfa.fileHeading', { user: user ? `${user.display_name} (${user.username})` : '', at: fmtDateTime(new Date().toISOString()) });
  function download() {
    const blob = new Blob([recoveryText(codes, heading)], { type: 'text/plain;charset=utf-8' });
    const url = URL.createObjectURL(blob);
    const a = document.createElement('a');
    a.href = url;
    a.download = 'ecabinet-recovery-codes.txt';
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }
  function print() {
    // Only the codes are printed (styles.css, html.printing-codes).
    const root = document.documentElement;
    root.classList.add('printing-codes');
    const done = () => {
      root.classList.remove('printing-codes');
      window.removeEventListener('afterprint', done);
    };
    window.addEventListener('afterprint', done);
    window.print();
  }
  return (
    <div class="card panel mfa-codes print-area" data-testid="mfa-codes">
      <p class="success" role="status">
        {t('mfa.enabled')}
      </p>
      <h3>{t('mfa.codesTitle')}</h3>
      <p class="notice">{t('mfa.codesOnce')}</p>
      <p class="print-only">{heading}</p>
      <ol class="recovery-codes">
        {codes.map((c) => (
          <li>
            <code>{c}</code>
          </li>
        ))}
      </ol>
      <div class="actions no-print">
        <button type="button" class="btn" onClick={download}>
          {t('mfa.download')}
        </button>
        <button type="button" class="btn" onClick={print}>
          {t('mfa.print')}
        </button>
        <button type="button" class="btn primary" onClick={() => flow.doneWithCodes()}>
          {t('mfa.savedCodes')}
        </button>
      </div>
    </div>
  );
}

function On({ flow, state }: { flow: EnrolFlow; state: Extract<EnrolState, { step: 'on' }> }) {
  const [code, setCode] = useState('');
  useEffect(() => {
    if (state.error) setCode('');
  }, [state.error]);
  return (
    <>
      <div class="card panel">
        <p class="success" data-testid="mfa-on">
          {t('mfa.isOn')}
        </p>
        <Link href="/" class="btn">
          {t('mfa.toMeetings')}
        </Link>
      </div>
      <form
        class="card panel"
        aria-labelledby="mfa-off-h"
        onSubmit={(e) => {
          e.preventDefault();
          void flow.disable(code);
        }}
      >
        <h3 id="mfa-off-h">{t('mfa.disableTitle')}</h3>
        <p class="muted">{t('mfa.disableHint')}</p>
        <div class="inline-form">
          <CodeField name="disable_code" label={t('mfa.anyCodeLabel')} value={code} onInput={setCode} recoveryToo />
          <button type="submit" class="btn danger" disabled={state.busy || code.trim().length < 6}>
            {t('mfa.disable')}
          </button>
        </div>
        {state.error instanceof ApiError && state.error.code === 'mfa_already_active' ? (
          <p class="muted" role="status">
            {t('err.mfa_already_active')}
          </p>
        ) : (
          <Err e={state.error} />
        )}
      </form>
    </>
  );
}
