// "Chữ ký của tôi" on the account page: the user's signature image (auth/signature-image.ts),
// shown on white as it will sit on the record, with the limits said before choosing a file,
// "Tải ảnh chữ ký lên" / "Thay ảnh", and "Xóa ảnh chữ ký" after a confirmation. A refusal (the
// tablet's check or the server's) is said next to the buttons.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { errorText, session, useLocale } from '../app';
import { t } from '../i18n';
import { ApiError } from '../session';
import { ImageRefused, MAX_IMAGE_BYTES, MAX_IMAGE_SIDE, SignatureImage, signatureImageApi, type SignatureImageState, type UrlMaker } from '../auth/signature-image';
import { ConfirmButton } from './bits';

const KB = MAX_IMAGE_BYTES / 1024;

/** What went wrong, in the user's words: the tablet's own check, or the server's answer. */
export function imageErrorText(e: unknown): string {
  if (e instanceof ImageRefused) {
    const r = e.refusal;
    switch (r.reason) {
      case 'not_png':
        return t('sigimg.notPng');
      case 'too_big':
        return t('sigimg.tooBig', { size: Math.ceil(r.size / 1024), kb: KB });
      case 'too_wide':
        return t('sigimg.tooWide', { width: r.width, height: r.height, px: MAX_IMAGE_SIDE });
      case 'unreadable':
        return t('sigimg.unreadable');
    }
  }
  // The generic 415 sentence speaks of PDFs; a body over the limit is the same rule as 422's.
  if (e instanceof ApiError && e.status === 415) return t('sigimg.notPng');
  if (e instanceof ApiError && e.status === 413) return t('err.invalid_image');
  return errorText(e);
}

/** The account page's store, made once per page and disposed with it (revoking the preview). */
export function useSignatureImage(urls?: UrlMaker): SignatureImage {
  const store = useMemo(() => new SignatureImage(signatureImageApi((p, i) => session.fetchRaw(p, i)), urls), []);
  useEffect(() => {
    void store.load();
    return () => store.dispose();
  }, [store]);
  return store;
}

export function SignatureImageSection({ store }: { store: SignatureImage }) {
  useLocale();
  const [state, setState] = useState<SignatureImageState>(store.state);
  useEffect(() => store.subscribe(setState), [store]);
  const input = useRef<HTMLInputElement>(null);
  const has = state.has === true;
  return (
    <section class="card panel sigimg" aria-labelledby="sigimg-h" data-testid="signature-image" aria-busy={state.loading || state.busy ? 'true' : undefined}>
      <h2 id="sigimg-h">{t('sigimg.title')}</h2>
      <p class="muted">{t('sigimg.intro')}</p>
      <p class="muted">{t('sigimg.noImageHint')}</p>
      <div class="sigimg-frame" data-testid="signature-preview" data-has={state.has === null ? undefined : String(has)}>
        {state.url ? (
          <img src={state.url} alt={t('sigimg.alt')} />
        ) : state.has === false ? (
          <span class="muted">{t('sigimg.none')}</span>
        ) : state.loading ? (
          <span class="muted">{t('common.loading')}</span>
        ) : null}
      </div>
      <ul class="sigimg-rules" id="sigimg-rules">
        <li>{t('sigimg.limits', { kb: KB, px: MAX_IMAGE_SIDE })}</li>
        <li>{t('sigimg.transparent')}</li>
      </ul>
      <div class="actions">
        <button
          type="button"
          class={has ? 'btn' : 'btn primary'}
          disabled={!!state.busy || (state.loading && state.has === null)}
          aria-describedby="sigimg-rules"
          onClick={() => input.current?.click()}
        >
          {has ? t('sigimg.replace') : t('sigimg.upload')}
        </button>
        <input
          ref={input}
          type="file"
          name="signature_image"
          accept="image/png,.png"
          hidden
          onChange={(e) => {
            const f = e.currentTarget.files?.[0];
            e.currentTarget.value = '';
            if (f) void store.upload(f);
          }}
        />
        {has && <ConfirmButton class="btn danger-outline" label={t('sigimg.remove')} confirm={t('sigimg.removeConfirm')} disabled={!!state.busy} onConfirm={() => void store.remove()} />}
      </div>
      {state.busy && (
        <p class="muted" role="status">
          {state.busy === 'remove' ? t('sigimg.removing') : t('sigimg.uploading')}
        </p>
      )}
      {!!state.error && (
        <p class="error" role="alert" data-testid="signature-image-error">
          {imageErrorText(state.error)}
        </p>
      )}
      {state.done && !state.busy && !state.error && (
        <p class="success" role="status" data-testid="signature-image-done">
          {state.done === 'saved' ? t('sigimg.saved') : t('sigimg.removed')}
        </p>
      )}
    </section>
  );
}
