#!/usr/bin/env node
import { servedRule } from '../admin/fault-methods.js';
import { FieldError } from '../store/json-fields.js';
import type { FaultRuleSpec } from '../store/faults.js';
import { DEFAULT_LISTEN, EndpointListenError, startScmp, type ScmpOptions, type ScmpServer } from '../app.js';
import { ListenError } from '../dcerpc/server.js';
import { createLogger, type Logger } from '../log.js';
import { USAGE, UsageError, parseArgs, type ScmpdArgs } from './args.js';
import { DEFAULT_LAB_ACCOUNT, parseAccountSpec, type Account } from '../security/accounts.js';
import { NTOWFv1 } from '../security/ntlm/crypto.js';
import { HostModelError, parseHostModel, type CaptureSpec } from '../store/model-file.js';
import { HostStore } from '../store/host-store.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { newAdminToken, startAdminServer, type AdminServer } from '../admin/http.js';
import { keptOrNewToken, TokenFileError } from './admin-token-file.js';
import { defaultHostModel } from '../store/default-host.js';
import { EmulatedHost } from '../store/emulated-host.js';
import type { HostModel } from '../store/model.js';
import { StoreError } from '../store/errors.js';
import { StateDirError } from '../store/state-dir.js';
import { reportStartingPoint } from './starting-point.js';
import { CaptureRecorder } from '../pcap/recorder.js';

/** An error that stops the start: printed as `scmpd: …` lines, then exit with `code`. */
class StartError extends Error {
  constructor(
    readonly lines: string[],
    readonly code: number,
  ) {
    super(lines.join('\n'));
  }
}

const TOKEN_RE = /^[\x21-\x7e]{16,512}$/;
const TOKEN_RULE = 'the token must be 16 to 512 printable characters without spaces';

/** Every line of a message, each under the same prefix (a host model can have many problems). */
const prefixed = (prefix: string, message: string) => message.split('\n').map((l) => `${prefix}${l}`);

/** The host model file, checked completely: every bad field is named at once. */
function readHostModel(file: string): { model: HostModel; accounts: Account[]; faults: FaultRuleSpec[]; capture?: CaptureSpec } {
  try {
    const parsed = parseHostModel(readFileSync(file, 'utf8'));
    new HostStore(parsed.model);
    const accounts = parsed.accounts.map((a) =>
      a.ntHash ? parseAccountSpec(`${a.name}:nthash:${a.ntHash}:${a.role}`) : { ...parseAccountSpec(`${a.name}:x:${a.role}`), ntHash: NTOWFv1(a.password!) },
    );
    // Scripted faults name interfaces and methods this host serves (a misspelt one would never fire).
    const faults = parsed.faults.map((f, i) => servedRule(f, `faults[${i}]`));
    return { model: parsed.model, accounts, faults, ...(parsed.capture ? { capture: parsed.capture } : {}) };
  } catch (e) {
    if (e instanceof HostModelError || e instanceof FieldError || e instanceof TypeError || (e as NodeJS.ErrnoException).code) {
      throw new StartError(prefixed(`host model ${file}: `, (e as Error).message), 2);
    }
    throw e;
  }
}

/**
 * The admin token: from --admin-token-file; else the state directory's admin-token, made
 * on the first start and kept (a restart keeps the token clients hold); else a new one.
 */
function adminToken(args: ScmpdArgs, log: Logger): string {
  if (args.adminTokenFile !== undefined) {
    let token: string;
    try {
      token = readFileSync(args.adminTokenFile, 'utf8').trim();
    } catch (e) {
      throw new StartError([`--admin-token-file ${args.adminTokenFile}: ${(e as Error).message}`], 2);
    }
    if (!TOKEN_RE.test(token)) throw new StartError([`--admin-token-file ${args.adminTokenFile}: ${TOKEN_RULE}`], 2);
    return token;
  }
  if (args.stateDir === undefined) {
    const token = newAdminToken();
    log.warn('admin API token (new at every start with --in-memory; give --admin-token-file to choose it)', { token });
    return token;
  }
  const file = join(args.stateDir, 'admin-token');
  try {
    const kept = keptOrNewToken(file, newAdminToken, (t) => TOKEN_RE.test(t), TOKEN_RULE);
    if (kept.narrowedFrom !== undefined) log.warn('admin API token file was readable by others: its mode is now 0600', { file, mode: `0${kept.narrowedFrom.toString(8)}` });
    log.info(kept.made ? 'admin API token made' : 'admin API token kept from an earlier start', { file });
    return kept.token;
  } catch (e) {
    if (e instanceof TokenFileError) throw new StartError([e.message], 2);
    throw e;
  }
}

