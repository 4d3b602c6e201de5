import { createRequire } from 'node:module';
import type * as KoffiModule from 'koffi';
import { NtaError, type NtaErrorCode } from '../../core/errors.js';

/**
 * libpcap through the koffi FFI (no compiler, no headers at install time). Loaded on first use, so that
 * `nta read` never needs libpcap; every failure is an NtaError with one line that says what to do.
 *
 * Only this file knows C types and libpcap's return codes. Callers get {@link PcapHandle},
 * {@link findAllDevices} and {@link compileOfflineFilter}.
 */

type Koffi = typeof KoffiModule;
type KoffiFn = ReturnType<Koffi['load']>['func'] extends (...a: never[]) => infer R ? R : never;
/** An opaque C pointer as koffi hands it out (`null` for NULL). */
export type CPointer = object;

/** Error codes used for live-capture failures; one place to change if dedicated codes are added. */
export const LIVE_ERR = {
  /** libpcap or koffi missing. */
  library: 'NTA_ERR_IO',
  /** No such interface, or the interface cannot be opened. */
  device: 'NTA_ERR_USAGE',
  /** Not allowed to capture. */
  permission: 'NTA_ERR_IO',
  /** A BPF expression libpcap rejected. */
  filter: 'NTA_ERR_USAGE',
  /** The capture failed after it started. */
  capture: 'NTA_ERR_IO',
} as const satisfies Record<string, NtaErrorCode>;

const ERRBUF_SIZE = 256; // PCAP_ERRBUF_SIZE
/** sizeof(struct bpf_insn): u16 code, u8 jt, u8 jf, u32 k. */
export const BPF_INSN_BYTES = 8;
export const PCAP_TSTAMP_PRECISION_NANO = 1;
export const PCAP_NETMASK_UNKNOWN = 0xffffffff;

/** pcap_activate and friends: negative values are errors, positive ones warnings. */
export const PcapStatus = {
  WarningPromiscNotSup: 2,
  WarningTstampTypeNotSup: 3,
  Warning: 1,
  Error: -1,
  Break: -2,
  NotActivated: -3,
  Activated: -4,
  NoSuchDevice: -5,
  RfmonNotSup: -6,
  NotRfmon: -7,
  PermDenied: -8,
  IfaceNotUp: -9,
  CantSetTstampType: -10,
  PromiscPermDenied: -11,
  TstampPrecisionNotSup: -12,
} as const;

/** pcap_if.flags bits. */
export const PcapIfFlag = {
  Loopback: 0x1,
  Up: 0x2,
  Running: 0x4,
  Wireless: 0x8,
  ConnectionStatus: 0x30,
} as const;
export const PcapConnectionStatus = {
  Unknown: 0x00,
  Connected: 0x10,
  Disconnected: 0x20,
  NotApplicable: 0x30,
} as const;

const LIB_NAMES: Readonly<Record<string, readonly string[]>> = {
  win32: ['wpcap.dll', 'C:\\Windows\\System32\\Npcap\\wpcap.dll'],
  darwin: ['libpcap.A.dylib', 'libpcap.dylib', '/usr/lib/libpcap.A.dylib'],
};
const DEFAULT_LIB_NAMES = ['libpcap.so.0.8', 'libpcap.so.1', 'libpcap.so'];
const LIBC_NAMES: Readonly<Record<string, readonly string[]>> = {
  darwin: ['libSystem.B.dylib', '/usr/lib/libSystem.B.dylib'],
  linux: ['libc.so.6'],
  freebsd: ['libc.so.7'],
};

export function missingLibpcapHint(): string {
  if (process.platform === 'win32')
    return 'install Npcap from https://npcap.com (with "WinPcap API-compatible Mode")';
  if (process.platform === 'darwin') return 'libpcap ships with macOS; check /usr/lib/libpcap.A.dylib';
  return 'apt-get install libpcap0.8 (Debian/Ubuntu) or dnf install libpcap (Fedora)';
}

