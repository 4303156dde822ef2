import { useState } from 'preact/hooks';
import { navigate, session, useLocale, errorText } from '../app';
import { t } from '../i18n';
import type { Meeting } from '../types';
import { fromLocalInput, toLocalInput } from './bits';
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
  async function submit(e: Event) {
    e.preventDefault();
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
        <label class="field">
          <span>{t('meeting.title')}</span>
          <input name="title" required maxLength={300} value={title} onInput={(e) => setTitle(e.currentTarget.value)} />
        </label>
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
        <label class="field">
          <span>{t('meeting.location')}</span>
          <input name="location" value={location} onInput={(e) => setLocation(e.currentTarget.value)} />
        </label>
        <label class="field">
          <span>{t('meeting.description')}</span>
          <textarea name="description" rows={3} value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
        </label>
        {error && (
          <p class="error" role="alert">
            {errorText(error.e)}
          </p>
        )}
        <div class="actions">
          <button type="submit" class="btn primary" disabled={busy}>
            {t('create.submit')}
          </button>
        </div>
      </form>
    </div>
  );
}
