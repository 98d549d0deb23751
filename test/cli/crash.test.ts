/**
 * Crash safety: scmpd with a state directory is killed with SIGKILL at 200 random moments
 * while a client streams changes through the admin API, and restarted each time. After
 * every restart the state must be valid (scmpd starts from it) and hold every change that
 * was acknowledged; the one change in flight at the kill may be there or not, whole.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { AdminClient } from '../../src/admin/client.js';
import { spawnScmpd } from '../helpers/scmpd.js';

const TOKEN = 'crash-test-token-0123456789';
const KILLS = 200;
const LANES = 2;

interface Expected {
  /** Client-accessible shadow copies of D:\ made by the stream and not deleted. */
  shadows: Set<string>;
  /** D:\'s storage maximum. */
  maximum: string;
  documents: Map<string, string>;
}

type Op = { kind: 'create' } | { kind: 'delete'; id: string } | { kind: 'resize'; maximum: string } | { kind: 'save'; name: string; xml: string } | { kind: 'drop'; name: string };

const clone = (e: Expected): Expected => ({ shadows: new Set(e.shadows), maximum: e.maximum, documents: new Map(e.documents) });

function apply(e: Expected, op: Op, result: any): Expected {
  const n = clone(e);
  if (op.kind === 'create') n.shadows.add(result.id);
  if (op.kind === 'delete') n.shadows.delete(op.id);
  if (op.kind === 'resize') n.maximum = op.maximum;
  if (op.kind === 'save') n.documents.set(op.name, op.xml);
  if (op.kind === 'drop') n.documents.delete(op.name);
  return n;
}

const MAXIMA = [String(200n << 30n), String(250n << 30n), String(300n << 30n)];
const XML = (i: number) => `<?xml version="1.0"?>\n<BACKUP_COMPONENTS xmlns="x-schema:#VssComponentMetadata" version="1.2" bootableSystemStateBackup="no" selectComponents="yes" backupType="full" partialFileSupport="no" context="${i}"/>\n`;

function nextOp(e: Expected, rnd: () => number, i: number): Op {
  const r = rnd();
  if (r < 0.35) return e.shadows.size < 4 ? { kind: 'create' } : { kind: 'delete', id: [...e.shadows][Math.floor(rnd() * e.shadows.size)]! };
  if (r < 0.5 && e.shadows.size > 0) return { kind: 'delete', id: [...e.shadows][Math.floor(rnd() * e.shadows.size)]! };
  if (r < 0.7) return { kind: 'resize', maximum: MAXIMA[Math.floor(rnd() * MAXIMA.length)]! };
  if (r < 0.9 || e.documents.size === 0) return { kind: 'save', name: `doc${Math.floor(rnd() * 3)}`, xml: XML(i) };
  return { kind: 'drop', name: [...e.documents.keys()][0]! };
}

function request(op: Op): { method: string; path: string; body?: unknown } {
  switch (op.kind) {
    case 'create':
      return { method: 'POST', path: '/api/shadows', body: { for: 'D:' } };
    case 'delete':
      return { method: 'POST', path: '/api/shadows/delete', body: { shadow: op.id } };
    case 'resize':
      return { method: 'POST', path: '/api/shadowstorage/resize', body: { for: 'D:', on: 'C:\\mnt\\archive', maxSize: op.maximum } };
    case 'save':
      return { method: 'PUT', path: `/api/documents/${op.name}`, body: { xml: op.xml } };
    case 'drop':
      return { method: 'DELETE', path: `/api/documents/${op.name}` };
  }
}

function startScmpd(stateDir: string, tokenFile: string): Promise<{ child: ChildProcess; admin: AdminClient }> {
  return spawnScmpd(['--admin-port', '0', '--state-dir', stateDir, '--admin-token-file', tokenFile]).then((s) => ({ child: s.child, admin: new AdminClient(s.adminUrl!, TOKEN) }));
}

/** The host as the API shows it, in the terms the stream changes. */
async function observe(admin: AdminClient, initial: Set<string>): Promise<Expected> {
  const h = await admin.ok('GET', '/api/host');
  const documents = new Map<string, string>();
  for (const name of h.documents as string[]) documents.set(name, (await admin.ok('GET', `/api/documents/${name}`)).xml);
  return {
    shadows: new Set((h.snapshots as any[]).filter((s) => !initial.has(s.id) && s.volume === h.volumes[1].mountName).map((s) => s.id)),
    maximum: (h.diffAreas as any[]).find((d) => d.volume === h.volumes[1].mountName).maximumBytes,
    documents,
  };
}

