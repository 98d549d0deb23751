/**
 * vssadmin's text layouts for `list volumes | providers | writers | shadows | shadowstorage`,
 * and their `--json` alternative, from plain records: `scmp admin` fills them from the admin
 * API, the network verbs from MS-SCMP's answers. Headings, field names, indents, GUIDs in
 * braces and the en-US time layout are vssadmin's; vssadmin's banner (its name and
 * Microsoft's copyright) is not printed: this is not vssadmin (docs/decisions.md).
 */
import { formatStorageSize } from './sizes.js';

export interface VolumeRecord {
  /** `\\?\Volume{GUID}\`. */
  mountName: string;
  /** Drive letters and mounted folders with their trailing backslash; may be empty. */
  mountPoints: readonly string[];
  totalBytes?: bigint;
}

export interface ProviderRecord {
  id: string;
  name: string;
  version: string;
  /** VSS_PROVIDER_TYPE. */
  type: number;
}

export interface WriterRecord {
  id: string;
  instanceId: string;
  name: string;
  /** VSS_WRITER_STATE; stable when not given. */
  state?: number;
  /** The writer's last failure (an HRESULT); none when not given. */
  lastError?: number;
}

export interface ShadowRecord {
  id: string;
  setId: string;
  countInSet: number;
  creationTime: Date;
  /** Mount name of the original volume. */
  originalVolume: string;
  deviceObject: string;
  originatingMachine: string;
  serviceMachine: string;
  providerId: string;
  /** VSS_VOLSNAP_ATTR_* bits. */
  attributes: number;
}

export interface StorageRecord {
  /** Mount names. */
  volume: string;
  diffAreaVolume: string;
  usedBytes: bigint;
  allocatedBytes: bigint;
  /** -1: UNBOUNDED. */
  maximumBytes: bigint;
}

/** What vssadmin prints when a listing is empty. */
export const NO_ITEMS = 'No items found that satisfy the query.\n';

const braces = (guid: string) => `{${guid.replace(/^\{|\}$/g, '').toLowerCase()}}`;
const key = (name: string) => name.toLowerCase();

/** A volume as vssadmin names it: `(D:)\\?\Volume{…}\`, the first mount point without its backslash. */
export function volumeLabel(mountName: string, volumes: readonly VolumeRecord[]): string {
  const v = volumes.find((x) => key(x.mountName) === key(mountName));
  const first = v?.mountPoints[0];
  return first === undefined ? mountName : `(${first.replace(/\\$/, '')})${mountName}`;
}

