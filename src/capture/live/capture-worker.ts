import { endianness } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { NtaError } from '../../core/errors.js';
import { libc, PcapHandle, type CPointer, type LibcApi, type PcapApi } from './libpcap.js';
import {
  CTRL_FREED,
  CTRL_SLOT0,
  CTRL_STOP,
  RECORD_HEADER_BYTES,
  SLOT_FREE,
  SLOT_POSTED,
  type CaptureCounters,
  type FromCaptureWorker,
  type WorkerConfig,
} from './worker-protocol.js';

/**
 * The capture loop, on its own thread so that a busy decoder never stalls the kernel ring.
 *
 * Fast path ("dump", Linux/macOS): each slot is wrapped in a memory FILE (fmemopen) with a pcap dumper on it,
 * and `pcap_dispatch(p, n, pcap_dump, dumper)` has libpcap copy packets into the slot in C: no FFI call and no
 * allocation per packet. `n` is bounded so the records always fit the slot. Fallback ("copy", where libc has
 * no fmemopen, i.e. Windows): pcap_next_ex and a copy per packet.
 *
 * Non-blocking reads plus poll() with a short timeout, never a blocking pcap_next_ex (the TPACKET_V3 trap in
 * FACTS.md): the stop flag is seen within IDLE_POLL_MS.
 *
 * When the main thread still holds every slot, the worker stops reading and waits for one: the kernel ring
 * (`-B`, 16 MB by default, over a hundred thousand typical packets) absorbs a stall of the decoder, and
 * whatever it cannot absorb is counted by the kernel as ps_drop, as with tcpdump. Reading on and throwing
 * packets away would turn every short stall (JIT warm-up, a large flush) into loss.
 */

const IDLE_POLL_MS = 50;
const POLLIN = 0x0001;
const SEEK_SET = 0;
const IONBF = 2; // glibc _IONBF; macOS is also 2

const port = parentPort;
if (port === null) throw new Error('capture-worker must run as a worker thread');
const cfg = workerData as WorkerConfig;
const post = (msg: FromCaptureWorker): void => port.postMessage(msg);

const ctrl = new Int32Array(cfg.ctrl);
const counters: CaptureCounters = { recv: 0, drop: 0, ifDrop: 0 };

const handle = openHandle();
if (handle !== null) run(handle);

function openHandle(): PcapHandle | null {
  let h: PcapHandle | undefined;
  try {
    h = PcapHandle.open(cfg.iface, cfg);
    if (cfg.filter !== null) h.setFilter(cfg.filter);
    h.setNonblock(true);
    return h;
  } catch (err) {
    h?.close();
    const e = err instanceof NtaError ? err : new NtaError('NTA_ERR_IO', String(err));
    post({ type: 'error', code: e.code, message: e.message });
    return null;
  }
}

function run(h: PcapHandle): void {
  const c = process.env['NTA_CAPTURE_METHOD'] === 'copy' ? null : libc();
  post({
    type: 'ready',
    linkType: h.linkType,
    snaplen: h.snaplen,
    nanoseconds: h.nanoseconds,
    warning: h.warning,
    method: c === null ? 'copy' : 'dump',
  });
  let failure: string | null = null;
  try {
    if (c === null) copyLoop(h.api, h);
    else dumpLoop(h.api, c, h);
  } catch (err) {
    failure = err instanceof Error ? err.message : String(err);
  }
  h.stats(counters);
  h.close();
  post({ type: 'stopped', counters, error: failure });
}

/** Waits for traffic (or for the stop flag) without spinning. */
function idleWait(pcapApi: PcapApi, h: PcapHandle, libcApi: LibcApi | null): () => void {
  const fd = pcapApi.getSelectableFd?.(h.p) ?? -1;
  if (libcApi !== null && fd >= 0) {
    const pollfd = Buffer.alloc(8);
    pollfd.writeInt32LE(fd, 0);
    pollfd.writeInt16LE(POLLIN, 4);
    return () => {
      pollfd.writeInt16LE(0, 6);
      libcApi.poll(pollfd, 1, IDLE_POLL_MS);
    };
  }
  return () => void Atomics.wait(ctrl, CTRL_STOP, 0, 5);
}

function stopRequested(): boolean {
  return Atomics.load(ctrl, CTRL_STOP) !== 0;
}

/** True when slot `i` is the worker's to fill; otherwise waits a little for the main thread to free one. */
function slotFree(i: number): boolean {
  const freed = Atomics.load(ctrl, CTRL_FREED); // read before the slot, so a release in between wakes the wait
  if (Atomics.load(ctrl, CTRL_SLOT0 + i) === SLOT_FREE) return true;
  Atomics.wait(ctrl, CTRL_FREED, freed, IDLE_POLL_MS);
  return false;
}

