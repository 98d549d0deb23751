import { allocatedFor } from './diff-area-space.js';
import { dateFromFiletime, filetimeFromDate } from './filetime.js';
import { displayNameOf, type DiffArea, type FileSystem, type HostModel, type Provider, type Snapshot, type Volume } from './model.js';
import { DEFAULT_STORE_SETTINGS, type StoreSettings } from './settings.js';
import { SYSTEM_PROVIDER } from './default-host.js';
import { GUID_RE as GUID, SYSTEM_PROVIDER_CONTEXTS, VSS_SS_CREATED } from './vss.js';
import { WRITER_FAILURES } from './requester/hresults.js';
import { fullPathOf, WRITER_EVENTS, type ComponentType, type Writer, type WriterAction, type WriterComponent, type WriterEvent } from './writers.js';

/**
 * The host model file (JSON): what a tester writes to set the scene. Every value is
 * checked with an error that names its field (`volumes[2].totalBytes: …`); sizes are byte
 * counts given as numbers or decimal strings (JSON numbers lose precision past 2^53); times
 * are ISO 8601. Derived values (display names, diff-area usage) are computed, not written.
 */
export class HostModelError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'HostModelError';
  }
}

export interface AccountEntry {
  name: string;
  password?: string;
  ntHash?: string;
  role: 'admin' | 'user';
}

export interface HostModelFile {
  model: HostModel;
  accounts: AccountEntry[];
}

type Json = unknown;

function obj(v: Json, field: string): Record<string, Json> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new HostModelError(field, 'expected an object');
  return v as Record<string, Json>;
}

function arr(v: Json, field: string): Json[] {
  if (!Array.isArray(v)) throw new HostModelError(field, 'expected an array');
  return v;
}

function str(v: Json, field: string, re?: RegExp, what?: string): string {
  if (typeof v !== 'string' || v.length === 0) throw new HostModelError(field, 'expected a non-empty string');
  if (re && !re.test(v)) throw new HostModelError(field, `expected ${what}, not "${v}"`);
  return v;
}

function bytes(v: Json, field: string, allowMinusOne = false): bigint {
  let b: bigint;
  if (typeof v === 'number' && Number.isSafeInteger(v)) b = BigInt(v);
  else if (typeof v === 'string' && /^-?\d+$/.test(v)) b = BigInt(v);
  else throw new HostModelError(field, 'expected a whole number of bytes (a number or a decimal string)');
  if (b < 0n && !(allowMinusOne && b === -1n)) throw new HostModelError(field, allowMinusOne ? 'expected bytes, or -1 for no limit' : 'expected a non-negative number of bytes');
  return b;
}

function int(v: Json, field: string, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new HostModelError(field, `expected an integer ≥ ${min}`);
  return v;
}

function keysOnly(o: Record<string, Json>, field: string, allowed: string[]): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) throw new HostModelError(`${field}.${k}`, 'unknown field');
}

const FILE_SYSTEMS: FileSystem[] = ['NTFS', 'ReFS', 'FAT32'];

/** Parses and checks a host model file; throws HostModelError naming the first bad field. */
export function parseHostModel(text: string, settings: StoreSettings = DEFAULT_STORE_SETTINGS): HostModelFile {
  let root: Json;
  try {
    root = JSON.parse(text);
  } catch (e) {
    throw new HostModelError('(file)', `not JSON: ${(e as Error).message}`);
  }
  return hostModelFromJson(root, settings);
}