/** vssadmin's time: the local time zone, en-US layout (`11/17/2025 7:00:03 AM`). */
export function formatTime(d: Date): string {
  const h = d.getHours();
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getMonth() + 1}/${d.getDate()}/${d.getFullYear()} ${h % 12 === 0 ? 12 : h % 12}:${two(d.getMinutes())}:${two(d.getSeconds())} ${h < 12 ? 'AM' : 'PM'}`;
}

/** VSS_PROVIDER_TYPE as vssadmin names it. */
export const PROVIDER_TYPE_NAMES: Readonly<Record<number, string>> = { 0: 'Unknown', 1: 'System', 2: 'Software', 3: 'Hardware', 4: 'FileShare' };

/** VSS_WRITER_STATE as vssadmin names it (`State: [1] Stable`). */
export const WRITER_STATE_NAMES: Readonly<Record<number, string>> = {
  0: 'Unknown',
  1: 'Stable',
  2: 'Waiting for freeze',
  3: 'Waiting for thaw',
  4: 'Waiting for post snapshot',
  5: 'Waiting for backup complete',
  6: 'Failed at identify',
  7: 'Failed at prepare backup',
  8: 'Failed at prepare snapshot',
  9: 'Failed at freeze',
  10: 'Failed at thaw',
  11: 'Failed at post snapshot',
  12: 'Failed at backup complete',
  13: 'Failed at pre restore',
  14: 'Failed at post restore',
  15: 'Failed at backup shutdown',
};

/** The context bits of a shadow copy's attributes, named as vssadmin's `Type:` line (and `/Type=`). */
const CONTEXT_MASK = 0x1f;
export const SHADOW_TYPE_NAMES: Readonly<Record<number, string>> = {
  0x00: 'Backup',
  0x10: 'FileShareBackup',
  0x19: 'DataVolumeRollback',
  0x09: 'ApplicationRollback',
  0x1d: 'ClientAccessible',
  0x0d: 'ClientAccessibleWriters',
};

/** VSS_VOLSNAP_ATTR_* bits in vssadmin's words, in bit order. */
export const ATTRIBUTE_NAMES: ReadonlyArray<readonly [number, string]> = [
  [0x00000001, 'Persistent'],
  [0x00000002, 'No auto recovery'],
  [0x00000004, 'Client-accessible'],
  [0x00000008, 'No auto release'],
  [0x00000010, 'No writers'],
  [0x00000020, 'Transportable'],
  [0x00000040, 'Not surfaced'],
  [0x00000080, 'Not transacted'],
  [0x00010000, 'Hardware assisted'],
  [0x00020000, 'Differential'],
  [0x00040000, 'Plex'],
  [0x00080000, 'Imported'],
  [0x00100000, 'Exposed locally'],
  [0x00200000, 'Exposed remotely'],
  [0x00400000, 'Auto recovered'],
  [0x00800000, 'Rollback recovery'],
  [0x01000000, 'Delayed post snapshot'],
  [0x02000000, 'TXF recovery'],
];

export const shadowType = (attributes: number) => SHADOW_TYPE_NAMES[attributes & CONTEXT_MASK] ?? `Unknown (0x${(attributes & CONTEXT_MASK).toString(16)})`;
export const attributeNames = (attributes: number) => ATTRIBUTE_NAMES.filter(([bit]) => (attributes & bit) !== 0).map(([, name]) => name);
const hresultText = (e: number | undefined) => (e === undefined || e === 0 ? 'No error' : `0x${(e >>> 0).toString(16).padStart(8, '0')}`);

/** Entries separated by one blank line, as vssadmin separates them. */
const blocks = (parts: string[]) => (parts.length === 0 ? NO_ITEMS : `${parts.join('\n')}`);

export function formatVolumes(volumes: readonly VolumeRecord[]): string {
  return blocks(volumes.map((v) => `Volume path: ${v.mountPoints[0] ?? v.mountName}\n    Volume name: ${v.mountName}\n`));
}

export function formatProviders(providers: readonly ProviderRecord[]): string {
  return blocks(providers.map((p) => `Provider name: '${p.name}'\n   Provider type: ${PROVIDER_TYPE_NAMES[p.type] ?? p.type}\n   Provider Id: ${braces(p.id)}\n   Version: ${p.version}\n`));
}

export function formatWriters(writers: readonly WriterRecord[]): string {
  return blocks(
    writers.map((w) => {
      const state = w.state ?? 1;
      return `Writer name: '${w.name}'\n   Writer Id: ${braces(w.id)}\n   Writer Instance Id: ${braces(w.instanceId)}\n   State: [${state}] ${WRITER_STATE_NAMES[state] ?? 'Unknown'}\n   Last error: ${hresultText(w.lastError)}\n`;
    }),
  );
}

/** Shadow copies grouped by set, in the order their sets first appear. */
export function formatShadows(shadows: readonly ShadowRecord[], volumes: readonly VolumeRecord[], providers: readonly ProviderRecord[]): string {
  const sets = new Map<string, ShadowRecord[]>();
  for (const s of shadows) {
    const k = key(s.setId);
    sets.set(k, [...(sets.get(k) ?? []), s]);
  }
  const providerName = (id: string) => providers.find((p) => key(braces(p.id)) === key(braces(id)))?.name ?? braces(id);
  return blocks(
    [...sets.values()].map((set) => {
      const first = set[0]!;
      const head = `Contents of shadow copy set ID: ${braces(first.setId)}\n   Contained ${first.countInSet} shadow copies at creation time: ${formatTime(first.creationTime)}\n`;
      return (
        head +
        set
          .map(
            (s) =>
              `      Shadow Copy ID: ${braces(s.id)}\n` +
              `         Original Volume: ${volumeLabel(s.originalVolume, volumes)}\n` +
              `         Shadow Copy Volume: ${s.deviceObject}\n` +
              `         Originating Machine: ${s.originatingMachine}\n` +
              `         Service Machine: ${s.serviceMachine}\n` +
              `         Provider: '${providerName(s.providerId)}'\n` +
              `         Type: ${shadowType(s.attributes)}\n` +
              `         Attributes: ${attributeNames(s.attributes).join(', ')}\n`,
          )
          .join('')
      );
    }),
  );
}

/** Each association with its sizes as a share of the storage volume (when its size is known). */
export function formatShadowStorage(areas: readonly StorageRecord[], volumes: readonly VolumeRecord[]): string {
  return blocks(
    areas.map((d) => {
      const total = volumes.find((v) => key(v.mountName) === key(d.diffAreaVolume))?.totalBytes;
      return (
        'Shadow Copy Storage association\n' +
        `   For volume: ${volumeLabel(d.volume, volumes)}\n` +
        `   Shadow Copy Storage volume: ${volumeLabel(d.diffAreaVolume, volumes)}\n` +
        `   Used Shadow Copy Storage space: ${formatStorageSize(d.usedBytes, total)}\n` +
        `   Allocated Shadow Copy Storage space: ${formatStorageSize(d.allocatedBytes, total)}\n` +
        `   Maximum Shadow Copy Storage space: ${formatStorageSize(d.maximumBytes, total)}\n`
      );
    }),
  );
}

// ---------------------------------------------------------------------------------------
// --json: the same listings for machines. Byte counts are JSON numbers (exact: written from
// the bigint's digits), GUIDs bare and lower case, times in ISO 8601 UTC.

const BIG = '\u0001bigint:';

/** JSON with bigints written as exact integer literals; two-space indent, one trailing newline. */
export function toJson(value: unknown): string {
  const text = JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? `${BIG}${v}` : v), 2);
  return `${text.replace(/"\\u0001bigint:(-?\d+)"/g, '$1')}\n`;
}

const bare = (guid: string) => braces(guid).slice(1, -1);

export const volumesJson = (volumes: readonly VolumeRecord[]) =>
  volumes.map((v) => ({ path: v.mountPoints[0] ?? v.mountName, name: v.mountName, mountPoints: v.mountPoints, ...(v.totalBytes !== undefined ? { totalBytes: v.totalBytes } : {}) }));

export const providersJson = (providers: readonly ProviderRecord[]) =>
  providers.map((p) => ({ name: p.name, type: PROVIDER_TYPE_NAMES[p.type] ?? 'Unknown', typeCode: p.type, id: bare(p.id), version: p.version }));

export const writersJson = (writers: readonly WriterRecord[]) =>
  writers.map((w) => ({ name: w.name, id: bare(w.id), instanceId: bare(w.instanceId), state: WRITER_STATE_NAMES[w.state ?? 1] ?? 'Unknown', stateCode: w.state ?? 1, lastError: hresultText(w.lastError) }));

export const shadowsJson = (shadows: readonly ShadowRecord[], volumes: readonly VolumeRecord[], providers: readonly ProviderRecord[]) =>
  shadows.map((s) => ({
    setId: bare(s.setId),
    countInSet: s.countInSet,
    id: bare(s.id),
    creationTime: Number.isNaN(s.creationTime.getTime()) ? null : s.creationTime.toISOString(),
    originalVolume: s.originalVolume,
    originalVolumePath: volumes.find((v) => key(v.mountName) === key(s.originalVolume))?.mountPoints[0] ?? null,
    shadowCopyVolume: s.deviceObject,
    originatingMachine: s.originatingMachine,
    serviceMachine: s.serviceMachine,
    provider: providers.find((p) => key(bare(p.id)) === key(bare(s.providerId)))?.name ?? null,
    providerId: bare(s.providerId),
    type: shadowType(s.attributes),
    attributes: attributeNames(s.attributes),
    attributeBits: s.attributes,
  }));

/** `maximumBytes: null` is UNBOUNDED. */
export const shadowStorageJson = (areas: readonly StorageRecord[], volumes: readonly VolumeRecord[]) =>
  areas.map((d) => {
    const path = (m: string) => volumes.find((v) => key(v.mountName) === key(m))?.mountPoints[0] ?? null;
    return {
      forVolume: d.volume,
      forVolumePath: path(d.volume),
      storageVolume: d.diffAreaVolume,
      storageVolumePath: path(d.diffAreaVolume),
      usedBytes: d.usedBytes,
      allocatedBytes: d.allocatedBytes,
      maximumBytes: d.maximumBytes < 0n ? null : d.maximumBytes,
      storageVolumeTotalBytes: volumes.find((v) => key(v.mountName) === key(d.diffAreaVolume))?.totalBytes ?? null,
    };
  });
