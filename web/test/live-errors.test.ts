// @vitest-environment happy-dom
// The live channel's error frames in words (issue 22): a refused request over the socket shows
// the sentence of its code (docs/live.md, "Error codes"), not a network error or a raw code.
import { describe, expect, it } from 'vitest';
import { errorText } from '../src/app';
import { setLocale, t } from '../src/i18n';
import { LiveRequestError } from '../src/live';
import { presentRefused } from '../src/ui/Documents';

describe('live error frames', () => {
  it('are shown with the sentence of their code, in both languages', () => {
    setLocale('vi');
    expect(errorText(new LiveRequestError('unknown_document', 'unknown document'))).toBe('Tài liệu không thuộc cuộc họp này hoặc đã bị gỡ.');
    expect(errorText(new LiveRequestError('invalid_stroke'))).toBe(t('err.invalid_stroke'));
    setLocale('en');
    expect(errorText(new LiveRequestError('rate_limited'))).toBe(t('err.rate_limited', {}, 'en'));
    expect(errorText(new LiveRequestError('invalid_request'))).toMatch(/not in the right form/);
    setLocale('vi');
    // A code no one has translated yet still says something, with the code for support.
    expect(errorText(new LiveRequestError('brand_new_code'))).toBe(t('err.generic', { code: 'brand_new_code' }));
  });

  it('tell a refused page turn from one that could not be sent', () => {
    setLocale('vi');
    expect(presentRefused(new LiveRequestError('invalid_page'))).toBe(t('err.invalid_page'));
    expect(presentRefused(new LiveRequestError('unknown_document'))).toBe(t('err.unknown_document'));
    expect(presentRefused(new LiveRequestError('timeout'))).toBe(t('present.notSent'));
    expect(presentRefused(new LiveRequestError('not_connected'))).toBe(t('present.notSent'));
    expect(presentRefused(new TypeError('offline'))).toBe(t('present.notSent'));
  });
});
