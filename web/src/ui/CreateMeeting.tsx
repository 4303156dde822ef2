import { useState } from 'preact/hooks';
import { navigate, session, useLocale, errorText } from '../app';
import { t } from '../i18n';
import type { Meeting } from '../types';
import { fromLocalInput, TextField, toLocalInput } from './bits';
import { LIMITS, overLimit } from '../limits';
import { Link } from './App';

export function CreateMeeting() {
  useLocale();
  const tomorrow = new Date(Date.now() + 24 * 3600 * 1000);
  tomorrow.setHours(8, 0, 0, 0);
  const [title, setTitle] = useState('');
  const [startsAt, setStartsAt] = useState(toLocalInput(tomorrow.toISOString()));
  const [location, setLocation] = useState('');
  const [description, setDescription] = useState('');
  const [error, setError] = useState<{ e: unknown } | null>(null);
  const [busy, setBusy] = useState(false);
  const tooLong = overLimit(title, LIMITS.title) || overLimit(location, LIMITS.location) || overLimit(description, LIMITS.description);
  async function submit(e: Event) {
    e.preventDefault();
    if (tooLong) return;
    setBusy(true);
    setError(null);
    try {
      const m = await session.request<Meeting>('POST', '/meetings', {
        title: title.trim(),
        starts_at: fromLocalInput(startsAt),
        location: location.trim() || undefined,
        description: description.trim() || undefined,
      });
      navigate(`/meetings/${m.id}?tab=console`);
    } catch (err) {
      setError({ e: err });
      setBusy(false);
    }
  }
  return (
    <div class="page narrow">
      <p>
        <Link href="/">← {t('nav.back')}</Link>
      </p>
      <form class="card form" onSubmit={submit} aria-labelledby="create-title">
        <h1 id="create-title">{t('create.title')}</h1>
        <TextField label={t('meeting.title')} name="title" required max={LIMITS.title} value={title} onInput={setTitle} />
        <label class="field">
          <span>{t('meeting.startsAt')}</span>
          <input
            name="starts_at"
            type="datetime-local"
            required
            value={startsAt}
            onInput={(e) => setStartsAt(e.currentTarget.value)}
          />
        </label>
        <TextField label={t('meeting.location')} name="location" max={LIMITS.location} value={location} onInput={setLocation} />
        <TextField label={t('meeting.description')} name="description" rows={3} max={LIMITS.description} value={description} onInput={setDescription} />
        {error && (
          <p class="error" role="alert">
            {errorText(error.e)}
          </p>
        )}
        <div class="actions">
          <button type="submit" class="btn primary" disabled={busy || tooLong}>
            {t('create.submit')}
          </button>
        </div>
      </form>
    </div>
  );
}
