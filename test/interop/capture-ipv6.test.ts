/**
 * scmpd --capture over IPv6: scmpd listens on ::1 only, our MS-SCMP client activates and
 * enumerates there at NTLM packet privacy (activation on the endpoint mapper, calls on the
 * object exporter, both reached over ::1), and tshark, an independent reader, finds the
 * capture's frames all IPv6 with good checksums, no malformed frame and no expert error, and
 * with the password reads the sealed requests in clear. The keys file names both ends in
 * the bracketed form, [::1]:port.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { ScmpClient } from '../../src/client/index.js';
import { requirePackage } from '../helpers/prerequisites.js';
import { dissectFrames, type DissectedFrame } from '../helpers/smbtorture.js';

const run = promisify(execFile);
const SCMPD = fileURLToPath(new URL('../../dist/src/cli/scmpd.js', import.meta.url));
const PASSWORD = 'Wonder-Land-1';
const dir = mkdtempSync(join(tmpdir(), 'scmp-capture-v6-'));
const file = join(dir, 'v6.pcapng');
const keysFile = join(dir, 'keys.jsonl');
const decrypt = ['-o', `ntlmssp.nt_password:${PASSWORD}`];

let child: ChildProcess;
let port: number;
let objectPort: number;
let volumes: string[];
let copies: number;
let frames: DissectedFrame[];

async function stop(): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  await exited;
}

afterAll(async () => {
  await stop();
  rmSync(dir, { recursive: true, force: true });
});

beforeAll(async () => {
  requirePackage('tshark');
  child = spawn(process.execPath, [SCMPD, '--listen', '::1', '--port', '0', '--no-admin', '--in-memory', '--log-level', 'error', '--account', `alice:${PASSWORD}:admin`, '--capture', file, '--capture-keys', keysFile], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  [port, objectPort] = await new Promise<[number, number]>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /\[::1\]:(\d+) \(epmap\), \[::1\]:(\d+) \(object-exporter\)/.exec(out);
      if (m) resolve([Number(m[1]), Number(m[2])]);
    });
    child.once('exit', (code) => reject(new Error(`scmpd exited with ${code} before listening on ::1`)));
  });
  const c = await ScmpClient.connect({ host: '::1', port, user: 'alice', password: PASSWORD, authType: 'ntlm', authLevel: 'privacy', pingPeriodMs: 0, timeoutMs: 10_000 });
  try {
    volumes = [];
    for await (const v of c.queryVolumesSupportedForSnapshots()) volumes.push(v.name);
    copies = 0;
    // Every volume's shadow copies, as `scmp list shadows` asks for them.
    for (const v of volumes) for await (const _ of c.querySnapshotsByVolume(v)) copies++;
  } finally {
    await c.close();
  }
  await stop(); // the capture is closed on the way out
  frames = await dissectFrames(file, [port, objectPort], decrypt);
}, 120_000);

test('the client was served over ::1 (activation, then the exporter reached there)', () => {
  expect(volumes.length).toBeGreaterThan(0);
  expect(copies).toBeGreaterThan(0);
});

test('every frame is IPv6 between ::1 and ::1 with good IP and TCP checksums, on both ports', async () => {
  const { stdout } = await run('tshark', ['-r', file, '-o', 'tcp.check_checksum:TRUE', '-T', 'fields', '-E', 'separator=,', '-e', 'ip.src', '-e', 'ipv6.src', '-e', 'ipv6.dst', '-e', 'tcp.srcport', '-e', 'tcp.checksum.status']);
  const rows = stdout.split('\n').filter(Boolean).map((r) => r.split(','));
  expect(rows.length).toBeGreaterThan(20);
  expect(rows.filter(([ip4, src, dst]) => ip4 !== '' || src !== '::1' || dst !== '::1')).toEqual([]);
  expect(rows.filter((r) => r[4] !== '1')).toEqual([]); // 1: the checksum is good
  const ports = new Set(rows.map((r) => Number(r[3])));
  expect(ports.has(port) && ports.has(objectPort)).toBe(true);
});

test('no malformed frame and no expert error, without the password and with it', async () => {
  const bad = (f: DissectedFrame) => f.malformed || f.expertError;
  const plain = await dissectFrames(file, [port, objectPort]);
  expect(plain.filter(bad).map((f) => `${f.frame} ${f.info}`)).toEqual([]);
  expect(frames.filter(bad).map((f) => `${f.frame} ${f.info}`)).toEqual([]);
});

test('with the password the sealed MS-SCMP requests read in clear (ORPCTHIS 5.7 first)', async () => {
  const { stdout } = await run(
    'tshark',
    ['-r', file, '-d', `tcp.port==${objectPort},dcerpc`, ...decrypt, '-Y', `tcp.dstport==${objectPort} && dcerpc.pkt_type==0 && dcerpc.auth_level==6`, '-T', 'fields', '-E', 'separator=:', '-E', 'occurrence=f', '-e', 'dcerpc.opnum', '-e', 'dcerpc.decrypted_stub_data'],
    { maxBuffer: 64 << 20 },
  );
  const clear = stdout.split('\n').filter((l) => /^\d+:05000700/.test(l));
  expect(clear.length).toBeGreaterThan(2);
  const opnums = new Set(clear.map((l) => Number(l.split(':')[0])));
  // QueryVolumesSupportedForSnapshots (4), QuerySnapshotsByVolume (5) and the enumerators' Next (3).
  expect([4, 5, 3].every((o) => opnums.has(o))).toBe(true);
});

test('the keys file names both ends of each NTLM context as [::1]:port', () => {
  const lines = readFileSync(keysFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  expect(lines.length).toBeGreaterThanOrEqual(2); // the activation and the exporter session
  for (const l of lines) {
    expect(l.client).toMatch(/^\[::1\]:\d+$/);
    expect(l.server).toBe(`[::1]:${l.endpoint === 'epmap' ? port : objectPort}`);
    expect(l).toMatchObject({ authType: 10, authLevel: 6, exportedSessionKey: expect.stringMatching(/^[0-9a-f]{32}$/) });
  }
});
