/**
 * The replay's parts on their own: the volatile table's mapping (learnt from answers, put into
 * requests), the field-by-field comparison and its paths, --ignore globs, the order of a
 * capture's calls, the JUnit writer, and the command line's usage errors.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect, test } from 'vitest';
import type { DecodedCall } from '../../src/capture/calls.js';
import { NDR20_SYNTAX } from '../../src/dcerpc/constants.js';
import { encodeTcpTower } from '../../src/interfaces/epm/tower.js';
import { VOLATILE_FIELDS, STATE_CHANGING_METHODS } from '../../src/interfaces/volatile.js';
import { alignArrays, Comparison } from '../../src/replay/compare.js';
import type { ReplayReport } from '../../src/replay/engine.js';
import { ignoreMatcher } from '../../src/replay/ignore.js';
import { VolatileMap } from '../../src/replay/mapping.js';
import { orderCalls } from '../../src/replay/recording.js';
import { formatResult, reportJunit } from '../../src/replay/report.js';
import { DEBIAN_PYTHON } from '../helpers/python.js';
import { runScmp } from '../helpers/scmp-cli.js';

const run = promisify(execFile);
const IPID_R = '0000ab00-0001-0002-0003-000000000001';
const IPID_L = '7f3e0c11-aaaa-bbbb-cccc-0123456789ab';

test('an OBJREF’s IPID, OXID and OID are paired, not compared; later requests carry the live values (object UUID too), with a fresh causality id', () => {
  const map = new VolatileMap();
  const objref = (ipid: string, oxid: bigint, oid: bigint) => ({ ulCntData: 68, abData: Buffer.from([1, 2]), OBJREF: { kind: 'OBJREF_STANDARD', std: { flags: 0, cPublicRefs: 5, oxid, oid, ipid } } });
  const cmp = new Comparison(map).compare({ ORPCthat: { flags: 0, extensions: null }, ppItf: objref(IPID_R, 1n, 2n), hr: 0 }, { ORPCthat: { flags: 0, extensions: null }, ppItf: objref(IPID_L, 91n, 92n), hr: 0 });
  expect(cmp.differences).toEqual([]);
  expect(map.live('ipid', IPID_R.toUpperCase())).toBe(IPID_L);
  const cid = '11111111-2222-3333-4444-555555555555';
  const req = map.substitute({ ORPCthis: { cid, flags: 0 }, cInterfaceRefs: 1, InterfaceRefs: [{ ipid: IPID_R, cPublicRefs: 5 }], pOxid: 1n, AddToSet: [2n, 3n] }) as any;
  expect(req.InterfaceRefs[0]).toEqual({ ipid: IPID_L, cPublicRefs: 5 });
  expect([req.pOxid, req.AddToSet]).toEqual([91n, [92n, 3n]]);
  expect(req.ORPCthis.cid).not.toBe(cid);
  expect(req.ORPCthis.cid).toMatch(/^[0-9a-f-]{36}$/);
});

test('differences name the path and both values: HRESULTs by name, GUIDs in braces, union arms by their IDL names, missing elements', () => {
  const snap = (id: string, ts: bigint) => ({ Type: 3, Obj: { tag: 3, value: { m_SnapshotId: id, m_tsCreationTimestamp: ts } } });
  const a = '8fb08b4f-67ba-460d-8f54-0747b6e256bb';
  const b = '96b84e41-b4b4-4cd9-9752-a1e85fe3725e';
  const d = new Comparison(new VolatileMap(), 'IVssEnumObject').compare(
    { rgelt: [snap(a, 1n), snap(a, 5n), snap(b, 7n)], pceltFetched: 3, hr: 0 },
    { rgelt: [snap(a, 1n), snap(b, 6n)], pceltFetched: 2, hr: 1 },
  ).differences;
  expect(d).toEqual([
    { path: 'rgelt[1].Obj.Snap.m_SnapshotId', recorded: `{${a.toUpperCase()}}`, live: `{${b.toUpperCase()}}` },
    { path: 'rgelt[1].Obj.Snap.m_tsCreationTimestamp', recorded: '5', live: '6' },
    { path: 'rgelt[2]', recorded: expect.stringContaining(`{${b.toUpperCase()}}`), live: '(absent)' },
    { path: 'pceltFetched', recorded: '3', live: '2' },
    { path: 'hr', recorded: 'S_OK (0x00000000)', live: 'S_FALSE (0x00000001)' },
  ]);
});

test('a volatile value present on one side only is a difference of shape', () => {
  const d = new Comparison(new VolatileMap()).compare({ pipidRemUnknown: IPID_R }, { pipidRemUnknown: null }).differences;
  expect(d.map((x) => x.path)).toEqual(['pipidRemUnknown']);
});

test('protocol towers (ept_map, ept_lookup) are compared without their port and address: another host, another dynamic port, the same endpoint', () => {
  const EPM = { uuid: 'e1af8308-5d1f-11c9-91a4-08002b14a0fa', major: 3, minor: 0 };
  const MGMT = { uuid: 'afa8bd80-7d8a-11c9-bef4-08002b102989', major: 1, minor: 0 };
  const tower = (iface: typeof EPM, port: number, address: string) => {
    const octets = encodeTcpTower({ iface, transfer: NDR20_SYNTAX, port, address });
    return { ITowers: [{ tower_length: octets.length, tower_octet_string: octets }], status: 0 };
  };
  const compare = (r: unknown, l: unknown) => new Comparison(new VolatileMap(), 'epm').compare(r, l).differences;
  expect(compare(tower(EPM, 49667, '10.0.0.5'), tower(EPM, 52311, '192.168.7.20'))).toEqual([]);
  // Another interface in the tower is another endpoint: a difference, at the tower's path.
  const d = compare(tower(EPM, 135, '10.0.0.5'), tower(MGMT, 135, '10.0.0.5'));
  expect(d.map((x) => x.path)).toEqual(['ITowers[0].tower_octet_string']);
  // Octets that are no tower are compared whole.
  expect(compare({ t: { tower_octet_string: Buffer.from([1]) } }, { t: { tower_octet_string: Buffer.from([2]) } })).toHaveLength(1);
});

test('lists are aligned: an element gone from the middle is one difference; a changed one shows its fields; the rest by position', () => {
  const copy = (n: number, created = 100) => ({ Type: 3, Obj: { tag: 3, value: { m_SnapshotId: `00000000-0000-0000-0000-0000000000${String(n).padStart(2, '0')}`, m_tsCreationTimestamp: BigInt(created) } } });
  const compare = (r: unknown[], l: unknown[]) => new Comparison(new VolatileMap(), 'IVssEnumObject').compare({ rgelt: r }, { rgelt: l }).differences;
  // Five copies recorded, the second gone live: one difference, at the recorded index.
  const gone = compare([1, 2, 3, 4, 5].map((n) => copy(n)), [1, 3, 4, 5].map((n) => copy(n)));
  expect(gone.map((d) => [d.path, d.live])).toEqual([['rgelt[1]', '(absent)']]);
  // One copy more live, in the middle: one difference, at the live index.
  const added = compare([1, 2, 4].map((n) => copy(n)), [1, 2, 3, 4].map((n) => copy(n)));
  expect(added.map((d) => [d.path, d.recorded])).toEqual([['rgelt[2]', '(absent)']]);
  // A copy whose creation time changed: paired by position between its equal neighbours, its field named.
  const changed = compare([copy(1), copy(2), copy(3)], [copy(1), copy(2, 999), copy(3)]);
  expect(changed.map((d) => d.path)).toEqual(['rgelt[1].Obj.Snap.m_tsCreationTimestamp']);
  // Two copies swapped: the order difference shows.
  expect(compare([copy(1), copy(2)], [copy(2), copy(1)])).toHaveLength(2);
  // Large lists are paired by position only (bounded work).
  expect(alignArrays(new Array(300).fill(0), new Array(300).fill(0))).toHaveLength(300);
  expect(alignArrays([1, 2], [])).toEqual([{ r: 0 }, { r: 1 }]);
});

test('the mapping is bounded: beyond its limit the oldest pairs are forgotten', () => {
  const map = new VolatileMap(2);
  map.learn('oid', 1n, 11n);
  map.learn('oid', 2n, 12n);
  map.learn('oid', 3n, 13n);
  expect([map.live('oid', 1n), map.live('oid', 2n), map.live('oid', 3n)]).toEqual([1n, 12n, 13n]);
  expect(map.size).toBe(2);
});

test('the volatile table: one row per field name, every kind known; state-changing calls named Interface::Method', () => {
  const names = VOLATILE_FIELDS.map((f) => f.field);
  expect(new Set(names).size).toBe(names.length);
  for (const m of STATE_CHANGING_METHODS) expect(m).toMatch(/^\w+::\w+$/);
  expect(STATE_CHANGING_METHODS).toContain('IVssDifferentialSoftwareSnapshotMgmt::AddDiffArea');
});

test('--ignore: * within a name, ** across names, an optional Interface::Method: before the path', () => {
  const m = ignoreMatcher(['rgelt[*].Obj.Snap.m_ts*', 'IVssEnumMgmtObject::Next:**']);
  expect(m('rgelt[3].Obj.Snap.m_tsCreationTimestamp', 'IVssEnumObject::Next')).toBe(true);
  expect(m('rgelt[3].Obj.Snap.m_SnapshotId', 'IVssEnumObject::Next')).toBe(false);
  expect(m('rgelt.x.Obj.Snap.m_ts', 'IVssEnumObject::Next')).toBe(false);
  expect(m('anything.at.all', 'IVssEnumMgmtObject::Next')).toBe(true);
  expect(m('anything.at.all', 'IVssEnumObject::Next')).toBe(false);
  expect(ignoreMatcher(['hr'])('hr', 'X::Y')).toBe(true);
  expect(ignoreMatcher(['h.'])('hr', 'X::Y')).toBe(false); // a dot is literal
});

test('calls are replayed in the order their requests were sent, numbered per conversation', () => {
  const call = (conversation: number, callId: number, t: bigint | undefined, r?: bigint): DecodedCall => ({ conversation, callId, client: 'c', server: 's', contextId: 0, opnum: 0, protection: 'none', requestTimeNs: t, responseTimeNs: r });
  // Emitted as responses arrive: conversation 2's answer came first.
  const ordered = orderCalls([call(2, 1, 20n), call(1, 1, 10n), call(1, 2, 30n), call(2, 2, undefined, 25n)]);
  expect(ordered.map((o) => [o.index, o.call.conversation, o.call.callId, o.sequence])).toEqual([
    [1, 1, 1, 1],
    [2, 2, 1, 1],
    [3, 2, 2, 2],
    [4, 1, 2, 2],
  ]);
});

test('JUnit XML is well-formed whatever the values hold (parsed by Python’s XML parser): one testcase per call', async () => {
  const report: ReplayReport = {
    summary: { calls: 3, conversations: 1, matched: 1, differed: 1, skipped: 1, failed: 0, notReplayed: 0, differences: 1, ignored: 0 },
    results: [
      { index: 1, conversation: 1, sequence: 1, call: 'A::B', outcome: 'match', differences: [], ignored: 0 },
      { index: 2, conversation: 1, sequence: 2, call: 'A::C', outcome: 'differ', differences: [{ path: 'x', recorded: '"<&>\u0001"', live: "'q'" }], ignored: 0 },
      { index: 3, conversation: 1, sequence: 3, call: 'A::D', outcome: 'skipped', differences: [], ignored: 0, reason: 'changes the host' },
    ],
  };
  const xml = reportJunit(report, 'cap&ture.pcapng');
  const py = `import sys, xml.etree.ElementTree as ET
r = ET.fromstring(sys.stdin.read())
cs = r.findall('./testsuite/testcase')
print(len(cs), r.get('failures'), r.get('skipped'), cs[1].find('failure').text.splitlines()[1])`;
  const child = run(DEBIAN_PYTHON, ['-c', py]);
  child.child.stdin!.end(xml);
  const { stdout } = await child;
  expect(stdout.trim()).toBe(`3 1 1     x: recorded "<&>\\u0001", live 'q'`);
  expect(formatResult(report.results[1]!)).toBe(`conn 1 #2 A::C: DIFFERENT\n    x: recorded "<&>\u0001", live 'q'\n`);
});

test('the command line: usage errors exit 2, the manual has a page', async () => {
  const noTarget = await runScmp(['replay', 'x.pcapng', '--capture-password', 'p']);
  expect([noTarget.code, noTarget.stderr]).toEqual([2, 'scmp: replay needs --target [[domain/]user[:password]@]host (scmp help replay shows how)\n']);
  const twoFiles = await runScmp(['replay', 'a', 'b', '--target', 'u:p@h']);
  expect(twoFiles.code).toBe(2);
  const both = await runScmp(['replay', 'a', '--target', 'u:p@h', '--capture-password', 'x', '--capture-hashes', `:${'0'.repeat(32)}`]);
  expect([both.code, both.stderr]).toEqual([2, 'scmp: --capture-password or --capture-hashes, not both (scmp help replay shows how)\n']);
  const noPassword = await runScmp(['replay', 'a', '--target', 'u@h']);
  expect(noPassword.code).toBe(2);
  expect(noPassword.stderr).toMatch(/no password for the target/);
  const missing = await runScmp(['replay', '/nonexistent/x.pcapng', '--target', 'u:p@h']);
  expect(missing.code).toBe(8);
  const help = await runScmp(['help', 'replay']);
  expect(help.code).toBe(0);
  expect(help.stdout).toMatch(/^Usage: scmp replay CAPTURE --target TARGET/);
  expect(help.stdout).toMatch(/9 replayed,\s+and the answers differ/);
});
