/**
 * impacket (Debian's python3-impacket 0.10) as an MS-SCMP client: activation of
 * CLSID_ShadowCopyProvider at packet privacy, then every method of the four interfaces with
 * their success paths and error rows (impacket_scmp.py declares the calls from the IDL).
 * The expected values are the default host's (src/store/default-host.ts); the same
 * operations done with our own client are test/interfaces/scmp/methods.test.ts.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  E_INVALIDARG,
  IID_IVssDifferentialSoftwareSnapshotMgmt,
  IID_IVssEnumMgmtObject,
  IID_IVssEnumObject,
  IID_IVssSnapshotMgmt,
  S_FALSE,
  VSS_E_INSUFFICIENT_STORAGE,
  VSS_E_OBJECT_ALREADY_EXISTS,
  VSS_E_OBJECT_NOT_FOUND,
  VSS_E_PROVIDER_NOT_REGISTERED,
  VSS_E_VOLUME_NOT_SUPPORTED,
  VSS_MGMT_OBJECT_DIFF_AREA,
  VSS_MGMT_OBJECT_DIFF_VOLUME,
  VSS_MGMT_OBJECT_VOLUME,
  VSS_OBJECT_SNAPSHOT,
  VSS_SS_CREATED,
  VSS_SYSTEM_PROVIDER_ID,
} from '../../src/interfaces/scmp/types.js';
import { silentLogger } from '../../src/log.js';
import { parseAccountSpec } from '../../src/security/accounts.js';
import { DEFAULT_HOST, DEFAULT_VOLUMES as V, defaultHostModel } from '../../src/store/default-host.js';
import { runPython } from '../helpers/python.js';
import { testServer } from '../helpers/server.js';
import { dissect, startCapture, type Capture } from '../helpers/tshark.js';

const SCRIPT = fileURLToPath(new URL('./impacket_scmp.py', import.meta.url));
const ADMIN_PASSWORD = 'Wonder-Land-1';
const MiB = 1024n * 1024n;
const GiB = 1024n * MiB;

let server: Awaited<ReturnType<typeof testServer>>;
let capture: Capture;
let out: Record<string, any>;

beforeAll(async () => {
  server = await testServer({
    log: silentLogger,
    accounts: [parseAccountSpec(`alice:${ADMIN_PASSWORD}:admin`), parseAccountSpec('bob:Builder-2:user')],
  });
  capture = await startCapture([server.port, server.objects.port]);
  try {
    out = await runPython(SCRIPT, [server.host, String(server.port), 'alice', ADMIN_PASSWORD, 'bob', 'Builder-2']);
  } finally {
    await capture.stop();
  }
}, 120_000);
afterAll(() => server?.close());

const model = defaultHostModel();
/** A volume as IVssEnumMgmtObject::Next carries it (VSS_VOLUME_PROP). */
const vol = (name: string, display: string) => ({ Type: VSS_MGMT_OBJECT_VOLUME, tag: VSS_MGMT_OBJECT_VOLUME, name, display });
const VOLUMES = [vol(V.system, 'C:\\'), vol(V.data, 'D:\\'), vol(V.refs, 'E:\\'), vol(V.archive, 'C:\\mnt\\archive\\')];
/** A shadow copy storage volume (VSS_DIFF_VOLUME_PROP); LONGLONGs travel as decimal strings. */
const diffVol = (mountName: string) => {
  const v = model.volumes.find((x) => x.mountName === mountName)!;
  return { Type: VSS_MGMT_OBJECT_DIFF_VOLUME, tag: VSS_MGMT_OBJECT_DIFF_VOLUME, name: v.mountName, display: v.displayName, free: String(v.freeBytes), total: String(v.totalBytes) };
};
/** An association (VSS_DIFF_AREA_PROP). */
const area = (volume: string, diffAreaVolume: string, maximum: bigint, allocated = 0n, used = 0n) => ({
  Type: VSS_MGMT_OBJECT_DIFF_AREA,
  tag: VSS_MGMT_OBJECT_DIFF_AREA,
  volume,
  diffAreaVolume,
  maximum: String(maximum),
  allocated: String(allocated),
  used: String(used),
});
/** D:\'s shadow copies, oldest first, as VSS_OBJECT_PROP carries them. */
const D_SNAPSHOTS = model.snapshots
  .filter((s) => s.originalVolume === V.data)
  .sort((a, b) => (a.creationTime < b.creationTime ? -1 : 1))
  .map((s) => ({
    Type: VSS_OBJECT_SNAPSHOT,
    tag: VSS_OBJECT_SNAPSHOT,
    id: s.id,
    setId: s.setId,
    count: s.countInSet,
    device: s.deviceObject,
    originalVolume: V.data,
    originatingMachine: DEFAULT_HOST.fqdn,
    serviceMachine: DEFAULT_HOST.fqdn,
    exposedName: null,
    exposedPath: null,
    providerId: VSS_SYSTEM_PROVIDER_ID,
    attributes: s.attributes,
    created: String(s.creationTime),
    status: VSS_SS_CREATED,
  }));
