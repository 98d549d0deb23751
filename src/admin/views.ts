/**
 * The host's objects as the admin API shows them in JSON: byte counts and FILETIMEs as
 * decimal strings (JSON numbers lose precision past 2^53), times also in ISO 8601.
 */
import type { EmulatedHost } from '../store/emulated-host.js';
import { faultRuleToJson, type FaultRule } from '../store/faults.js';
import { dateFromFiletime } from '../store/filetime.js';
import type { DiffArea, Snapshot, Volume } from '../store/model.js';
import type { BackupComponentsDocument } from '../store/requester/document.js';
import type { RequesterSession } from '../store/requester/session.js';
import { VSS_VOLSNAP_ATTR_NO_AUTO_RELEASE, VSS_VOLSNAP_ATTR_PERSISTENT } from '../store/vss.js';

const iso = (ft: bigint) => {
  const d = dateFromFiletime(ft);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
};

export const volumeView = (v: Volume) => ({
  mountName: v.mountName,
  mountPoints: v.mountPoints,
  displayName: v.displayName,
  fileSystem: v.fileSystem,
  totalBytes: v.totalBytes.toString(),
  freeBytes: v.freeBytes.toString(),
  snapshotContexts: v.snapshotContexts,
  canHoldDiffArea: v.canHoldDiffArea,
});

export const snapshotView = (s: Snapshot) => ({
  id: s.id,
  setId: s.setId,
  countInSet: s.countInSet,
  volume: s.originalVolume,
  deviceObject: s.deviceObject,
  originatingMachine: s.originatingMachine,
  serviceMachine: s.serviceMachine,
  created: iso(s.creationTime),
  creationTime: s.creationTime.toString(),
  attributes: s.attributes,
  persistent: (s.attributes & VSS_VOLSNAP_ATTR_PERSISTENT) !== 0,
  autoRelease: (s.attributes & VSS_VOLSNAP_ATTR_NO_AUTO_RELEASE) === 0,
  providerId: s.providerId,
  sizeBytes: s.sizeBytes.toString(),
});

export const diffAreaView = (d: DiffArea) => ({
  volume: d.volume,
  diffAreaVolume: d.diffAreaVolume,
  maximumBytes: d.maximumBytes.toString(),
  usedBytes: d.usedBytes.toString(),
  allocatedBytes: d.allocatedBytes.toString(),
});

export const documentView = (d: BackupComponentsDocument) => ({
  ...d,
  snapshotSet: d.snapshotSet && {
    ...d.snapshotSet,
    snapshots: d.snapshotSet.snapshots.map((s) => ({ ...s, creationTime: s.creationTime.toString() })),
  },
});

export const sessionSummary = (s: RequesterSession) => ({ id: s.id, mode: s.mode ?? null, phase: s.phase, snapshotSetId: s.snapshotSetId ?? null });

export const sessionView = (s: RequesterSession) => ({
  ...sessionSummary(s),
  context: s.context,
  snapshotIds: s.snapshotIds,
  document: documentView(s.document()),
  events: s.events,
});

export function hostView(h: EmulatedHost) {
  const store = h.store;
  return {
    host: store.host(),
    volumes: store.volumes().map(volumeView),
    providers: store.providers(),
    writers: store.writers(),
    diffAreas: store.diffAreas().map(diffAreaView),
    snapshots: store.snapshots().map(snapshotView),
    sessions: h.sessions().map(sessionSummary),
    documents: h.documentNames(),
  };
}

/** A scripted fault rule: its id, the rule as written (status by name), and how often it fired. */
export const faultView = (r: FaultRule) => ({ id: r.id, ...faultRuleToJson(r), fired: r.fired, ...(r.count !== undefined ? { spent: r.fired >= r.count } : {}) });