/** The same checks on a value already parsed (the state file embeds a host model). */
export function hostModelFromJson(root: Json, settings: StoreSettings = DEFAULT_STORE_SETTINGS): HostModelFile {
  const r = obj(root, '(file)');
  keysOnly(r, '(root)', ['host', 'volumes', 'providers', 'snapshots', 'diffAreas', 'writers', 'accounts']);
  const h = obj(r.host, 'host');
  keysOnly(h, 'host', ['fqdn', 'netbiosName']);
  const host = { fqdn: str(h.fqdn, 'host.fqdn'), netbiosName: str(h.netbiosName, 'host.netbiosName', /^[A-Za-z0-9-]{1,15}$/, 'a NetBIOS name of 1 to 15 characters') };

  const volumes: Volume[] = arr(r.volumes, 'volumes').map((x, i) => {
    const f = `volumes[${i}]`;
    const v = obj(x, f);
    keysOnly(v, f, ['mountName', 'mountPoints', 'fileSystem', 'totalBytes', 'freeBytes', 'snapshotContexts', 'canHoldDiffArea']);
    const mountName = str(v.mountName, `${f}.mountName`, /^\\\\\?\\Volume\{[0-9a-f-]{36}\}\\$/i, 'a volume mount name like \\\\?\\Volume{GUID}\\');
    const mountPoints = v.mountPoints === undefined ? [] : arr(v.mountPoints, `${f}.mountPoints`).map((p, j) => str(p, `${f}.mountPoints[${j}]`, /^[a-z]:\\(?:[^\\]+\\)*$/i, 'a mount point like D:\\ or C:\\mnt\\data\\'));
    const fileSystem = str(v.fileSystem, `${f}.fileSystem`) as FileSystem;
    if (!FILE_SYSTEMS.includes(fileSystem)) throw new HostModelError(`${f}.fileSystem`, `expected one of ${FILE_SYSTEMS.join(', ')}`);
    const totalBytes = bytes(v.totalBytes, `${f}.totalBytes`);
    const freeBytes = bytes(v.freeBytes, `${f}.freeBytes`);
    if (freeBytes > totalBytes) throw new HostModelError(`${f}.freeBytes`, 'exceeds totalBytes');
    const snapshotContexts =
      v.snapshotContexts === undefined
        ? fileSystem === 'FAT32'
          ? []
          : [...SYSTEM_PROVIDER_CONTEXTS]
        : arr(v.snapshotContexts, `${f}.snapshotContexts`).map((c, j) => {
            const n = int(c, `${f}.snapshotContexts[${j}]`, 0);
            if (!SYSTEM_PROVIDER_CONTEXTS.includes(n)) throw new HostModelError(`${f}.snapshotContexts[${j}]`, `${n} is not a shadow copy context`);
            return n;
          });
    const canHoldDiffArea = v.canHoldDiffArea === undefined ? fileSystem === 'NTFS' : v.canHoldDiffArea === true;
    return { mountName, mountPoints, displayName: displayNameOf(mountName, mountPoints), fileSystem, totalBytes, freeBytes, snapshotContexts, canHoldDiffArea };
  });

  const providers: Provider[] =
    r.providers === undefined
      ? [{ ...SYSTEM_PROVIDER }]
      : arr(r.providers, 'providers').map((x, i) => {
          const f = `providers[${i}]`;
          const p = obj(x, f);
          keysOnly(p, f, ['id', 'name', 'version', 'versionId', 'type', 'clsid']);
          return {
            id: str(p.id, `${f}.id`, GUID, 'a GUID').toLowerCase(),
            name: str(p.name, `${f}.name`),
            version: str(p.version, `${f}.version`),
            versionId: str(p.versionId, `${f}.versionId`, GUID, 'a GUID').toLowerCase(),
            type: int(p.type, `${f}.type`, 0),
            clsid: str(p.clsid, `${f}.clsid`, GUID, 'a GUID').toLowerCase(),
          };
        });

  const byName = new Map(volumes.map((v) => [v.mountName.toLowerCase(), v]));
  const volumeRef = (v: Json, field: string) => {
    const name = str(v, field);
    const found = byName.get(name.toLowerCase());
    if (!found) throw new HostModelError(field, `no volume with mount name ${name}`);
    return found.mountName;
  };

  const snapshots: Snapshot[] = (r.snapshots === undefined ? [] : arr(r.snapshots, 'snapshots')).map((x, i) => {
    const f = `snapshots[${i}]`;
    const s = obj(x, f);
    keysOnly(s, f, ['id', 'setId', 'countInSet', 'volume', 'deviceNumber', 'created', 'context', 'sizeBytes', 'providerId', 'originatingMachine', 'creationTime']);
    const created = str(s.created, `${f}.created`);
    const date = new Date(created);
    if (Number.isNaN(date.getTime())) throw new HostModelError(`${f}.created`, 'expected an ISO 8601 time');
    return {
      id: str(s.id, `${f}.id`, GUID, 'a GUID').toLowerCase(),
      setId: str(s.setId, `${f}.setId`, GUID, 'a GUID').toLowerCase(),
      countInSet: s.countInSet === undefined ? 1 : int(s.countInSet, `${f}.countInSet`, 1),
      originalVolume: volumeRef(s.volume, `${f}.volume`),
      deviceObject: `\\\\?\\GLOBALROOT\\Device\\HarddiskVolumeShadowCopy${int(s.deviceNumber, `${f}.deviceNumber`, 1)}`,
      originatingMachine: s.originatingMachine === undefined ? host.fqdn : str(s.originatingMachine, `${f}.originatingMachine`),
      serviceMachine: host.fqdn,
      // `created` holds milliseconds; a FILETIME finer than that travels in `creationTime`.
      creationTime: s.creationTime === undefined ? filetimeFromDate(date) : filetimeField(s.creationTime, `${f}.creationTime`, filetimeFromDate(date)),
      attributes: int(s.context, `${f}.context`, 0),
      providerId: s.providerId === undefined ? providers[0]!.id : str(s.providerId, `${f}.providerId`, GUID, 'a GUID').toLowerCase(),
      state: VSS_SS_CREATED,
      sizeBytes: bytes(s.sizeBytes, `${f}.sizeBytes`),
    };
  });

  const diffAreas: DiffArea[] = (r.diffAreas === undefined ? [] : arr(r.diffAreas, 'diffAreas')).map((x, i) => {
    const f = `diffAreas[${i}]`;
    const d = obj(x, f);
    keysOnly(d, f, ['volume', 'diffAreaVolume', 'maximumBytes']);
    const volume = volumeRef(d.volume, `${f}.volume`);
    const maximumBytes = bytes(d.maximumBytes, `${f}.maximumBytes`, true);
    const copies = snapshots.filter((s) => s.originalVolume === volume);
    const usedBytes = copies.reduce((a, s) => a + s.sizeBytes, 0n);
    return {
      volume,
      diffAreaVolume: volumeRef(d.diffAreaVolume, `${f}.diffAreaVolume`),
      maximumBytes,
      usedBytes,
      allocatedBytes: allocatedFor(usedBytes, copies.length, maximumBytes, settings),
    };
  });

  const writers = (r.writers === undefined ? [] : arr(r.writers, 'writers')).map((x, i) => parseWriter(x, `writers[${i}]`));
  const instances = new Set<string>();
  writers.forEach((w, i) => {
    if (instances.has(w.instanceId)) throw new HostModelError(`writers[${i}].instanceId`, `${w.instanceId} is another writer's instance too`);
    instances.add(w.instanceId);
  });

  const accounts: AccountEntry[] = (r.accounts === undefined ? [] : arr(r.accounts, 'accounts')).map((x, i) => {
    const f = `accounts[${i}]`;
    const a = obj(x, f);
    keysOnly(a, f, ['name', 'password', 'ntHash', 'role']);
    const role = a.role === undefined ? 'user' : a.role;
    if (role !== 'admin' && role !== 'user') throw new HostModelError(`${f}.role`, 'expected "admin" or "user"');
    if ((a.password === undefined) === (a.ntHash === undefined)) throw new HostModelError(f, 'give exactly one of password and ntHash');
    return {
      name: str(a.name, `${f}.name`),
      ...(a.password !== undefined ? { password: typeof a.password === 'string' ? a.password : str(a.password, `${f}.password`) } : {}),
      ...(a.ntHash !== undefined ? { ntHash: str(a.ntHash, `${f}.ntHash`, /^[0-9a-f]{32}$/i, '32 hex digits') } : {}),
      role,
    };
  });

  return { model: { host, volumes, providers, snapshots, diffAreas, writers }, accounts };
}

