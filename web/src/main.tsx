import { render } from 'preact';
import { App } from './ui/App';
import { getLocale } from './i18n';
import './styles.css';

document.documentElement.lang = getLocale();
render(<App />, document.getElementById('app')!);

// Annotations drawn without a connection wait on the tablet (annotations/outbox.ts): send
// them when the app starts and whenever the network returns, whatever screen is open. The
// module loads on demand, so this costs the first page nothing.
const flushAnnotations = () => void import('./annotations/sync').then((m) => m.flushSoon()).catch(() => undefined);
window.addEventListener('online', flushAnnotations);
setTimeout(flushAnnotations, 2000);

// The app keeps working when the network drops (public/sw.js); not in the dev server.
if (import.meta.env.PROD && 'serviceWorker' in navigator) {
  window.addEventListener('load', () => {
    navigator.serviceWorker.register('/sw.js').catch(() => undefined);
  });
}
