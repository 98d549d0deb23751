/**
 * `scmp VERB … TARGET`: vssadmin's list/add/resize/delete verbs against a remote host over
 * MS-SCMP (src/client). Listings print in vssadmin's layout through vssadmin-format.ts, as
 * `scmp admin` prints them, or as JSON with --json; failures map to EXIT's codes.
 */
import { AuthenticationError, BindNakError, ConnectionError, NotDcomHostError, HResultError, RpcFaultError, ScmpClient, TimeoutError, VSS_ASSOC_REMOVE, type DiffArea, type Snapshot, type Volume } from '../client/index.js';
import { FAULT } from '../dcerpc/constants.js';
import { VSS_SYSTEM_PROVIDER_ID } from '../interfaces/scmp/types.js';
import { E_ACCESSDENIED, VSS_E_OBJECT_NOT_FOUND } from '../status/codes.js';
import { EXIT } from './exit-codes.js';
import { parseSize, resolveSize, SizeError } from './sizes.js';
import { connectOptions, CliUsageError, CONNECTION_FLAGS, eachArgument, logonPassword, parseTarget, type ConnectionFlags } from './target.js';
import {
  formatShadows,
  formatShadowStorage,
  formatVolumes,
  shadowsJson,
  shadowStorageJson,
  toJson,
  volumesJson,
  type ProviderRecord,
  type ShadowRecord,
  type StorageRecord,
  type VolumeRecord,
} from './vssadmin-format.js';

/** The verbs the network command line takes, as `list volumes` etc. */
export const NETWORK_VERBS = ['list volumes', 'list shadows', 'list shadowstorage', 'add shadowstorage', 'resize shadowstorage', 'delete shadowstorage'] as const;
/** Verbs vssadmin has that MS-SCMP cannot carry. */
export const UNSUPPORTED_VERBS = ['create shadow', 'delete shadows'] as const;

/**
 * MS-SCMP names shadow copies' provider by ID only; the one provider it manages is the
 * system provider, printed under the name Windows gives it.
 */
const SYSTEM_PROVIDER: ProviderRecord = { id: VSS_SYSTEM_PROVIDER_ID, name: 'Microsoft Software Shadow Copy provider 1.0', version: '1.0.0.7', type: 1 };

interface Parsed {
  verb: string;
  target: string;
  flags: ConnectionFlags;
  options: Map<string, string>;
  json: boolean;
}

const VERB_OPTIONS: Record<string, string[]> = {
  'list volumes': [],
  'list shadows': ['for'],
  'list shadowstorage': ['for', 'on'],
  'add shadowstorage': ['for', 'on', 'maxsize'],
  'resize shadowstorage': ['for', 'on', 'maxsize'],
  'delete shadowstorage': ['for', 'on'],
};

/** The verb's words, then options in any order (`--x v`, `--x=v`, `/x=v`, `-hashes v`) and one TARGET. */
export function parseNetwork(argv: string[]): Parsed {
  const verb = `${argv[0] ?? ''} ${argv[1] ?? ''}`;
  const allowed = VERB_OPTIONS[verb];
  if (!allowed) throw new CliUsageError(`unknown command: ${argv.join(' ')}`);
  const p: Parsed = { verb, target: '', flags: {}, options: new Map(), json: false };
  const targets: string[] = [];
  eachArgument(
    argv,
    2,
    {
      option(name, a, value) {
        if (name === 'json' && a === '--json') p.json = true;
        else if (name === 'quiet' && (a === '/quiet' || a === '--quiet')) return; // vssadmin's /quiet: nothing is ever asked
        else if (name in CONNECTION_FLAGS && !a.startsWith('/')) p.flags[CONNECTION_FLAGS[name]!] = value();
        else if (allowed.includes(name)) p.options.set(name, value());
        else throw new CliUsageError(`unknown option ${a} for ${verb}`);
      },
      word: (w) => targets.push(w),
    },
    true,
  );
  if (targets.length !== 1) throw new CliUsageError(targets.length === 0 ? `${verb} needs a TARGET: [[domain/]user[:password]@]host` : `one TARGET only, not ${targets.join(' ')}`);
  p.target = targets[0]!;
  const required: Record<string, string[]> = { 'add shadowstorage': ['for', 'on', 'maxsize'], 'resize shadowstorage': ['for', 'on', 'maxsize'], 'delete shadowstorage': ['for'] };
  for (const n of required[verb] ?? []) {
    if (!p.options.has(n)) throw new CliUsageError(`${verb} needs --${n}`);
  }
  if (verb === 'list shadowstorage' && p.options.has('for') && p.options.has('on')) throw new CliUsageError('list shadowstorage takes --for or --on, not both (as vssadmin)');
  return p;
}

