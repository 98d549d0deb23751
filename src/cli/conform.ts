/**
 * `scmp conform TARGET`: the conformance catalogue (src/conform) run against a host, with
 * the network verbs' target syntax and connection options. Read-only unless
 * --allow-changes; verdicts as text, --json, or a JUnit file; exit 0 iff every applicable
 * check passed (EXIT.CHECKS_FAILED otherwise).
 */
import { writeFileSync } from 'node:fs';
import { CATALOGUE, select } from '../conform/catalogue.js';
import { formatJson, formatJunit, formatText } from '../conform/report.js';
import { allPassed, runChecks } from '../conform/runner.js';
import type { ConformTarget, Credentials } from '../conform/session.js';
import { EXIT } from './exit-codes.js';
import { connectOptions, CliUsageError, CONNECTION_FLAGS, eachArgument, logonPassword, parseTarget, type ConnectionFlags } from './target.js';

/** Each check's calls are limited to this by default (a host that hangs fails the check, not the run). */
const DEFAULT_TIMEOUT_SECONDS = '10';

interface Parsed {
  target: string;
  flags: ConnectionFlags;
  json: boolean;
  junit?: string;
  only: string[];
  skip: string[];
  allowChanges: boolean;
  userAccount?: string;
  list: boolean;
}

export function parseConform(argv: string[]): Parsed {
  const p: Parsed = { target: '', flags: {}, json: false, only: [], skip: [], allowChanges: false, list: false };
  const targets: string[] = [];
  eachArgument(argv, 1, {
    option(name, a, value) {
      if (name === 'json') p.json = true;
      else if (name === 'allow-changes') p.allowChanges = true;
      else if (name === 'list') p.list = true;
      else if (name === 'junit') p.junit = value();
      else if (name === 'only') p.only.push(...value().split(',').filter(Boolean));
      else if (name === 'skip') p.skip.push(...value().split(',').filter(Boolean));
      else if (name === 'user-account') p.userAccount = value();
      else if (name in CONNECTION_FLAGS) p.flags[CONNECTION_FLAGS[name]!] = value();
      else throw new CliUsageError(`unknown option ${a} for conform`);
    },
    word: (w) => targets.push(w),
  });
  if (p.list) return p;
  if (targets.length !== 1) throw new CliUsageError(targets.length === 0 ? 'conform needs a TARGET: [[domain/]user[:password]@]host' : `one TARGET only, not ${targets.join(' ')}`);
  p.target = targets[0]!;
  return p;
}

/** `--user-account [domain/]user:password`: the non-administrator the authorization checks log on as. */
function userAccount(text: string): Credentials {
  const t = parseTarget(`${text}@x`);
  if (!t.user || t.password === undefined) throw new CliUsageError('--user-account takes [domain/]user:password');
  return { user: t.user, domain: t.domain, password: t.password };
}

export async function conformMain(argv: string[], env: NodeJS.ProcessEnv = process.env, out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr, stdin: NodeJS.ReadStream = process.stdin): Promise<number> {
  let p: Parsed;
  let t: ConformTarget;
  try {
    p = parseConform(argv);
    if (p.list) {
      const checks = select(p.only, p.skip);
      out.write(p.json ? `${JSON.stringify(checks.map(({ id, requirement, ref, needs }) => ({ id, requirement, ref, needs })), null, 2)}\n` : checks.map((c) => `${c.id} [${c.ref.spec} ${c.ref.section}]${c.needs.length ? ` (${c.needs.join(', ')})` : ''}\n    ${c.requirement}\n`).join(''));
      return EXIT.OK;
    }
    const target = parseTarget(p.target);
    const o = connectOptions(target, { timeout: DEFAULT_TIMEOUT_SECONDS, ...p.flags });
    const password = await logonPassword(target.password, o.ntHash !== undefined, { env, stdin, err });
    t = {
      host: o.host,
      port: o.port!,
      creds: { user: o.user, domain: o.domain ?? '', ...(o.ntHash !== undefined ? { ntHash: Buffer.from(o.ntHash as string, 'hex') } : { password }) },
      authType: o.authType as 'spnego' | 'ntlm',
      authLevel: o.authLevel as 'privacy' | 'integrity',
      timeoutMs: o.timeoutMs!,
      ...(p.userAccount ? { userAccount: userAccount(p.userAccount) } : {}),
    };
  } catch (e) {
    if (e instanceof CliUsageError) {
      err.write(`scmp: ${e.message} (scmp help conform shows how)\n`);
      return EXIT.USAGE;
    }
    throw e;
  }
  const checks = select(p.only, p.skip);
  if (checks.length === 0) {
    err.write(`scmp: no check matches --only/--skip (scmp conform --list shows the ${CATALOGUE.length} ids)\n`);
    return EXIT.USAGE;
  }
  const where = `${t.host}:${t.port}`;
  const results = await runChecks(t, checks, { allowChanges: p.allowChanges });
  out.write(p.json ? formatJson(results, where) : formatText(results, where));
  if (p.junit) writeFileSync(p.junit, formatJunit(results, where));
  return allPassed(results) ? EXIT.OK : EXIT.CHECKS_FAILED;
}
