/**
 * Fuzz targets for what reaches the host from files and the admin API (issue 18): the host
 * model file, the state directory's state.json, and admin request bodies. Each input is
 * JSON text; an even `pick` decodes it as the engine mutated it (octets flipped, cut,
 * duplicated), an odd one first replaces random values in it with edge values (a parser of
 * JSON sees mostly broken text from octet mutation; this reaches the field checks behind it).
 * A target may throw only its layer's refusal: HostModelError, StateDirError, BadRequest,
 * StoreError, or validate.ts's TypeError ("host model: …", its way of saying a model is
 * inconsistent). Anything else is a finding.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { BadRequest, Fields } from '../../src/admin/fields.js';
import { ROUTES, type Method } from '../../src/admin/routes.js';
import { DEFAULT_WRITERS as W, defaultHostModel } from '../../src/store/default-host.js';
import { EmulatedHost } from '../../src/store/emulated-host.js';
import { StoreError } from '../../src/store/errors.js';
import { HostStore } from '../../src/store/host-store.js';
import { HostModelError, parseHostModel, serializeHostModel } from '../../src/store/model-file.js';
import { STATE_FILE, StateDirError } from '../../src/store/state-dir.js';
import { prng } from './engine.js';
import type { FuzzTarget } from './targets.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** validate.ts's refusal of an inconsistent model is a TypeError whose message says so. */
const modelTypeError = (e: unknown) => e instanceof TypeError && e.message.startsWith('host model: ');

/** Values that sit on the edges of what the field checks take. */
function edgeValue(r: () => number): Json {
  const deep = (n: number): Json => (n === 0 ? 'x' : [deep(n - 1)]);
  const values: Array<() => Json> = [
    () => null,
    () => true,
    () => 0,
    () => -1,
    () => 1.5,
    () => 2 ** 53,
    () => 1e308,
    () => -0,
    () => '',
    () => 'D:',
    () => 'C:\\',
    () => '../../x',
    () => '\u0000',
    () => 'x'.repeat(70_000),
    () => '18446744073709551616',
    () => '-1',
    () => '20%',
    () => '101%',
    () => '00000000-0000-0000-0000-000000000000',
    () => '{5d4c5d5e-0000-0000-0000-000000000000}',
    () => '2026-13-45T99:99:99Z',
    () => [],
    () => ({}),
    () => JSON.parse('{"__proto__":{"polluted":1}}') as Json,
    () => ({ constructor: 'x', toString: 1 }),
    () => deep(200),
    () => Array.from({ length: 2000 }, () => 0),
  ];
  return values[Math.floor(r() * values.length)]!();
}

/** Every value position in `v`, as a setter, so one can be picked at random. */
function slots(v: Json, out: Array<(x: Json) => void>, depth = 0): Array<(x: Json) => void> {
  if (depth > 40 || v === null || typeof v !== 'object') return out;
  if (Array.isArray(v)) {
    v.forEach((c, i) => {
      out.push((x) => (v[i] = x));
      slots(c, out, depth + 1);
    });
    // Sometimes a new element at the end, or one fewer.
    out.push((x) => v.push(x));
    out.push(() => v.pop());
  } else {
    for (const k of Object.keys(v)) {
      out.push((x) => (v[k] = x));
      out.push(() => delete v[k]);
      slots(v[k]!, out, depth + 1);
    }
    const extra = `extra${out.length % 3}`;
    out.push((x) => (v[extra] = x));
  }
  return out;
}

/**
 * The input as JSON text: as given (even pick), or with edge values put in (odd pick) —
 * into the input, or (pick & 3 = 3) into one of the seeds, since octet mutation leaves
 * little JSON standing for the values to go into.
 */
function textOf(input: Buffer, pick: number, seeds: readonly Buffer[]): string {
  const base = (pick & 3) === 3 && seeds.length > 0 ? seeds[(pick >>> 2) % seeds.length]! : input;
  const text = base.toString('utf8');
  if ((pick & 1) === 0) return text;
  let v: Json;
  try {
    v = JSON.parse(text) as Json;
  } catch {
    return text;
  }
  const r = prng(pick * 0x9e3779b1);
  const rounds = 1 + Math.floor(r() * 4);
  for (let k = 0; k < rounds; k++) {
    const s = slots(v, []);
    if (s.length === 0) break;
    s[Math.floor(r() * s.length)]!(edgeValue(r));
  }
  return JSON.stringify(v);
}

