/**
 * The network verbs' connection options, read as impacket's tools read them: a TARGET
 * `[[domain/]user[:password]@]host`, `-hashes LMHASH:NTHASH`, `--auth-type`, `--auth-level`,
 * `--port`, `--timeout` (seconds). The password comes from the target, else $SCMP_PASSWORD,
 * else a prompt without echo when stdin is a terminal (docs/decisions.md).
 */
import { SCMP_CLIENT_DEFAULTS, type ScmpConnectOptions } from '../client/index.js';

export class CliUsageError extends Error {}

/** The environment variable a script gives the password in. */
export const PASSWORD_ENV = 'SCMP_PASSWORD';

export interface Target {
  domain: string;
  user: string | undefined;
  password: string | undefined;
  host: string;
}

/**
 * `[[domain/]user[:password]@]host`. The host follows the last `@` and the password the
 * first `:` of the user part, so a password may hold `@` and `:` (as impacket reads it).
 */
export function parseTarget(text: string): Target {
  const at = text.lastIndexOf('@');
  const who = at < 0 ? '' : text.slice(0, at);
  let host = at < 0 ? text : text.slice(at + 1);
  if (/^\[.*\]$/.test(host)) host = host.slice(1, -1);
  if (host === '') throw new CliUsageError(`${JSON.stringify(text)} names no host: give TARGET as [[domain/]user[:password]@]host`);
  if (at < 0) return { domain: '', user: undefined, password: undefined, host };
  const colon = who.indexOf(':');
  const account = colon < 0 ? who : who.slice(0, colon);
  const password = colon < 0 ? undefined : who.slice(colon + 1);
  const slash = account.indexOf('/');
  const domain = slash < 0 ? '' : account.slice(0, slash);
  const user = slash < 0 ? account : account.slice(slash + 1);
  if (user === '') throw new CliUsageError(`${JSON.stringify(text)} names no user before the @`);
  return { domain, user, password, host };
}

/** The connection options a network verb's command line gives (besides the password). */
export interface ConnectionFlags {
  hashes?: string;
  authType?: string;
  authLevel?: string;
  port?: string;
  timeout?: string;
}

/** `-hashes LMHASH:NTHASH` (the LM half may be empty, as impacket takes it): the NT hash. */
export function ntHashOf(hashes: string): string {
  const m = /^([0-9a-f]{32})?:([0-9a-f]{32})$/i.exec(hashes);
  if (!m) throw new CliUsageError(`-hashes takes LMHASH:NTHASH (32 hex digits each; the LM hash may be empty), not ${JSON.stringify(hashes)}`);
  return m[2]!.toLowerCase();
}

/** Everything ScmpClient.connect needs except the password, checked. */
export function connectOptions(t: Target, f: ConnectionFlags): Omit<ScmpConnectOptions, 'password'> & { user: string } {
  if (t.user === undefined) throw new CliUsageError('the target names no user: give it as [domain/]user[:password]@host');
  const authType = (f.authType ?? 'spnego').toLowerCase();
  if (authType !== 'spnego' && authType !== 'ntlm') throw new CliUsageError(`--auth-type is spnego or ntlm, not ${JSON.stringify(f.authType)}`);
  const authLevel = (f.authLevel ?? 'privacy').toLowerCase();
  if (authLevel !== 'privacy' && authLevel !== 'integrity') throw new CliUsageError(`--auth-level is privacy or integrity, not ${JSON.stringify(f.authLevel)}`);
  let port: number = SCMP_CLIENT_DEFAULTS.port;
  if (f.port !== undefined) {
    port = Number(f.port);
    if (!/^\d+$/.test(f.port) || port < 1 || port > 65535) throw new CliUsageError(`--port is a TCP port (1 to 65535), not ${JSON.stringify(f.port)}`);
  }
  let timeoutMs: number = SCMP_CLIENT_DEFAULTS.timeoutMs;
  if (f.timeout !== undefined) {
    const s = Number(f.timeout);
    if (!/^\d+(\.\d+)?$/.test(f.timeout) || !(s > 0) || s > 86_400) throw new CliUsageError(`--timeout is a number of seconds above 0 (at most 86400), not ${JSON.stringify(f.timeout)}`);
    timeoutMs = Math.max(1, Math.round(s * 1000));
  }
  return {
    host: t.host,
    port,
    user: t.user,
    domain: t.domain,
    authType,
    authLevel,
    timeoutMs,
    ...(f.hashes !== undefined ? { ntHash: ntHashOf(f.hashes) } : {}),
  };
}

/** The connection options every command that logs on to a host takes, by option name. */
export const CONNECTION_FLAGS: Readonly<Record<string, keyof ConnectionFlags>> = { hashes: 'hashes', 'auth-type': 'authType', 'auth-level': 'authLevel', port: 'port', timeout: 'timeout' };

/**
 * Walks a command line from `from`: each option (`--x v`, `--x=v`, `-x v`, and vssadmin's
 * `/x=v` when `slashes`) to `option` with its lower-cased name and a reader of its value,
 * each other word to `word`.
 */
export function eachArgument(
  argv: readonly string[],
  from: number,
  handle: { option(name: string, text: string, value: () => string): void; word(w: string): void },
  slashes = false,
): void {
  const form = slashes ? /^(?:--?|\/)([a-z][a-z-]*)(?:=(.*))?$/i : /^--?([a-z][a-z-]*)(?:=(.*))?$/i;
  for (let i = from; i < argv.length; i++) {
    const a = argv[i]!;
    const m = form.exec(a);
    if (!m) {
      handle.word(a);
      continue;
    }
    handle.option(m[1]!.toLowerCase(), a, () => {
      const v = m[2] ?? argv[++i];
      if (v === undefined) throw new CliUsageError(`${a.replace(/=.*/, '')} needs a value`);
      return v;
    });
  }
}

/**
 * The password for a logon: from the target, else $SCMP_PASSWORD, else asked for without
 * echo on a terminal; none with -hashes. Without any: a usage error saying the four ways.
 */
export async function logonPassword(
  given: string | undefined,
  hashes: boolean,
  io: { env: NodeJS.ProcessEnv; stdin: NodeJS.ReadStream; err: NodeJS.WritableStream },
  say: { label: string; place: string } = { label: '', place: 'the target' },
): Promise<string | undefined> {
  if (given !== undefined || hashes) return given;
  if (io.env[PASSWORD_ENV] !== undefined) return io.env[PASSWORD_ENV];
  if (!io.stdin.isTTY) throw new CliUsageError(`no password${say.label}: give it in ${say.place} (user:password@host), in $${PASSWORD_ENV}, with -hashes LMHASH:NTHASH, or run on a terminal to be asked`);
  return promptHidden('Password:', io.stdin, io.err);
}

/** Reads a line from a terminal without echoing it. */
export function promptHidden(question: string, input: NodeJS.ReadStream, output: NodeJS.WritableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    // No echo before the question shows: a fast typist's first keys must not appear either.
    input.setRawMode?.(true);
    output.write(question);
    input.resume();
    input.setEncoding('utf8');
    let text = '';
    const done = (fn: () => void) => {
      input.setRawMode?.(false);
      input.pause();
      input.removeListener('data', onData);
      output.write('\n');
      fn();
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return done(() => resolve(text));
        if (ch === '\u0003') return done(() => reject(new CliUsageError('no password given (interrupted)')));
        if (ch === '\u007f' || ch === '\b') text = text.slice(0, -1);
        else text += ch;
      }
    };
    input.on('data', onData);
  });
}
