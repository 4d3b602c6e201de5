import type uPlot from 'uplot';
import type {
  AlertPage,
  DestinationRow,
  DomainRow,
  LiveTick,
  Optional,
  PortRow,
  ProtocolRow,
  Summary,
  TalkerRow,
  TimelineResponse,
} from '../../../src/server/api-types.js';
import { api, liveTicks } from '../api.js';
import { lineChart } from '../charts.js';
import { h, link, note, section, table } from '../dom.js';
import { TIME_ZONE, fmtBytes, fmtCount, fmtTime } from '../format.js';
import { alertTable } from './alerts.js';

/** Ticks kept on the live charts (one a second: five minutes). */
const LIVE_POINTS = 300;
const TOP = 10;

export async function overviewPage(root: HTMLElement): Promise<() => void> {
  const [summary, timeline, protocols, talkers, destinations, ports, domains, alerts] = await Promise.all([
    api<Summary>('summary'),
    api<TimelineResponse>('timeline'),
    api<{ rows: ProtocolRow[] }>('protocols', { limit: 16 }),
    api<{ rows: TalkerRow[] }>('top/talkers', { limit: TOP }),
    api<Optional<DestinationRow>>('top/destinations', { limit: TOP }),
    api<{ rows: PortRow[] }>('top/ports', { limit: TOP }),
    api<Optional<DomainRow>>('top/domains', { limit: TOP }),
    api<AlertPage>('alerts', { limit: 10 }),
  ]);

  const running = summary.captures.filter((c) => c.status === 'running').length;
  root.append(
    h(
      'div',
      { class: 'stats', 'data-testid': 'summary' },
      stat('Packets', fmtCount(summary.packets), 'packets'),
      stat('Bytes', fmtBytes(summary.bytes), 'bytes'),
      stat('Flows', fmtCount(summary.flows), 'flows'),
      stat('First packet', fmtTime(summary.first), 'first'),
      stat('Last packet', fmtTime(summary.last), 'last'),
      stat('Captures', `${summary.captures.length}${running > 0 ? ` (${running} running)` : ''}`, 'captures'),
    ),
  );

  // Live: rates of what is being stored now, one point per tick.
  const liveTotal = h('span', { 'data-testid': 'live-total' }, '0');
  const liveState = h('span', { class: 'pill', 'data-testid': 'live-state' }, 'connecting');
  const livePps = h('div', { class: 'chart' });
  const liveBps = h('div', { class: 'chart' });
  root.append(
    section(
      'Live',
      h('p', { class: 'sub' }, liveState, ' Packets stored since this page opened: ', liveTotal),
      h(
        'div',
        { class: 'grid2' },
        h('div', {}, h('h3', {}, 'Packets/s'), livePps),
        h('div', {}, h('h3', {}, 'Bits/s'), liveBps),
      ),
    ),
  );
  const liveSeries: string[] = [];
  const xs: number[] = [];
  const pps = new Map<string, (number | null)[]>();
  const bps = new Map<string, (number | null)[]>();
  let ppsChart: uPlot | undefined;
  let bpsChart: uPlot | undefined;
  let total = 0;
  const redraw = (): void => {
    const dataP: uPlot.AlignedData = [xs, ...liveSeries.map((s) => pps.get(s)!)];
    const dataB: uPlot.AlignedData = [xs, ...liveSeries.map((s) => bps.get(s)!)];
    if (ppsChart === undefined || ppsChart.series.length - 1 !== liveSeries.length) {
      ppsChart?.destroy();
      bpsChart?.destroy();
      livePps.replaceChildren();
      liveBps.replaceChildren();
      ppsChart = lineChart(livePps, liveSeries, dataP, 'pkt/s', 180);
      bpsChart = lineChart(liveBps, liveSeries, dataB, 'bit/s', 180);
    } else {
      ppsChart.setData(dataP);
      bpsChart!.setData(dataB);
    }
  };
  const onTick = (t: LiveTick): void => {
    total += t.totalPackets;
    liveTotal.textContent = fmtCount(total);
    for (const p of Object.keys(t.packets)) {
      if (!pps.has(p)) {
        liveSeries.push(p);
        pps.set(
          p,
          xs.map(() => 0),
        );
        bps.set(
          p,
          xs.map(() => 0),
        );
      }
    }
    xs.push(t.t / 1000);
    const secs = Math.max(t.seconds, 0.001);
    for (const s of liveSeries) {
      pps.get(s)!.push((t.packets[s] ?? 0) / secs);
      bps.get(s)!.push(((t.bytes[s] ?? 0) * 8) / secs);
    }
    if (xs.length > LIVE_POINTS) {
      xs.shift();
      for (const s of liveSeries) {
        pps.get(s)!.shift();
        bps.get(s)!.shift();
      }
    }
    redraw();
  };
  const stopLive = liveTicks(onTick, (connected) => {
    liveState.textContent = connected ? 'live' : 'reconnecting';
    liveState.classList.toggle('ok', connected);
  });

  // History: the whole database, bucketed.
  const history = h('div', { class: 'chart' });
  root.append(
    section(
      'Traffic over time',
      h(
        'p',
        { class: 'sub' },
        `Packets/s per protocol, ${timeline.bucketSeconds}-second buckets, times in ${TIME_ZONE}`,
      ),
      timeline.t.length === 0 ? note('No packets in this database yet.') : history,
    ),
  );
  if (timeline.t.length > 0)
    lineChart(
      history,
      timeline.series,
      [timeline.t.map((t) => t / 1000), ...timeline.series.map((s) => timeline.packetsPerSec[s]!)],
      'pkt/s',
    );

  const maxProto = Math.max(1, ...protocols.rows.map((r) => r.packets));
  root.append(
    h(
      'div',
      { class: 'grid2' },
      section(
        'Protocols',
        table(
          [
            { title: 'Protocol', cell: (r: ProtocolRow) => r.protocol },
            { title: 'Packets', num: true, cell: (r) => fmtCount(r.packets) },
            { title: 'Bytes', num: true, cell: (r) => fmtBytes(r.bytes) },
            { title: '', cell: (r) => bar(r.packets / maxProto) },
          ],
          protocols.rows,
          { testid: 'protocols' },
        ),
      ),
      section(
        'Top talkers',
        table(
          [
            { title: 'Host', cell: (r: TalkerRow) => link('hosts', { host: r.host }, r.host) },
            { title: 'Class', cell: (r) => r.hostClass },
            { title: 'Bytes', num: true, cell: (r) => fmtBytes(r.bytes) },
            { title: 'Packets', num: true, cell: (r) => fmtCount(r.packets) },
          ],
          talkers.rows,
          { testid: 'talkers' },
        ),
      ),
      section(
        'Top destinations',
        destinations.available
          ? table(
              [
                { title: 'Host', cell: (r: DestinationRow) => link('hosts', { host: r.host }, r.host) },
                { title: 'Flows', num: true, cell: (r) => fmtCount(r.flows) },
                { title: 'Bytes', num: true, cell: (r) => fmtBytes(r.bytes) },
              ],
              destinations.rows,
              { testid: 'destinations' },
            )
          : note('No flows in this database.'),
      ),
      section(
        'Top service ports',
        table(
          [
            { title: 'Port', cell: (r: PortRow) => `${r.port}/${r.protocol.toLowerCase()}` },
            { title: 'Packets', num: true, cell: (r) => fmtCount(r.packets) },
            { title: 'Bytes', num: true, cell: (r) => fmtBytes(r.bytes) },
          ],
          ports.rows,
          { testid: 'ports' },
        ),
      ),
      section(
        'Top domains',
        domains.available
          ? table(
              [
                { title: 'Name', cell: (r: DomainRow) => r.domain },
                { title: 'Queries', num: true, cell: (r) => fmtCount(r.queries) },
              ],
              domains.rows,
              { testid: 'domains' },
            )
          : note('No DNS log in this database.'),
      ),
      section(
        'Recent alerts',
        alerts.available ? alertTable(alerts.rows) : note('No alerts table in this database.'),
      ),
    ),
  );
  return () => {
    stopLive();
    ppsChart?.destroy();
    bpsChart?.destroy();
  };
}

function stat(label: string, value: string, testid: string): HTMLElement {
  return h(
    'div',
    { class: 'stat' },
    h('div', { class: 'label' }, label),
    h('div', { class: 'value', 'data-testid': `stat-${testid}` }, value),
  );
}

function bar(share: number): HTMLElement {
  const fill = h('span', { class: 'bar-fill' });
  fill.style.width = `${Math.round(share * 100)}%`; // CSSOM, not a style attribute: allowed by the CSP
  return h('span', { class: 'bar' }, fill);
}
