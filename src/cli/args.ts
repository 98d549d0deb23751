import { isLogLevel, type LogLevel } from '../log.js';
import { AccountSpecError, parseAccountSpec, type Account } from '../security/accounts.js';
import { LEVEL_BY_NAME } from '../security/policy.js';
import { parseSize, SizeError } from './sizes.js';
import { DEFAULT_CAPTURE_SETTINGS, minFileBytes } from '../pcap/recorder.js';

/** scmpd's command line, parsed without side effects (tests call it directly). */
export interface ScmpdArgs {
  listen: string[] | undefined;
  port: number;
  logLevel: LogLevel;
  help: boolean;
  accounts: Account[];
  minAuthLevel: number | undefined;
  allowNtlmV1: boolean;
  objectPort: number;
  hostModel: string | undefined;
  /** undefined: everything in memory (--in-memory). */
  stateDir: string | undefined;
  /** undefined: no admin API (--no-admin). */
  adminListen: string | undefined;
  adminPort: number;
  adminTokenFile: string | undefined;
  /** --capture: every TCP conversation written as pcapng (undefined: no capture). */
  capture: string | undefined;
  /** undefined: the recorder's default (DEFAULT_CAPTURE_SETTINGS). */
  captureMaxBytes: number | undefined;
  captureTotalBytes: number | undefined;
  /** --capture-keys: each security context's NTLM keys, JSON lines (a secret). */
  captureKeys: string | undefined;
}

export class UsageError extends Error {}

/**
 * Where scmpd keeps what a reboot keeps unless told otherwise: `state` in the working
 * directory (the repository's root under `npm start`; ignored by git). MS-SCMP 3.1.4.1 and
 * 3.1.4.4.3 want storage associations to persist on the server, so persistence is the default.
 */
export const DEFAULT_STATE_DIR = 'state';

export const USAGE = `Usage: scmpd [options]

Serves the Shadow Copy Management Protocol (MS-SCMP) as a Windows host does.

Options:
  --listen ADDR[,ADDR…]
                     address to listen on; repeat the flag or give a comma-separated list for
                     several (default: all IPv4 and IPv6 addresses)
  --port N           endpoint mapper port (default: 135)
  --object-port N    DCOM object exporter port (default: 0, an ephemeral port, as Windows
                     uses its dynamic range)
  --log-level LEVEL  error | warn | info | debug (default: info)
  --account NAME:PASSWORD[:admin|user]
                     a local account; repeat for several. NAME:nthash:HEX32[:ROLE] gives the
                     NT hash instead of the password; the role is matched in any case and
                     defaults to user. Without any, a lab administrator is created and
                     announced on start.
  --min-auth-level LEVEL
                     lowest level for DCOM activation and MS-SCMP: none | connect | call |
                     pkt | integrity | privacy (default: integrity)
  --allow-ntlmv1     accept NTLMv1 responses (refused by default, as on a hardened host)
  --host-model FILE  the emulated host (JSON: host names, volumes, writers, shadow copies,
                     diff areas, accounts); default: the embedded default host
  --state-dir DIR    keep what survives a reboot (storage associations, persistent shadow
                     copies, saved documents) and the admin token in DIR (default: ./state)
  --in-memory        keep nothing on disk: every start begins from the host model (tests)
  --admin-listen ADDR
                     address of the admin HTTP API (default: 127.0.0.1, loopback only)
  --admin-port N     its port (default: 8135; 0 picks a free one)
  --admin-token-file FILE
                     read the admin token from FILE (default: DIR/admin-token, made on the
                     first start; with --in-memory a new token, shown in the log)
  --no-admin         no admin API
  --capture FILE.pcapng
                     record every TCP conversation the server has as pcapng (raw IP, the real
                     addresses and ports); opened with tshark/Wireshark, decrypted with the
                     password (ntlmssp.nt_password) or the keys below
  --capture-max-bytes SIZE
                     start the next file of the series (FILE.1.pcapng, FILE.2.pcapng, …)
                     before one passes SIZE (bytes, or with KB, MB, GB; default: 100MB)
  --capture-total-bytes SIZE
                     stop capturing before all files together pass SIZE (default: 1GB)
  --capture-keys FILE
                     write each security context's NTLM exported session key (JSON lines,
                     mode 0600): it decrypts that traffic without a password. A SECRET.
  -h, --help         show this help
`;