/** A failure the user is told about in one line, with its exit code. */
class Failure extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
}

const key = (s: string) => s.toLowerCase();

/**
 * The mount name for what the user typed: a drive letter (`C:`, `c:\`), a mounted folder,
 * or a volume's mount name, matched against the host's volumes. Unknown: not found.
 */
function resolveVolume(text: string, volumes: readonly Volume[]): string {
  const withSlash = text.endsWith('\\') ? text : `${text}\\`;
  const v = volumes.find((x) => key(x.displayName) === key(withSlash) || key(x.name) === key(withSlash));
  if (!v) throw new Failure(`not found: the host has no volume ${text} [VSS_E_OBJECT_NOT_FOUND 0x80042308]`, EXIT.NOT_FOUND);
  return v.name;
}

const volumeRecords = (volumes: readonly Volume[], totals = new Map<string, bigint>()): VolumeRecord[] =>
  volumes.map((v) => ({ mountName: v.name, mountPoints: v.displayName && v.displayName !== v.name ? [v.displayName] : [], ...(totals.has(key(v.name)) ? { totalBytes: totals.get(key(v.name))! } : {}) }));

const shadowRecord = (s: Snapshot): ShadowRecord => ({
  id: s.id,
  setId: s.setId,
  countInSet: s.snapshotsCount,
  creationTime: s.created,
  originalVolume: s.originalVolumeName,
  deviceObject: s.deviceObject,
  originatingMachine: s.originatingMachine,
  serviceMachine: s.serviceMachine,
  providerId: s.providerId,
  attributes: s.attributes,
});

const storageRecord = (d: DiffArea): StorageRecord => ({ volume: d.volumeName, diffAreaVolume: d.diffAreaVolumeName, usedBytes: d.usedSize, allocatedBytes: d.allocatedSize, maximumBytes: d.maximumSize });

/** Storage volumes' total sizes, as QueryVolumesSupportedForDiffAreas reports them for each original volume. */
async function storageTotals(c: ScmpClient, originals: Iterable<string>): Promise<Map<string, bigint>> {
  const totals = new Map<string, bigint>();
  for (const o of new Set(originals)) {
    for (const d of await c.queryVolumesSupportedForDiffAreas(o).toArray()) totals.set(key(d.name), d.totalSpace);
  }
  return totals;
}

/** Listings in oldest-first order, as the host keeps them; set order follows from it. */
const byCreation = (a: Snapshot, b: Snapshot) => (a.creationTimestamp < b.creationTimestamp ? -1 : a.creationTimestamp > b.creationTimestamp ? 1 : 0);

interface Output {
  text: string;
  json: unknown;
}

