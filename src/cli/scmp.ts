#!/usr/bin/env node
/**
 * `scmp`: the network verbs (network.ts), `scmp admin` (admin.ts) and the manual (manual.ts).
 */
import { main as adminMain } from './admin.js';
import { captureMain } from './capture.js';
import { conformMain } from './conform.js';
import { EXIT } from './exit-codes.js';
import { helpPage, MAIN_USAGE } from './manual.js';
import { replayMain } from './replay.js';
import { networkMain, NETWORK_VERBS, unsupportedMain, UNSUPPORTED_VERBS } from './network.js';

async function main(argv: string[]): Promise<number> {
  const [a, b] = argv;
  if (a === undefined) {
    process.stderr.write(MAIN_USAGE);
    return EXIT.USAGE;
  }
  if (a === 'admin') return adminMain(argv);
  if (a === 'conform' && !argv.includes('--help') && !argv.includes('-h')) return conformMain(argv);
  if (a === 'capture' && !argv.includes('--help') && !argv.includes('-h')) return captureMain(argv);
  if (a === 'replay' && !argv.includes('--help') && !argv.includes('-h')) return replayMain(argv);
  if (a === '--help' || a === '-h' || a === 'help') {
    const words = a === 'help' ? argv.slice(1) : [];
    if (words.length === 0) {
      process.stdout.write(MAIN_USAGE);
      return EXIT.OK;
    }
    const page = helpPage(words);
    if (page === undefined) {
      process.stderr.write(`scmp: no help for ${words.join(' ')}\n\n${MAIN_USAGE}`);
      return EXIT.USAGE;
    }
    process.stdout.write(page);
    return EXIT.OK;
  }
  const verb = `${a} ${b ?? ''}`;
  if (argv.includes('--help') || argv.includes('-h')) {
    const page = helpPage([a, b ?? '']);
    if (page !== undefined) {
      process.stdout.write(page);
      return EXIT.OK;
    }
  }
  if ((UNSUPPORTED_VERBS as readonly string[]).includes(verb)) return unsupportedMain(argv);
  if ((NETWORK_VERBS as readonly string[]).includes(verb)) return networkMain(argv);
  process.stderr.write(`scmp: unknown command ${argv.slice(0, 2).join(' ')}\n\n${MAIN_USAGE}`);
  return EXIT.USAGE;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`scmp: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  },
);
