/**
 * `scmp replay` against scmpd, judged on real sessions: impacket runs every MS-SCMP method and
 * walks every enumerator at packet privacy (impacket_scmp.py), recorded at once by scmpd
 * (--capture) and by tshark on the loopback interface. Each capture is replayed against a
 * fresh scmpd: on the same host model nothing differs; on a host model with one shadow copy
 * fewer and one storage maximum changed, exactly those differences show, with their paths.
 * Wrong password, no host, an account that may not activate: clear errors, partial reports.
 */
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { defaultHostModel } from '../../src/store/default-host.js';
import { serializeHostModel } from '../../src/store/model-file.js';
import { DEBIAN_PYTHON, runPython } from '../helpers/python.js';
import { runScmp } from '../helpers/scmp-cli.js';
import { spawnScmpd } from '../helpers/scmpd.js';
import { startCapture } from '../helpers/tshark.js';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('./impacket_scmp.py', import.meta.url));
const PASSWORD = 'Wonder-Land-1';
const ACCOUNTS = ['--account', `alice:${PASSWORD}:admin`, '--account', 'bob:Builder-1:user'];
const dir = mkdtempSync(join(tmpdir(), 'scmp-replay-'));
const ours = join(dir, 'scmpd.pcapng');
const changedModel = join(dir, 'changed.json');
let theirs: string;
let impacket: any;

/** The default host, less its last shadow copy (on D:), D:'s storage maximum halved. */
const model = JSON.parse(serializeHostModel(defaultHostModel()));
const removed = model.snapshots.pop();
const storage = model.diffAreas[0];
const oldMaximum = String(storage.maximumBytes);
storage.maximumBytes = String(BigInt(oldMaximum) / 2n);