async function run(c: ScmpClient, p: Parsed): Promise<Output> {
  const volumes = await c.queryVolumesSupportedForSnapshots().toArray();
  const opt = (n: string) => (p.options.has(n) ? resolveVolume(p.options.get(n)!, volumes) : undefined);
  switch (p.verb) {
    case 'list volumes': {
      const records = volumeRecords(volumes);
      return { text: formatVolumes(records), json: volumesJson(records) };
    }
    case 'list shadows': {
      const only = opt('for');
      const snaps: Snapshot[] = [];
      for (const v of volumes) if (only === undefined || key(v.name) === key(only)) snaps.push(...(await c.querySnapshotsByVolume(v.name).toArray()));
      const records = snaps.sort(byCreation).map(shadowRecord);
      const vr = volumeRecords(volumes);
      return { text: formatShadows(records, vr, [SYSTEM_PROVIDER]), json: shadowsJson(records, vr, [SYSTEM_PROVIDER]) };
    }
    case 'list shadowstorage': {
      const forV = opt('for');
      const onV = opt('on');
      const areas = forV !== undefined ? await c.queryDiffAreasForVolume(forV).toArray() : onV !== undefined ? await c.queryDiffAreasOnVolume(onV).toArray() : [];
      if (forV === undefined && onV === undefined) for (const v of volumes) areas.push(...(await c.queryDiffAreasForVolume(v.name).toArray()));
      const totals = await storageTotals(c, areas.map((a) => a.volumeName));
      const vr = volumeRecords(volumes, totals);
      const records = areas.map(storageRecord);
      return { text: formatShadowStorage(records, vr), json: shadowStorageJson(records, vr) };
    }
    case 'add shadowstorage':
    case 'resize shadowstorage': {
      const forV = opt('for')!;
      const onV = opt('on')!;
      let spec;
      try {
        spec = parseSize(p.options.get('maxsize')!);
      } catch (e) {
        if (e instanceof SizeError) throw new CliUsageError(`--maxsize: ${e.message}`);
        throw e;
      }
      let bytes: bigint;
      if (spec.kind === 'percent') {
        const total = (await storageTotals(c, [forV])).get(key(onV));
        if (total === undefined) throw new Failure(`refused: ${p.options.get('on')} cannot hold shadow copy storage for ${p.options.get('for')}, so ${spec.percent}% of it has no meaning [VSS_E_VOLUME_NOT_SUPPORTED 0x8004230c]`, EXIT.REFUSED);
        bytes = resolveSize(spec, total) as bigint;
      } else bytes = spec.kind === 'unbounded' ? -1n : spec.bytes;
      const add = p.verb === 'add shadowstorage';
      // A maximum of 0 is MS-SCMP's VSS_ASSOC_REMOVE (3.1.4.4.3): a resize must not delete.
      if (!add && bytes === VSS_ASSOC_REMOVE) throw new CliUsageError('--maxsize: a maximum of 0 removes the association; use delete shadowstorage to do that');
      if (add) await c.addDiffArea(forV, onV, bytes);
      else await c.changeDiffAreaMaximumSize(forV, onV, bytes);
      return { text: `Successfully ${add ? 'added' : 'resized'} the shadow copy storage association\n`, json: { for: forV, on: onV, maximumBytes: bytes < 0n ? null : bytes } };
    }
    case 'delete shadowstorage': {
      const forV = opt('for')!;
      const onV = opt('on');
      const areas = (await c.queryDiffAreasForVolume(forV).toArray()).filter((a) => onV === undefined || key(a.diffAreaVolumeName) === key(onV));
      if (areas.length === 0) throw new Failure(`not found: no shadow copy storage association for ${p.options.get('for')}${onV ? ` on ${p.options.get('on')}` : ''} [VSS_E_OBJECT_NOT_FOUND 0x80042308]`, EXIT.NOT_FOUND);
      // MS-SCMP removes an association by setting its maximum size to VSS_ASSOC_REMOVE.
      for (const a of areas) await c.changeDiffAreaMaximumSize(a.volumeName, a.diffAreaVolumeName, VSS_ASSOC_REMOVE);
      const n = areas.length;
      return {
        text: n === 1 ? 'Successfully deleted the shadow copy storage association\n' : `Successfully deleted the ${n} shadow copy storage associations\n`,
        json: { deleted: areas.map((a) => ({ for: a.volumeName, on: a.diffAreaVolumeName })) },
      };
    }
  }
  throw new CliUsageError(`unknown command ${p.verb}`);
}