/** The accounts, announced; a host without an administrator is served, with a warning. */
function accountsOf(args: ScmpdArgs, fromFile: Account[], log: Logger): Account[] {
  let accounts = [...fromFile, ...args.accounts];
  if (accounts.length === 0) {
    accounts = [parseAccountSpec(`${DEFAULT_LAB_ACCOUNT.name}:${DEFAULT_LAB_ACCOUNT.password}:admin`)];
    log.warn('no --account given: using the lab administrator account', {
      user: DEFAULT_LAB_ACCOUNT.name,
      password: DEFAULT_LAB_ACCOUNT.password,
      hint: 'give --account NAME:PASSWORD:admin to replace it',
    });
  }
  log.info('local accounts', { accounts: accounts.map((a) => ({ name: a.name, role: a.role })) });
  if (!accounts.some((a) => a.role === 'admin')) {
    log.warn('no administrator account: DCOM activation and MS-SCMP will refuse every caller', {
      hint: 'give one with --account NAME:PASSWORD:admin (the role in any case)',
    });
  }
  return accounts;
}

/** A listen failure as a user can act on it: which flag chooses the port that failed. */
function listenFailure(e: ListenError, args: ScmpdArgs): StartError {
  const objects = e instanceof EndpointListenError && e.endpoint === 'object-exporter';
  const flag = objects ? '--object-port' : '--port';
  const port = objects ? args.objectPort : args.port;
  if (e.code === 'EACCES' || e.code === 'EPERM') {
    return new StartError(
      [
        `not allowed to listen on port ${port}: ports below 1024 need root or CAP_NET_BIND_SERVICE.`,
        `Run with privileges, or choose another port with ${flag} (for example ${flag} ${objects ? 0 : 1135}).`,
      ],
      1,
    );
  }
  return new StartError([`${e.message}${e.code === 'EADDRINUSE' ? ` (choose another with ${flag})` : ''}`], 1);
}

