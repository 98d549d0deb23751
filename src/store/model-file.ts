import { allocatedFor } from './diff-area-space.js';
import { dateFromFiletime, filetimeFromDate } from './filetime.js';
import { displayNameOf, type DiffArea, type FileSystem, type Host, type HostModel, type Provider, type Snapshot, type Volume } from './model.js';
import { DEFAULT_STORE_SETTINGS, type StoreSettings } from './settings.js';
import { SYSTEM_PROVIDER } from './default-host.js';
import { GUID_NULL as NO_GUID, SYSTEM_PROVIDER_CONTEXTS, VSS_PROV_SYSTEM, VSS_SS_CREATED, VSS_VOLSNAP_ATTR_DIFFERENTIAL, type Guid } from './vss.js';
import { array, bool, bytes, FieldError, FieldProblems, guid as guidField, integer as int, object, string, unknownKeys, type FieldProblem, type Json } from './json-fields.js';
import { DEFAULT_FAULT_SETTINGS, parseFaultRule, type FaultRuleSpec } from './faults.js';
import { fullPathOf, WRITER_EVENTS, WRITER_FAILURES, type ComponentType, type Writer, type WriterAction, type WriterComponent, type WriterEvent } from './writers.js';

/**
 * The host model file (JSON): what a tester writes to set the scene. Every value is
 * checked with an error that names its field (`volumes[2].totalBytes: …`), and every bad
 * field of the file is reported at once, one line each (the reader is src/store/json-fields.ts,
 * which the admin API shares); sizes are byte counts given as numbers or decimal strings
 * (JSON numbers lose precision past 2^53); times are ISO 8601. Derived values (display
 * names, diff-area usage) are computed, not written.
 */
export type HostModelProblem = FieldProblem;

/** Every problem of a host model file (or of the model a state file holds). */
export class HostModelError extends FieldError {
  constructor(field: string, message: string, more: HostModelProblem[] = []) {
    super(field, message, more);
    this.name = 'HostModelError';
  }