const next = (hr: number, items: unknown[], max: number) => ({ hr, fetched: items.length, max_count: max, items });

test('impacket activates CLSID_ShadowCopyProvider for IID_IVssSnapshotMgmt at packet privacy', () => {
  expect(out.activated).toBe(true);
  // Every step ran without an exception in the script.
  expect(out.tracebacks, JSON.stringify(out.tracebacks, null, 1)).toBeUndefined();
});

describe('IVssSnapshotMgmt::QueryVolumesSupportedForSnapshots and IVssEnumMgmtObject', () => {
  test('Next in batches of 1, 3 and more than remain (S_FALSE), Skip past the end, Reset, Next(0)', () => {
    const r = out.volumes;
    expect(r.hr).toBe(0);
    expect(r.next1).toEqual(next(0, VOLUMES.slice(0, 1), 1));
    expect(r.next3).toEqual(next(0, VOLUMES.slice(1, 4), 3));
    expect(r.next_past_end).toEqual(next(S_FALSE, [], 5));
    expect(r.skip_past_end).toBe(S_FALSE);
    expect(r.reset).toBe(0);
    expect(r.next0).toEqual(next(E_INVALIDARG, [], 0));
    // 3.1.3.2: the server MUST verify that celt is greater than zero.
    expect(r.skip0).toBe(E_INVALIDARG);
    expect(r.all_after_reset).toEqual(next(S_FALSE, VOLUMES, 10));
    expect(r.reset2).toBe(0);
    expect(r.skip1).toBe(0);
    expect(r.after_skip1).toEqual(next(0, [VOLUMES[1]], 1));
  });

  test('Clone: a new enumerator at the same position, iterated independently of the original', () => {
    const r = out.volumes;
    expect(r.clone_hr).toBe(0);
    expect(r.clone_is_new_object).toBe(true);
    expect(r.clone_next5).toEqual(next(S_FALSE, VOLUMES.slice(2), 5));
    expect(r.orig_next1_after_clone).toEqual(next(0, [VOLUMES[2]], 1));
    expect(r.clone_reset).toBe(0);
    expect(r.clone_next1_after_reset).toEqual(next(0, [VOLUMES[0]], 1));
    expect(r.orig_next5).toEqual(next(S_FALSE, [VOLUMES[3]], 5));
  });

  test('error rows: GUID_NULL provider E_INVALIDARG, another provider VSS_E_PROVIDER_NOT_REGISTERED; VSS_CTX_ALL lists the same four', () => {
    expect(out.volumes_guid_null).toBe(E_INVALIDARG);
    expect(out.volumes_unknown_provider).toBe(VSS_E_PROVIDER_NOT_REGISTERED);
    expect(out.volumes_ctx_all).toEqual([0, 4]);
  });

  test('3.1.1.4.2: any OR of the four attributes lists the same four volumes; another bit E_INVALIDARG, no enumerator', () => {
    const all = Object.fromEntries(['0x1', '0x4', '0x8', '0x5', '0xc', '0x11', '0x1c', '0x15'].map((k) => [k, [0, 4]]));
    expect(out.volumes_by_context).toEqual({ ...all, '0x2': [E_INVALIDARG, null], '0x20': [E_INVALIDARG, null] });
  });
});

