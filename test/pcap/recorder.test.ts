/**
 * The recorder under load and when the disk fails: 10,000 short connections to an in-process
 * server rotate through a numbered series of files, none over its size, each a whole pcapng
 * on its own (checked block by block here and opened by tshark); a total cap stops capture
 * with one warning while the server goes on; a disk that fails (a full device, a directory
 * that vanished) costs one warning and nothing else.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, test } from 'vitest';
import { CaptureRecorder, type CaptureSettings } from '../../src/pcap/recorder.js';
import { echo, echoServer, type EchoServerOptions } from '../helpers/echo.js';
import { requirePackage } from '../helpers/prerequisites.js';
import { RawRpcClient } from '../helpers/raw-client.js';
import { bounded } from '../helpers/smbtorture.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'scmp-recorder-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const KiB = 1024;

function logger() {
  const lines: Array<{ level: string; msg: string; fields?: Record<string, unknown> }> = [];
  return {
    lines,
    warn: (msg: string, fields?: Record<string, unknown>) => lines.push({ level: 'warn', msg, fields }),
    info: (msg: string, fields?: Record<string, unknown>) => lines.push({ level: 'info', msg, fields }),
  };
}

async function serveWith(file: string, settings: Partial<CaptureSettings>) {
  const log = logger();
  const rec = new CaptureRecorder({ file, settings, log });
  const opts: EchoServerOptions = { ...{ tap: rec } };
  const server = await echoServer({}, opts);
  /** Waits for the server to see every connection gone, then closes it and the capture. */
  const finish = async () => {
    while (server.rpc.connectionStates().length > 0) await new Promise((r) => setTimeout(r, 20));
    await server.close();
    await rec.close();
  };
  return { rec, log, server, finish };
}

/** A connection opened and ended at once. */
function touch(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => s.end());
    s.on('error', reject);
    s.on('close', () => resolve());
  });
}

/** Walks a pcapng file block by block: SHB, IDB, then EPBs, each length right at both ends, ending on a block. */
function blocks(file: string): { packets: Buffer[] } {
  const b = readFileSync(file);
  const packets: Buffer[] = [];
  let off = 0;
  let n = 0;
  while (off < b.length) {
    expect(b.length - off).toBeGreaterThanOrEqual(12);
    const type = b.readUInt32LE(off);
    const len = b.readUInt32LE(off + 4);
    expect(len % 4).toBe(0);
    expect(off + len).toBeLessThanOrEqual(b.length);
    expect(b.readUInt32LE(off + len - 4)).toBe(len);
    expect(type).toBe(n === 0 ? 0x0a0d0d0a : n === 1 ? 1 : 6);
    if (type === 6) {
      const caplen = b.readUInt32LE(off + 20);
      packets.push(b.subarray(off + 28, off + 28 + caplen));
    }
    off += len;
    n++;
  }
  expect(n).toBeGreaterThanOrEqual(2);
  return { packets };
}

const tcpFlags = (p: Buffer) => p[20 + 13]!; // IPv4 on loopback: a 20-byte IP header

async function tsharkReads(file: string): Promise<number> {
  requirePackage('tshark');
  const { stdout, stderr } = await run('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.number'], { maxBuffer: 64 << 20 });
  expect(stderr.replace(/Running as user.*\n?/, '')).toBe('');
  return stdout.split('\n').filter(Boolean).length;
}

test('10,000 connections rotate through a numbered series: no file over its limit, each whole, every handshake and FIN recorded', async () => {
  const settings = { maxFileBytes: 256 * KiB, totalBytes: 16 * 1024 * KiB };
  const { rec, log, server, finish } = await serveWith(join(dir, 'many.pcapng'), settings);
  await bounded(64, Array.from({ length: 10_000 }, () => () => touch(server.port)));
  await finish();
  const files = rec.files;
  expect(files[0]).toBe(join(dir, 'many.pcapng'));
  expect(files[1]).toBe(join(dir, 'many.1.pcapng'));
  expect(files.length).toBeGreaterThan(10);
  let syn = 0;
  let fin = 0;
  let total = 0;
  for (const f of files) {
    const size = statSync(f).size;
    expect(size).toBeLessThanOrEqual(settings.maxFileBytes);
    total += size;
    for (const p of blocks(f).packets) {
      if (tcpFlags(p) === 0x02) syn++;
      if (tcpFlags(p) === 0x11) fin++;
    }
  }
  expect(total).toBeLessThanOrEqual(settings.totalBytes);
  expect(syn).toBe(10_000);
  expect(fin).toBe(20_000); // each side's FIN
  expect(log.lines).toEqual([]);
  // tshark opens the first, a middle and the last file alone.
  for (const f of [files[0]!, files[Math.floor(files.length / 2)]!, files[files.length - 1]!]) expect(await tsharkReads(f)).toBeGreaterThan(0);
}, 120_000);