/** A capture size: bytes or KB/MB/GB (1024-based, as everywhere in scmp), within what a file can hold. */
function captureSizeOf(v: string, flag: string): number {
  let bytes: bigint;
  try {
    const spec = parseSize(v);
    if (spec.kind !== 'bytes') throw new SizeError(`${JSON.stringify(v)} is not a number of bytes`);
    bytes = spec.bytes;
  } catch (e) {
    if (e instanceof SizeError) throw new UsageError(`${flag}: ${e.message}`);
    throw e;
  }
  const min = minFileBytes(DEFAULT_CAPTURE_SETTINGS.maxSegmentBytes);
  if (bytes < BigInt(min)) throw new UsageError(`${flag} must be at least ${min} bytes (a file header and the largest segment)`);
  return bytes > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(bytes);
}

function portOf(v: string, flag = '--port'): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 0 || n > 65535) throw new UsageError(`${flag} takes a number from 0 to 65535, not "${v}"`);
  return n;
}

export function parseArgs(argv: string[]): ScmpdArgs {
  const out: ScmpdArgs = { listen: undefined, port: 135, logLevel: 'info', help: false, accounts: [], minAuthLevel: undefined, allowNtlmV1: false, objectPort: 0, hostModel: undefined, stateDir: DEFAULT_STATE_DIR, adminListen: '127.0.0.1', adminPort: 8135, adminTokenFile: undefined, capture: undefined, captureMaxBytes: undefined, captureTotalBytes: undefined, captureKeys: undefined };
  let stateDirGiven = false;
  let inMemory = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.indexOf('=');
    const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    const inline = a.startsWith('--') && eq > 0 ? a.slice(eq + 1) : undefined;
    const value = (): string => {
      if (inline !== undefined) return inline;
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${name} needs a value`);
      return v;
    };
    switch (name) {
      case '--listen':
        (out.listen ??= []).push(...value().split(',').filter(Boolean));
        break;
      case '--port':
        out.port = portOf(value());
        break;
      case '--object-port':
        out.objectPort = portOf(value(), '--object-port');
        break;
      case '--log-level': {
        const v = value();
        if (!isLogLevel(v)) throw new UsageError(`--log-level takes error, warn, info or debug, not "${v}"`);
        out.logLevel = v;
        break;
      }
      case '--account':
        try {
          out.accounts.push(parseAccountSpec(value()));
        } catch (e) {
          if (e instanceof AccountSpecError) throw new UsageError(`--account: ${e.message}`);
          throw e;
        }
        break;
      case '--min-auth-level': {
        const v = value();
        const level = LEVEL_BY_NAME[v];
        if (level === undefined) throw new UsageError(`--min-auth-level takes none, connect, call, pkt, integrity or privacy, not "${v}"`);
        out.minAuthLevel = level;
        break;
      }
      case '--host-model':
        out.hostModel = value();
        break;
      case '--state-dir':
        out.stateDir = value();
        if (out.stateDir === '') throw new UsageError('--state-dir needs a directory');
        stateDirGiven = true;
        break;
      case '--in-memory':
        inMemory = true;
        break;
      case '--admin-listen':
        out.adminListen = value();
        break;
      case '--admin-port':
        out.adminPort = portOf(value(), '--admin-port');
        break;
      case '--admin-token-file':
        out.adminTokenFile = value();
        break;
      case '--no-admin':
        out.adminListen = undefined;
        break;
      case '--capture':
        out.capture = value();
        if (out.capture === '') throw new UsageError('--capture needs a file');
        break;
      case '--capture-max-bytes':
        out.captureMaxBytes = captureSizeOf(value(), '--capture-max-bytes');
        break;
      case '--capture-total-bytes':
        out.captureTotalBytes = captureSizeOf(value(), '--capture-total-bytes');
        break;
      case '--capture-keys':
        out.captureKeys = value();
        if (out.captureKeys === '') throw new UsageError('--capture-keys needs a file');
        break;
      case '--allow-ntlmv1':
        out.allowNtlmV1 = true;
        break;
      case '-h':
      case '--help':
        out.help = true;
        break;
      default:
        throw new UsageError(`unknown option ${a}`);
    }
  }
  if (inMemory && stateDirGiven) throw new UsageError('--in-memory and --state-dir exclude each other');
  if (inMemory) out.stateDir = undefined;
  if (out.captureKeys !== undefined && out.capture === undefined) throw new UsageError('--capture-keys goes with --capture (the keys decrypt that capture)');
  return out;
}
