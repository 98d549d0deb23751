/**
 * Checks that a host model is one the store's rules could have produced. A model that is
 * not is a defect of whoever wrote it (a fixture, a saved file), so this throws TypeError,
 * never a StoreError: no client call can cause it.
 */
import { withinMaximum } from './diff-area-space.js';
import { displayNameOf, type HostModel } from './model.js';
import { MOUNT_NAME_RE, MOUNT_POINT_RE, nameKey } from './names.js';
import type { StoreSettings } from './settings.js';
import { fullPathOf, WRITER_FAILURES } from './writers.js';
import { contextOfAttributes, GUID_NULL, isCanonicalGuid, VSS_VOLSNAP_ATTR_IMPORTED, VSS_CTX_ALL, VSS_SS_CREATED, isQueryContext } from './vss.js';

const DEVICE_RE = /^\\\\\?\\GLOBALROOT\\Device\\HarddiskVolumeShadowCopy([1-9][0-9]*)$/;

function check(ok: boolean, message: string): void {
  if (!ok) throw new TypeError(`host model: ${message}`);
}

export function validateSettings(s: StoreSettings): void {
  check(s.minDiffAreaBytes > 0n, 'minDiffAreaBytes must be positive');
  check(s.diffAreaGrowthBytes > 0n, 'diffAreaGrowthBytes must be positive');
  check(Number.isInteger(s.maxSnapshotsPerVolume) && s.maxSnapshotsPerVolume >= 1, 'maxSnapshotsPerVolume must be at least 1');
}

export function validateModel(m: HostModel, s: StoreSettings): void {
  check(m.host.fqdn.length > 0 && m.host.netbiosName.length > 0, 'the host needs an FQDN and a NetBIOS name');

  const keys = new Set<string>();
  const volumes = new Map(m.volumes.map((v) => [v.mountName, v]));
  check(volumes.size === m.volumes.length, 'two volumes share a mount name');
  for (const v of m.volumes) {
    check(MOUNT_NAME_RE.test(v.mountName), `${v.mountName} is not a volume mount name`);
    for (const p of v.mountPoints) check(MOUNT_POINT_RE.test(p), `${p} is not a mount point`);
    for (const k of [v.mountName, ...v.mountPoints].map(nameKey)) {
      check(!keys.has(k), `${k} names two volumes`);
      keys.add(k);
    }
    check(v.displayName === displayNameOf(v.mountName, v.mountPoints), `${v.mountName}: display name ${v.displayName}`);
    check(v.totalBytes > 0n && v.freeBytes >= 0n && v.freeBytes <= v.totalBytes, `${v.mountName}: sizes`);
    for (const c of v.snapshotContexts) check(isQueryContext(c) && c !== VSS_CTX_ALL, `${v.mountName}: context ${c}`);
  }

  const providers = new Set(m.providers.map((p) => p.id));
  check(providers.size === m.providers.length, 'two providers share an id');
  for (const p of m.providers) check(isCanonicalGuid(p.id) && isCanonicalGuid(p.versionId) && isCanonicalGuid(p.clsid), `provider ${p.id}: GUIDs in canonical lower-case form`);
  // MS-SCMP's queries refuse GUID_NULL as a ProviderId (3.1.1.4.2, 3.1.1.4.3): no provider can have it.
  check(!providers.has(GUID_NULL), 'a provider cannot have GUID_NULL as its id');

  const ids = new Set<string>();
  const devices = new Set<string>();
  for (const snap of m.snapshots) {
    check(isCanonicalGuid(snap.id) && isCanonicalGuid(snap.setId) && isCanonicalGuid(snap.providerId), `snapshot ${snap.id}: GUIDs in canonical lower-case form`);
    check(!ids.has(snap.id), `snapshot ${snap.id} appears twice`);
    ids.add(snap.id);
    const v = volumes.get(snap.originalVolume);
    check(v !== undefined, `snapshot ${snap.id}: unknown volume ${snap.originalVolume}`);
    const imported = (snap.attributes & VSS_VOLSNAP_ATTR_IMPORTED) !== 0;
    check(v!.snapshotContexts.includes(contextOfAttributes(snap.attributes)), `snapshot ${snap.id}: its volume takes no shadow copy with attributes ${snap.attributes}`);
    check(providers.has(snap.providerId), `snapshot ${snap.id}: unknown provider`);
    check(DEVICE_RE.test(snap.deviceObject) && !devices.has(snap.deviceObject), `snapshot ${snap.id}: device object ${snap.deviceObject}`);
    devices.add(snap.deviceObject);
    check((imported ? snap.originatingMachine.length > 0 : snap.originatingMachine === m.host.fqdn) && snap.serviceMachine === m.host.fqdn, `snapshot ${snap.id}: machines must be the host's FQDN (the originating one may differ only for an imported copy)`);
    check(snap.state === VSS_SS_CREATED, `snapshot ${snap.id}: state`);
    check(Number.isInteger(snap.countInSet) && snap.countInSet >= 1 && snap.sizeBytes >= 0n, `snapshot ${snap.id}: count or size`);
  }

  const associated = new Set<string>();
  for (const d of m.diffAreas) {
    const storage = volumes.get(d.diffAreaVolume);
    check(volumes.has(d.volume) && storage !== undefined, `diff area ${d.volume} on ${d.diffAreaVolume}: unknown volume`);
    check(!associated.has(d.volume), `${d.volume} has two diff areas`);
    associated.add(d.volume);
    check(storage!.canHoldDiffArea, `${d.diffAreaVolume} cannot hold shadow copy storage`);
    check(d.maximumBytes === -1n || d.maximumBytes >= s.minDiffAreaBytes, `diff area of ${d.volume}: maximum below the minimum`);
    const copies = m.snapshots.filter((x) => x.originalVolume === d.volume);
    const used = copies.reduce((sum, x) => sum + x.sizeBytes, 0n);
    check(d.usedBytes === used, `diff area of ${d.volume}: used ${d.usedBytes}, its shadow copies take ${used}`);
    check(d.usedBytes <= d.allocatedBytes && withinMaximum(d.allocatedBytes, d.maximumBytes), `diff area of ${d.volume}: used ≤ allocated ≤ maximum`);
  }
  for (const snap of m.snapshots) check(associated.has(snap.originalVolume), `snapshot ${snap.id}: its volume has no diff area`);

  const instances = new Set<string>();
  for (const w of m.writers) {
    check(isCanonicalGuid(w.id) && isCanonicalGuid(w.instanceId), `writer ${w.name}: GUIDs in canonical lower-case form`);
    check(!instances.has(w.instanceId), `writer instance ${w.instanceId} appears twice`);
    instances.add(w.instanceId);
    const paths = new Set<string>();
    for (const c of w.components) {
      check(c.name.length > 0 && !c.name.includes('\\'), `writer ${w.name}: component name ${JSON.stringify(c.name)}`);
      check(!c.logicalPath.startsWith('\\') && !c.logicalPath.endsWith('\\'), `writer ${w.name}: logical path ${JSON.stringify(c.logicalPath)}`);
      const key = fullPathOf(c).toLowerCase();
      check(!paths.has(key), `writer ${w.name}: component ${fullPathOf(c)} appears twice`);
      paths.add(key);
    }
    for (const a of w.script) check(!('veto' in a) || Object.values(WRITER_FAILURES).includes(a.veto), `writer ${w.name}: a veto needs a VSS_E_WRITERERROR_* HRESULT`);
  }
}