/** The raw functions, typed for the few ways nta calls them. */
export interface PcapApi {
  readonly koffi: Koffi;
  readonly libName: string;
  readonly version: string;
  readonly findalldevs: (out: [CPointer | null], errbuf: Buffer) => number;
  readonly freealldevs: (list: CPointer) => void;
  readonly create: (source: string, errbuf: Buffer) => CPointer | null;
  readonly setSnaplen: (p: CPointer, snaplen: number) => number;
  readonly setPromisc: (p: CPointer, on: number) => number;
  readonly setTimeout: (p: CPointer, ms: number) => number;
  readonly setBufferSize: (p: CPointer, bytes: number) => number;
  readonly setImmediateMode: ((p: CPointer, on: number) => number) | null;
  readonly setTstampPrecision: ((p: CPointer, precision: number) => number) | null;
  readonly getTstampPrecision: ((p: CPointer) => number) | null;
  readonly activate: (p: CPointer) => number;
  readonly geterr: (p: CPointer) => string;
  readonly statustostr: (status: number) => string;
  readonly datalink: (p: CPointer) => number;
  readonly snapshot: (p: CPointer) => number;
  readonly setnonblock: (p: CPointer, on: number, errbuf: Buffer) => number;
  readonly getSelectableFd: ((p: CPointer) => number) | null;
  readonly dispatch: (p: CPointer, cnt: number, callback: CPointer, user: CPointer) => number;
  readonly dumpFopen: (p: CPointer, file: CPointer) => CPointer | null;
  readonly dumpFlush: (dumper: CPointer) => number;
  readonly dumpSymbol: CPointer;
  readonly stats: (p: CPointer, out: Buffer) => number;
  readonly compile: (p: CPointer, prog: Buffer, expr: string, optimize: number, netmask: number) => number;
  readonly setfilter: (p: CPointer, prog: Buffer) => number;
  readonly freecode: (prog: Buffer) => void;
  readonly openDead: (linkType: number, snaplen: number) => CPointer | null;
  readonly offlineFilter: (prog: Buffer, hdr: Buffer, data: Uint8Array) => number;
  readonly breakloop: (p: CPointer) => void;
  readonly close: (p: CPointer) => void;
  /** sizeof(struct pcap_pkthdr) and its caplen/len offsets on this platform. */
  readonly pkthdr: { readonly size: number; readonly caplenOff: number; readonly lenOff: number };
  /** sizeof(struct bpf_program). */
  readonly bpfProgramSize: number;
  /** The instructions of a compiled struct bpf_program (8 bytes each, host byte order), copied out. */
  readonly programInstructions: (prog: Buffer) => Uint8Array;
  /** The bits of struct pcap_if / pcap_addr / sockaddr that device listing needs. */
  readonly decodeIf: (ptr: CPointer) => RawPcapIf;
  readonly decodeAddr: (ptr: CPointer) => RawPcapAddr;
  readonly sockaddrBytes: (ptr: CPointer, len: number) => Uint8Array;
}

export interface RawPcapIf {
  next: CPointer | null;
  name: string;
  description: string | null;
  addresses: CPointer | null;
  flags: number;
}
export interface RawPcapAddr {
  next: CPointer | null;
  addr: CPointer | null;
  netmask: CPointer | null;
  broadaddr: CPointer | null;
  dstaddr: CPointer | null;
}

/** libc calls used to let libpcap write packets straight into shared memory (see capture-worker.ts). */
export interface LibcApi {
  readonly fmemopen: (buf: Uint8Array, size: number, mode: string) => CPointer | null;
  readonly setvbuf: (file: CPointer, buf: null, mode: number, size: number) => number;
  readonly fflush: (file: CPointer) => number;
  readonly ftell: (file: CPointer) => number;
  readonly fseek: (file: CPointer, off: number, whence: number) => number;
  readonly fclose: (file: CPointer) => number;
  readonly poll: (fds: Buffer, nfds: number, timeoutMs: number) => number;
}

let api: PcapApi | undefined;
let libcApi: LibcApi | null | undefined;

