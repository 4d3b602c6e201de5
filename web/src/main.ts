import './style.css';
import { Unauthorized, saveToken } from './api.js';
import { clear, h } from './dom.js';
import { alertsPage } from './pages/alerts.js';
import { flowsPage } from './pages/flows.js';
import { hostsPage } from './pages/hosts.js';
import { overviewPage } from './pages/overview.js';

/** A page renders into `root` from its hash parameters and returns a function that stops its timers. */
export type Page = (root: HTMLElement, params: URLSearchParams) => Promise<(() => void) | void>;

const PAGES: Record<string, Page> = {
  overview: overviewPage,
  flows: flowsPage,
  alerts: alertsPage,
  hosts: hostsPage,
};

const root = document.getElementById('page')!;
let stop: (() => void) | void;
let generation = 0;

async function show(): Promise<void> {
  const hash = location.hash.replace(/^#\/?/, '');
  const [name = 'overview', query = ''] = hash.split('?', 2);
  const page = PAGES[name] ?? overviewPage;
  stop?.();
  stop = undefined;
  const mine = ++generation;
  clear(root);
  for (const a of document.querySelectorAll<HTMLAnchorElement>('nav a'))
    a.classList.toggle('active', a.dataset['page'] === (PAGES[name] === undefined ? 'overview' : name));
  try {
    const s = await page(root, new URLSearchParams(query));
    if (mine === generation) stop = s;
    else s?.();
  } catch (err) {
    if (mine !== generation) return;
    clear(root);
    if (err instanceof Unauthorized) root.append(tokenForm());
    else root.append(h('p', { class: 'error', role: 'alert' }, `Could not load: ${(err as Error).message}`));
  }
}

/** Asked once per tab when the server wants a token (nta serve printed it at start). */
function tokenForm(): HTMLElement {
  const input = h('input', { type: 'password', name: 'token', autocomplete: 'off', 'aria-label': 'Token' });
  const form = h(
    'form',
    { class: 'card token-form', 'data-testid': 'token-form' },
    h('h2', {}, 'Token required'),
    h('p', {}, 'This server needs the token nta serve printed when it started.'),
    input,
    h('button', { type: 'submit' }, 'Continue'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    saveToken(input.value.trim());
    void show();
  });
  return form;
}

window.addEventListener('hashchange', () => void show());
void show();
