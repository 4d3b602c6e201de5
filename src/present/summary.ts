import type { EveExportStats } from '../export/eve/eve-exporter.js';
import type { IpfixExportStats } from '../export/ipfix/exporter.js';
import type { ReadSummary } from '../pipeline.js';
import { formatCount } from './numbers.js';

/** The human end-of-read summary (stderr), in the spirit of tcpdump's and tshark's closing lines. */
export function formatSummary(s: ReadSummary, dbPath: string | undefined): string {
  const lines: string[] = [];
  const files = s.sources.length === 1 ? '1 capture' : `${s.sources.length} captures`;
  lines.push(
    `${formatCount(s.packets)} packets (${formatCount(s.bytes)} bytes) read from ${files} in ${s.elapsedSeconds.toFixed(
      2,
    )} s (${formatCount(Math.round(s.packetsPerSecond))} packets/s)${s.interrupted ? ', interrupted' : ''}`,
  );
  const protocols = Object.entries(s.protocols);
  if (protocols.length > 0) {
    const width = Math.max(...protocols.map(([name]) => name.length));
    lines.push('Packets by protocol:');
    for (const [name, count] of protocols)
      lines.push(`  ${name.padEnd(width)}  ${formatCount(count).padStart(10)}`);
  }
  lines.push(
    `Malformed: ${formatCount(s.malformed)}, truncated: ${formatCount(s.truncated)}, unknown link type: ${formatCount(
      s.unknownLinkType,
    )}`,
  );
  if (s.flows !== null && s.app !== null) {
    const { dns, tls, http, dhcp, dhcpv6, quic } = s.app;
    const more = `${dhcp > 0 ? `, ${formatCount(dhcp)} dhcp` : ''}${dhcpv6 > 0 ? `, ${formatCount(dhcpv6)} dhcpv6` : ''}${quic > 0 ? `, ${formatCount(quic)} quic` : ''}`;
    const devices = s.hosts === null ? '' : `; ${formatCount(s.hosts.devices)} devices`;
    lines.push(
      `Flows: ${formatCount(s.flows.flowsEnded)}; metadata: ${formatCount(dns)} dns, ${formatCount(tls)} tls, ${formatCount(http)} http${more} records${devices}`,
    );
  }
  if (dbPath !== undefined) {
    const ids = s.sources.flatMap((src) => (src.captureId === null ? [] : [src.captureId]));
    const captures = ids.length === 0 ? '' : ` (capture ${ids.join(', ')})`;
    lines.push(`Stored ${formatCount(s.rowsStored)} traffic rows in ${dbPath}${captures}`);
  }
  return lines.join('\n') + '\n';
}

/** The IPFIX line of the end summary: what reached the socket, and what did not. */
export function formatIpfixSummary(s: IpfixExportStats): string {
  const count = (n: number, what: string): string => `${formatCount(n)} ${what}${n === 1 ? '' : 's'}`;
  const skipped = s.skipped > 0 ? `, ${count(s.skipped, 'flow')} skipped` : '';
  return (
    `IPFIX: ${count(s.flows, 'flow')} in ${count(s.messages, 'message')} to ${s.collector}, ` +
    `${count(s.sendErrors, 'send error')}${skipped}\n`
  );
}

export function formatEveSummary(s: EveExportStats): string {
  const rotated =
    s.rotations === 0 ? '' : `, rotated ${s.rotations === 1 ? 'once' : `${formatCount(s.rotations)} times`}`;
  return `EVE: ${formatCount(s.records)} record${s.records === 1 ? '' : 's'} written to ${s.path}${rotated}\n`;
}