/** The host model file, read as scmpd reads it: fields, then the model's consistency. */
function hostModelTarget(): FuzzTarget {
  const seeds = [Buffer.from(serializeHostModel(defaultHostModel()))];
  return {
    name: 'host-model',
    seeds,
    run(input, pick) {
      const parsed = parseHostModel(textOf(input, pick, seeds));
      new HostStore(parsed.model);
    },
    expected: (e) => e instanceof HostModelError || e instanceof StoreError || modelTypeError(e),
  };
}

/** A real Backup Components Document, as a backup session saves it (the state-file tests use it too). */
export function aDocument(h: EmulatedHost): string {
  const s = h.openSession();
  s.initializeForBackup();
  s.setBackupState({ selectComponents: true, bootableSystemState: false, backupType: 'full', partialFileSupport: false });
  s.gatherWriterMetadata();
  s.addComponent({ writerId: W.sql.id, type: 'database', logicalPath: 'FILESRV01', name: 'Sales' });
  s.startSnapshotSet();
  s.addToSnapshotSet('D:');
  s.prepareForBackup();
  return s.saveAsXml();
}

/**
 * state.json, loaded as a start loads it: the directory opened, the file read and checked,
 * the host built on it. The directory exists only during a run (a worker stopped by the
 * fuzz runner's watchdog leaves nothing behind but, at most, the one of its last input).
 */