function loadKoffi(): Koffi {
  try {
    return createRequire(import.meta.url)('koffi') as Koffi;
  } catch (err) {
    throw new NtaError(LIVE_ERR.library, 'the koffi package is missing: run npm install in the nta folder', {
      cause: err,
    });
  }
}

/** Loads libpcap on first call; throws an NtaError naming the package to install when it is missing. */
export function libpcap(): PcapApi {
  if (api !== undefined) return api;
  const koffi = loadKoffi();
  const names =
    process.env['NTA_LIBPCAP'] !== undefined
      ? [process.env['NTA_LIBPCAP']]
      : (LIB_NAMES[process.platform] ?? DEFAULT_LIB_NAMES);
  let lib: ReturnType<Koffi['load']> | undefined;
  let libName = '';
  const failures: string[] = [];
  for (const name of names) {
    try {
      lib = koffi.load(name);
      libName = name;
      break;
    } catch (err) {
      failures.push(err instanceof Error ? err.message : String(err));
    }
  }
  if (lib === undefined) {
    throw new NtaError(
      LIVE_ERR.library,
      `libpcap not found (tried ${names.join(', ')}): ${missingLibpcapHint()}`,
      {
        cause: new Error(failures.join('; ')),
      },
    );
  }
  const l = lib;
  const fn = (decl: string): KoffiFn => l.func(decl);
  const optional = (decl: string): KoffiFn | null => {
    try {
      return l.func(decl);
    } catch {
      return null; // older libpcap or Npcap without it
    }
  };
  // pcap_init(PCAP_CHAR_ENC_UTF_8) makes Npcap's messages UTF-8; absent before libpcap 1.10, harmless then.
  optional('int pcap_init(unsigned int opts, _Out_ uint8_t *errbuf)')?.(1, Buffer.alloc(ERRBUF_SIZE));

  koffi.opaque('pcap_t');
  const timeval = koffi.struct('nta_timeval', { tv_sec: 'long', tv_usec: 'long' });
  const pkthdr = koffi.struct('nta_pcap_pkthdr', { ts: timeval, caplen: 'uint32', len: 'uint32' });
  const bpfProgram = koffi.struct('nta_bpf_program', { bf_len: 'uint32', bf_insns: 'void *' });
  const pcapIf = koffi.struct('nta_pcap_if', {
    next: 'void *',
    name: 'const char *',
    description: 'const char *',
    addresses: 'void *',
    flags: 'uint32',
  });
  const pcapAddr = koffi.struct('nta_pcap_addr', {
    next: 'void *',
    addr: 'void *',
    netmask: 'void *',
    broadaddr: 'void *',
    dstaddr: 'void *',
  });
  const getTstamp = optional('int pcap_get_tstamp_precision(pcap_t *p)');
  const version = fn('const char *pcap_lib_version(void)')() as string;
  api = {
    koffi,
    libName,
    version,
    findalldevs: fn('int pcap_findalldevs(_Out_ void **alldevs, _Out_ uint8_t *errbuf)'),
    freealldevs: fn('void pcap_freealldevs(void *alldevs)'),
    create: fn('pcap_t *pcap_create(const char *source, _Out_ uint8_t *errbuf)'),
    setSnaplen: fn('int pcap_set_snaplen(pcap_t *p, int snaplen)'),
    setPromisc: fn('int pcap_set_promisc(pcap_t *p, int promisc)'),
    setTimeout: fn('int pcap_set_timeout(pcap_t *p, int ms)'),
    setBufferSize: fn('int pcap_set_buffer_size(pcap_t *p, int bytes)'),
    setImmediateMode: optional('int pcap_set_immediate_mode(pcap_t *p, int on)'),
    setTstampPrecision: optional('int pcap_set_tstamp_precision(pcap_t *p, int precision)'),
    getTstampPrecision: getTstamp,
    activate: fn('int pcap_activate(pcap_t *p)'),
    geterr: fn('const char *pcap_geterr(pcap_t *p)'),
    statustostr: fn('const char *pcap_statustostr(int status)'),
    datalink: fn('int pcap_datalink(pcap_t *p)'),
    snapshot: fn('int pcap_snapshot(pcap_t *p)'),
    setnonblock: fn('int pcap_setnonblock(pcap_t *p, int nonblock, _Out_ uint8_t *errbuf)'),
    getSelectableFd: process.platform === 'win32' ? null : optional('int pcap_get_selectable_fd(pcap_t *p)'),
    dispatch: fn('int pcap_dispatch(pcap_t *p, int cnt, void *callback, void *user)'),
    dumpFopen: fn('void *pcap_dump_fopen(pcap_t *p, void *fp)'),
    dumpFlush: fn('int pcap_dump_flush(void *dumper)'),
    dumpSymbol: l.symbol('pcap_dump', 'void') as CPointer,
    stats: fn('int pcap_stats(pcap_t *p, _Out_ uint8_t *ps)'),
    compile: fn(
      'int pcap_compile(pcap_t *p, _Inout_ uint8_t *fp, const char *str, int optimize, uint32 netmask)',
    ),
    setfilter: fn('int pcap_setfilter(pcap_t *p, uint8_t *fp)'),
    freecode: fn('void pcap_freecode(_Inout_ uint8_t *fp)'),
    openDead: fn('pcap_t *pcap_open_dead(int linktype, int snaplen)'),
    offlineFilter: fn('int pcap_offline_filter(const uint8_t *fp, const uint8_t *h, const uint8_t *pkt)'),
    breakloop: fn('void pcap_breakloop(pcap_t *p)'),
    close: fn('void pcap_close(pcap_t *p)'),
    pkthdr: {
      size: koffi.sizeof(pkthdr),
      caplenOff: koffi.offsetof(pkthdr, 'caplen'),
      lenOff: koffi.offsetof(pkthdr, 'len'),
    },
    bpfProgramSize: koffi.sizeof(bpfProgram),
    programInstructions: (prog) => {
      const p = koffi.decode(prog, bpfProgram) as { bf_len: number; bf_insns: CPointer | null };
      if (p.bf_insns === null || p.bf_len === 0) return new Uint8Array(0);
      return new Uint8Array(koffi.view(p.bf_insns, p.bf_len * BPF_INSN_BYTES).slice(0));
    },
    decodeIf: (ptr) => koffi.decode(ptr, pcapIf) as RawPcapIf,
    decodeAddr: (ptr) => koffi.decode(ptr, pcapAddr) as RawPcapAddr,
    sockaddrBytes: (ptr, len) => new Uint8Array(koffi.decode(ptr, 'uint8_t', len) as number[]),
  };
  return api;
}

