import { readFileSync } from 'node:fs';
import { formatIPv4, formatIPv6 } from '../../core/addr.js';
import { NtaError } from '../../core/errors.js';
import {
  LIVE_ERR,
  libpcap,
  PcapConnectionStatus,
  PcapIfFlag,
  type CPointer,
  type PcapApi,
} from './libpcap.js';

/** One capture device as `nta interfaces` shows it (what `tshark -D` and Scapy's `conf.ifaces` list). */
export interface CaptureInterface {
  /** Name to pass to `-i` (on Windows the long `\Device\NPF_{GUID}`). */
  readonly name: string;
  readonly description: string | null;
  readonly addresses: readonly InterfaceAddress[];
  readonly up: boolean;
  readonly running: boolean;
  readonly loopback: boolean;
  readonly wireless: boolean;
  /** `connected`, `disconnected`, or null when libpcap does not know or it does not apply. */
  readonly connection: 'connected' | 'disconnected' | null;
  /** Carries the IPv4 or IPv6 default route (Linux: from /proc/net/route and /proc/net/ipv6_route). */
  readonly defaultRoute: boolean;
}

export interface InterfaceAddress {
  readonly family: 'ipv4' | 'ipv6';
  readonly address: string;
  /** Prefix length from the netmask, or null when libpcap gave none. */
  readonly prefix: number | null;
}

const AF_INET = 2;
/** AF_INET6 differs per OS. */
const AF_INET6 =
  process.platform === 'win32'
    ? 23
    : process.platform === 'linux'
      ? 10
      : process.platform === 'darwin'
        ? 30
        : 28;
/** BSD-derived sockaddrs start with a length byte, then a one-byte family. */
const SA_LEN_BYTE = process.platform === 'darwin' || process.platform.endsWith('bsd');

/** Every device libpcap can capture on, in libpcap's order, with the default-route devices marked. */
export function listInterfaces(): CaptureInterface[] {
  const api = libpcap();
  const out: [CPointer | null] = [null];
  const errbuf = Buffer.alloc(256);
  if (api.findalldevs(out, errbuf) < 0) {
    const end = errbuf.indexOf(0);
    throw new NtaError(
      LIVE_ERR.device,
      `cannot list capture devices: ${errbuf.toString('utf8', 0, end < 0 ? 256 : end)}`,
    );
  }
  const routes = defaultRouteInterfaces();
  const list: CaptureInterface[] = [];
  const head = out[0];
  if (head === null) return list;
  try {
    for (let p: CPointer | null = head; p !== null;) {
      const d = api.decodeIf(p);
      const conn = d.flags & PcapIfFlag.ConnectionStatus;
      list.push({
        name: d.name,
        description: d.description,
        addresses: decodeAddresses(api, d.addresses),
        up: (d.flags & PcapIfFlag.Up) !== 0,
        running: (d.flags & PcapIfFlag.Running) !== 0,
        loopback: (d.flags & PcapIfFlag.Loopback) !== 0,
        wireless: (d.flags & PcapIfFlag.Wireless) !== 0,
        connection:
          conn === PcapConnectionStatus.Connected
            ? 'connected'
            : conn === PcapConnectionStatus.Disconnected
              ? 'disconnected'
              : null,
        defaultRoute: routes.has(d.name),
      });
      p = d.next;
    }
  } finally {
    api.freealldevs(head);
  }
  return list;
}

function decodeAddresses(api: PcapApi, first: CPointer | null): InterfaceAddress[] {
  const addrs: InterfaceAddress[] = [];
  for (let p = first; p !== null;) {
    const a = api.decodeAddr(p);
    p = a.next;
    if (a.addr === null) continue;
    const sa = api.sockaddrBytes(a.addr, 28);
    const family = SA_LEN_BYTE ? sa[1]! : sa[0]! | (sa[1]! << 8);
    if (family === AF_INET) {
      addrs.push({ family: 'ipv4', address: formatIPv4(sa, 4), prefix: maskPrefix(api, a.netmask, 4, 4) });
    } else if (family === AF_INET6) {
      addrs.push({ family: 'ipv6', address: formatIPv6(sa, 8), prefix: maskPrefix(api, a.netmask, 8, 16) });
    }
  }
  return addrs;
}

