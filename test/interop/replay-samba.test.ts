/**
 * `scmp replay` of a Samba client's session, recorded by tshark: smbtorture's endpoint-mapper
 * and OXID-resolver tests (sealed, SPNEGO) against scmpd on 127.0.0.137:135 (an address no other test listens on) — Samba's client
 * reaches port 135 only — then the capture replayed against a fresh scmpd there. Without
 * --allow-changes the mapper's registrations (ept_insert, ept_delete) are skipped; with it,
 * every call is replayed and compared.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { runScmp } from '../helpers/scmp-cli.js';
import { scmpdOn, smbtorture, type TortureRun } from '../helpers/smbtorture.js';
import { startCapture } from '../helpers/tshark.js';

const ADDRESS = '127.0.0.137';
const PORT = 135;
const PASSWORD = 'Wonder-Land-1';
const ACCOUNT = ['--account', `Administrator:${PASSWORD}:admin`];
let file: string;
let torture: TortureRun;

beforeAll(async () => {
  const server = await scmpdOn(ADDRESS, PORT, ACCOUNT);
  try {
    const tshark = await startCapture([PORT, server.objectPort], ADDRESS);
    torture = await smbtorture([`ncacn_ip_tcp:${ADDRESS}[seal,spnego]`, '-U', `Administrator%${PASSWORD}`, 'rpc.epmapper', 'rpc.oxidresolve.oxidresolver.ServerAlive2']);
    await tshark.stop();
    file = tshark.file;
  } finally {
    await server.stop();
  }
}, 180_000);

interface Report {
  summary: Record<string, number>;
  fatal: unknown;
  calls: Array<{ call: string; outcome: string; differences: Array<{ path: string; recorded: string; live: string }>; reason?: string }>;
}

async function replay(args: string[]): Promise<{ code: number | null; stderr: string; report: Report }> {
  const server = await scmpdOn(ADDRESS, PORT, ACCOUNT);
  try {
    const r = await runScmp(['replay', file, '--target', `Administrator:${PASSWORD}@${ADDRESS}`, '--capture-password', PASSWORD, '--json', ...args]);
    return { code: r.code, stderr: r.stderr, report: JSON.parse(r.stdout) as Report };
  } finally {
    await server.stop();
  }
}

const CHANGES = /^epm::ept_(insert|delete)$/;

test('the Samba session was served and recorded', () => {
  expect(torture.results.get('oxidresolver.ServerAlive2')?.outcome).toBe('success');
  expect(torture.results.get('epmapper.Map_simple')?.outcome).toBe('success');
});

test('replayed with --allow-changes against a fresh scmpd: every call of Samba’s client answers as recorded', async () => {
  const r = await replay(['--allow-changes']);
  const off = r.report.calls.filter((c) => c.outcome !== 'match');
  expect(off, r.stderr).toEqual([]);
  expect(r.code).toBe(0);
  const names = new Set(r.report.calls.map((c) => c.call));
  for (const m of ['epm::ept_map', 'epm::ept_lookup', 'epm::ept_insert', 'IObjectExporter::ServerAlive2']) expect(names).toContain(m);
  expect(r.report.summary.calls).toBeGreaterThan(10);
}, 60_000);

test('without --allow-changes the registrations are skipped, the rest replayed', async () => {
  const r = await replay([]);
  const skipped = r.report.calls.filter((c) => c.outcome === 'skipped');
  expect(skipped.length).toBeGreaterThan(0);
  expect(skipped.every((c) => CHANGES.test(c.call))).toBe(true);
  expect(r.report.calls.filter((c) => CHANGES.test(c.call)).every((c) => c.outcome === 'skipped')).toBe(true);
  expect(r.report.calls.some((c) => c.call === 'IObjectExporter::ServerAlive2' && c.outcome === 'match')).toBe(true);
}, 60_000);