/** libc's fmemopen & co., or null where they are missing (Windows): the worker then copies per packet. */
export function libc(): LibcApi | null {
  if (libcApi !== undefined) return libcApi;
  const koffi = libpcap().koffi;
  libcApi = null;
  for (const name of LIBC_NAMES[process.platform] ?? []) {
    try {
      const l = koffi.load(name);
      libcApi = {
        fmemopen: l.func('void *fmemopen(void *buf, size_t size, const char *mode)'),
        setvbuf: l.func('int setvbuf(void *fp, void *buf, int mode, size_t size)'),
        fflush: l.func('int fflush(void *fp)'),
        ftell: l.func('long ftell(void *fp)'),
        fseek: l.func('int fseek(void *fp, long off, int whence)'),
        fclose: l.func('int fclose(void *fp)'),
        poll: l.func('int poll(_Inout_ uint8_t *fds, unsigned long nfds, int timeout)'),
      };
      break;
    } catch {
      libcApi = null;
    }
  }
  return libcApi;
}

export function errbufText(buf: Buffer): string {
  const end = buf.indexOf(0);
  return buf.toString('utf8', 0, end < 0 ? buf.length : end).trim();
}

/** Options applied between pcap_create and pcap_activate. */
export interface ActivateOptions {
  readonly snaplen: number;
  readonly promisc: boolean;
  /** Kernel buffer in bytes (pcap_set_buffer_size). */
  readonly bufferBytes: number;
  /** Packet buffer timeout in ms: how long the kernel may hold packets before handing them over. */
  readonly timeoutMs: number;
  readonly immediate: boolean;
}