function dumpLoop(pcapApi: PcapApi, libcApi: LibcApi, h: PcapHandle): void {
  const recordMax = RECORD_HEADER_BYTES + h.snaplen;
  const files: CPointer[] = [];
  const dumpers: CPointer[] = [];
  const views = cfg.slots.map((s) => new Uint8Array(s));
  for (const view of views) {
    const file = libcApi.fmemopen(view, view.byteLength, 'w');
    if (file === null) throw new Error('fmemopen failed');
    libcApi.setvbuf(file, null, IONBF, 0);
    const dumper = pcapApi.dumpFopen(h.p, file);
    if (dumper === null) throw new Error(`pcap_dump_fopen failed: ${h.error()}`);
    files.push(file);
    dumpers.push(dumper);
  }
  const wait = idleWait(pcapApi, h, libcApi);
  let next = 0;
  try {
    while (!stopRequested()) {
      if (!slotFree(next)) continue;
      const file = files[next]!;
      const dumper = dumpers[next]!;
      const size = views[next]!.byteLength;
      libcApi.fseek(file, 0, SEEK_SET);
      let packets = 0;
      let bytes = 0;
      while (packets < cfg.maxPacketsPerSlot) {
        const room = Math.floor((size - bytes) / recordMax);
        const want = Math.min(room, cfg.maxPacketsPerSlot - packets);
        if (want <= 0) break;
        const n = dispatch(pcapApi, h, want, dumper);
        if (n <= 0) break;
        packets += n;
        libcApi.fflush(file);
        bytes = libcApi.ftell(file);
      }
      if (packets === 0) {
        wait();
        continue;
      }
      h.stats(counters);
      Atomics.store(ctrl, CTRL_SLOT0 + next, SLOT_POSTED);
      post({ type: 'slot', slot: next, bytes, packets, counters });
      next = (next + 1) % views.length;
    }
  } finally {
    for (const file of files) libcApi.fclose(file);
  }
}

function dispatch(pcapApi: PcapApi, h: PcapHandle, cnt: number, dumper: CPointer): number {
  const n = pcapApi.dispatch(h.p, cnt, pcapApi.dumpSymbol, dumper);
  if (n === -2) return 0; // pcap_breakloop
  if (n < 0) throw new Error(`${h.iface}: ${h.error()}`);
  return n;
}

/** Portable fallback: pcap_next_ex and one copy per packet. */
function copyLoop(pcapApi: PcapApi, h: PcapHandle): void {
  const koffi = pcapApi.koffi;
  const nextEx = pcapApi.koffi
    .load(pcapApi.libName)
    .func('int pcap_next_ex(pcap_t *p, _Out_ void **hdr, _Out_ void **data)');
  const hdrOut: [CPointer | null] = [null];
  const dataOut: [CPointer | null] = [null];
  const { caplenOff, lenOff } = pcapApi.pkthdr;
  const tsFracOff = caplenOff / 2; // struct timeval: two equal-width fields before caplen
  const longBytes = caplenOff / 2;
  const views = cfg.slots.map((s) => new Uint8Array(s));
  const dvs = cfg.slots.map((s) => new DataView(s));
  const wait = idleWait(pcapApi, h, libc());
  const le = endianness() === 'LE';
  let next = 0;
  while (!stopRequested()) {
    if (!slotFree(next)) continue;
    const view = views[next]!;
    const dv = dvs[next]!;
    let packets = 0;
    let bytes = 0;
    while (packets < cfg.maxPacketsPerSlot && bytes + RECORD_HEADER_BYTES + h.snaplen <= view.byteLength) {
      const r = nextEx(h.p, hdrOut, dataOut) as number;
      if (r === 0 || r === -2) break;
      if (r < 0) throw new Error(`${h.iface}: ${h.error()}`);
      const hdr = new Uint8Array(koffi.view(hdrOut[0], pcapApi.pkthdr.size));
      const hv = new DataView(hdr.buffer);
      const caplen = hv.getUint32(caplenOff, le);
      const sec = longBytes === 8 ? Number(hv.getBigInt64(0, le)) : hv.getInt32(0, le);
      const frac = longBytes === 8 ? Number(hv.getBigInt64(tsFracOff, le)) : hv.getInt32(tsFracOff, le);
      dv.setUint32(bytes, sec >>> 0, le);
      dv.setUint32(bytes + 4, frac >>> 0, le);
      dv.setUint32(bytes + 8, caplen, le);
      dv.setUint32(bytes + 12, hv.getUint32(lenOff, le), le);
      view.set(new Uint8Array(koffi.view(dataOut[0], caplen)), bytes + RECORD_HEADER_BYTES);
      bytes += RECORD_HEADER_BYTES + caplen;
      packets++;
    }
    if (packets === 0) {
      wait();
      continue;
    }
    h.stats(counters);
    Atomics.store(ctrl, CTRL_SLOT0 + next, SLOT_POSTED);
    post({ type: 'slot', slot: next, bytes, packets, counters });
    next = (next + 1) % views.length;
  }
}
