import type { AlertPage, AlertRow, AllowEntry } from '../../../src/server/api-types.js';
import { api, download } from '../api.js';
import { h, link, note, route, section, table } from '../dom.js';
import { fmtCount, fmtTime } from '../format.js';

const PAGE_SIZE = 50;

export function alertTable(rows: readonly AlertRow[], onRow?: (r: AlertRow) => void): HTMLElement {
  if (rows.length === 0) return note('No alerts.');
  return table(
    [
      { title: 'Last seen', cell: (r: AlertRow) => fmtTime(r.last_seen) },
      {
        title: 'Severity',
        cell: (r) =>
          h('span', { class: `sev sev-${r.severity.toLowerCase().replace(/[^a-z]/g, '')}` }, r.severity),
      },
      { title: 'Type', cell: (r) => r.type },
      {
        title: 'Source',
        cell: (r) => (r.src_ip === null ? '' : link('hosts', { host: r.src_ip }, r.src_ip)),
      },
      {
        title: 'Destination',
        cell: (r) => (r.dst_ip === null ? '' : link('hosts', { host: r.dst_ip }, r.dst_ip)),
      },
      { title: 'Count', num: true, cell: (r) => fmtCount(r.count) },
      { title: 'Message', cell: (r) => r.message },
      { title: 'Ack', cell: (r) => (r.acknowledged ? 'yes' : '') },
    ],
    rows,
    { testid: 'alerts', ...(onRow === undefined ? {} : { onRow }) },
  );
}

export async function alertsPage(root: HTMLElement, params: URLSearchParams): Promise<void> {
  const offset = Number(params.get('offset') ?? 0) || 0;
  const query = {
    severity: params.get('severity') ?? undefined,
    type: params.get('type') ?? undefined,
    acknowledged: params.get('acknowledged') ?? undefined,
    offset,
    limit: PAGE_SIZE,
  };
  const page = await api<AlertPage>('alerts', query);
  if (!page.available) {
    root.append(
      section('Alerts', note('This database has no alerts table: detection has not written any alerts.')),
    );
    return;
  }
  const detail = h('div', { 'data-testid': 'alert-detail' });
  const sevSelect = h(
    'select',
    { name: 'severity', 'aria-label': 'Severity' },
    ...['', 'critical', 'high', 'medium', 'low', 'info'].map((s) =>
      h('option', { value: s }, s === '' ? 'any severity' : s),
    ),
  );
  sevSelect.value = query.severity ?? '';
  sevSelect.addEventListener('change', () => {
    location.hash = route('alerts', { ...query, limit: undefined, offset: 0, severity: sevSelect.value });
  });
  root.append(
    section(
      'Alerts',
      h('div', { class: 'filters' }, sevSelect),
      h('p', { class: 'sub', 'data-testid': 'alerts-range' }, `${fmtCount(page.total)} alerts`),
      alertTable(page.rows, (r) => showAlert(detail, r)),
    ),
    detail,
  );
}

function showAlert(target: HTMLElement, a: AlertRow): void {
  const ack = h(
    'button',
    { type: 'button', 'data-testid': 'ack' },
    a.acknowledged ? 'Unacknowledge' : 'Acknowledge',
  );
  const state = h('span', { class: 'sub', 'data-testid': 'alert-state', role: 'status' });
  ack.addEventListener('click', () => {
    api<{ acknowledged: boolean }>(`alerts/${a.id}/ack`, {}, a.acknowledged ? 'DELETE' : 'POST').then(
      (r) => {
        a.acknowledged = r.acknowledged;
        ack.textContent = r.acknowledged ? 'Unacknowledge' : 'Acknowledge';
        state.textContent = r.acknowledged ? 'acknowledged' : 'not acknowledged';
      },
      (err: Error) => (state.textContent = err.message),
    );
  });
  const pcap = h('button', { type: 'button', 'data-testid': 'download-pcap' }, 'Download evidence pcap');
  pcap.addEventListener('click', () => {
    state.textContent = 'preparing the evidence pcap…';
    download(`alerts/${a.id}/pcap`, `nta-alert-${a.id}.pcapng`).then(
      () => (state.textContent = 'evidence pcap downloaded'),
      (err: Error) => (state.textContent = err.message),
    );
  });
  const comment = h('input', {
    type: 'text',
    name: 'comment',
    maxlength: '500',
    placeholder: 'Why this is accepted',
    'aria-label': 'Mute comment',
  });
  const mute = h('button', { type: 'submit', 'data-testid': 'mute' }, 'Mute similar');
  const muteForm = h('form', { class: 'filters', 'data-testid': 'mute-form' }, comment, mute);
  muteForm.addEventListener('submit', (e) => {
    e.preventDefault();
    if (comment.value.trim() === '') {
      state.textContent = 'a comment is required to mute';
      return;
    }
    api<AllowEntry>(`alerts/${a.id}/mute`, {}, 'POST', { comment: comment.value }).then(
      (r) => {
        mute.disabled = true;
        state.textContent = `muted: allowlist entry #${r.id}`;
      },
      (err: Error) => (state.textContent = err.message),
    );
  });
  target.replaceChildren(
    section(
      `Alert ${a.id}: ${a.type}`,
      h('p', {}, a.message),
      h(
        'p',
        { class: 'sub' },
        `First seen ${fmtTime(a.first_seen)}, last seen ${fmtTime(a.last_seen)}, ${fmtCount(a.count)} times`,
      ),
      h('div', { class: 'filters' }, ack, pcap, state),
      muteForm,
      h(
        'p',
        { class: 'sub' },
        'Mute similar adds an allowlist entry for this type, source, destination and port, as nta alerts mute does; later runs on this database no longer raise it.',
      ),
      h('h3', {}, 'Evidence'),
      h('pre', { class: 'evidence' }, JSON.stringify(a.evidence, null, 2)),
    ),
  );
}