beforeAll(async () => {
  writeFileSync(changedModel, JSON.stringify(model));
  const server = await spawnScmpd([...ACCOUNTS, '--no-admin', '--capture', ours]);
  try {
    const tshark = await startCapture([server.port, server.objectPort]);
    impacket = await runPython(SCRIPT, ['127.0.0.1', String(server.port), 'alice', PASSWORD]);
    await tshark.stop();
    theirs = tshark.file;
  } finally {
    server.child.kill('SIGTERM');
    if (server.child.exitCode === null) await once(server.child, 'exit');
  }
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Report {
  summary: Record<string, number>;
  fatal: { kind: string; message: string } | null;
  calls: Array<{ index: number; conversation: number; sequence: number; call: string; outcome: string; differences: Array<{ path: string; recorded: string; live: string }>; ignored: number; reason?: string; dependsOn?: string[] }>;
}

/** Replays `file` against a fresh scmpd (started with `scmpdArgs`) as `target`; the JSON report. */
async function replayAgainst(file: string, args: string[], scmpdArgs: string[] = [], target = `alice:${PASSWORD}`) {
  const server = await spawnScmpd([...ACCOUNTS, '--no-admin', ...scmpdArgs]);
  try {
    const r = await runScmp(['replay', file, '--target', `${target}@127.0.0.1`, '--port', String(server.port), '--capture-password', PASSWORD, '--json', ...args]);
    const report = JSON.parse(r.stdout) as Report;
    return { ...r, report };
  } finally {
    server.child.kill('SIGTERM');
    if (server.child.exitCode === null) await once(server.child, 'exit');
  }
}

const MS_SCMP_METHODS = [
  'IVssSnapshotMgmt::GetProviderMgmtInterface',
  'IVssSnapshotMgmt::QueryVolumesSupportedForSnapshots',
  'IVssSnapshotMgmt::QuerySnapshotsByVolume',
  'IVssDifferentialSoftwareSnapshotMgmt::AddDiffArea',
  'IVssDifferentialSoftwareSnapshotMgmt::ChangeDiffAreaMaximumSize',
  'IVssDifferentialSoftwareSnapshotMgmt::QueryVolumesSupportedForDiffAreas',
  'IVssDifferentialSoftwareSnapshotMgmt::QueryDiffAreasForVolume',
  'IVssDifferentialSoftwareSnapshotMgmt::QueryDiffAreasOnVolume',
  'IVssEnumObject::Next',
  'IVssEnumObject::Skip',
  'IVssEnumObject::Reset',
  'IVssEnumObject::Clone',
  'IVssEnumMgmtObject::Next',
  'IVssEnumMgmtObject::Skip',
  'IVssEnumMgmtObject::Reset',
  'IVssEnumMgmtObject::Clone',
];
const CHANGES = /::(AddDiffArea|ChangeDiffAreaMaximumSize)$/;

let same: Awaited<ReturnType<typeof replayAgainst>>;
const junit = join(dir, 'replay.xml');

test('replayed against a fresh scmpd on the same host model (changes allowed): every call answers as recorded, exit 0', async () => {
  expect(impacket.activated).toBe(true);
  same = await replayAgainst(ours, ['--allow-changes', '--junit', junit]);
  expect(same.code, same.stderr).toBe(0);
  const { summary, calls } = same.report;
  expect(calls.filter((c) => c.outcome !== 'match')).toEqual([]);
  expect(summary).toMatchObject({ differences: 0, differed: 0, failed: 0, skipped: 0, notReplayed: 0, conversations: 2 });
  expect(summary.calls).toBe(impacket.calls + 1); // and the activation
  const names = new Set(calls.map((c) => c.call));
  for (const m of MS_SCMP_METHODS) expect(names, m).toContain(m);
  expect(calls[0]!.call).toBe('IRemoteSCMActivator::RemoteCreateInstance');
  expect(calls.filter((c) => CHANGES.test(c.call)).length).toBeGreaterThan(4);
});

test('--junit: well-formed JUnit XML (read by Python’s XML parser), one test case per recorded call, none failing', async () => {
  const py = `import sys, xml.etree.ElementTree as ET
r = ET.parse(sys.argv[1]).getroot()
cases = r.findall('./testsuite/testcase')
print(r.tag, r.get('tests'), r.get('failures'), r.get('errors'), len(cases), sum(1 for c in cases if len(c)))`;
  const { stdout } = await run(DEBIAN_PYTHON, ['-c', py, junit]);
  const n = same.report.calls.length;
  expect(stdout.trim()).toBe(`testsuites ${n} 0 0 ${n} 0`);
});

test('tshark’s capture of the same session replays the same, call for call', async () => {
  const r = await replayAgainst(theirs, ['--allow-changes']);
  expect(r.code, r.stderr).toBe(0);
  const view = (rep: Report) => rep.calls.map((c) => [c.sequence, c.call, c.outcome]);
  expect(view(r.report)).toEqual(view(same.report));
});

test('against a host with one shadow copy fewer and one storage maximum changed: exactly those differences, with their field paths', async () => {
  const r = await replayAgainst(ours, ['--allow-changes'], ['--host-model', changedModel]);
  expect(r.code, r.stderr).toBe(9);
  const diffs = r.report.calls.flatMap((c) => c.differences.map((d) => ({ call: c.call, ...d })));
  expect(diffs.length).toBeGreaterThan(0);
  const id = `{${String(removed.id).toUpperCase()}}`;
  for (const d of diffs) {
    if (/^rgelt\[\d+\]$/.test(d.path)) {
      // The shadow copy that is gone: recorded, absent live.
      expect(d.call).toBe('IVssEnumObject::Next');
      expect(d.recorded).toContain(id);
      expect(d.live).toBe('(absent)');
    } else if (d.path === 'pceltFetched') {
      expect(d.call).toBe('IVssEnumObject::Next');
      expect(Number(d.live)).toBe(Number(d.recorded) - 1);
    } else if (d.path === 'rgelt[0].Obj.DiffArea.m_llMaximumDiffSpace') {
      expect(d.call).toBe('IVssEnumMgmtObject::Next');
      expect([d.recorded, d.live]).toEqual([oldMaximum, storage.maximumBytes]);
    } else {
      // D:'s storage holds the removed copy's differences: its used and allocated space shrink.
      expect(d.path).toMatch(/^rgelt\[0\]\.Obj\.DiffArea\.m_ll(Used|Allocated)DiffSpace$/);
      expect(BigInt(d.live)).toBeLessThan(BigInt(d.recorded));
    }
  }
  const paths = new Set(diffs.map((d) => d.path.replace(/^rgelt\[\d+\]$/, 'rgelt[N]')));
  expect(paths).toEqual(new Set(['rgelt[N]', 'pceltFetched', 'rgelt[0].Obj.DiffArea.m_llMaximumDiffSpace', 'rgelt[0].Obj.DiffArea.m_llUsedDiffSpace', 'rgelt[0].Obj.DiffArea.m_llAllocatedDiffSpace']));
  // Every enumeration of D:'s shadow copies that reached the removed one says so.
  expect(diffs.filter((d) => /^rgelt\[\d+\]$/.test(d.path)).length).toBe(diffs.filter((d) => d.path === 'pceltFetched').length);

}, 60_000);

test('--ignore takes globs over field paths; text names the call, the path and both values', async () => {
  const server = await spawnScmpd([...ACCOUNTS, '--no-admin', '--host-model', changedModel]);
  try {
    const base = ['replay', ours, '--target', `alice:${PASSWORD}@127.0.0.1`, '--port', String(server.port), '--capture-password', PASSWORD, '--allow-changes'];
    const text = await runScmp(base);
    expect(text.code).toBe(9);
    expect(text.stdout).toMatch(/^conn 2 #\d+ IVssEnumMgmtObject::Next: DIFFERENT\n {4}rgelt\[0\]\.Obj\.DiffArea\.m_llMaximumDiffSpace: recorded \d+, live \d+$/m);
    expect(text.stdout).toMatch(/^conn 1 #1 IRemoteSCMActivator::RemoteCreateInstance: same$/m);
    expect(text.stdout).toMatch(/^\d+ calls in 2 connections: \d+ same, \d+ different, 0 skipped, 0 failed, 0 not replayed; \d+ differences$/m);
    const ignored = await runScmp([...base, '--json', '--ignore', 'rgelt[*].Obj.DiffArea.m_ll*DiffSpace', '--ignore', 'IVssEnumObject::Next:**']);
    expect(ignored.code, ignored.stderr).toBe(0);
    const rep = JSON.parse(ignored.stdout) as Report;
    expect(rep.summary.differences).toBe(0);
    expect(rep.summary.ignored).toBeGreaterThan(3);
  } finally {
    server.child.kill('SIGTERM');
    if (server.child.exitCode === null) await once(server.child, 'exit');
  }
}, 60_000);

test('--stop-on-first: the replay stops after the first call that differs, the rest listed as not replayed', async () => {
  const r = await replayAgainst(ours, ['--allow-changes', '--stop-on-first'], ['--host-model', changedModel]);
  expect(r.code).toBe(9);
  const calls = r.report.calls;
  const first = calls.findIndex((c) => c.outcome === 'differ');
  expect(first).toBeGreaterThan(0);
  expect(calls.slice(0, first).every((c) => c.outcome === 'match')).toBe(true);
  expect(calls.slice(first + 1).every((c) => c.outcome === 'not-replayed' && /--stop-on-first/.test(c.reason ?? ''))).toBe(true);
  expect(calls.length).toBe(same.report.calls.length);
});

test('--auth-type ntlm --auth-level integrity override what was recorded: every answer the same but the activation’s authentication hint, which follows the level', async () => {
  const r = await replayAgainst(ours, ['--allow-changes', '--auth-type', 'ntlm', '--auth-level', 'integrity']);
  expect(r.code, r.stderr).toBe(9);
  const diffs = r.report.calls.flatMap((c) => c.differences.map((d) => ({ call: c.call, ...d })));
  // MS-DCOM 2.2.22.2.8: authnHint is the level the client activated at (6 privacy, 5 integrity).
  expect(diffs).toEqual([{ call: 'IRemoteSCMActivator::RemoteCreateInstance', path: 'ppActProperties.ActivationProperties.ScmReplyInfoData.authnHint', recorded: '6', live: '5' }]);
  expect(r.report.summary.matched).toBe(same.report.calls.length - 1);
});

test('without --allow-changes: AddDiffArea and ChangeDiffAreaMaximumSize are skipped, and the answers that differ after them say they may depend on them', async () => {
  const r = await replayAgainst(ours, []);
  expect(r.code).toBe(9);
  const calls = r.report.calls;
  const skipped = calls.filter((c) => c.outcome === 'skipped');
  expect(skipped.map((c) => c.call)).toEqual(calls.filter((c) => CHANGES.test(c.call)).map((c) => c.call));
  expect(skipped.length).toBe(same.report.calls.filter((c) => CHANGES.test(c.call)).length);
  const firstSkip = skipped[0]!.index;
  const differing = calls.filter((c) => c.outcome === 'differ');
  expect(differing.length).toBeGreaterThan(0);
  for (const c of differing) {
    expect(c.index).toBeGreaterThan(firstSkip); // nothing before the first skipped change differs
    expect(c.dependsOn?.[0]).toMatch(/^conn 2 #\d+ (AddDiffArea|ChangeDiffAreaMaximumSize)$/);
  }
  expect(r.report.summary.skipped).toBe(skipped.length);
});

test('a wrong password: the logon is refused at the first call, exit 7, the report says which calls were not replayed', async () => {
  const r = await replayAgainst(ours, ['--allow-changes'], [], 'alice:not-the-password');
  expect(r.code).toBe(7);
  expect(r.stderr).toMatch(/refused the credentials of alice/);
  expect(r.report.fatal?.kind).toBe('logon');
  expect(r.report.calls[0]).toMatchObject({ outcome: 'failed', call: 'IRemoteSCMActivator::RemoteCreateInstance' });
  expect(r.report.calls.slice(1).every((c) => c.outcome === 'not-replayed' && /refused the credentials/.test(c.reason ?? ''))).toBe(true);
  expect(r.report.summary.calls).toBe(same.report.calls.length);
});

test('an unreachable target: exit 6, a clear error, every call listed as not replayed', async () => {
  // A port nothing listens on: scmpd's own, once it has stopped.
  const server = await spawnScmpd([...ACCOUNTS, '--no-admin']);
  server.child.kill('SIGTERM');
  await once(server.child, 'exit');
  const r = await runScmp(['replay', ours, '--target', `alice:${PASSWORD}@127.0.0.1`, '--port', String(server.port), '--capture-password', PASSWORD, '--json']);
  expect(r.code).toBe(6);
  expect(r.stderr).toMatch(new RegExp(`cannot reach 127\\.0\\.0\\.1:${server.port}: .*ECONNREFUSED`));
  const rep = JSON.parse(r.stdout) as Report;
  expect(rep.fatal?.kind).toBe('connection');
  expect(rep.summary.failed + rep.summary.notReplayed).toBe(rep.summary.calls);
});

test('an account the target does not let activate: exit 4, the activation’s difference by name, the object calls not replayed', async () => {
  const r = await replayAgainst(ours, ['--allow-changes'], [], 'bob:Builder-1');
  expect(r.code).toBe(4);
  expect(r.stderr).toMatch(/refused the activation .*E_ACCESSDENIED/);
  const [activation, ...rest] = r.report.calls;
  expect(activation!.outcome).toBe('differ');
  expect(activation!.differences).toContainEqual({ path: 'hr', recorded: 'S_OK (0x00000000)', live: 'E_ACCESSDENIED (0x80070005)' });
  expect(rest.every((c) => c.outcome === 'not-replayed' && /refused the activation/.test(c.reason ?? ''))).toBe(true);
});

test('a capture without its password cannot be replayed: exit 8, nothing sent', async () => {
  const r = await runScmp(['replay', ours, '--target', `alice:${PASSWORD}@127.0.0.1`, '--port', '9']);
  expect(r.code, r.stderr).toBe(8);
  expect(r.stderr).toMatch(/could not be verified or decrypted .*--capture-password/);
  expect(readFileSync(ours).length).toBeGreaterThan(0);
});