describe('IVssSnapshotMgmt::QuerySnapshotsByVolume and IVssEnumObject', () => {
  test("D:\\'s five shadow copies, oldest first, every VSS_SNAPSHOT_PROP field as the default host has it", () => {
    const r = out.snapshots;
    expect(r.hr).toBe(0);
    expect(D_SNAPSHOTS.map((s) => s.device.replace(/.*ShadowCopy/, ''))).toEqual(['1', '2', '4', '5', '6']);
    expect(r.all).toEqual(next(S_FALSE, D_SNAPSHOTS, 64));
    expect(out.snapshots_C).toEqual(['01757cda-03d3-452a-afb7-cc7258403648']);
  });

  test('Reset, Next, Skip, Clone and Skip past the end on IVssEnumObject', () => {
    const r = out.snapshots;
    expect(r.reset).toBe(0);
    expect(r.next2).toEqual(next(0, D_SNAPSHOTS.slice(0, 2), 2));
    expect(r.skip1).toBe(0);
    expect(r.clone_hr).toBe(0);
    expect(r.clone_next64).toEqual(next(S_FALSE, D_SNAPSHOTS.slice(3), 64));
    expect(r.orig_next1).toEqual(next(0, [D_SNAPSHOTS[3]], 1));
    expect(r.skip_past_end).toBe(S_FALSE);
    expect(r.orig_next1_at_end).toEqual(next(S_FALSE, [], 1));
    expect(r.next0).toEqual(next(E_INVALIDARG, [], 0));
    // 3.1.2.2: Skip(0) is refused and moves nothing.
    expect(r.reset2).toBe(0);
    expect(r.skip0).toBe(E_INVALIDARG);
    expect(r.next1_after_skip0).toEqual(next(0, [D_SNAPSHOTS[0]], 1));
  });

  test('error rows: NULL name and GUID_NULL provider E_INVALIDARG, another provider VSS_E_PROVIDER_NOT_REGISTERED; no enumerator', () => {
    expect(out.snapshots_null_volume).toEqual([E_INVALIDARG, false]);
    expect(out.snapshots_guid_null).toEqual([E_INVALIDARG, false]);
    expect(out.snapshots_unknown_provider).toEqual([VSS_E_PROVIDER_NOT_REGISTERED, false]);
  });

  test('a name that is no volume (Z:\\) has no shadow copies: an empty enumerator (3.1.1.4.3)', () => {
    expect(out.snapshots_unknown_volume).toEqual([0, true, []]);
  });
});

describe('IVssSnapshotMgmt::GetProviderMgmtInterface', () => {
  test('IID_IVssDifferentialSoftwareSnapshotMgmt of the system provider is handed out; another IID E_INVALIDARG; another provider, GUID_NULL too, VSS_E_PROVIDER_NOT_REGISTERED', () => {
    expect(out.diff.gpmi).toBe(0);
    expect(out.diff.gpmi_ipid).toBe(true);
    expect(out.gpmi_other_iid).toEqual([E_INVALIDARG, false]);
    expect(out.gpmi_unknown_provider).toEqual([VSS_E_PROVIDER_NOT_REGISTERED, false]);
    expect(out.gpmi_guid_null).toEqual([VSS_E_PROVIDER_NOT_REGISTERED, false]);
  });
});

