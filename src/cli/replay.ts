/**
 * `scmp replay CAPTURE --target TARGET`: the client calls of a recorded session issued again
 * against a live host (src/replay), each answer compared with the recorded one, field by
 * field, after volatile values are mapped. Text, --json or --junit FILE; exit 0 when
 * everything matched.
 */
import { loadKeyFile } from './capture.js';
import { writeFile } from 'node:fs/promises';
import type { CaptureCredentials } from '../capture/keys.js';
import { AUTH_LEVEL, AUTH_TYPE } from '../dcerpc/constants.js';
import { replay, type ReplayReport, type ReplayTarget } from '../replay/engine.js';
import { readRecording, type Recording } from '../replay/recording.js';
import { formatResult, formatSummary, reportJson, reportJunit } from '../replay/report.js';
import { EXIT } from './exit-codes.js';
import { CliUsageError, connectOptions, logonPassword, ntHashOf, parseTarget, PASSWORD_ENV } from './target.js';

export const REPLAY_USAGE = `Usage: scmp replay CAPTURE --target TARGET [-hashes LMHASH:NTHASH] [--auth-type TYPE]
                   [--auth-level LEVEL] [--port N] [--timeout SECONDS]
                   [--capture-password PASSWORD | --capture-hashes LMHASH:NTHASH] [--capture-keys KEYFILE]
                   [--allow-changes] [--ignore PATH]... [--stop-on-first] [--json] [--junit FILE]

Issues the client calls recorded in CAPTURE (pcap or pcapng: scmpd --capture, tshark, tcpdump)
again against TARGET, over fresh connections, in their recorded order: the same interfaces,
methods and arguments, authenticated afresh with TARGET's credentials at the recorded type and
level; calls on an object exporter go to the one the live activation names. Values that differ
by design (IPIDs, OXIDs, OIDs, ping set ids, context handles, causality ids, bindings and
ports) are paired, recorded with live, and put into later requests; everything else in each
answer is compared, and every difference printed with its field path and both values.

  --target TARGET         [[domain/]user[:password]@]host to replay against
  -hashes LMHASH:NTHASH   TARGET's NT hash instead of a password
  --auth-type TYPE        spnego | ntlm for every connection (default: as recorded)
  --auth-level LEVEL      privacy | integrity for every connection (default: as recorded)
  --port N                TARGET's endpoint mapper port (default 135)
  --timeout SECONDS       limit for each connection and call (default 30)
  --capture-password P    decrypts the capture: the recorded account's password
  --capture-hashes LM:NT  the same from its NT hash
  --capture-keys KEYFILE  the key file of scmpd --capture-keys
  --allow-changes         also replay calls that change the host (AddDiffArea,
                          ChangeDiffAreaMaximumSize); without it they are skipped, and
                          differences after them say they may depend on them
  --ignore PATH           do not count differences at PATH, a glob (* within a name, ** across
                          names), optionally after Interface::Method: (repeatable), e.g.
                          --ignore 'rgelt[*].Obj.Snap.m_tsCreationTimestamp'
  --stop-on-first         stop at the first call that differs or fails
  --json                  the report as one JSON document
  --junit FILE            also write JUnit XML to FILE: one test case per recorded call
Password: from TARGET, else $${PASSWORD_ENV}, else asked for without echo on a terminal.

Exit codes: 0 every replayed call answered as recorded; 2 usage error; 4 the target refused
the activation (not an administrator?); 6 the target could not be reached or did not answer in
time; 7 the target refused the logon; 8 the capture could not be read or decrypted; 9 replayed,
and the answers differ (or calls failed). The report so far is printed in every case.
`;

class UsageError extends CliUsageError {}

interface ReplayArgs {
  capture: string;
  target: string;
  hashes?: string;
  authType?: string;
  authLevel?: string;
  port?: string;
  timeout?: string;
  creds: CaptureCredentials;
  keysPath?: string;
  allowChanges: boolean;
  stopOnFirst: boolean;
  ignore: string[];
  json: boolean;
  junit?: string;
}

