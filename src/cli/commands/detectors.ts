import type { Command } from 'commander';
import { DETECTORS } from '../../detect/registry.js';
import { formatDetectorList } from '../../present/detector-list.js';

export function registerDetectors(program: Command): void {
  program
    .command('detectors')
    .description(
      'list the detectors, the events they watch and their default thresholds (set them in --config)',
    )
    .action(() => {
      process.stdout.write(formatDetectorList(DETECTORS));
    });
}
