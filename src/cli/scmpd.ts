#!/usr/bin/env node
import { DEFAULT_LISTEN, startScmp, type ScmpServer } from '../app.js';
import { ListenError } from '../dcerpc/server.js';
import { createLogger } from '../log.js';
import { USAGE, UsageError, parseArgs } from './args.js';
import { DEFAULT_LAB_ACCOUNT, parseAccountSpec, type Account } from '../security/accounts.js';
import { NTOWFv1 } from '../security/ntlm/crypto.js';
import { HostModelError, parseHostModel } from '../store/model-file.js';
import { HostStore } from '../store/host-store.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { newAdminToken, startAdminServer, type AdminServer } from '../admin/http.js';
import { defaultHostModel } from '../store/default-host.js';
import { EmulatedHost } from '../store/emulated-host.js';
import { StoreError } from '../store/errors.js';
import { StateDirError } from '../store/state-dir.js';

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
  // The host model is read and checked completely before anything listens: a malformed
  // file never starts a half-configured server.
  let model = defaultHostModel();
  let fileAccounts: Account[] = [];
  if (args.hostModel) {
    try {
      const file = parseHostModel(readFileSync(args.hostModel, 'utf8'));
      new HostStore(file.model);
      model = file.model;
      fileAccounts = file.accounts.map((a) =>
        a.ntHash ? parseAccountSpec(`${a.name}:nthash:${a.ntHash}:${a.role}`) : { ...parseAccountSpec(`${a.name}:x:${a.role}`), ntHash: NTOWFv1(a.password!) },
      );
    } catch (e) {
      if (e instanceof HostModelError || e instanceof TypeError || (e as NodeJS.ErrnoException).code) {
        process.stderr.write(`scmpd: host model ${args.hostModel}: ${(e as Error).message}\n`);
        return 2;
      }
      throw e;
    }
  }
  // The state directory too is read completely before anything listens.
  let emulated: EmulatedHost;
  try {
    emulated = new EmulatedHost(model, { stateDir: args.stateDir });
  } catch (e) {
    if (e instanceof StateDirError || e instanceof TypeError || e instanceof StoreError || (e as NodeJS.ErrnoException).code) {
      process.stderr.write(`scmpd: state directory ${args.stateDir}: ${(e as Error).message}\n`);
      return 2;
    }
    throw e;
  }
  let adminToken: string | undefined;
  if (args.adminListen !== undefined) {
    try {
      adminToken = args.adminTokenFile ? readFileSync(args.adminTokenFile, 'utf8').trim() : newAdminToken();
    } catch (e) {
      process.stderr.write(`scmpd: --admin-token-file ${args.adminTokenFile}: ${(e as Error).message}\n`);
      return 2;
    }
    if (!/^[\x21-\x7e]{16,512}$/.test(adminToken)) {
      process.stderr.write(`scmpd: --admin-token-file ${args.adminTokenFile}: the token must be 16 to 512 printable characters without spaces\n`);
      return 2;
    }
  }
  let accounts = [...fileAccounts, ...args.accounts];
  if (accounts.length === 0) {
    accounts = [parseAccountSpec(`${DEFAULT_LAB_ACCOUNT.name}:${DEFAULT_LAB_ACCOUNT.password}:admin`)];
    log.warn('no --account given: using the lab administrator account', {
      user: DEFAULT_LAB_ACCOUNT.name,
      password: DEFAULT_LAB_ACCOUNT.password,
      hint: 'give --account NAME:PASSWORD:admin to replace it',
    });
  }
  const common = { port: args.port, objectPort: args.objectPort, log, accounts, minAuthLevel: args.minAuthLevel, allowNtlmV1: args.allowNtlmV1, emulated };
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
  let admin: AdminServer | undefined;
  if (args.adminListen !== undefined) {
    try {
      admin = await startAdminServer({ host: emulated, token: adminToken!, listen: args.adminListen, port: args.adminPort, log });
    } catch (e) {
      await server.close();
      const code = (e as NodeJS.ErrnoException).code;
      process.stderr.write(`scmpd: admin API on ${args.adminListen}:${args.adminPort}: ${(e as Error).message}${code === 'EADDRINUSE' ? ' (choose another with --admin-port, or --no-admin)' : ''}\n`);
      return 1;
    }
    if (!args.adminTokenFile) {
      if (args.stateDir) {
        const file = join(args.stateDir, 'admin-token');
        writeFileSync(file, `${adminToken}\n`, { mode: 0o600 });
        log.info('admin API token written', { file });
      } else log.warn('admin API token (give --admin-token-file to choose it)', { token: adminToken });
    }
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('stopping', { signal });
    Promise.all([server.close(), admin?.close()]).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  // Only now announce readiness: the line is written synchronously to a pipe, and whoever
  // reads it may signal us at once.
  const where = server.rpc.endpoints.flatMap((ep) => ep.bound.map((b) => `${b} (${ep.name})`));
  process.stdout.write(`scmpd ready: listening on ${where.join(', ')}${admin ? `; admin API ${admin.url}` : ''}\n`);
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
