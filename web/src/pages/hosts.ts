import type { HostDetail, HostPage, HostRow, PeerRow } from '../../../src/server/api-types.js';
import { api } from '../api.js';
import { lineChart } from '../charts.js';
import { h, link, note, route, section, table } from '../dom.js';
import { fmtBytes, fmtCount, fmtTime } from '../format.js';
import { alertTable } from './alerts.js';

const PAGE_SIZE = 50;

export async function hostsPage(root: HTMLElement, params: URLSearchParams): Promise<void> {
  const host = params.get('host');
  if (host !== null) return hostDetail(root, host);
  const query = {
    class: params.get('class') ?? undefined,
    q: params.get('q') ?? undefined,
    sort: params.get('sort') ?? 'bytes',
    order: params.get('order') === 'asc' ? 'asc' : 'desc',
    offset: Number(params.get('offset') ?? 0) || 0,
    limit: PAGE_SIZE,
  };
  const go = (changes: Record<string, string | number | undefined>): void => {
    location.hash = route('hosts', { ...query, limit: undefined, ...changes });
  };
  const page = await api<HostPage>('hosts', query);
  const devices = page.source === 'inventory';
  const cls = h(
    'select',
    { name: 'class', 'aria-label': 'Host class' },
    ...['', 'local', 'remote', 'multicast/broadcast'].map((c) =>
      h('option', { value: c }, c === '' ? 'all hosts' : c),
    ),
  );
  cls.value = query.class ?? '';
  cls.addEventListener('change', () => go({ class: cls.value || undefined, offset: 0 }));
  const last = page.offset + page.rows.length;
  const prev = h('button', { type: 'button' }, 'Previous');
  prev.disabled = page.offset === 0;
  prev.addEventListener('click', () => go({ offset: Math.max(0, page.offset - PAGE_SIZE) }));
  const next = h('button', { type: 'button' }, 'Next');
  next.disabled = last >= page.total;
  next.addEventListener('click', () => go({ offset: page.offset + PAGE_SIZE }));
  const search = h('input', {
    type: 'search',
    name: 'q',
    placeholder: devices ? 'Address, MAC or name' : 'Address',
    'aria-label': 'Search hosts',
  });
  search.value = query.q ?? '';
  const searchForm = h('form', { class: 'filters' }, search, h('button', { type: 'submit' }, 'Search'));
  searchForm.addEventListener('submit', (e) => {
    e.preventDefault();
    go({ q: search.value.trim() || undefined, offset: 0 });
  });
  const columns = devices
    ? [
        { title: 'MAC', key: 'host', cell: (r: HostRow) => r.host },
        { title: 'Vendor', cell: (r: HostRow) => r.vendor ?? '' },
        { title: 'Name', key: 'name', cell: (r: HostRow) => r.hostName ?? '' },
        { title: 'Addresses', cell: (r: HostRow) => addresses(r) },
        { title: 'Sent', num: true, cell: (r: HostRow) => fmtBytes(r.sent) },
        { title: 'Received', key: 'bytes', num: true, cell: (r: HostRow) => fmtBytes(r.received) },
        { title: 'First seen', cell: (r: HostRow) => fmtTime(r.first) },
        { title: 'Last seen', key: 'last', cell: (r: HostRow) => fmtTime(r.last) },
      ]
    : [
        { title: 'Host', key: 'host', cell: (r: HostRow) => r.host },
        { title: 'Class', cell: (r: HostRow) => r.hostClass },
        { title: 'Flows', key: 'flows', num: true, cell: (r: HostRow) => fmtCount(r.flows ?? 0) },
        { title: 'Sent', num: true, cell: (r: HostRow) => fmtBytes(r.sent) },
        { title: 'Received', key: 'bytes', num: true, cell: (r: HostRow) => fmtBytes(r.received) },
        { title: 'Last seen', key: 'last', cell: (r: HostRow) => fmtTime(r.last) },
      ];
  root.append(
    section(
      devices ? 'Hosts (device inventory)' : 'Hosts',
      h('div', { class: 'filters' }, devices ? null : cls, searchForm),
      h(
        'div',
        { class: 'pager' },
        h(
          'span',
          { 'data-testid': 'hosts-range' },
          `${fmtCount(page.total === 0 ? 0 : page.offset + 1)}–${fmtCount(last)} of ${fmtCount(page.total)} ${devices ? 'devices' : 'hosts'}`,
        ),
        prev,
        next,
      ),
      table(columns, page.rows, {
        testid: 'hosts',
        sort: { key: query.sort, order: query.order as 'asc' | 'desc' },
        onSort: (key) =>
          go({
            sort: key,
            order: key === query.sort && query.order === 'desc' ? 'asc' : 'desc',
            offset: 0,
          }),
        onRow: (r) => go({ host: r.host, q: undefined, offset: undefined }),
      }),
    ),
  );
}