describe('IVssDifferentialSoftwareSnapshotMgmt', () => {
  test("QueryVolumesSupportedForDiffAreas('E:\\\\'): the NTFS volumes, with their free and total space; none for F:\\", () => {
    expect(out.diff.supported_for_E).toEqual({ hr: 0, items: [diffVol(V.system), diffVol(V.data), diffVol(V.archive)] });
    expect(out.diff.supported_for_F).toEqual({ hr: 0, items: [] });
  });

  test("the default host's associations: D:\\'s storage on the archive volume, 200 GiB; none for E:\\", () => {
    const d = model.diffAreas.find((x) => x.volume === V.data)!;
    const dArea = area(V.data, V.archive, 200n * GiB, 5024n * MiB, 5013n * MiB);
    expect(dArea).toEqual(area(d.volume, d.diffAreaVolume, d.maximumBytes, d.allocatedBytes, d.usedBytes));
    expect(out.diff.for_D_before).toEqual({ hr: 0, items: [dArea] });
    expect(out.diff.on_archive_before).toEqual({ hr: 0, items: [dArea] });
    expect(out.diff.for_E_before).toEqual({ hr: 0, items: [] });
  });

  test('AddDiffArea: 100 MiB E_INVALIDARG, 512 MiB ok, again VSS_E_OBJECT_ALREADY_EXISTS, on ReFS VSS_E_VOLUME_NOT_SUPPORTED, NULL E_INVALIDARG', () => {
    expect(out.diff.add_too_small).toBe(E_INVALIDARG);
    expect(out.diff.add).toBe(0);
    expect(out.diff.add_again).toBe(VSS_E_OBJECT_ALREADY_EXISTS);
    expect(out.diff.add_on_refs).toBe(VSS_E_VOLUME_NOT_SUPPORTED);
    expect(out.diff.add_null).toBe(E_INVALIDARG);
  });

  test('QueryDiffAreasForVolume(E:\\) and QueryDiffAreasOnVolume(D:\\) show the new association', () => {
    const eArea = area(V.refs, V.data, 512n * MiB);
    expect(out.diff.for_E).toEqual({ hr: 0, items: [eArea] });
    expect(out.diff.on_D).toEqual({ hr: 0, items: [eArea] });
  });

  test('ChangeDiffAreaMaximumSize: 1 GiB, no limit, -2 VSS_E_INSUFFICIENT_STORAGE, 0 deletes it, again VSS_E_OBJECT_NOT_FOUND', () => {
    expect(out.diff.change_1g).toBe(0);
    expect(out.diff.for_E_1g).toEqual({ hr: 0, items: [area(V.refs, V.data, 1n * GiB)] });
    expect(out.diff.change_no_limit).toBe(0);
    expect(out.diff.change_negative).toBe(VSS_E_INSUFFICIENT_STORAGE);
    expect(out.diff.change_delete).toBe(0);
    expect(out.diff.change_delete_again).toBe(VSS_E_OBJECT_NOT_FOUND);
    expect(out.diff.for_E_after).toEqual({ hr: 0, items: [] });
    expect(out.diff.on_D_after).toEqual({ hr: 0, items: [] });
  });

  test('a name that is no volume (Z:\\, or empty): AddDiffArea VSS_E_VOLUME_NOT_SUPPORTED, ChangeDiffAreaMaximumSize VSS_E_OBJECT_NOT_FOUND, the queries empty; a NULL name E_INVALIDARG', () => {
    expect(out.diff.unknown_volume).toEqual({
      add: VSS_E_VOLUME_NOT_SUPPORTED,
      add_on: VSS_E_VOLUME_NOT_SUPPORTED,
      add_empty: VSS_E_VOLUME_NOT_SUPPORTED,
      add_on_empty: VSS_E_VOLUME_NOT_SUPPORTED,
      change: VSS_E_OBJECT_NOT_FOUND,
      supported: { hr: 0, items: [] },
      for: { hr: 0, items: [] },
      on: { hr: 0, items: [] },
    });
    expect(out.diff.null_volume).toEqual({ change: E_INVALIDARG, for: E_INVALIDARG });
  });
});

test('a non-administrator (bob) is refused the activation with E_ACCESSDENIED', () => {
  expect(out.not_admin).toMatch(/E_ACCESSDENIED/);
});

