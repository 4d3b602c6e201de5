import type { Command } from 'commander';
import { formatInterfaces, listInterfaces } from '../../capture/live/interfaces.js';
import { libpcap } from '../../capture/live/libpcap.js';
import { stdoutWriter } from '../stdout.js';

interface InterfacesFlags {
  json?: boolean;
}

export function registerInterfaces(program: Command): void {
  program
    .command('interfaces')
    .description(
      'list capture devices: name, description, addresses, flags, and which carries the default route',
    )
    .option('--json', 'print the list as one JSON array')
    .action(async (flags: InterfacesFlags) => {
      const list = listInterfaces();
      const out = stdoutWriter();
      if (flags.json === true) {
        await out.write(JSON.stringify(list) + '\n');
        return;
      }
      if (list.length === 0) {
        process.stderr.write('nta: no capture devices found (capturing may need root or CAP_NET_RAW)\n');
        process.exitCode = 1;
        return;
      }
      await out.write(formatInterfaces(list) + '\n');
      if (process.stderr.isTTY) process.stderr.write(`(${libpcap().version})\n`);
    });
}
