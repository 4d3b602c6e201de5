import type { FlowDetail, FlowPage, FlowRow, PacketRow } from '../../../src/server/api-types.js';
import { api } from '../api.js';
import { type Child, h, link, note, route, section, table } from '../dom.js';
import { fmtBytes, fmtCount, fmtDuration, fmtTime } from '../format.js';
import { alertTable } from './alerts.js';

const FILTERS = ['q', 'host', 'port', 'proto', 'service'] as const;
const PAGE_SIZE = 50;

export async function flowsPage(root: HTMLElement, params: URLSearchParams): Promise<void> {
  const sort = params.get('sort') ?? 'ts';
  const order = params.get('order') === 'asc' ? 'asc' : 'desc';
  const offset = Number(params.get('offset') ?? 0) || 0;
  const query: Record<string, string | number | undefined> = { sort, order, offset, limit: PAGE_SIZE };
  for (const f of FILTERS) query[f] = params.get(f) ?? undefined;
  const go = (changes: Record<string, string | number | undefined>): void => {
    location.hash = route('flows', { ...query, limit: undefined, uid: undefined, ...changes });
  };

  root.append(filterForm(params, go));
  let page: FlowPage;
  try {
    page = await api<FlowPage>('flows', query);
  } catch (err) {
    root.append(h('p', { class: 'error', role: 'alert' }, (err as Error).message));
    return;
  }
  const first = page.total === 0 ? 0 : page.offset + 1;
  const last = page.offset + page.rows.length;
  const pager = h(
    'div',
    { class: 'pager' },
    h(
      'span',
      { 'data-testid': 'flows-range' },
      `${fmtCount(first)}–${fmtCount(last)} of ${fmtCount(page.total)}${page.totalCapped ? '+' : ''} flows`,
    ),
    pageButton('Previous', page.offset > 0, () => go({ offset: Math.max(0, page.offset - PAGE_SIZE) })),
    pageButton('Next', last < page.total, () => go({ offset: page.offset + PAGE_SIZE })),
  );
  const detail = h('div', { 'data-testid': 'flow-detail' });
  root.append(
    section(
      'Flows',
      pager,
      table(
        [
          { title: 'Start', key: 'ts', cell: (r: FlowRow) => fmtTime(r.ts) },
          { title: 'Originator', key: 'orig_h', cell: (r) => `${r.orig_h}:${r.orig_p}` },
          { title: 'Responder', key: 'resp_h', cell: (r) => `${r.resp_h}:${r.resp_p}` },
          { title: 'Proto', cell: (r) => r.proto },
          { title: 'Service', key: 'service', cell: (r) => r.service ?? '' },
          { title: 'State', cell: (r) => r.conn_state },
          { title: 'Duration', key: 'duration', num: true, cell: (r) => fmtDuration(r.duration) },
          { title: 'Packets', key: 'packets', num: true, cell: (r) => fmtCount(r.orig_pkts + r.resp_pkts) },
          {
            title: 'Bytes',
            key: 'bytes',
            num: true,
            cell: (r) => fmtBytes(r.orig_ip_bytes + r.resp_ip_bytes),
          },
        ],
        page.rows,
        {
          testid: 'flows',
          sort: { key: sort, order },
          onSort: (key) =>
            go({ sort: key, order: key === sort && order === 'desc' ? 'asc' : 'desc', offset: 0 }),
          onRow: (r) => void showFlow(detail, r.uid),
        },
      ),
    ),
    detail,
  );
  const uid = params.get('uid');
  if (uid !== null) await showFlow(detail, uid);
}

function pageButton(text: string, enabled: boolean, onClick: () => void): HTMLButtonElement {
  const b = h('button', { type: 'button' }, text);
  b.disabled = !enabled;
  b.addEventListener('click', onClick);
  return b;
}