test('the total cap: capture stops before it with one warning; the files stay within both limits; the server goes on serving', async () => {
  const settings = { maxFileBytes: 64 * KiB, totalBytes: 300 * KiB };
  const { rec, log, server, finish } = await serveWith(join(dir, 'capped.pcapng'), settings);
  await bounded(32, Array.from({ length: 3000 }, () => () => touch(server.port)));
  const c = await RawRpcClient.connect(server.host, server.port);
  await c.bindInterface(echo);
  expect((await c.call(0, echo.methods.add, { a: 20, b: 22 })).sum).toBe(42);
  await c.close();
  await finish();
  expect(rec.capturing).toBe(false);
  expect(log.lines.filter((l) => l.level === 'warn').map((l) => l.msg)).toEqual(['capture stopped: its total size limit is reached']);
  let total = 0;
  for (const f of rec.files) {
    const size = statSync(f).size;
    expect(size).toBeLessThanOrEqual(settings.maxFileBytes);
    total += size;
    blocks(f);
    expect(await tsharkReads(f)).toBeGreaterThan(0);
  }
  expect(total).toBeLessThanOrEqual(settings.totalBytes);
  expect(total).toBeGreaterThan(settings.totalBytes - 2 * KiB); // it filled the cap, not stopped early
}, 120_000);

async function keepsServing(file: string, settings: Partial<CaptureSettings>, beforeCalls?: () => void) {
  const { rec, log, server, finish } = await serveWith(file, settings);
  beforeCalls?.();
  for (let i = 0; i < 30; i++) {
    const c = await RawRpcClient.connect(server.host, server.port);
    await c.bindInterface(echo);
    const data = Buffer.alloc(4000, i);
    expect((await c.call(0, echo.methods.echo, { len: data.length, data })).data.equals(data)).toBe(true);
    await c.close();
  }
  await finish();
  return { rec, log };
}

