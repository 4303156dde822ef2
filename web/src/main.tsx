import { render } from 'preact';
import { App } from './ui/App';
import { getLocale } from './i18n';
import './styles.css';

document.documentElement.lang = getLocale();
render(<App />, document.getElementById('app')!);

// The app keeps working when the network drops (public/sw.js); not in the dev server.
if (import.meta.env.PROD && 'serviceWorker' in navigator) {
  window.addEventListener('load', () => {
    navigator.serviceWorker.register('/sw.js').catch(() => undefined);
  });
}