  static of(problems: HostModelProblem[]): HostModelError {
    return new HostModelError(problems[0]!.field, problems[0]!.message, problems.slice(1));
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
  /** Scripted faults the server starts with (src/store/faults.ts); not part of the host's state. */
  faults: FaultRuleSpec[];
  /** What scmpd records (as --capture and its flags, which override it); not part of the host's state. */
  capture?: CaptureSpec;
}

/** A host model's `capture`: the file, and optionally the keys file and the sizes in bytes. */
export interface CaptureSpec {
  file: string;
  keysFile?: string;
  maxFileBytes?: number;
  totalBytes?: number;
}

const str = (v: Json, field: string, re?: RegExp, what?: string): string => string(v, field, re ? { form: { re, what: what! } } : {});

function keysOnly(p: FieldProblems, o: Record<string, Json>, field: string, allowed: string[]): void {
  for (const u of unknownKeys(o, field, allowed)) p.add(u.field, u.message);
}

/** The elements of an array field (none when it is not one, which is recorded). */
function items(p: FieldProblems, v: Json, field: string): Json[] {
  return p.take(() => array(v, field), []);
}

/** The object at `field`, or undefined when it is not one (recorded). */
function record(p: FieldProblems, v: Json, field: string): Record<string, Json> | undefined {
  return p.take<Record<string, Json> | undefined>(() => object(v, field), undefined);
}

/** An array field's elements through `parse`, each named `field[i]`; what `parse` leaves out (undefined) is dropped. */
function list<T>(p: FieldProblems, v: Json, field: string, parse: (x: Json, f: string) => T | undefined): T[] {
  return items(p, v, field).flatMap((x, i) => {
    const t = parse(x, `${field}[${i}]`);
    return t === undefined ? [] : [t];
  });
}

/** The same for an array field that may be absent (then empty). */
function optionalList<T>(p: FieldProblems, v: Json, field: string, parse: (x: Json, f: string) => T | undefined): T[] {
  return v === undefined ? [] : list(p, v, field, parse);
}

/** A GUID field, or GUID_NULL when it is bad (recorded). */
function guidOf(p: FieldProblems, v: Json, field: string): Guid {
  return p.take(() => guidField(v, field), NO_GUID);
}

const FILE_SYSTEMS: FileSystem[] = ['NTFS', 'ReFS', 'FAT32'];

/** Parses and checks a host model file; throws HostModelError naming every bad field. */
export function parseHostModel(text: string, settings: StoreSettings = DEFAULT_STORE_SETTINGS): HostModelFile {
  let root: Json;
  try {
    root = JSON.parse(text);
  } catch (e) {
    throw new HostModelError('(file)', `not JSON: ${(e as Error).message}`);
  }
  return hostModelFromJson(root, settings);
}

/**
 * The same checks on a value already parsed (the state file embeds a host model). Each part
 * is read in the file's order, so the problems are listed in it; what a part refers to
 * (volumes, providers, the host's name) is read before it.
 */
export function hostModelFromJson(root: Json, settings: StoreSettings = DEFAULT_STORE_SETTINGS): HostModelFile {
  const p = new FieldProblems();
  const r = p.take<Record<string, Json> | undefined>(() => object(root, '(file)'), undefined);
  if (!r) throw HostModelError.of(p.list);
  keysOnly(p, r, '(root)', ['host', 'volumes', 'providers', 'snapshots', 'diffAreas', 'writers', 'accounts', 'faults', 'capture']);
  const host = parseHost(p, r.host);
  const { volumes, volumeRef } = parseVolumes(p, r.volumes);
  const providers = r.providers === undefined ? [{ ...SYSTEM_PROVIDER }] : list(p, r.providers, 'providers', (x, f) => parseProvider(p, x, f));
  const snapshots = optionalList(p, r.snapshots, 'snapshots', (x, f) => parseSnapshot(p, x, f, { host, providers, volumeRef }));
  const diffAreas = optionalList(p, r.diffAreas, 'diffAreas', (x, f) => parseDiffArea(p, x, f, { volumeRef, snapshots, settings }));
  const writers = parseWriters(p, r.writers);
  const accounts = optionalList(p, r.accounts, 'accounts', (x, f) => parseAccount(p, x, f));
  const faults = optionalList(p, r.faults, 'faults', (x, f) => parseFaultRule(p, x, f));
  if (faults.length > DEFAULT_FAULT_SETTINGS.maxRules) p.add('faults', `more than ${DEFAULT_FAULT_SETTINGS.maxRules} rules (setting maxRules)`);
  const capture = r.capture === undefined ? undefined : parseCapture(p, r.capture);
  if (p.list.length > 0) throw HostModelError.of(p.list);
  return { model: { host, volumes, providers, snapshots, diffAreas, writers }, accounts, faults, ...(capture ? { capture } : {}) };
}

function parseCapture(p: FieldProblems, v: Json): CaptureSpec | undefined {
  const c = record(p, v, 'capture');
  if (!c) return undefined;
  keysOnly(p, c, 'capture', ['file', 'keysFile', 'maxFileBytes', 'totalBytes']);
  const spec: CaptureSpec = { file: p.take(() => str(c.file, 'capture.file', /^./, 'a file name'), '') };
  if (c.keysFile !== undefined) spec.keysFile = p.take(() => str(c.keysFile, 'capture.keysFile', /^./, 'a file name'), '');
  // Whole bytes; at least a megabyte, so that a file holds more than its headers.
  if (c.maxFileBytes !== undefined) spec.maxFileBytes = p.take(() => int(c.maxFileBytes, 'capture.maxFileBytes', 1 << 20), 0);
  if (c.totalBytes !== undefined) spec.totalBytes = p.take(() => int(c.totalBytes, 'capture.totalBytes', 1 << 20), 0);
  return spec;
}

function parseHost(p: FieldProblems, v: Json): Host {
  const h = record(p, v, 'host');
  if (h) keysOnly(p, h, 'host', ['fqdn', 'netbiosName']);
  return {
    fqdn: h ? p.take(() => str(h.fqdn, 'host.fqdn'), 'unknown') : 'unknown',
    netbiosName: h ? p.take(() => str(h.netbiosName, 'host.netbiosName', /^[A-Za-z0-9-]{1,15}$/, 'a NetBIOS name of 1 to 15 characters'), 'UNKNOWN') : 'UNKNOWN',
  };
}

/** Reads a field that names a volume by mount name: the volume's own spelling, or undefined (recorded unless the volume was left out). */
type VolumeRef = (v: Json, field: string) => string | undefined;

/** The volumes, and how the fields that name one are read. */
function parseVolumes(p: FieldProblems, given: Json): { volumes: Volume[]; volumeRef: VolumeRef } {
  /** Names of volumes left out for a bad mount name: what refers to them is not a second problem. */
  const leftOut = new Set<string>();
  const volumes = list(p, given, 'volumes', (x, f) => parseVolume(p, x, f, leftOut));
  const byName = new Map(volumes.map((v) => [v.mountName.toLowerCase(), v]));
  const volumeRef: VolumeRef = (v, field) =>
    p.take<string | undefined>(() => {
      const name = str(v, field);
      const found = byName.get(name.toLowerCase());
      if (!found && leftOut.has(name.toLowerCase())) return undefined;
      if (!found) throw new HostModelError(field, `no volume with mount name ${name}`);
      return found.mountName;
    }, undefined);
  return { volumes, volumeRef };
}

/** One volume; undefined when it is not an object or its mount name is bad (then the name, if any, joins `leftOut`). */
function parseVolume(p: FieldProblems, x: Json, f: string, leftOut: Set<string>): Volume | undefined {
  const v = record(p, x, f);
  if (!v) return undefined;
  keysOnly(p, v, f, ['mountName', 'mountPoints', 'fileSystem', 'totalBytes', 'freeBytes', 'snapshotContexts', 'canHoldDiffArea']);
  const mountName = p.take<string | undefined>(() => str(v.mountName, `${f}.mountName`, /^\\\\\?\\Volume\{[0-9a-f-]{36}\}\\$/i, 'a volume mount name like \\\\?\\Volume{GUID}\\'), undefined);
  const mountPoints = v.mountPoints === undefined ? [] : items(p, v.mountPoints, `${f}.mountPoints`).map((m, j) => p.take(() => str(m, `${f}.mountPoints[${j}]`, /^[a-z]:\\(?:[^\\]+\\)*$/i, 'a mount point like D:\\ or C:\\mnt\\data\\'), ''));
  const fileSystem = p.take((): FileSystem => {
    const fs = str(v.fileSystem, `${f}.fileSystem`) as FileSystem;
    if (!FILE_SYSTEMS.includes(fs)) throw new HostModelError(`${f}.fileSystem`, `expected one of ${FILE_SYSTEMS.join(', ')}`);
    return fs;
  }, 'NTFS');
  const totalBytes = p.take<bigint | undefined>(() => bytes(v.totalBytes, `${f}.totalBytes`), undefined);
  const freeBytes = p.take<bigint | undefined>(() => bytes(v.freeBytes, `${f}.freeBytes`), undefined);
  if (totalBytes !== undefined && freeBytes !== undefined && freeBytes > totalBytes) p.add(`${f}.freeBytes`, 'exceeds totalBytes');
  const snapshotContexts = parseSnapshotContexts(p, v.snapshotContexts, `${f}.snapshotContexts`, fileSystem);
  const canHoldDiffArea = v.canHoldDiffArea === undefined ? fileSystem === 'NTFS' : v.canHoldDiffArea === true;
  // A volume whose mount name is bad is left out: what names it is reported on its own.
  if (mountName === undefined) {
    if (typeof v.mountName === 'string') leftOut.add(v.mountName.toLowerCase());
    return undefined;
  }
  return { mountName, mountPoints, displayName: displayNameOf(mountName, mountPoints), fileSystem, totalBytes: totalBytes ?? 0n, freeBytes: freeBytes ?? 0n, snapshotContexts, canHoldDiffArea };
}

/** The shadow copy contexts a volume takes; by default the system provider's, none on FAT32. */
function parseSnapshotContexts(p: FieldProblems, v: Json, field: string, fileSystem: FileSystem): number[] {
  if (v === undefined) return fileSystem === 'FAT32' ? [] : [...SYSTEM_PROVIDER_CONTEXTS];
  return items(p, v, field).map((c, j) =>
    p.take(() => {
      const n = int(c, `${field}[${j}]`, 0);
      if (!SYSTEM_PROVIDER_CONTEXTS.includes(n)) throw new HostModelError(`${field}[${j}]`, `${n} is not a shadow copy context`);
      return n;
    }, 0),
  );
}

function parseProvider(p: FieldProblems, x: Json, f: string): Provider | undefined {
  const o = record(p, x, f);
  if (!o) return undefined;
  keysOnly(p, o, f, ['id', 'name', 'version', 'versionId', 'type', 'clsid']);
  return {
    id: guidOf(p, o.id, `${f}.id`),
    name: p.take(() => str(o.name, `${f}.name`), ''),
    version: p.take(() => str(o.version, `${f}.version`), ''),
    versionId: guidOf(p, o.versionId, `${f}.versionId`),
    type: p.take(() => int(o.type, `${f}.type`, 0), 0),
    clsid: guidOf(p, o.clsid, `${f}.clsid`),
  };
}

/** One shadow copy; undefined when it is not an object or its volume is not one of the model's. */
function parseSnapshot(p: FieldProblems, x: Json, f: string, ctx: { host: Host; providers: Provider[]; volumeRef: VolumeRef }): Snapshot | undefined {
  const s = record(p, x, f);
  if (!s) return undefined;
  keysOnly(p, s, f, ['id', 'setId', 'countInSet', 'volume', 'deviceNumber', 'created', 'context', 'sizeBytes', 'providerId', 'originatingMachine', 'creationTime']);
  const date = p.take<Date | undefined>(() => {
    const d = new Date(str(s.created, `${f}.created`));
    if (Number.isNaN(d.getTime())) throw new HostModelError(`${f}.created`, 'expected an ISO 8601 time');
    return d;
  }, undefined);
  const created = date === undefined ? 0n : filetimeFromDate(date);
  const originalVolume = ctx.volumeRef(s.volume, `${f}.volume`);
  const { fqdn } = ctx.host;
  const snapshot: Snapshot = {
    id: guidOf(p, s.id, `${f}.id`),
    setId: guidOf(p, s.setId, `${f}.setId`),
    countInSet: s.countInSet === undefined ? 1 : p.take(() => int(s.countInSet, `${f}.countInSet`, 1), 1),
    originalVolume: originalVolume ?? '',
    deviceObject: `\\\\?\\GLOBALROOT\\Device\\HarddiskVolumeShadowCopy${p.take(() => int(s.deviceNumber, `${f}.deviceNumber`, 1), 1)}`,
    originatingMachine: s.originatingMachine === undefined ? fqdn : p.take(() => str(s.originatingMachine, `${f}.originatingMachine`), fqdn),
    serviceMachine: fqdn,
    // `created` holds milliseconds; a FILETIME finer than that travels in `creationTime`.
    creationTime: s.creationTime === undefined || date === undefined ? created : p.take(() => filetimeField(s.creationTime, `${f}.creationTime`, created), created),
    attributes: p.take(() => int(s.context, `${f}.context`, 0), 0),
    providerId: s.providerId === undefined ? (ctx.providers[0]?.id ?? NO_GUID) : guidOf(p, s.providerId, `${f}.providerId`),
    state: VSS_SS_CREATED,
    sizeBytes: p.take(() => bytes(s.sizeBytes, `${f}.sizeBytes`), 0n),
  };
  // The file gives the context; the system provider's copies are differential, as it makes them.
  if (ctx.providers.find((x) => x.id === snapshot.providerId)?.type === VSS_PROV_SYSTEM) (snapshot as { attributes: number }).attributes |= VSS_VOLSNAP_ATTR_DIFFERENTIAL;
  return originalVolume === undefined ? undefined : snapshot;
}

/** One storage association, its usage computed from the shadow copies of its volume. */
function parseDiffArea(p: FieldProblems, x: Json, f: string, ctx: { volumeRef: VolumeRef; snapshots: Snapshot[]; settings: StoreSettings }): DiffArea | undefined {
  const d = record(p, x, f);
  if (!d) return undefined;
  keysOnly(p, d, f, ['volume', 'diffAreaVolume', 'maximumBytes']);
  const volume = ctx.volumeRef(d.volume, `${f}.volume`);
  const diffAreaVolume = ctx.volumeRef(d.diffAreaVolume, `${f}.diffAreaVolume`);
  const maximumBytes = p.take(() => bytes(d.maximumBytes, `${f}.maximumBytes`, { noLimit: true }), -1n);
  if (volume === undefined || diffAreaVolume === undefined) return undefined;
  const copies = ctx.snapshots.filter((s) => s.originalVolume === volume);
  const usedBytes = copies.reduce((a, s) => a + s.sizeBytes, 0n);
  return { volume, diffAreaVolume, maximumBytes, usedBytes, allocatedBytes: allocatedFor(usedBytes, copies.length, maximumBytes, ctx.settings) };
}

/** The writers; two may not share an instance id (GUID_NULL aside). */
function parseWriters(p: FieldProblems, v: Json): Writer[] {
  const writers = optionalList(p, v, 'writers', (x, f) => parseWriter(p, x, f));
  const instances = new Set<string>();
  writers.forEach((w, i) => {
    if (instances.has(w.instanceId) && w.instanceId !== NO_GUID) p.add(`writers[${i}].instanceId`, `${w.instanceId} is another writer's instance too`);
    instances.add(w.instanceId);
  });
  return writers;
}

function parseAccount(p: FieldProblems, x: Json, f: string): AccountEntry | undefined {
  const a = record(p, x, f);
  if (!a) return undefined;
  keysOnly(p, a, f, ['name', 'password', 'ntHash', 'role']);
  // Roles in any case ("Admin"), as --account takes them.
  const role = p.take((): AccountEntry['role'] => {
    const given = a.role === undefined ? 'user' : typeof a.role === 'string' ? a.role.toLowerCase() : a.role;
    if (given !== 'admin' && given !== 'user') throw new HostModelError(`${f}.role`, 'expected "admin" or "user"');
    return given;
  }, 'user');
  if ((a.password === undefined) === (a.ntHash === undefined)) p.add(f, 'give exactly one of password and ntHash');
  return {
    name: p.take(() => str(a.name, `${f}.name`), ''),
    ...(a.password !== undefined ? { password: typeof a.password === 'string' ? a.password : p.take(() => str(a.password, `${f}.password`), '') } : {}),
    ...(a.ntHash !== undefined ? { ntHash: p.take(() => str(a.ntHash, `${f}.ntHash`, /^[0-9a-f]{32}$/i, '32 hex digits'), '') } : {}),
    role,
  };
}

/** A FILETIME as a decimal string, which must fall in the millisecond `created` names. */
function filetimeField(v: Json, field: string, created: bigint): bigint {
  if (typeof v !== 'string' || !/^\d{1,19}$/.test(v)) throw new HostModelError(field, 'expected a FILETIME as a decimal string');
  const t = BigInt(v);
  if (t - (t % 10_000n) !== created) throw new HostModelError(field, 'is not within the millisecond that created names');
  return t;
}

function parseWriter(p: FieldProblems, x: Json, f: string): Writer | undefined {
  const w = record(p, x, f);
  if (!w) return undefined;
  keysOnly(p, w, f, ['id', 'instanceId', 'name', 'components', 'script']);
  /** The full paths (lower case) of its components so far: two may not share one. */
  const paths = new Set<string>();
  const components = list(p, w.components, `${f}.components`, (y, cf) => parseComponent(p, y, cf, paths));
  const script = optionalList(p, w.script, `${f}.script`, (y, sf) => parseAction(p, y, sf));
  return {
    id: guidOf(p, w.id, `${f}.id`),
    instanceId: guidOf(p, w.instanceId, `${f}.instanceId`),
    name: p.take(() => str(w.name, `${f}.name`), ''),
    components,
    script,
  };
}

function parseComponent(p: FieldProblems, y: Json, cf: string, paths: Set<string>): WriterComponent | undefined {
  const c = record(p, y, cf);
  if (!c) return undefined;
  keysOnly(p, c, cf, ['logicalPath', 'name', 'type', 'caption', 'selectable', 'selectableForRestore', 'files']);
  const logicalPath = c.logicalPath === undefined || c.logicalPath === '' ? '' : p.take(() => str(c.logicalPath, `${cf}.logicalPath`, /^[^\\](?:.*[^\\])?$/, 'a logical path without a leading or trailing backslash'), '');
  const name = p.take<string | undefined>(() => str(c.name, `${cf}.name`, /^[^\\]+$/, 'a name without a backslash'), undefined);
  const type = p.take((): ComponentType => {
    const t = str(c.type, `${cf}.type`) as ComponentType;
    if (t !== 'database' && t !== 'filegroup') throw new HostModelError(`${cf}.type`, 'expected "database" or "filegroup"');
    return t;
  }, 'filegroup');
  if (name !== undefined) {
    const key = fullPathOf({ logicalPath, name }).toLowerCase();
    if (paths.has(key)) p.add(cf, `another component of this writer is ${fullPathOf({ logicalPath, name })} too`);
    paths.add(key);
  }
  const files = optionalList(p, c.files, `${cf}.files`, (z, ff) => parseFileSpec(p, z, ff));
  return {
    logicalPath,
    name: name ?? '',
    type,
    caption: c.caption === undefined ? (name ?? '') : p.take(() => str(c.caption, `${cf}.caption`), ''),
    selectable: p.take(() => bool(c.selectable, `${cf}.selectable`, false), false),
    selectableForRestore: p.take(() => bool(c.selectableForRestore, `${cf}.selectableForRestore`, false), false),
    files,
  };
}

function parseFileSpec(p: FieldProblems, z: Json, ff: string): WriterComponent['files'][number] | undefined {
  const fs = record(p, z, ff);
  if (!fs) return undefined;
  keysOnly(p, fs, ff, ['path', 'filespec', 'recursive']);
  return { path: p.take(() => str(fs.path, `${ff}.path`), ''), filespec: p.take(() => str(fs.filespec, `${ff}.filespec`), ''), recursive: p.take(() => bool(fs.recursive, `${ff}.recursive`, false), false) };
}

/** One scripted answer: on an event, exactly one of a veto, a backup stamp and a failure message. */
function parseAction(p: FieldProblems, y: Json, sf: string): WriterAction | undefined {
  const a = record(p, y, sf);
  if (!a) return undefined;
  keysOnly(p, a, sf, ['on', 'veto', 'setBackupStamp', 'setFailureMessage']);
  const on = p.take((): WriterEvent => {
    const e = str(a.on, `${sf}.on`) as WriterEvent;
    if (!WRITER_EVENTS.includes(e)) throw new HostModelError(`${sf}.on`, `expected one of ${WRITER_EVENTS.join(', ')}`);
    return e;
  }, 'Identify');
  const actions = ['veto', 'setBackupStamp', 'setFailureMessage'].filter((k) => a[k] !== undefined);
  if (actions.length !== 1) {
    p.add(sf, 'give exactly one of veto, setBackupStamp and setFailureMessage');
    return undefined;
  }
  if (a.veto !== undefined) {
    const hr = p.take<number | undefined>(() => {
      const name = str(a.veto, `${sf}.veto`);
      const found = WRITER_FAILURES[name];
      if (found === undefined) throw new HostModelError(`${sf}.veto`, `expected one of ${Object.keys(WRITER_FAILURES).join(', ')}`);
      return found;
    }, undefined);
    return hr === undefined ? undefined : { on, veto: hr };
  }
  if (a.setBackupStamp !== undefined) return { on, setBackupStamp: p.take(() => str(a.setBackupStamp, `${sf}.setBackupStamp`), '') };
  return { on, setFailureMessage: p.take(() => str(a.setFailureMessage, `${sf}.setFailureMessage`), '') };
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
  // The file keeps the context: the differential bit follows from the provider when read back.
  const systemProvided = (s: Snapshot) => m.providers.find((x) => x.id === s.providerId)?.type === VSS_PROV_SYSTEM;
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
      context: systemProvided(s) ? s.attributes & ~VSS_VOLSNAP_ATTR_DIFFERENTIAL : s.attributes,
      sizeBytes: s.sizeBytes.toString(),
      providerId: s.providerId,
      ...(s.originatingMachine !== s.serviceMachine ? { originatingMachine: s.originatingMachine } : {}),
      ...(s.creationTime % 10_000n !== 0n ? { creationTime: s.creationTime.toString() } : {}),
    })),
    diffAreas: m.diffAreas.map((d) => ({ volume: d.volume, diffAreaVolume: d.diffAreaVolume, maximumBytes: d.maximumBytes.toString() })),
    ...(writers ? { writers: m.writers.map(serializeWriter) } : {}),
  };
}
