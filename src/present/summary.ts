import type { EveExportStats } from '../export/eve/eve-exporter.js';
import type { IpfixExportStats } from '../export/ipfix/exporter.js';
import type { ReadSummary } from '../pipeline.js';

const num = new Intl.NumberFormat('en-US');

/** The human end-of-read summary (stderr), in the spirit of tcpdump's and tshark's closing lines. */
export function formatSummary(s: ReadSummary, dbPath: string | undefined): string {
  const lines: string[] = [];
  const files = s.sources.length === 1 ? '1 capture' : `${s.sources.length} captures`;
  lines.push(
    `${num.format(s.packets)} packets (${num.format(s.bytes)} bytes) read from ${files} in ${s.elapsedSeconds.toFixed(
      2,
    )} s (${num.format(Math.round(s.packetsPerSecond))} packets/s)${s.interrupted ? ', interrupted' : ''}`,
  );
  const protocols = Object.entries(s.protocols);
  if (protocols.length > 0) {
    const width = Math.max(...protocols.map(([name]) => name.length));
    lines.push('Packets by protocol:');
    for (const [name, count] of protocols)
      lines.push(`  ${name.padEnd(width)}  ${num.format(count).padStart(10)}`);
  }
  lines.push(
    `Malformed: ${num.format(s.malformed)}, truncated: ${num.format(s.truncated)}, unknown link type: ${num.format(
      s.unknownLinkType,
    )}`,
  );
  if (s.flows !== null && s.app !== null) {
    const { dns, tls, http, dhcp, dhcpv6, quic } = s.app;
    const more = `${dhcp > 0 ? `, ${num.format(dhcp)} dhcp` : ''}${dhcpv6 > 0 ? `, ${num.format(dhcpv6)} dhcpv6` : ''}${quic > 0 ? `, ${num.format(quic)} quic` : ''}`;
    const devices = s.hosts === null ? '' : `; ${num.format(s.hosts.devices)} devices`;
    lines.push(
      `Flows: ${num.format(s.flows.flowsEnded)}; metadata: ${num.format(dns)} dns, ${num.format(tls)} tls, ${num.format(http)} http${more} records${devices}`,
    );
  }
  if (dbPath !== undefined) {
    const ids = s.sources.flatMap((src) => (src.captureId === null ? [] : [src.captureId]));
    const captures = ids.length === 0 ? '' : ` (capture ${ids.join(', ')})`;
    lines.push(`Stored ${num.format(s.rowsStored)} traffic rows in ${dbPath}${captures}`);
  }
  return lines.join('\n') + '\n';
}

/** The IPFIX line of the end summary: what reached the socket, and what did not. */
export function formatIpfixSummary(s: IpfixExportStats): string {
  const count = (n: number, what: string): string => `${num.format(n)} ${what}${n === 1 ? '' : 's'}`;
  const skipped = s.skipped > 0 ? `, ${count(s.skipped, 'flow')} skipped` : '';
  return (
    `IPFIX: ${count(s.flows, 'flow')} in ${count(s.messages, 'message')} to ${s.collector}, ` +
    `${count(s.sendErrors, 'send error')}${skipped}\n`
  );
}

export function formatEveSummary(s: EveExportStats): string {
  const rotated =
    s.rotations === 0 ? '' : `, rotated ${s.rotations === 1 ? 'once' : `${num.format(s.rotations)} times`}`;
  return `EVE: ${num.format(s.records)} record${s.records === 1 ? '' : 's'} written to ${s.path}${rotated}\n`;
}