const same = (a: Expected, b: Expected) =>
  a.maximum === b.maximum && a.shadows.size === b.shadows.size && [...a.shadows].every((s) => b.shadows.has(s)) && JSON.stringify([...a.documents].sort()) === JSON.stringify([...b.documents].sort());

async function lane(seed: number, kills: number): Promise<{ acknowledged: number; inFlightKept: number; inFlightLost: number }> {
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648), s / 2147483648);
  const dir = mkdtempSync(join(tmpdir(), 'scmp-crash-'));
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, TOKEN);
  const stateDir = join(dir, 'state');
  let { child, admin } = await startScmpd(stateDir, tokenFile);
  const initialHost = await admin.ok('GET', '/api/host');
  const initial = new Set<string>((initialHost.snapshots as any[]).map((x) => x.id));
  let acked: Expected = { shadows: new Set(), maximum: String(200n << 30n), documents: new Map() };
  const counts = { acknowledged: 0, inFlightKept: 0, inFlightLost: 0 };
  let i = 0;
  try {
    for (let k = 0; k < kills; k++) {
      // Stream changes one after another until the server dies; the kill lands at a random
      // moment after at least one change of this round was acknowledged, so however slow
      // the machine, every round both acknowledges a change and kills one in flight.
      const delay = Math.floor(rnd() * 40);
      let inFlight: { op: Op; after?: Expected } | undefined;
      let firstAck!: () => void;
      const acknowledgedOne = new Promise<void>((resolve) => (firstAck = resolve));
      const killed = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      const stream = (async () => {
        for (;;) {
          const op = nextOp(acked, rnd, i++);
          inFlight = { op };
          const r = request(op);
          let result: any;
          try {
            result = await admin.ok(r.method, r.path, r.body);
          } catch {
            firstAck();
            return; // the server died under this change
          }
          acked = apply(acked, op, result);
          counts.acknowledged++;
          inFlight = undefined;
          firstAck();
        }
      })();
      await Promise.all([acknowledgedOne, new Promise((r) => setTimeout(r, delay))]);
      child.kill('SIGKILL');
      await killed;
      await stream;
      ({ child, admin } = await startScmpd(stateDir, tokenFile));
      const seen = await observe(admin, initial);
      if (same(seen, acked)) {
        if (inFlight) counts.inFlightLost++;
      } else {
        // Only the change in flight may differ, and then wholly applied: a create's id is
        // unknown to the client, so any one new shadow copy stands for it.
        expect(inFlight, `kill ${k}: state differs from the acknowledged one with nothing in flight`).toBeDefined();
        const op = inFlight!.op;
        const expected = op.kind === 'create' ? apply(acked, op, { id: [...seen.shadows].find((x) => !acked.shadows.has(x)) }) : apply(acked, op, {});
        expect(same(seen, expected), `kill ${k}: ${JSON.stringify({ op, seen: [...seen.shadows], acked: [...acked.shadows] })}`).toBe(true);
        acked = expected;
        counts.inFlightKept++;
      }
    }
  } finally {
    // Never leave a server or a folder behind, whatever failed.
    child.kill('SIGKILL');
    await new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
    rmSync(dir, { recursive: true, force: true });
  }
  return counts;
}

test(`SIGKILL at ${KILLS} random moments during a stream of acknowledged changes: every restart finds a valid state holding every acknowledged change`, async () => {
  const results = await Promise.all(Array.from({ length: LANES }, (_, i) => lane(20261122 + i, KILLS / LANES)));
  const total = results.reduce((a, r) => ({ acknowledged: a.acknowledged + r.acknowledged, inFlightKept: a.inFlightKept + r.inFlightKept, inFlightLost: a.inFlightLost + r.inFlightLost }));
  process.stdout.write(`crash test: ${JSON.stringify(total)}\n`);
  // The stream really ran (each round acknowledged a change), and kills really landed on
  // changes in flight.
  expect(total.acknowledged).toBeGreaterThanOrEqual(KILLS);
  expect(total.inFlightKept + total.inFlightLost).toBeGreaterThan(KILLS / 2);
}, 300_000);
