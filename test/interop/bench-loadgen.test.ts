import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startScmp, type ScmpServer } from '../../src/app.js';
import { silentLogger } from '../../src/log.js';
import { buildGenerator, load } from '../../bench/loadgen.js';
import { dissect, startCapture } from '../helpers/tshark.js';
import { requirePackage } from '../helpers/prerequisites.js';

/**
 * The benchmark's C load generator, read back by tshark: its binds and requests and
 * scmpd's answers dissect as DCE/RPC with no malformed frame and no expert error, every
 * bind has its bind_ack and every request its response, and no connection ends in a reset
 * (it reads the answers still due before closing).
 */
const run = promisify(execFile);
let dir: string;
let server: ScmpServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scmp-loadgen-tshark-'));
  server = await startScmp({ listen: ['127.0.0.1'], port: 0, log: silentLogger });
});
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('bench load generator on the wire', () => {
  it('speaks DCE/RPC tshark dissects cleanly, each PDU answered, each connection closed with a FIN', async () => {
    requirePackage('gcc');
    requirePackage('libc6-dev');
    const gen = buildGenerator(dir);
    expect(gen.kind).toBe('c');
    const port = server.main.port;
    const capture = await startCapture([port]);
    const calls = await load(gen, '127.0.0.1', port, 'call', 4, 50);
    const cycles = await load(gen, '127.0.0.1', port, 'connect', 4, 50, { sources: { net: '127.77', count: 4 } });
    await capture.stop();
    expect([calls.errors, cycles.errors]).toEqual([0, 0]);
    const d = await dissect(capture.file, [port]);
    expect(d.malformed).toBe(0);
    expect(d.errors).toBe(0);
    const types = (await run('tshark', ['-r', capture.file, '-d', `tcp.port==${port},dcerpc`, '-Y', 'dcerpc', '-T', 'fields', '-e', 'dcerpc.pkt_type'])).stdout
      .split('\n')
      .filter(Boolean)
      .flatMap((l) => l.split(','));
    const count = (t: string) => types.filter((x) => x === t).length;
    expect(count('11')).toBeGreaterThan(4); // binds: the call connections' and at least one per cycle
    expect(count('12')).toBe(count('11')); // a bind_ack for each
    expect(count('0')).toBeGreaterThan(0);
    expect(count('2')).toBe(count('0')); // a response for each request
    expect(count('3')).toBe(0); // no fault
    const resets = (await run('tshark', ['-r', capture.file, '-Y', 'tcp.flags.reset == 1', '-T', 'fields', '-e', 'frame.number'])).stdout.trim();
    expect(resets).toBe('');
  });
});