/** A device's addresses, the first few of a router's many. */
function addresses(r: HostRow): string {
  const shown = r.ips.slice(0, 4).join(', ');
  const more = r.ips.length > 4 ? ` +${r.ips.length - 4}` : '';
  return `${shown}${more}${r.router ? ' (router)' : ''}`;
}

async function hostDetail(root: HTMLElement, host: string): Promise<void> {
  const d = await api<HostDetail>(`hosts/${encodeURIComponent(host)}`);
  const chart = h('div', { class: 'chart' });
  const device = d.host.kind === 'device';
  root.append(
    section(
      device ? `Device ${d.host.hostName ?? d.host.host}` : `Host ${d.host.host}`,
      h(
        'div',
        { class: 'stats', 'data-testid': 'host-summary' },
        device ? stat('MAC', d.host.host, 'host-mac') : stat('Class', d.host.hostClass),
        device ? stat('Vendor', d.host.vendor ?? 'unknown', 'host-vendor') : null,
        device
          ? stat(
              'Name',
              d.host.hostName === null ? 'none seen' : `${d.host.hostName} (${d.host.nameSource ?? '?'})`,
              'host-name',
            )
          : null,
        device ? stat('Addresses', addresses(d.host), 'host-ips') : null,
        stat('Flows', fmtCount(d.host.flows ?? 0), 'host-flows'),
        stat('Sent', fmtBytes(d.host.sent), 'host-sent'),
        stat('Received', fmtBytes(d.host.received), 'host-received'),
        stat('First seen', fmtTime(d.host.first)),
        stat('Last seen', fmtTime(d.host.last)),
      ),
      device
        ? h(
            'p',
            {},
            ...d.host.ips
              .slice(0, 8)
              .flatMap((ip, i) => [i > 0 ? ', ' : 'Flows of ', link('flows', { host: ip }, ip)]),
          )
        : h('p', {}, link('flows', { host: d.host.host }, 'Flows of this host')),
      h('h3', {}, `Traffic over time (bytes/s, ${d.timeline.bucketSeconds}-second buckets, by flow start)`),
      chart,
    ),
    h(
      'div',
      { class: 'grid2' },
      section(
        'Peers',
        table(
          [
            { title: 'Peer', cell: (r: PeerRow) => link('hosts', { host: r.peer }, r.peer) },
            { title: 'Flows', num: true, cell: (r) => fmtCount(r.flows) },
            { title: 'Bytes', num: true, cell: (r) => fmtBytes(r.bytes) },
          ],
          d.peers,
          { testid: 'peers' },
        ),
      ),
      section(
        'Services it answered',
        d.services.length === 0
          ? note('None.')
          : table(
              [
                { title: 'Service', cell: (r: HostDetail['services'][number]) => `${r.port}/${r.proto}` },
                { title: 'Flows', num: true, cell: (r) => fmtCount(r.flows) },
                { title: 'Bytes', num: true, cell: (r) => fmtBytes(r.bytes) },
              ],
              d.services,
            ),
      ),
      section('Alerts', d.alerts === null ? note('No alerts table in this database.') : alertTable(d.alerts)),
    ),
  );
  const per = d.timeline.bucketSeconds;
  lineChart(
    chart,
    ['sent', 'received'],
    [
      d.timeline.t.map((t) => t / 1000),
      d.timeline.sent.map((b) => b / per),
      d.timeline.received.map((b) => b / per),
    ],
    'B/s',
  );
}

function stat(label: string, value: string, testid?: string): HTMLElement {
  return h(
    'div',
    { class: 'stat' },
    h('div', { class: 'label' }, label),
    h('div', { class: 'value', 'data-testid': testid === undefined ? undefined : `stat-${testid}` }, value),
  );
}