test('tshark dissects the MS-SCMP session (privacy decrypted): the calls are there, no malformed packets, no expert errors', async () => {
  const d = await dissect(capture.file, [server.port, server.objects.port], ['-o', `ntlmssp.nt_password:${ADMIN_PASSWORD}`]);
  const text = d.summary.join('\n');
  expect(text).toMatch(/RemoteCreateInstance response/);
  // Wireshark 4.0 has no MS-SCMP dissector: the calls show as DCE/RPC requests of their
  // interface's UUID, with the opnum. Every method of the four interfaces is there, and
  // every request on them has its response (no fault).
  const methods: [string, number[]][] = [
    [IID_IVssSnapshotMgmt, [3, 4, 5]],
    [IID_IVssEnumMgmtObject, [3, 4, 5, 6]],
    [IID_IVssEnumObject, [3, 4, 5, 6]],
    [IID_IVssDifferentialSoftwareSnapshotMgmt, [3, 4, 5, 6, 7]],
  ];
  for (const [iid, opnums] of methods) {
    for (const opnum of opnums) expect(text).toMatch(new RegExp(`Request: call_id: \\d+, Fragment: Single, opnum: ${opnum}, Ctx: \\d+ ${iid}`));
  }
  const scmp = (kind: string) => d.summary.filter((l) => l.includes(`${kind}: call_id`) && methods.some(([iid]) => l.includes(iid))).length;
  // As many as the script made (one PDU each).
  expect(out.calls).toBeGreaterThan(70);
  expect(scmp('Request')).toBe(out.calls);
  expect(scmp('Response')).toBe(scmp('Request'));
  expect(text).not.toMatch(/Fault:/);
  // Each interface got one context (bind, then three alter_contexts), each with its own NTLM context.
  expect(d.summary.filter((l) => /Alter_context_resp: .*Acceptance/.test(l)).length).toBe(3);
  expect(d.malformed).toBe(0);
  expect(d.errors, d.expert).toBe(0);
});

describe('the same listings read by impacket and by `scmp … --json`', () => {
  const SCMP_CLI = fileURLToPath(new URL('../../dist/src/cli/scmp.js', import.meta.url));
  const scmpJson = async (args: string[]) => {
    const { stdout } = await promisify(execFile)(process.execPath, [SCMP_CLI, ...args, `alice:${ADMIN_PASSWORD}@${server.host}`, '--port', String(server.port), '--json'], {
      timeout: 60_000,
    });
    return JSON.parse(stdout);
  };
  /** A FILETIME (100 ns since 1601) as the ISO time scmp prints. */
  const isoOf = (filetime: string) => new Date(Number((BigInt(filetime) - 116444736000000000n) / 10000n)).toISOString();

  test("D:\\'s shadow copies: every field impacket decodes has the same value in scmp's listing", async () => {
    const listed: any[] = await scmpJson(['list', 'shadows', '--for', 'D:']);
    const seen: any[] = out.snapshots.all.items;
    expect(listed.map((s) => s.id).sort()).toEqual(seen.map((s) => s.id).sort());
    for (const s of seen) {
      const l = listed.find((x) => x.id === s.id)!;
      expect([l.setId, l.countInSet, l.shadowCopyVolume, l.originalVolume, l.originatingMachine, l.serviceMachine, l.providerId, l.attributeBits], s.id).toEqual([
        s.setId,
        s.count,
        s.device,
        s.originalVolume,
        s.originatingMachine,
        s.serviceMachine,
        s.providerId,
        s.attributes,
      ]);
      expect(l.creationTime).toBe(isoOf(s.created));
    }
  });

  test('the volumes: the same names and display names, in the same order', async () => {
    const listed: any[] = await scmpJson(['list', 'volumes']);
    const seen: any[] = out.volumes.all_after_reset.items;
    expect(listed.map((v) => [v.name, v.path])).toEqual(seen.map((v) => [v.name, v.display]));
  });
});