/** A FILETIME as a decimal string, which must fall in the millisecond `created` names. */
function filetimeField(v: Json, field: string, created: bigint): bigint {
  if (typeof v !== 'string' || !/^\d{1,19}$/.test(v)) throw new HostModelError(field, 'expected a FILETIME as a decimal string');
  const t = BigInt(v);
  if (t - (t % 10_000n) !== created) throw new HostModelError(field, 'is not within the millisecond that created names');
  return t;
}

function bool(v: Json, field: string, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw new HostModelError(field, 'expected true or false');
  return v;
}

function parseWriter(x: Json, f: string): Writer {
  const w = obj(x, f);
  keysOnly(w, f, ['id', 'instanceId', 'name', 'components', 'script']);
  const paths = new Set<string>();
  const components = arr(w.components, `${f}.components`).map((y, j): WriterComponent => {
    const cf = `${f}.components[${j}]`;
    const c = obj(y, cf);
    keysOnly(c, cf, ['logicalPath', 'name', 'type', 'caption', 'selectable', 'selectableForRestore', 'files']);
    const logicalPath = c.logicalPath === undefined || c.logicalPath === '' ? '' : str(c.logicalPath, `${cf}.logicalPath`, /^[^\\](?:.*[^\\])?$/, 'a logical path without a leading or trailing backslash');
    const name = str(c.name, `${cf}.name`, /^[^\\]+$/, 'a name without a backslash');
    const type = str(c.type, `${cf}.type`) as ComponentType;
    if (type !== 'database' && type !== 'filegroup') throw new HostModelError(`${cf}.type`, 'expected "database" or "filegroup"');
    const key = fullPathOf({ logicalPath, name }).toLowerCase();
    if (paths.has(key)) throw new HostModelError(cf, `another component of this writer is ${fullPathOf({ logicalPath, name })} too`);
    paths.add(key);
    const files = (c.files === undefined ? [] : arr(c.files, `${cf}.files`)).map((z, k) => {
      const ff = `${cf}.files[${k}]`;
      const fs = obj(z, ff);
      keysOnly(fs, ff, ['path', 'filespec', 'recursive']);
      return { path: str(fs.path, `${ff}.path`), filespec: str(fs.filespec, `${ff}.filespec`), recursive: bool(fs.recursive, `${ff}.recursive`, false) };
    });
    return {
      logicalPath,
      name,
      type,
      caption: c.caption === undefined ? name : str(c.caption, `${cf}.caption`),
      selectable: bool(c.selectable, `${cf}.selectable`, false),
      selectableForRestore: bool(c.selectableForRestore, `${cf}.selectableForRestore`, false),
      files,
    };
  });
  const script = (w.script === undefined ? [] : arr(w.script, `${f}.script`)).map((y, j): WriterAction => {
    const sf = `${f}.script[${j}]`;
    const a = obj(y, sf);
    keysOnly(a, sf, ['on', 'veto', 'setBackupStamp', 'setFailureMessage']);
    const on = str(a.on, `${sf}.on`) as WriterEvent;
    if (!WRITER_EVENTS.includes(on)) throw new HostModelError(`${sf}.on`, `expected one of ${WRITER_EVENTS.join(', ')}`);
    const actions = ['veto', 'setBackupStamp', 'setFailureMessage'].filter((k) => a[k] !== undefined);
    if (actions.length !== 1) throw new HostModelError(sf, 'give exactly one of veto, setBackupStamp and setFailureMessage');
    if (a.veto !== undefined) {
      const name = str(a.veto, `${sf}.veto`);
      const hr = WRITER_FAILURES[name];
      if (hr === undefined) throw new HostModelError(`${sf}.veto`, `expected one of ${Object.keys(WRITER_FAILURES).join(', ')}`);
      return { on, veto: hr };
    }
    if (a.setBackupStamp !== undefined) return { on, setBackupStamp: str(a.setBackupStamp, `${sf}.setBackupStamp`) };
    return { on, setFailureMessage: str(a.setFailureMessage, `${sf}.setFailureMessage`) };
  });
  return {
    id: str(w.id, `${f}.id`, GUID, 'a GUID').toLowerCase(),
    instanceId: str(w.instanceId, `${f}.instanceId`, GUID, 'a GUID').toLowerCase(),
    name: str(w.name, `${f}.name`),
    components,
    script,
  };
}