export interface PcapStats {
  recv: number;
  drop: number;
  ifDrop: number;
}

/** An activated live capture handle. Not thread-safe: use it from one thread (the capture worker). */
export class PcapHandle {
  readonly api: PcapApi;
  readonly iface: string;
  p: CPointer;
  readonly linkType: number;
  readonly snaplen: number;
  readonly nanoseconds: boolean;
  /** Warning from pcap_activate (e.g. promiscuous mode not supported), or null. */
  readonly warning: string | null;
  readonly #statBuf = Buffer.alloc(32);
  #closed = false;

  private constructor(
    api: PcapApi,
    iface: string,
    p: CPointer,
    linkType: number,
    snaplen: number,
    nanoseconds: boolean,
    warning: string | null,
  ) {
    this.api = api;
    this.iface = iface;
    this.p = p;
    this.linkType = linkType;
    this.snaplen = snaplen;
    this.nanoseconds = nanoseconds;
    this.warning = warning;
  }

  /** pcap_create + options + pcap_activate, with libpcap's failures turned into one-line NtaErrors. */
  static open(iface: string, opts: ActivateOptions): PcapHandle {
    const api = libpcap();
    const errbuf = Buffer.alloc(ERRBUF_SIZE);
    const p = api.create(iface, errbuf);
    if (p === null)
      throw new NtaError(LIVE_ERR.device, `${iface}: ${errbufText(errbuf) || 'cannot open capture device'}`);
    try {
      api.setSnaplen(p, opts.snaplen);
      api.setPromisc(p, opts.promisc ? 1 : 0);
      api.setTimeout(p, opts.timeoutMs);
      api.setBufferSize(p, opts.bufferBytes);
      if (opts.immediate) api.setImmediateMode?.(p, 1);
      api.setTstampPrecision?.(p, PCAP_TSTAMP_PRECISION_NANO); // falls back to µs where unsupported
      const status = api.activate(p);
      if (status < 0) throw activateError(api, p, iface, status);
      const warning = status > 0 ? `${iface}: ${api.statustostr(status)} (${api.geterr(p)})` : null;
      const nanoseconds = api.getTstampPrecision?.(p) === PCAP_TSTAMP_PRECISION_NANO;
      return new PcapHandle(api, iface, p, api.datalink(p), api.snapshot(p), nanoseconds, warning);
    } catch (err) {
      api.close(p);
      throw err;
    }
  }

  /** Compiles and installs a BPF filter; a bad expression is an NtaError naming it. */
  setFilter(expr: string): void {
    const prog = Buffer.alloc(this.api.bpfProgramSize);
    if (this.api.compile(this.p, prog, expr, 1, PCAP_NETMASK_UNKNOWN) < 0) {
      throw filterError(expr, this.api.geterr(this.p));
    }
    try {
      if (this.api.setfilter(this.p, prog) < 0) throw filterError(expr, this.api.geterr(this.p));
    } finally {
      this.api.freecode(prog);
    }
  }

  setNonblock(on: boolean): void {
    const errbuf = Buffer.alloc(ERRBUF_SIZE);
    if (this.api.setnonblock(this.p, on ? 1 : 0, errbuf) < 0) {
      throw new NtaError(LIVE_ERR.capture, `${this.iface}: ${errbufText(errbuf)}`);
    }
  }

