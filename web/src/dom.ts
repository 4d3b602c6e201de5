/**
 * The only way the dashboard makes elements. Text goes in with textContent, never as HTML: every name
 * shown (DNS names, HTTP hosts, user agents, SNI) came from packets an attacker may have written.
 */
export type Child = Node | string | number | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | undefined> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined) continue;
    // Event handlers are attached with addEventListener, never as attributes.
    if (k.toLowerCase().startsWith('on')) throw new Error(`refusing attribute ${k}`);
    el.setAttribute(k, v);
  }
  append(el, ...children);
  return el;
}

export function append(el: Element, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'number' ? String(c) : c); // append() of a string makes a Text node
  }
}

export function clear(el: Element): void {
  el.replaceChildren();
}

/** A link inside the dashboard: `#/page?k=v`, every value URI-encoded. */
export function route(page: string, params: Record<string, string | number | undefined> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return `#/${page}${s === '' ? '' : `?${s}`}`;
}

export function link(
  page: string,
  params: Record<string, string | number | undefined>,
  text: Child,
): HTMLAnchorElement {
  return h('a', { href: route(page, params) }, text);
}

export interface Column<T> {
  readonly title: string;
  readonly key?: string;
  readonly num?: boolean;
  readonly cell: (row: T) => Child;
}

/** A table; `onSort` makes the titles with a key clickable, `onRow` the rows. */
export function table<T>(
  columns: readonly Column<T>[],
  rows: readonly T[],
  opts: {
    testid?: string;
    sort?: { key: string; order: 'asc' | 'desc' };
    onSort?: (key: string) => void;
    onRow?: (row: T) => void;
  } = {},
): HTMLElement {
  const head = h(
    'tr',
    {},
    ...columns.map((c) => {
      const th = h('th', { class: c.num === true ? 'num' : undefined, scope: 'col' }, c.title);
      if (c.key !== undefined && opts.onSort !== undefined) {
        const key = c.key;
        th.classList.add('sortable');
        th.tabIndex = 0;
        if (opts.sort?.key === key) {
          th.setAttribute('aria-sort', opts.sort.order === 'asc' ? 'ascending' : 'descending');
          th.append(opts.sort.order === 'asc' ? ' ▲' : ' ▼');
        }
        th.addEventListener('click', () => opts.onSort!(key));
      }
      return th;
    }),
  );
  const body = h(
    'tbody',
    {},
    ...rows.map((r) => {
      const tr = h(
        'tr',
        {},
        ...columns.map((c) => h('td', { class: c.num === true ? 'num' : undefined }, c.cell(r))),
      );
      if (opts.onRow !== undefined) {
        tr.classList.add('clickable');
        tr.tabIndex = 0;
        tr.addEventListener('click', () => opts.onRow!(r));
        tr.addEventListener('keydown', (e) => {
          if (e.key === 'Enter') opts.onRow!(r);
        });
      }
      return tr;
    }),
  );
  return h(
    'div',
    { class: 'table-wrap' },
    h('table', { 'data-testid': opts.testid }, h('thead', {}, head), body),
  );
}

export function section(title: string, ...children: Child[]): HTMLElement {
  return h('section', { class: 'card' }, h('h2', {}, title), ...children);
}

export function note(text: string): HTMLElement {
  return h('p', { class: 'note' }, text);
}
