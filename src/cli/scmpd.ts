#!/usr/bin/env node
import { DEFAULT_LISTEN, startScmp, type ScmpServer } from '../app.js';
import { ListenError } from '../dcerpc/server.js';
import { createLogger } from '../log.js';
import { USAGE, UsageError, parseArgs } from './args.js';
import { DEFAULT_LAB_ACCOUNT, parseAccountSpec } from '../security/accounts.js';

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`scmpd: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    throw e;
  }
  if (args.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const log = createLogger(args.logLevel);
  let accounts = args.accounts;
  if (accounts.length === 0) {
    accounts = [parseAccountSpec(`${DEFAULT_LAB_ACCOUNT.name}:${DEFAULT_LAB_ACCOUNT.password}:admin`)];
    log.warn('no --account given: using the lab administrator account', {
      user: DEFAULT_LAB_ACCOUNT.name,
      password: DEFAULT_LAB_ACCOUNT.password,
      hint: 'give --account NAME:PASSWORD:admin to replace it',
    });
  }
  const common = { port: args.port, objectPort: args.objectPort, log, accounts, minAuthLevel: args.minAuthLevel, allowNtlmV1: args.allowNtlmV1 };
  let server: ScmpServer;
  try {
    try {
      server = await startScmp({ ...common, listen: args.listen });
    } catch (e) {
      // A host without IPv6 still serves IPv4 when no address was asked for explicitly.
      if (!args.listen && e instanceof ListenError && (e.code === 'EAFNOSUPPORT' || e.code === 'EADDRNOTAVAIL')) {
        log.warn('IPv6 unavailable; listening on IPv4 only');
        server = await startScmp({ ...common, listen: DEFAULT_LISTEN.filter((a) => !a.includes(':')) });
      } else throw e;
    }
  } catch (e) {
    if (e instanceof ListenError && (e.code === 'EACCES' || e.code === 'EPERM')) {
      process.stderr.write(
        `scmpd: not allowed to listen on port ${args.port}: ports below 1024 need root or CAP_NET_BIND_SERVICE.\n` +
          `Run with privileges, or choose another port with --port (for example --port 1135).\n`,
      );
      return 1;
    }
    if (e instanceof ListenError) {
      process.stderr.write(`scmpd: ${e.message}${e.code === 'EADDRINUSE' ? ' (choose another with --port)' : ''}\n`);
      return 1;
    }
    throw e;
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('stopping', { signal });
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  // Only now announce readiness: the line is written synchronously to a pipe, and whoever
  // reads it may signal us at once.
  const where = server.rpc.endpoints.flatMap((ep) => ep.bound.map((b) => `${b} (${ep.name})`));
  process.stdout.write(`scmpd ready: listening on ${where.join(', ')}\n`);
  return -1;
}

main().then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (e) => {
    process.stderr.write(`scmpd: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  },
);