/** What went wrong, in one line, and its exit code. */
export function describeFailure(e: unknown, where: string): { line: string; code: number } {
  if (e instanceof Failure) return { line: e.message, code: e.code };
  if (e instanceof NotDcomHostError) {
    const hint = e.cause instanceof BindNakError ? '; try the other --auth-type if it is a Windows host' : '';
    return { line: `${where} does not answer as a DCOM host (MS-SCMP over DCE/RPC): ${e.message}${hint}`, code: EXIT.CONNECTION };
  }
  if (e instanceof AuthenticationError) return { line: `logon failure: the user name or password was not accepted (${e.message})`, code: EXIT.LOGON };
  if (e instanceof HResultError) {
    if (e.hr === E_ACCESSDENIED) return { line: `access denied at ${where}: the account is not an administrator of the host (${e.message})`, code: EXIT.ACCESS_DENIED };
    if (e.hr === VSS_E_OBJECT_NOT_FOUND) return { line: `not found: ${e.message}`, code: EXIT.NOT_FOUND };
    return { line: `refused: ${e.message}`, code: EXIT.REFUSED };
  }
  if (e instanceof RpcFaultError) {
    if (e.status === FAULT.access_denied) return { line: `access denied at ${where}: ${e.message}`, code: EXIT.ACCESS_DENIED };
    return { line: `refused: ${e.message}`, code: EXIT.REFUSED };
  }
  if (e instanceof TimeoutError) return { line: `${where} did not answer in time: ${e.message} (--timeout sets the limit in seconds)`, code: EXIT.CONNECTION };
  if (e instanceof ConnectionError) return { line: e.message, code: EXIT.CONNECTION };
  const code = (e as NodeJS.ErrnoException)?.code;
  if (typeof code === 'string') return { line: `cannot reach ${where}: ${(e as Error).message}`, code: EXIT.CONNECTION };
  // Anything else from the wire: the port answered, but not as a DCOM host does.
  return { line: `${where} does not answer as a DCOM host (MS-SCMP over DCE/RPC): ${(e as Error)?.message ?? String(e)}`, code: EXIT.CONNECTION };
}

export async function networkMain(argv: string[], env: NodeJS.ProcessEnv = process.env, out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr, stdin: NodeJS.ReadStream = process.stdin): Promise<number> {
  let p: Parsed;
  let options: ReturnType<typeof connectOptions> & { password?: string };
  try {
    p = parseNetwork(argv);
    const t = parseTarget(p.target);
    options = connectOptions(t, p.flags);
    const pw = await logonPassword(t.password, p.flags.hashes !== undefined, { env, stdin, err });
    if (pw !== undefined && options.ntHash === undefined) options.password = pw;
  } catch (e) {
    if (e instanceof CliUsageError) {
      err.write(`scmp: ${e.message} (scmp help ${argv.slice(0, 2).join(' ')} shows how)\n`);
      return EXIT.USAGE;
    }
    throw e;
  }
  const where = `${options.host}:${options.port}`;
  let client: ScmpClient;
  try {
    client = await ScmpClient.connect(options);
  } catch (e) {
    const f = describeFailure(e, where);
    err.write(`scmp: ${f.line}\n`);
    return f.code;
  }
  try {
    const shown = await run(client, p);
    out.write(p.json ? toJson(shown.json) : shown.text);
    return EXIT.OK;
  } catch (e) {
    if (e instanceof CliUsageError) {
      err.write(`scmp: ${e.message}\n`);
      return EXIT.USAGE;
    }
    const f = describeFailure(e, where);
    err.write(`scmp: ${f.line}\n`);
    return f.code;
  } finally {
    await client.close().catch(() => undefined);
  }
}

/** `scmp create shadow …`, `scmp delete shadows …`: MS-SCMP has no method for them. */
export function unsupportedMain(argv: string[], err: NodeJS.WritableStream = process.stderr): number {
  const verb = `${argv[0]} ${argv[1]}`;
  const admin = verb === 'create shadow' ? 'scmp admin create shadow --for VOLUME' : 'scmp admin delete shadows --all | --for VOLUME --oldest | --shadow ID';
  err.write(
    `scmp: ${verb} is not possible over the network: MS-SCMP manages shadow copy storage and lists shadow copies, ` +
      `but has no method that creates or deletes a shadow copy (on Windows that is VSS's requester API, local to the host).\n` +
      `On an emulated host (scmpd), use its admin API: ${admin}\n`,
  );
  return EXIT.USAGE;
}
