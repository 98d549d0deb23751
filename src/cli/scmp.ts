#!/usr/bin/env node
import { main } from './admin.js';

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`scmp: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  },
);