export function parseReplay(argv: string[]): ReplayArgs {
  if (argv[0] !== 'replay') throw new UsageError(`unknown command ${argv[0]}`);
  const words: string[] = [];
  const a: Partial<ReplayArgs> & { ignore: string[]; creds: CaptureCredentials } = { ignore: [], creds: {}, allowChanges: false, stopOnFirst: false, json: false };
  let capturePassword: string | undefined;
  let captureHashes: string | undefined;
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const value = (): string => {
      if (eq > 0) return arg.slice(eq + 1);
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${name} needs a value`);
      return v;
    };
    switch (name) {
      case '--target':
        a.target = value();
        break;
      case '-hashes':
      case '--hashes':
        a.hashes = value();
        break;
      case '--auth-type':
        a.authType = value();
        break;
      case '--auth-level':
        a.authLevel = value();
        break;
      case '--port':
        a.port = value();
        break;
      case '--timeout':
        a.timeout = value();
        break;
      case '--capture-password':
        capturePassword = value();
        break;
      case '--capture-hashes':
        captureHashes = value();
        break;
      case '--capture-keys':
        a.keysPath = value();
        break;
      case '--ignore':
        a.ignore.push(value());
        break;
      case '--junit':
        a.junit = value();
        break;
      case '--allow-changes':
        a.allowChanges = true;
        break;
      case '--stop-on-first':
        a.stopOnFirst = true;
        break;
      case '--json':
        a.json = true;
        break;
      default:
        if (arg.startsWith('-')) throw new UsageError(`unknown option ${arg}`);
        words.push(arg);
    }
  }
  if (words.length !== 1) throw new UsageError(words.length === 0 ? 'replay needs a CAPTURE file' : `one CAPTURE only, not ${words.join(' ')}`);
  if (a.target === undefined) throw new UsageError('replay needs --target [[domain/]user[:password]@]host');
  if (capturePassword !== undefined && captureHashes !== undefined) throw new UsageError('--capture-password or --capture-hashes, not both');
  if (capturePassword !== undefined) a.creds.password = capturePassword;
  if (captureHashes !== undefined) a.creds.ntHash = Buffer.from(ntHashOf(captureHashes), 'hex');
  return { ...a, capture: words[0]!, target: a.target } as ReplayArgs;
}

/** The target's address and credentials, checked as the network verbs check them (target.ts). */
function replayTarget(a: ReplayArgs, password: string | undefined): ReplayTarget {
  const o = connectOptions(parseTarget(a.target), { hashes: a.hashes, authType: a.authType, authLevel: a.authLevel, port: a.port, timeout: a.timeout });
  // Without --auth-type / --auth-level, each connection keeps the recording's.
  return {
    host: o.host,
    port: o.port!,
    user: o.user,
    domain: o.domain ?? '',
    ...(o.ntHash !== undefined ? { ntHash: typeof o.ntHash === 'string' ? Buffer.from(o.ntHash, 'hex') : o.ntHash } : { password }),
    ...(a.authType !== undefined ? { authType: o.authType === 'ntlm' ? AUTH_TYPE.winnt : AUTH_TYPE.gss_negotiate } : {}),
    ...(a.authLevel !== undefined ? { authLevel: o.authLevel === 'integrity' ? AUTH_LEVEL.pkt_integrity : AUTH_LEVEL.pkt_privacy } : {}),
    timeoutMs: o.timeoutMs!,
  };
}

const EXIT_OF = { logon: EXIT.LOGON, connection: EXIT.CONNECTION, 'access-denied': EXIT.ACCESS_DENIED } as const;

export async function replayMain(argv: string[], env: NodeJS.ProcessEnv = process.env, out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr, stdin: NodeJS.ReadStream = process.stdin): Promise<number> {
  let args: ReplayArgs;
  let target: ReplayTarget;
  try {
    args = parseReplay(argv);
    const password = await logonPassword(parseTarget(args.target).password, args.hashes !== undefined, { env, stdin, err }, { label: ' for the target', place: '--target' });
    target = replayTarget(args, password);
  } catch (e) {
    if (!(e instanceof CliUsageError)) throw e;
    err.write(`scmp: ${e.message} (scmp help replay shows how)\n`);
    return EXIT.USAGE;
  }
  if (!(await loadKeyFile(args.creds, args.keysPath, err))) return EXIT.CAPTURE;
  let rec: Recording;
  try {
    rec = await readRecording(args.capture, args.creds);
  } catch (e) {
    err.write(`scmp: cannot read ${args.capture}: ${(e as Error).message}\n`);
    return EXIT.CAPTURE;
  }
  for (const n of rec.notes) err.write(`scmp: ${args.capture}: ${n.conversation ? `conn ${n.conversation}: ` : ''}${n.message}\n`);
  if (rec.summary.truncated) {
    err.write(`scmp: ${args.capture} was read only in part (the reason is above): nothing replayed\n`);
    return EXIT.CAPTURE;
  }
  const sealed = rec.calls.filter((c) => c.call.protection === 'no-key' || c.call.protection === 'bad-key');
  if (sealed.length > 0) {
    const why = sealed[0]!.call.protection === 'bad-key' ? 'the capture password, hash or key file does not match' : 'give --capture-password, --capture-hashes or --capture-keys';
    err.write(`scmp: ${sealed.length} of ${rec.calls.length} recorded calls could not be verified or decrypted (${why}): nothing replayed\n`);
    return EXIT.CAPTURE;
  }
  if (rec.calls.length === 0) {
    err.write(`scmp: ${args.capture} holds no DCE/RPC call: nothing to replay\n`);
    return EXIT.CAPTURE;
  }

  const report: ReplayReport = await replay(rec.calls, {
    target,
    allowChanges: args.allowChanges,
    stopOnFirst: args.stopOnFirst,
    ignore: args.ignore,
    // Text goes out call by call, so a long replay shows its progress.
    onResult: (r) => {
      if (!args.json) out.write(formatResult(r));
    },
  });
  if (args.json) out.write(reportJson(report));
  else out.write(`\n${formatSummary(report.summary)}`);
  if (report.fatal) err.write(`scmp: ${report.fatal.message}\n`);
  if (args.junit !== undefined) {
    try {
      await writeFile(args.junit, reportJunit(report, args.capture));
    } catch (e) {
      err.write(`scmp: cannot write ${args.junit}: ${(e as Error).message}\n`);
      return EXIT.USAGE;
    }
  }
  if (report.fatal) return EXIT_OF[report.fatal.kind];
  const s = report.summary;
  return s.differed + s.failed + s.notReplayed > 0 ? EXIT.DIFFERENT : EXIT.OK;
}
