import { randomUUID } from 'node:crypto';
import { startScmp } from '../src/app.js';
import { createLogger } from '../src/log.js';
import { parseAccountSpec } from '../src/security/accounts.js';
import { defaultHostModel } from '../src/store/default-host.js';
import { HostStore } from '../src/store/host-store.js';
import type { Volume } from '../src/store/model.js';

/**
 * A server over a generated host for the enumeration benchmark: VOLUMES NTFS volumes with
 * PER_VOLUME shadow copies each. Prints "ready PORT OBJECT_PORT".
 */
const [volumes, perVolume] = [Number(process.argv[2] ?? 100), Number(process.argv[3] ?? 512)];
const base = defaultHostModel();
const TiB = 1n << 40n;
const vols: Volume[] = Array.from({ length: volumes }, (_, i) => ({
  ...base.volumes[0]!,
  mountName: `\\\\?\\Volume{${randomUUID()}}\\`,
  mountPoints: [],
  displayName: '',
  totalBytes: 64n * TiB,
  freeBytes: 60n * TiB,
  canHoldDiffArea: true,
  ...(i === 0 ? {} : {}),
}));
for (const v of vols) (v as { displayName: string }).displayName = v.mountName;
// Built as a model, not by addSnapshot one at a time: the store checks every insertion
// against all copies, which is right for a live host and quadratic for 51,200 of them.
const MiB = 1n << 20n;
const size = 64n * MiB;
const t0 = 133_000_000_000_000_000n;
let device = 1;
const snapshots = vols.flatMap((v) =>
  Array.from({ length: perVolume }, (_, i) => ({
    id: randomUUID(),
    setId: randomUUID(),
    countInSet: 1,
    originalVolume: v.mountName,
    deviceObject: `\\\\?\\GLOBALROOT\\Device\\HarddiskVolumeShadowCopy${device++}`,
    originatingMachine: base.host.fqdn,
    serviceMachine: base.host.fqdn,
    creationTime: t0 + BigInt(i) * 36_000_000_000n,
    attributes: 0,
    providerId: base.providers[0]!.id,
    state: 0x0c,
    sizeBytes: size,
  })),
);
const used = size * BigInt(perVolume);
const diffAreas = vols.map((v) => ({ volume: v.mountName, diffAreaVolume: v.mountName, maximumBytes: -1n, usedBytes: used, allocatedBytes: used }));
const store = new HostStore(
  { host: base.host, volumes: vols, providers: base.providers, snapshots, diffAreas, writers: [] },
  { settings: { maxSnapshotsPerVolume: Math.max(perVolume, 64) } },
);
const account = process.argv[4] ?? 'bench:Bench-Pass-1:admin';
const server = await startScmp({ listen: ['127.0.0.1'], port: 0, log: createLogger('error'), accounts: [parseAccountSpec(account)], store });
process.stdout.write(`ready ${server.main.port} ${server.objects.port}\n`);