test('a full disk (/dev/full): the server keeps serving, one warning, capture stopped', async () => {
  const { rec, log } = await keepsServing('/dev/full', {});
  expect(rec.capturing).toBe(false);
  expect(log.lines).toHaveLength(1);
  expect(log.lines[0]).toMatchObject({ level: 'warn', msg: expect.stringMatching(/^capture stopped: writing failed \(.*ENOSPC/) });
});

test('the directory of the capture removed while serving: the next file of the series cannot be made; one warning; the server goes on', async () => {
  const sub = mkdtempSync(join(dir, 'gone-'));
  const { rec, log } = await keepsServing(join(sub, 'c.pcapng'), { maxFileBytes: 16 * KiB }, () => rmSync(sub, { recursive: true, force: true }));
  expect(rec.capturing).toBe(false);
  expect(log.lines).toHaveLength(1);
  expect(log.lines[0]).toMatchObject({ level: 'warn', msg: expect.stringMatching(/^capture stopped: writing failed \(.*ENOENT/) });
});

test('a path that cannot be opened is an error at once, not a silent capture', () => {
  expect(() => new CaptureRecorder({ file: join(dir, 'no', 'such', 'dir.pcapng'), log: logger() })).toThrow(/ENOENT/);
  expect(() => new CaptureRecorder({ file: join(dir, 'x.pcapng'), settings: { maxFileBytes: 100 }, log: logger() })).toThrow(RangeError);
});

test('IPv4, IPv6 and IPv4-mapped conversations: tshark verifies every IP and TCP checksum and finds nothing wrong; the keys name each end as the capture does', async () => {
  const file = join(dir, 'families.pcapng');
  const keys = join(dir, 'families.keys');
  writeFileSync(keys, 'old secret\n', { mode: 0o644 }); // replaced, not appended to or kept at 0644
  const log = logger();
  const rec = new CaptureRecorder({ file, keysFile: keys, log });
  const ends: Array<[string, string, 'fin' | 'reset']> = [
    ['127.0.0.1', '127.0.0.1', 'fin'],
    ['::1', '::1', 'reset'],
    ['::ffff:10.0.0.1', '::ffff:10.0.0.2', 'fin'],
    ['2001:db8::1', '2001:db8::2', 'fin'],
  ];
  for (const [local, remote, how] of ends) {
    const c = rec.opened('epmap', { localAddress: local, localPort: 135, remoteAddress: remote, remotePort: 50000 });
    c.received(Buffer.alloc(3001, 1)); // three segments: 1460, 1460, 81
    c.sent(Buffer.alloc(11, 2));
    c.securityEstablished({ authContextId: 3, authType: 10, authLevel: 6, ntlm: { exportedSessionKey: Buffer.alloc(16, 0xab), negotiateFlags: 0xe2888215 } });
    c.securityEstablished({ authContextId: 4, authType: 9, authLevel: 5 }); // no NTLM key: no line
    c.closed(how);
    c.received(Buffer.alloc(5)); // after the close: nothing
  }
  await rec.close();
  expect(log.lines).toEqual([]);
  requirePackage('tshark');
  const check = ['-o', 'tcp.check_checksum:TRUE', '-o', 'ip.check_checksum:TRUE'];
  const { stdout: expert } = await run('tshark', ['-r', file, ...check, '-q', '-z', 'expert']);
  expect(expert).not.toMatch(/Errors|Malformed|checksum/i);
  const { stdout } = await run('tshark', ['-r', file, ...check, '-T', 'fields', '-E', 'separator=,', '-e', 'ip.src', '-e', 'ipv6.src', '-e', 'tcp.len', '-e', 'tcp.flags.str', '-e', 'tcp.checksum.status']);
  const rows = stdout.split('\n').filter(Boolean);
  expect(rows).toHaveLength(4 * 3 + 4 * 4 + 3 * 3 + 1); // handshakes, data, FIN exchanges, one RST
  expect(rows.every((r) => r.endsWith(',1'))).toBe(true); // tcp.checksum.status 1: good
  expect(rows.filter((r) => r.startsWith('10.0.0.')).length).toBe(10); // the mapped pair written as IPv4
  expect(rows.filter((r) => r.includes('2001:db8::')).length).toBe(10);
  expect(statSync(keys).mode & 0o777).toBe(0o600);
  const lines = readFileSync(keys, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  expect(lines.map((l) => [l.client, l.server])).toEqual([
    ['127.0.0.1:50000', '127.0.0.1:135'],
    ['[::1]:50000', '[::1]:135'],
    ['10.0.0.2:50000', '10.0.0.1:135'],
    ['[2001:db8::2]:50000', '[2001:db8::1]:135'],
  ]);
  expect(lines[0]).toMatchObject({ endpoint: 'epmap', authContextId: 3, authType: 10, authLevel: 6, exportedSessionKey: 'ab'.repeat(16), negotiateFlags: '0xe2888215' });
});

test('a server stopped while clients are still connected: each connection in the file ends, its FINs written before the capture closes', async () => {
  const file = join(dir, 'stopped.pcapng');
  const log = logger();
  const rec = new CaptureRecorder({ file, settings: {}, log });
  // A short grace: the idle clients below never close by themselves, so the stop destroys them.
  const server = await echoServer({ shutdownGraceMs: 50 }, { tap: rec });
  const clients = await Promise.all(Array.from({ length: 8 }, () => RawRpcClient.connect(server.host, server.port)));
  for (const c of clients) await c.bindInterface(echo);
  // Half the clients leave as the server stops; the server is stopped under the rest, then
  // the capture closed at once.
  for (const c of clients.slice(0, 4)) void c.close();
  await server.close();
  await rec.close();
  const { packets } = blocks(file);
  const serverPort = server.port;
  const serverFins = packets.filter((p) => tcpFlags(p) & 0x01 && p.readUInt16BE(20) === serverPort);
  expect(serverFins).toHaveLength(clients.length);
  for (const c of clients) await c.close();
  expect(log.lines.filter((l) => l.level === 'warn')).toEqual([]);
});
