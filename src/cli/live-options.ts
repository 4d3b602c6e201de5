import { type Command, Option } from 'commander';
import { DEFAULT_BUFFER_MB, DEFAULT_SNAPLEN } from '../capture/live/live-source.js';
import { positiveInt, positiveNumber, type OutputFlags, type WriteFlags } from './args.js';

/** The flags of a live capture, shared by `nta capture` and `nta serve --capture`. */
export interface LiveCaptureFlags extends OutputFlags, WriteFlags {
  interface?: string;
  filter?: string;
  snaplen: number;
  bufferSize: number;
  promisc: boolean;
  immediate?: boolean;
  /** Only `nta capture` offers -Z. */
  user?: string;
}

/** The libpcap options both commands take (-i, -f, -s, -B, --no-promisc, --immediate). */
export function addLiveCaptureOptions(cmd: Command): Command {
  return cmd
    .option(
      '-i, --interface <name>',
      'device to capture on (default: the one with the default route; see `nta interfaces`)',
    )
    .option('-f, --filter <bpf>', "capture filter in libpcap's syntax, e.g. 'tcp port 443'")
    .addOption(
      new Option('-s, --snaplen <bytes>', 'bytes kept per packet')
        .argParser(positiveInt)
        .default(DEFAULT_SNAPLEN),
    )
    .addOption(
      new Option('-B, --buffer-size <MB>', 'kernel capture buffer in MiB')
        .argParser(positiveNumber)
        .default(DEFAULT_BUFFER_MB),
    )
    .option('--no-promisc', 'do not put the interface into promiscuous mode')
    .option('--immediate', 'hand each packet over as soon as it arrives (more CPU at high rates)');
}