function maskPrefix(api: PcapApi, mask: CPointer | null, off: number, len: number): number | null {
  if (mask === null) return null;
  const b = api.sockaddrBytes(mask, off + len);
  let bits = 0;
  for (let i = off; i < off + len; i++) {
    let v = b[i]!;
    while (v & 0x80) {
      bits++;
      v = (v << 1) & 0xff;
    }
    if (b[i] !== 0xff) break;
  }
  return bits;
}

/**
 * Interfaces that carry a default route. Linux only (procfs); elsewhere the set is empty and
 * {@link defaultInterface} falls back to the first up, running, non-loopback device with an address.
 */
export function defaultRouteInterfaces(procRoot = '/proc'): Set<string> {
  const found = new Set<string>();
  if (process.platform !== 'linux') return found;
  // /proc/net/route: Iface Destination Gateway Flags RefCnt Use Metric Mask ... (hex, host order)
  for (const line of readLines(`${procRoot}/net/route`).slice(1)) {
    const f = line.trim().split(/\s+/);
    const RTF_UP = 0x1;
    if (f.length >= 8 && f[1] === '00000000' && f[7] === '00000000' && (parseInt(f[3]!, 16) & RTF_UP) !== 0) {
      found.add(f[0]!);
    }
  }
  // /proc/net/ipv6_route: dest destlen src srclen nexthop metric refcnt use flags iface
  const RTF_REJECT = 0x200;
  for (const line of readLines(`${procRoot}/net/ipv6_route`)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || !/^0+$/.test(f[0]!) || f[1] !== '00') continue;
    if ((parseInt(f[8]!, 16) & RTF_REJECT) !== 0 || f[9] === 'lo') continue;
    found.add(f[9]!);
  }
  return found;
}

function readLines(path: string): string[] {
  try {
    return readFileSync(path, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '');
  } catch {
    return [];
  }
}

/** What `nta capture` uses without `-i`: the default-route device, else the first usable one. */
export function defaultInterface(list: readonly CaptureInterface[] = listInterfaces()): string {
  const usable = (i: CaptureInterface): boolean => i.up && i.running && !i.loopback && i.addresses.length > 0;
  const pick =
    list.find((i) => i.defaultRoute && i.up) ??
    list.find(usable) ??
    list.find((i) => i.up && !i.loopback && i.name !== 'any');
  if (pick === undefined) {
    throw new NtaError(
      LIVE_ERR.device,
      'no capture device found (see `nta interfaces`; capturing may need root)',
    );
  }
  return pick.name;
}

/**
 * Accepts a device name, its description (Npcap's friendly name on Windows), or its 1-based number in
 * `nta interfaces`, and returns the name libpcap wants. Unknown names pass through so libpcap can report them.
 */
export function resolveInterface(arg: string, list: readonly CaptureInterface[] = listInterfaces()): string {
  if (list.some((i) => i.name === arg)) return arg;
  if (/^[1-9][0-9]*$/.test(arg)) {
    const byIndex = list[Number(arg) - 1];
    if (byIndex !== undefined) return byIndex.name;
  }
  const lower = arg.toLowerCase();
  const byDescription = list.filter((i) => i.description?.toLowerCase() === lower);
  if (byDescription.length === 1) return byDescription[0]!.name;
  return arg;
}

/** One line per device, numbered, in the spirit of `tshark -D` with the details of `ip -br addr`. */
export function formatInterfaces(list: readonly CaptureInterface[]): string {
  const width = Math.max(4, ...list.map((i) => i.name.length));
  return list
    .map((i, n) => {
      const flags = [
        i.up ? 'up' : 'down',
        ...(i.running ? ['running'] : []),
        ...(i.loopback ? ['loopback'] : []),
        ...(i.wireless ? ['wireless'] : []),
        ...(i.connection === 'disconnected' ? ['disconnected'] : []),
        ...(i.defaultRoute ? ['default route'] : []),
      ].join(', ');
      const addrs = i.addresses
        .map((a) => (a.prefix === null ? a.address : `${a.address}/${a.prefix}`))
        .join(' ');
      const desc = i.description === null ? '' : ` (${i.description})`;
      return `${String(n + 1).padStart(2)}. ${i.name.padEnd(width)}  [${flags}]${desc}${addrs === '' ? '' : `  ${addrs}`}`;
    })
    .join('\n');
}