/** The command line, or the exit code when there is nothing to start (a usage error, --help). */
function argsOrExitCode(argv: string[]): ScmpdArgs | number {
  let args: ScmpdArgs;
  try {
    args = parseArgs(argv);
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
  return args;
}

/** The host model (the file's or the default) and the emulated host over the state directory. */
function openHost(args: ScmpdArgs): { model: HostModel; fileAccounts: Account[]; emulated: EmulatedHost; capture?: CaptureSpec } {
  const { model, accounts: fileAccounts, faults, capture } = args.hostModel !== undefined ? readHostModel(args.hostModel) : { model: defaultHostModel(), accounts: [], faults: [], capture: undefined };
  try {
    const emulated = new EmulatedHost(model, { stateDir: args.stateDir });
    for (const f of faults) emulated.faults.add(f);
    return { model, fileAccounts, emulated, ...(capture ? { capture } : {}) };
  } catch (e) {
    if (e instanceof StateDirError || e instanceof TypeError || e instanceof StoreError || (e as NodeJS.ErrnoException).code) {
      throw new StartError(prefixed(`state directory ${args.stateDir}: `, (e as Error).message), 2);
    }
    throw e;
  }
}

/** The MS-SCMP server on the addresses asked for; a failure to listen names the flag to change. */
async function listenScmp(args: ScmpdArgs, common: Omit<ScmpOptions, 'listen'>, log: Logger): Promise<ScmpServer> {
  try {
    try {
      return await startScmp({ ...common, listen: args.listen });
    } catch (e) {
      // A host without IPv6 still serves IPv4 when no address was asked for explicitly.
      if (!args.listen && e instanceof ListenError && (e.code === 'EAFNOSUPPORT' || e.code === 'EADDRNOTAVAIL')) {
        log.warn('IPv6 unavailable; listening on IPv4 only');
        return await startScmp({ ...common, listen: DEFAULT_LISTEN.filter((a) => !a.includes(':')) });
      }
      throw e;
    }
  } catch (e) {
    if (e instanceof ListenError) throw listenFailure(e, args);
    throw e;
  }
}

/** The admin API; when it cannot listen, the MS-SCMP server already listening is closed first. */
async function listenAdmin(args: ScmpdArgs, listen: string, emulated: EmulatedHost, token: string, server: ScmpServer, log: Logger): Promise<AdminServer> {
  try {
    return await startAdminServer({ host: emulated, token, listen, port: args.adminPort, log });
  } catch (e) {
    await server.close();
    const code = (e as NodeJS.ErrnoException).code;
    throw new StartError([`admin API on ${listen}:${args.adminPort}: ${(e as Error).message}${code === 'EADDRINUSE' ? ' (choose another with --admin-port, or --no-admin)' : ''}`], 1);
  }
}

/**
 * --capture (or the host model's `capture`, which the flags override): the recorder, its
 * files opened now (a path that cannot be written stops the start).
 */
function startCapture(args: ScmpdArgs, fromModel: CaptureSpec | undefined, log: Logger): CaptureRecorder | undefined {
  const file = args.capture ?? fromModel?.file;
  if (file === undefined) return undefined;
  const keysFile = args.captureKeys ?? (args.capture === undefined ? fromModel?.keysFile : undefined);
  const maxFileBytes = args.captureMaxBytes ?? fromModel?.maxFileBytes;
  const totalBytes = args.captureTotalBytes ?? fromModel?.totalBytes;
  try {
    const rec = new CaptureRecorder({ file, keysFile, settings: { ...(maxFileBytes !== undefined ? { maxFileBytes } : {}), ...(totalBytes !== undefined ? { totalBytes } : {}) }, log });
    log.info('capturing', { file, keys: keysFile, maxFileBytes: rec.settings.maxFileBytes, totalBytes: rec.settings.totalBytes, from: args.capture !== undefined ? '--capture' : 'host model' });
    return rec;
  } catch (e) {
    throw new StartError([`${args.capture !== undefined ? '--capture' : `host model ${args.hostModel}: capture.file`}: ${(e as Error).message}`], 2);
  }
}

/** SIGINT and SIGTERM close both servers once, then the capture (so its files end on whole blocks), then exit: 0, or 1 when closing failed. */
function stopOnSignals(server: ScmpServer, admin: AdminServer | undefined, log: Logger, capture: CaptureRecorder | undefined): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('stopping', { signal });
    Promise.all([server.close(), admin?.close()])
      .then(() => capture?.close())
      .then(
      () => {
        log.info('stopped', { signal });
        process.exit(0);
      },
      (e) => {
        log.error('stopped with an error', { signal, error: (e as Error).message });
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

/**
 * The ready line, written last: it goes synchronously to a pipe, and whoever reads it may
 * signal us at once, so the signal handlers must already be installed.
 */
function announceReady(server: ScmpServer, admin: AdminServer | undefined): void {
  const where = server.rpc.endpoints.flatMap((ep) => ep.bound.map((b) => `${b} (${ep.name})`));
  process.stdout.write(`scmpd ready: listening on ${where.join(', ')}${admin ? `; admin API ${admin.url}` : ''}\n`);
}

/** Starts scmpd; the exit code when it stops at once, -1 while it serves (signals stop it). */
async function main(): Promise<number> {
  const args = argsOrExitCode(process.argv.slice(2));
  if (typeof args === 'number') return args;
  const log = createLogger(args.logLevel);
  // The host model and the state directory are read and checked completely before anything
  // listens: a malformed file never starts a half-configured server.
  const { model, fileAccounts, emulated, capture: modelCapture } = openHost(args);
  reportStartingPoint(log, { hostModel: args.hostModel, stateDir: args.stateDir, model, emulated });
  const token = args.adminListen !== undefined ? adminToken(args, log) : undefined;
  const accounts = accountsOf(args, fileAccounts, log);
  const capture = startCapture(args, modelCapture, log);
  const server = await listenScmp(args, { port: args.port, objectPort: args.objectPort, log, accounts, minAuthLevel: args.minAuthLevel, allowNtlmV1: args.allowNtlmV1, emulated, ...(capture ? { tap: capture } : {}) }, log);
  const admin = args.adminListen !== undefined ? await listenAdmin(args, args.adminListen, emulated, token!, server, log) : undefined;
  stopOnSignals(server, admin, log, capture);
  announceReady(server, admin);
  return -1;
}

main().then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (e) => {
    if (e instanceof StartError) {
      process.stderr.write(e.lines.map((l) => `scmpd: ${l}\n`).join(''));
      process.exit(e.code);
    }
    process.stderr.write(`scmpd: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  },
);
