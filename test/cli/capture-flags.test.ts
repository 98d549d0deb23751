/**
 * scmpd's --capture flags: parsed with the sizes scmp takes elsewhere, refused with a
 * message when they cannot work, and a capture path that cannot be written stops the start
 * (exit 2) rather than serving without the capture asked for. A started scmpd with --capture
 * writes a pcapng that ends on a whole block after SIGTERM.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { UsageError, parseArgs } from '../../src/cli/args.js';
import { runScmpd, spawnScmpd } from '../helpers/scmpd.js';
import { startScmp } from '../../src/app.js';
import { silentLogger } from '../../src/log.js';
import { defaultHostModel } from '../../src/store/default-host.js';
import { serializeHostModel } from '../../src/store/model-file.js';

const dir = mkdtempSync(join(tmpdir(), 'scmp-capture-flags-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('the flags, with sizes in bytes or KB/MB/GB (1024-based)', () => {
  const a = parseArgs(['--capture', 'c.pcapng', '--capture-max-bytes', '10MB', '--capture-total-bytes=1GB', '--capture-keys', 'k']);
  expect([a.capture, a.captureMaxBytes, a.captureTotalBytes, a.captureKeys]).toEqual(['c.pcapng', 10 * 1024 * 1024, 1024 ** 3, 'k']);
  expect(parseArgs(['--capture', 'c', '--capture-max-bytes', '200000']).captureMaxBytes).toBe(200_000);
  const b = parseArgs([]);
  expect([b.capture, b.captureMaxBytes, b.captureTotalBytes, b.captureKeys]).toEqual([undefined, undefined, undefined, undefined]);
});

test('sizes that cannot hold a file, sizes that are no size, keys without a capture: usage errors', () => {
  expect(() => parseArgs(['--capture', 'c', '--capture-max-bytes', '100'])).toThrow(/--capture-max-bytes must be at least \d+ bytes/);
  expect(() => parseArgs(['--capture', 'c', '--capture-total-bytes', 'lots'])).toThrow(UsageError);
  expect(() => parseArgs(['--capture', 'c', '--capture-total-bytes', '20%'])).toThrow(/not a number of bytes/);
  expect(() => parseArgs(['--capture-keys', 'k'])).toThrow(/--capture-keys goes with --capture/);
  expect(() => parseArgs(['--capture', ''])).toThrow(/--capture needs a file/);
});

test('a capture path that cannot be opened stops the start with exit 2 and one line', async () => {
  const { exited } = runScmpd(['--listen', '127.0.0.1', '--port', '0', '--no-admin', '--capture', join(dir, 'missing', 'c.pcapng')]);
  const r = await exited;
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/^scmpd: --capture: .*ENOENT/m);
});

test('scmpd --capture: a connection is recorded, and after SIGTERM the file ends on a whole block', async () => {
  const file = join(dir, 'one.pcapng');
  const s = await spawnScmpd(['--no-admin', '--capture', file]);
  await new Promise<void>((resolve, reject) => {
    const c = net.connect({ host: '127.0.0.1', port: s.port }, () => c.end());
    c.on('error', reject);
    c.on('close', () => resolve());
  });
  const exited = new Promise((r) => s.child.once('exit', r));
  s.child.kill('SIGTERM');
  expect(await exited).toBe(0);
  const b = readFileSync(file);
  const types: number[] = [];
  for (let off = 0; off < b.length; off += b.readUInt32LE(off + 4)) types.push(b.readUInt32LE(off));
  // SHB, IDB, then SYN, SYN-ACK, ACK, FIN, FIN, ACK.
  expect(types).toEqual([0x0a0d0d0a, 1, 6, 6, 6, 6, 6, 6]);
});

/** The block types of a pcapng file, in order. */
function blockTypes(file: string): number[] {
  const b = readFileSync(file);
  const types: number[] = [];
  for (let off = 0; off < b.length; off += b.readUInt32LE(off + 4)) types.push(b.readUInt32LE(off));
  return types;
}

async function oneConnection(port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const c = net.connect({ host: '127.0.0.1', port }, () => c.end());
    c.on('error', reject);
    c.on('close', () => resolve());
  });
}

test('the host model’s capture records as --capture does; a flag overrides it; a bad capture field is named', async () => {
  const model = JSON.parse(serializeHostModel(defaultHostModel()));
  const fromModel = join(dir, 'from-model.pcapng');
  const modelFile = join(dir, 'model.json');
  writeFileSync(modelFile, JSON.stringify({ ...model, capture: { file: fromModel, keysFile: join(dir, 'from-model.keys'), maxFileBytes: 4 << 20 } }));
  const s = await spawnScmpd(['--no-admin', '--host-model', modelFile]);
  await oneConnection(s.port);
  const exited = new Promise((r) => s.child.once('exit', r));
  s.child.kill('SIGTERM');
  expect(await exited).toBe(0);
  expect(blockTypes(fromModel)).toEqual([0x0a0d0d0a, 1, 6, 6, 6, 6, 6, 6]);
  expect(statSync(join(dir, 'from-model.keys')).mode & 0o777).toBe(0o600);

  const overridden = join(dir, 'flag.pcapng');
  const t = await spawnScmpd(['--no-admin', '--host-model', modelFile, '--capture', overridden]);
  await oneConnection(t.port);
  const tExited = new Promise((r) => t.child.once('exit', r));
  t.child.kill('SIGTERM');
  await tExited;
  expect(blockTypes(overridden)).toEqual([0x0a0d0d0a, 1, 6, 6, 6, 6, 6, 6]);
  expect(blockTypes(fromModel)).toHaveLength(8); // untouched by the second run

  writeFileSync(modelFile, JSON.stringify({ ...model, capture: { file: '', maxFileBytes: 12 } }));
  const bad = await runScmpd(['--listen', '127.0.0.1', '--port', '0', '--no-admin', '--host-model', modelFile]).exited;
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/capture\.file/);
  expect(bad.stderr).toMatch(/capture\.maxFileBytes/);
});

test('startScmp({ capture }) records every connection and closes the file with the server', async () => {
  const file = join(dir, 'start-scmp.pcapng');
  const server = await startScmp({ listen: ['127.0.0.1'], port: 0, log: silentLogger, capture: { file } });
  await oneConnection(server.main.port);
  await server.close();
  expect(blockTypes(file)).toEqual([0x0a0d0d0a, 1, 6, 6, 6, 6, 6, 6]);
  await expect(startScmp({ listen: ['127.0.0.1'], port: 0, log: silentLogger, capture: { file: join(dir, 'no', 'such', 'dir.pcapng') } })).rejects.toThrow(/ENOENT/);
});