  /** pcap_stats: packets received, dropped by the kernel (no room in the buffer) and by the interface. */
  stats(out: PcapStats): boolean {
    if (this.#closed || this.api.stats(this.p, this.#statBuf) < 0) return false;
    out.recv = this.#statBuf.readUInt32LE(0);
    out.drop = this.#statBuf.readUInt32LE(4);
    out.ifDrop = this.#statBuf.readUInt32LE(8);
    return true;
  }

  error(): string {
    return this.api.geterr(this.p);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.api.close(this.p);
  }
}

function activateError(api: PcapApi, p: CPointer, iface: string, status: number): NtaError {
  const detail = api.geterr(p);
  const hint = detail !== '' ? `: ${detail}` : '';
  switch (status) {
    case PcapStatus.NoSuchDevice:
      return new NtaError(LIVE_ERR.device, `${iface}: no such capture device (see \`nta interfaces\`)`);
    case PcapStatus.PermDenied:
    case PcapStatus.PromiscPermDenied:
      return new NtaError(LIVE_ERR.permission, permissionMessage(iface));
    case PcapStatus.IfaceNotUp:
      return new NtaError(
        LIVE_ERR.device,
        `${iface}: interface is down (bring it up with: ip link set ${iface} up)`,
      );
    case PcapStatus.RfmonNotSup:
      return new NtaError(LIVE_ERR.device, `${iface}: monitor mode not supported`);
    default:
      return new NtaError(LIVE_ERR.device, `${iface}: cannot capture (${api.statustostr(status)}${hint})`);
  }
}

export function permissionMessage(iface: string): string {
  if (process.platform === 'win32') {
    return `capturing on ${iface} was refused: install Npcap without "Restrict Npcap driver's access to Administrators only", or run as Administrator`;
  }
  if (process.platform === 'darwin') {
    return `capturing on ${iface} needs access to /dev/bpf*: run with sudo, or install Wireshark's ChmodBPF helper`;
  }
  return `capturing on ${iface} needs root or CAP_NET_RAW/CAP_NET_ADMIN (run as root, or grant them to a dedicated node binary: setcap cap_net_raw,cap_net_admin=eip /path/to/node-copy)`;
}

function filterError(expr: string, detail: string): NtaError {
  return new NtaError(
    LIVE_ERR.filter,
    `bad capture filter '${expr}': ${detail.replace(/^can't parse filter expression: /, '')}`,
  );
}

/**
 * A BPF program compiled by libpcap for a given link type, for filtering packets that do not come from a live
 * handle (`nta read -f`). `matches` is one FFI call per packet.
 */
export class OfflineFilter {
  readonly expr: string;
  readonly #api: PcapApi;
  readonly #dead: CPointer;
  readonly #prog: Buffer;
  readonly #hdr: Buffer;
  #freed = false;

  constructor(expr: string, linkType: number, snaplen = 262144) {
    const api = libpcap();
    const dead = api.openDead(linkType, snaplen);
    if (dead === null) throw new NtaError(LIVE_ERR.library, 'pcap_open_dead failed');
    const prog = Buffer.alloc(api.bpfProgramSize);
    if (api.compile(dead, prog, expr, 1, PCAP_NETMASK_UNKNOWN) < 0) {
      const detail = api.geterr(dead);
      api.close(dead);
      throw filterError(expr, detail);
    }
    this.expr = expr;
    this.#api = api;
    this.#dead = dead;
    this.#prog = prog;
    this.#hdr = Buffer.alloc(api.pkthdr.size);
  }

  /** True when the packet `data` (exactly caplen bytes) of `wireLen` bytes on the wire passes the filter. */
  matches(data: Uint8Array, wireLen: number): boolean {
    this.#hdr.writeUInt32LE(data.length, this.#api.pkthdr.caplenOff);
    this.#hdr.writeUInt32LE(wireLen, this.#api.pkthdr.lenOff);
    return this.#api.offlineFilter(this.#prog, this.#hdr, data) !== 0;
  }

  /** The compiled program's instructions (`struct bpf_insn` bytes in host order), copied out of C memory. */
  instructions(): Uint8Array {
    return this.#freed ? new Uint8Array(0) : this.#api.programInstructions(this.#prog);
  }

  close(): void {
    if (this.#freed) return;
    this.#freed = true;
    this.#api.freecode(this.#prog);
    this.#api.close(this.#dead);
  }
}

/** Checks a filter expression without opening a device (Ethernet link type). */
export function checkFilter(expr: string, linkType = 1): void {
  new OfflineFilter(expr, linkType).close();
}
