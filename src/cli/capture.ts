/**
 * `scmp capture show FILE`: every DCE/RPC call in a pcap or pcapng capture, decoded by the
 * project's IDL declarations (src/capture over src/pcap), decrypted with --password,
 * -hashes or --keys (a key file from scmpd --capture-keys). Text by default, --json for
 * machines (one object per line), --filter by interface or method.
 */
import { readFile } from 'node:fs/promises';
import type { CaptureNote, DecodedCall } from '../capture/calls.js';
import { decodeCaptureFile } from '../capture/decode.js';
import type { CaptureCredentials } from '../capture/keys.js';
import { callFilter, callJson, formatCall } from './capture-format.js';
import { EXIT } from './exit-codes.js';

export const CAPTURE_USAGE = `Usage: scmp capture show FILE [--password PASSWORD | -hashes LMHASH:NTHASH] [--keys KEYFILE]
                         [--filter WHAT] [--json]

Every DCE/RPC call in FILE (pcap or pcapng, as tshark, tcpdump, Wireshark or scmpd --capture
write them): time, connection, Interface::Method, every argument and result by its IDL
field name (MS-SCMP, DCOM activation, the OXID resolver, IRemUnknown, the endpoint mapper,
the management interface), HRESULTs and faults by name. TCP streams are reassembled; a
segment missing from the capture is noted where it is, and reading goes on.

  --password PASSWORD   decrypt NTLM/SPNEGO signed or sealed calls of the account that
                        logged on with it (NTLMv2 keys derived as the server did)
  -hashes LMHASH:NTHASH the same from the NT hash (the LM part may be empty)
  --keys KEYFILE        the key file of scmpd --capture-keys: decrypts without a password
  --filter WHAT         only calls of these interfaces or methods, comma-separated:
                        IVssSnapshotMgmt, QuerySnapshotsByVolume, IVssEnumObject::Next
  --json                one JSON object per call and line (bigints as exact numbers,
                        bytes as hex, times in ISO 8601 UTC with nanoseconds)

Exit codes: 0 read to the end; 2 usage error; 8 the file could not be read, or only in
part (the calls before the fault are printed, and the reason).
`;

interface CaptureArgs {
  file: string;
  creds: CaptureCredentials;
  keysPath?: string;
  filter?: string;
  json: boolean;
}

class UsageError extends Error {}

function parse(argv: string[]): CaptureArgs {
  const words: string[] = [];
  let password: string | undefined;
  let hashes: string | undefined;
  let keysPath: string | undefined;
  let filter: string | undefined;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const eq = a.indexOf('=');
      if (a.startsWith('--') && eq > 0) return a.slice(eq + 1);
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      return v;
    };
    const name = a.startsWith('--') && a.includes('=') ? a.slice(0, a.indexOf('=')) : a;
    if (name === '--json') json = true;
    else if (name === '--password') password = value();
    else if (name === '-hashes' || name === '--hashes') hashes = value();
    else if (name === '--keys') keysPath = value();
    else if (name === '--filter') filter = value();
    else if (a === '--') words.push(...argv.slice(i + 1)), (i = argv.length);
    else if (a.startsWith('-')) throw new UsageError(`unknown option ${a}`);
    else words.push(a);
  }
  if (words[0] !== 'capture' || words[1] !== 'show') throw new UsageError(`unknown command ${words.slice(0, 2).join(' ')}`);
  if (words.length !== 3) throw new UsageError(words.length < 3 ? 'capture show needs a FILE' : `one FILE only, not ${words.slice(2).join(' ')}`);
  if (password !== undefined && hashes !== undefined) throw new UsageError('--password or -hashes, not both');
  const creds: CaptureCredentials = {};
  if (password !== undefined) creds.password = password;
  if (hashes !== undefined) {
    const m = /^([0-9a-fA-F]{32})?:([0-9a-fA-F]{32})$/.exec(hashes);
    if (!m) throw new UsageError('-hashes takes LMHASH:NTHASH (32 hex digits each; the LM hash may be empty)');
    creds.ntHash = Buffer.from(m[2]!, 'hex');
  }
  return { file: words[2]!, creds, keysPath, filter, json };
}

/** Reads a key file (scmpd --capture-keys) into `creds`; false, said on `err`, when it cannot be read. */
export async function loadKeyFile(creds: CaptureCredentials, path: string | undefined, err: NodeJS.WritableStream): Promise<boolean> {
  if (path === undefined) return true;
  try {
    creds.keysFile = (await readFile(path, 'utf8')).split('\n');
    return true;
  } catch (e) {
    err.write(`scmp: cannot read the key file ${path}: ${(e as Error).message}\n`);
    return false;
  }
}

export async function captureMain(argv: string[], out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  let args: CaptureArgs;
  try {
    args = parse(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    err.write(`scmp: ${e.message} (scmp help capture show shows how)\n`);
    return EXIT.USAGE;
  }
  if (!(await loadKeyFile(args.creds, args.keysPath, err))) return EXIT.CAPTURE;
  const wanted = callFilter(args.filter);
  let shown = 0;
  let calls = 0;
  const conversations = new Set<number>();
  const notes: CaptureNote[] = [];
  const onCall = (c: DecodedCall) => {
    calls++;
    conversations.add(c.conversation);
    if (!wanted(c)) return;
    shown++;
    out.write(args.json ? callJson(c) : `${shown > 1 ? '\n' : ''}${formatCall(c, shown)}`);
  };
  let summary;
  try {
    summary = await decodeCaptureFile(args.file, { keys: args.creds, onCall, onNote: (n) => notes.push(n) });
  } catch (e) {
    err.write(`scmp: cannot read ${args.file}: ${(e as Error).message}\n`);
    return EXIT.CAPTURE;
  }
  for (const n of notes) err.write(`scmp: ${n.conversation ? `conn ${n.conversation}: ` : ''}${n.message}\n`);
  const filtered = args.filter !== undefined ? `, ${shown} shown` : '';
  err.write(`scmp: ${calls} call${calls === 1 ? '' : 's'} in ${conversations.size} DCE/RPC connection${conversations.size === 1 ? '' : 's'}${filtered} (${summary.format}, ${summary.packets} packets, ${summary.tcpConversations} TCP connections, ${summary.skippedPackets} packets not TCP)\n`);
  if (summary.truncated) {
    err.write(`scmp: ${args.file} was read only in part (the reason is above)\n`);
    return EXIT.CAPTURE;
  }
  return EXIT.OK;
}