function stateFileTarget(): FuzzTarget {
  const dir = join(tmpdir(), `scmp-fuzz-state-${process.pid}-${threadId}`);
  const inDir = <T>(f: () => T): T => {
    mkdirSync(dir, { recursive: true });
    try {
      return f();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const seed = inDir(() => {
    const made = new EmulatedHost(defaultHostModel(), { stateDir: dir });
    made.createShadow('D:', 0x1d);
    made.store.addDiffArea('E:', 'D:', 1024n * 1024n * 1024n);
    made.saveDocument('backup-1', aDocument(made));
    return readFileSync(join(dir, STATE_FILE));
  });
  return {
    name: 'state-file',
    seeds: [seed],
    run(input, pick) {
      inDir(() => {
        writeFileSync(join(dir, STATE_FILE), textOf(input, pick, [seed]));
        new EmulatedHost(defaultHostModel(), { stateDir: dir });
      });
    },
    expected: (e) => e instanceof StateDirError || e instanceof StoreError || modelTypeError(e),
  };
}

/**
 * Admin requests: each input is a list of [method, path, body] run in order on a fresh host
 * through the same route table and body reader as the HTTP server (`$S` in a path is the
 * last session opened). A refusal (400 BadRequest, 404/409 StoreError) ends that request
 * only; the run goes on with the next, so mutated bodies meet every state a session reaches.
 */
function adminBodiesTarget(): FuzzTarget & { lastRefusals: string[] } {
  const doc = aDocument(new EmulatedHost(defaultHostModel()));
  const S = '/api/sessions/$S';
  const seeds: Json[] = [
    [
      ['POST', '/api/shadows', { for: 'D:' }],
      ['POST', '/api/shadows', { for: 'C:', context: 0x19 }],
      ['POST', '/api/shadows/delete', { for: 'D:', oldest: true }],
      ['POST', '/api/shadows/delete', { all: true }],
    ],
    [
      ['POST', '/api/shadowstorage', { for: 'E:', on: 'D:', maxSize: '20%' }],
      ['POST', '/api/shadowstorage/resize', { for: 'E:', on: 'D:', maxSize: 2147483648 }],
      ['POST', '/api/shadowstorage/delete', { for: 'E:' }],
    ],
    [
      ['POST', '/api/sessions', {}],
      ['POST', `${S}/initialize-for-backup`, {}],
      ['POST', `${S}/set-backup-state`, { selectComponents: true, backupType: 'full' }],
      ['POST', `${S}/gather-writer-metadata`, {}],
      ['POST', `${S}/add-component`, { writerId: W.sql.id, type: 'database', logicalPath: 'FILESRV01', name: 'Sales' }],
      ['POST', `${S}/set-backup-options`, { component: { writerId: W.sql.id, type: 'database', logicalPath: 'FILESRV01', name: 'Sales' }, options: 'x' }],
      ['POST', `${S}/start-snapshot-set`, {}],
      ['POST', `${S}/add-to-snapshot-set`, { volume: 'D:' }],
      ['POST', `${S}/prepare-for-backup`, {}],
      ['POST', `${S}/do-snapshot-set`, {}],
      ['POST', `${S}/set-backup-succeeded`, { component: { writerId: W.sql.id, type: 'database', logicalPath: 'FILESRV01', name: 'Sales' }, succeeded: true }],
      ['POST', `${S}/save-document`, { name: 'doc-1' }],
      ['POST', `${S}/backup-complete`, {}],
    ],
    [
      ['PUT', '/api/documents/saved', { xml: doc }],
      ['POST', '/api/sessions', {}],
      ['POST', `${S}/initialize-for-restore`, { document: 'saved' }],
      ['POST', `${S}/gather-writer-metadata`, {}],
      ['POST', `${S}/set-selected-for-restore`, { component: { writerId: W.sql.id, type: 'database', logicalPath: 'FILESRV01', name: 'Sales' }, selected: true }],
      ['POST', `${S}/pre-restore`, {}],
      ['POST', `${S}/set-file-restore-status`, { component: { writerId: W.sql.id, type: 'database', logicalPath: 'FILESRV01', name: 'Sales' }, status: 'all' }],
      ['POST', `${S}/post-restore`, {}],
      ['DELETE', '/api/documents/saved', {}],
      ['POST', '/api/reboot', {}],
    ],
    [
      // Scripted faults: a rule by method with arguments, one by opnum, listed, cleared.
      ['POST', '/api/faults', { interface: 'IVssSnapshotMgmt', method: 'QuerySnapshotsByVolume', args: { pwszVolumeName: 'C:' }, action: 'hresult', status: 'VSS_E_PROVIDER_VETO', count: 2 }],
      ['POST', '/api/faults', { interface: 'IObjectExporter', opnum: 99, action: 'fault', status: 'nca_s_unk_if', probability: 0.5, seed: 7 }],
      ['GET', '/api/faults', {}],
      ['DELETE', '/api/faults', {}],
    ],
  ];
  const refusal = (e: unknown) => e instanceof BadRequest || e instanceof StoreError || e instanceof URIError;
  const target = {
    name: 'admin-bodies',
    seeds: seeds.map((s) => Buffer.from(JSON.stringify(s))),
    /** What the last run's requests were refused with (a seed's must be none). */
    lastRefusals: [] as string[],
    run(input: Buffer, pick: number) {
      target.lastRefusals = [];
      let requests: unknown;
      try {
        requests = JSON.parse(textOf(input, pick, target.seeds));
      } catch (e) {
        throw new BadRequest('(body)', `not JSON: ${(e as Error).message}`);
      }
      if (!Array.isArray(requests)) throw new BadRequest('(body)', 'not a list of requests');
      const host = new EmulatedHost(defaultHostModel());
      let session = '';
      for (const req of requests.slice(0, 64)) {
        if (!Array.isArray(req) || typeof req[0] !== 'string' || typeof req[1] !== 'string') continue;
        const [method, rawPath, body] = req as [Method, string, unknown];
        const path = rawPath.replace('$S', session);
        const match = ROUTES.map((r) => ({ r, m: r.path.exec(path) })).find((x) => x.m !== null && x.r.method === method);
        if (!match) continue;
        try {
          const params = match.m!.slice(1).map((p) => decodeURIComponent(p));
          const result = match.r.handle(host, params, new Fields(body ?? {}), new URLSearchParams());
          // What the server then does with a result: JSON, bigints as strings.
          JSON.stringify(result, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
          if (method === 'POST' && path === '/api/sessions') session = (result as { id: string }).id;
        } catch (e) {
          if (!refusal(e)) throw e;
          target.lastRefusals.push(`${method} ${rawPath}: ${(e as Error).message}`);
        }
      }
    },
    expected: (e: unknown) => e instanceof BadRequest,
  };
  return target;
}

/** The host-side targets (bench/fuzz/all.ts lists them for `npm run fuzz`; test/fuzz/host-files.test.ts runs them in CI). */
export function hostTargets(): FuzzTarget[] {
  return [hostModelTarget(), stateFileTarget(), adminBodiesTarget()];
}