function filterForm(
  params: URLSearchParams,
  go: (c: Record<string, string | number | undefined>) => void,
): HTMLElement {
  const input = (name: string, label: string, type = 'text'): HTMLInputElement =>
    h('input', { name, type, placeholder: label, 'aria-label': label, value: params.get(name) ?? '' });
  const proto = h(
    'select',
    { name: 'proto', 'aria-label': 'Protocol' },
    ...['', 'tcp', 'udp', 'icmp'].map((p) => h('option', { value: p }, p === '' ? 'any protocol' : p)),
  );
  proto.value = params.get('proto') ?? '';
  const fields = [
    input('q', 'Search uid, address, service'),
    input('host', 'Host'),
    input('port', 'Port', 'number'),
    proto,
    input('service', 'Service'),
  ];
  const form = h(
    'form',
    { class: 'filters', 'data-testid': 'flow-filters' },
    ...fields,
    h('button', { type: 'submit' }, 'Filter'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const data = new FormData(form);
    const changes: Record<string, string | undefined> = {};
    for (const f of FILTERS) changes[f] = String(data.get(f) ?? '').trim() || undefined;
    go({ ...changes, offset: 0 });
  });
  return form;
}

/** A flow's fields, its DNS/TLS/HTTP records (when the database has them), alerts and packets. */
async function showFlow(target: HTMLElement, uid: string): Promise<void> {
  const [d, packets] = await Promise.all([
    api<FlowDetail>(`flows/${encodeURIComponent(uid)}`),
    api<{ rows: PacketRow[]; truncated: boolean }>(`flows/${encodeURIComponent(uid)}/packets`),
  ]);
  const f = d.flow;
  const fields: [string, Child][] = [
    ['uid', f.uid],
    ['Community ID', f.community_id],
    ['Start', fmtTime(f.ts)],
    ['Duration', fmtDuration(f.duration)],
    ['Originator', link('hosts', { host: f.orig_h }, `${f.orig_h}:${f.orig_p}`)],
    ['Responder', link('hosts', { host: f.resp_h }, `${f.resp_h}:${f.resp_p}`)],
    ['Protocol', f.proto],
    ['Service', f.service ?? '–'],
    ['State', f.conn_state],
    ['History', f.history ?? '–'],
    ['Originator packets / bytes', `${fmtCount(f.orig_pkts)} / ${fmtCount(f.orig_bytes)}`],
    ['Responder packets / bytes', `${fmtCount(f.resp_pkts)} / ${fmtCount(f.resp_bytes)}`],
  ];
  target.replaceChildren(
    section(
      `Flow ${f.uid}`,
      h('dl', { class: 'fields' }, ...fields.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
      ...(['dns', 'tls', 'http'] as const).map((t) => metadata(t.toUpperCase(), d[t])),
      h('h3', {}, 'Alerts'),
      d.alerts === null ? note('No alerts table in this database.') : alertTable(d.alerts),
      h('h3', {}, `Packets${packets.truncated ? ' (first 1,000)' : ''}`),
      table(
        [
          { title: 'Frame', num: true, cell: (p: PacketRow) => p.frame ?? '' },
          { title: 'Time', cell: (p) => fmtTime(p.ts) },
          { title: 'Source', cell: (p) => `${p.src_ip ?? ''}${p.src_port === null ? '' : `:${p.src_port}`}` },
          {
            title: 'Destination',
            cell: (p) => `${p.dst_ip ?? ''}${p.dst_port === null ? '' : `:${p.dst_port}`}`,
          },
          { title: 'Protocol', cell: (p) => p.protocol ?? '' },
          { title: 'Length', num: true, cell: (p) => p.length ?? '' },
        ],
        packets.rows,
        { testid: 'flow-packets' },
      ),
    ),
  );
  target.scrollIntoView({ block: 'start' });
}

function metadata(title: string, rows: Record<string, unknown>[] | null): HTMLElement {
  if (rows === null) return h('div', {}, h('h3', {}, title), note(`No ${title} log in this database.`));
  if (rows.length === 0) return h('div', {}, h('h3', {}, title), note(`No ${title} records for this flow.`));
  const keys = Object.keys(rows[0]!).filter((k) => k !== 'uid' && k !== 'id');
  return h(
    'div',
    {},
    h('h3', {}, title),
    table(
      keys.map((k) => ({
        title: k,
        cell: (r: Record<string, unknown>) => (r[k] === null || r[k] === undefined ? '' : String(r[k])),
      })),
      rows,
      { testid: `flow-${title.toLowerCase()}` },
    ),
  );
}