function serializeWriter(w: Writer): Json {
  const failureName = (hr: number) => Object.entries(WRITER_FAILURES).find(([, v]) => v === hr)![0];
  return {
    id: w.id,
    instanceId: w.instanceId,
    name: w.name,
    components: w.components.map((c) => ({ ...c, files: c.files.map((x) => ({ ...x })) })),
    script: w.script.map((a) => ('veto' in a ? { on: a.on, veto: failureName(a.veto) } : { ...a })),
  };
}

/** The model as a host model file (the inverse of parseHostModel, accounts aside). */
export function serializeHostModel(m: HostModel): string {
  return JSON.stringify(hostModelToJson(m), null, 2);
}

/** The model as the JSON value of a host model file; without its writers when `writers` is false. */
export function hostModelToJson(m: HostModel, writers = true): Record<string, Json> {
  const deviceNumber = (d: string) => Number(d.slice(d.lastIndexOf('Copy') + 4));
  return {
    host: m.host,
    volumes: m.volumes.map((v) => ({
      mountName: v.mountName,
      mountPoints: v.mountPoints,
      fileSystem: v.fileSystem,
      totalBytes: v.totalBytes.toString(),
      freeBytes: v.freeBytes.toString(),
      snapshotContexts: v.snapshotContexts,
      canHoldDiffArea: v.canHoldDiffArea,
    })),
    providers: m.providers,
    snapshots: m.snapshots.map((s) => ({
      id: s.id,
      setId: s.setId,
      countInSet: s.countInSet,
      volume: s.originalVolume,
      deviceNumber: deviceNumber(s.deviceObject),
      created: dateFromFiletime(s.creationTime).toISOString(),
      context: s.attributes,
      sizeBytes: s.sizeBytes.toString(),
      providerId: s.providerId,
      ...(s.originatingMachine !== s.serviceMachine ? { originatingMachine: s.originatingMachine } : {}),
      ...(s.creationTime % 10_000n !== 0n ? { creationTime: s.creationTime.toString() } : {}),
    })),
    diffAreas: m.diffAreas.map((d) => ({ volume: d.volume, diffAreaVolume: d.diffAreaVolume, maximumBytes: d.maximumBytes.toString() })),
    ...(writers ? { writers: m.writers.map(serializeWriter) } : {}),
  };
}
