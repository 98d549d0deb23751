import type { ChildProcess } from 'node:child_process';
import { startNode } from '../../bench/child.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startScmp, type ScmpServer } from '../../src/app.js';
import { silentLogger } from '../../src/log.js';
import { buildGenerator, hold, load, merge, type Generator, type LoadRun } from '../../bench/loadgen.js';
import { axes, linearFit } from '../../bench/full-poll.js';
import { alternate } from '../../bench/peers.js';
import { requirePackage } from '../helpers/prerequisites.js';

/**
 * The benchmark's load generator speaks real DCE/RPC: against scmpd its binds are accepted
 * and its calls answered (no error, no refusal), its held connections are the server's, and
 * the Node fallback does the same. Counts, never speeds: no timing is asserted.
 */
let dir: string;
let server: ScmpServer;
let echo: ChildProcess;
let echoPort: number;
let c: Generator;
let node: Generator;

const sum = (r: LoadRun) => r.hist.reduce((s, [, n]) => s + n, 0);

beforeAll(async () => {
  requirePackage('gcc');
  requirePackage('libc6-dev');
  dir = mkdtempSync(join(tmpdir(), 'scmp-loadgen-test-'));
  c = buildGenerator(dir);
  node = buildGenerator(dir, join(dir, 'no-such-compiler'));
  server = await startScmp({ listen: ['127.0.0.1'], port: 0, log: silentLogger });
  const started = await startNode('dist/bench/echo-server.js', ['32'], /ready (\d+)/);
  echo = started.child;
  echoPort = Number(started.match[1]);
});

afterAll(async () => {
  echo?.kill('SIGTERM');
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('bench load generator', () => {
  it('is the C program when a compiler exists, the Node processes when none does', () => {
    expect(c.kind).toBe('c');
    expect(node.kind).toBe('node');
    expect(node.note).toMatch(/no compiler|failed/);
    expect(node.argv(['127.0.0.1', '1', 'call', '5', '100']).map((a) => a.args[4])).toEqual(['3', '2']);
  });

  for (const which of ['c', 'node'] as const) {
    it(`${which}: small calls on bound connections are all answered by scmpd`, async () => {
      const r = await load(which === 'c' ? c : node, '127.0.0.1', server.main.port, 'call', 2, 300);
      expect(r.errors).toBe(0);
      expect(r.refused).toBe(0);
      expect(r.calls).toBeGreaterThan(0);
      expect(sum(r)).toBe(r.calls);
      expect(r.p50us).toBeLessThanOrEqual(r.p99us);
      // Every answer the server gave, warm-up included: what its CPU time is divided by.
      expect(r.answered).toBeGreaterThanOrEqual(r.calls!);
    });

    it(`${which}: connect, bind, call, close loops complete against scmpd from several source addresses`, async () => {
      const r = await load(which === 'c' ? c : node, '127.0.0.1', server.main.port, 'connect', 2, 300, { sources: { net: '127.77', count: 4 } });
      expect(r.errors).toBe(0);
      expect(r.cycles).toBeGreaterThan(0);
      expect(sum(r)).toBe(r.cycles);
      expect(r.answered).toBeGreaterThanOrEqual(r.cycles!);
    });
  }

  it('gives each peer its CPU time per answered call beside the rates, in alternating rounds', async () => {
    let cpu = 0;
    const fig = (await alternate(c, [{ name: 'scmpd', host: '127.0.0.1', port: server.main.port, cpuMs: () => (cpu += 10) }, { name: 'echo', host: '127.0.0.1', port: echoPort }], 'call', 1, 200, 2)) as Record<
      string,
      { calls: number; serverCpuUs?: number }
    >;
    // 10 ms per round, two rounds; a peer that cannot be read has no figure.
    expect(fig.scmpd!.serverCpuUs).toBeGreaterThan(0);
    expect(fig.scmpd!.serverCpuUs).toBeLessThanOrEqual((20 * 1000) / fig.scmpd!.calls);
    expect(fig.echo!.serverCpuUs).toBeUndefined();
    expect(fig.ratios).toBeDefined();
  });

  it('holds bound idle connections that the server counts, and lets them go', async () => {
    const before = server.rpc.connectionCount;
    const h = await hold(c, '127.0.0.1', server.main.port, 40, { net: '127.9', count: 4 });
    expect(h.held).toBe(40);
    expect(h.errors).toBe(0);
    expect(server.rpc.connectionCount).toBe(before + 40);
    await h.release();
    for (let i = 0; i < 100 && server.rpc.connectionCount > before; i++) await new Promise((r) => setTimeout(r, 20));
    expect(server.rpc.connectionCount).toBe(before);
  });

  it('the echo ceiling answers the bind (bind_ack, accepted) and the call, so both modes run against it', async () => {
    const call = await load(c, '127.0.0.1', echoPort, 'call', 1, 200);
    const cycle = await load(c, '127.0.0.1', echoPort, 'connect', 1, 200);
    expect([call.errors, call.refused, cycle.errors, cycle.refused]).toEqual([0, 0, 0, 0]);
    expect(call.calls).toBeGreaterThan(0);
    expect(cycle.cycles).toBeGreaterThan(0);
  });

  it('merges rounds (times add) and processes (side by side) exactly', () => {
    const a: LoadRun = { mode: 'call', connections: 1, seconds: 1, calls: 3, perSecond: 3, errors: 0, refused: 0, p50us: 0, p99us: 0, hist: [[10, 2], [20, 1]] };
    const b: LoadRun = { ...a, calls: 1, perSecond: 1, hist: [[30, 1]] };
    const rounds = merge([a, b]);
    expect([rounds.calls, rounds.seconds, rounds.perSecond, rounds.connections]).toEqual([4, 2, 2, 1]);
    expect(rounds.hist).toEqual([[10, 2], [20, 1], [30, 1]]);
    expect([rounds.p50us, rounds.p99us]).toEqual([20, 30]);
    const side = merge([a, b], true);
    expect([side.calls, side.seconds, side.perSecond, side.connections]).toEqual([4, 1, 4, 2]);
  });
});

describe('bench enumeration cost fit', () => {
  const grid = [1, 10, 100].flatMap((volumes) => [10, 100, 512].map((per) => ({ volumes, shadowCopies: volumes * per })));
  it('recovers a linear cost and calls it linear', () => {
    const f = linearFit(grid.map((p) => ({ ...p, ms: 3 + 2 * p.volumes + 0.02 * p.shadowCopies })));
    expect(f.linear).toBe(true);
    expect(f.fixedMs).toBeCloseTo(3, 3);
    expect(f.msPerVolume).toBeCloseTo(2, 3);
    expect(f.msPer1000ShadowCopies).toBeCloseTo(20, 2);
  });
  it('calls a quadratic cost not linear', () => {
    const f = linearFit(grid.map((p) => ({ ...p, ms: 1 + 1e-6 * p.shadowCopies * p.shadowCopies })));
    expect(f.linear).toBe(false);
  });
  it('tells along which axis a cost is not linear', () => {
    const cells = [1, 10, 100].flatMap((volumes) => [10, 100, 512].map((perVolume) => ({ volumes, perVolume })));
    const linear = axes(cells.map((c) => ({ ...c, ms: 3 + 2 * c.volumes + 0.02 * c.volumes * c.perVolume })));
    expect([linear.inVolumes.linear, linear.inCopiesPerVolume.linear]).toEqual([true, true]);
    expect(linear.inCopiesPerVolume.rows[0]!.msPer1000AddedCopies).toEqual([20, 20]);
    // Each volume's copies cost more the more copies it has (a per-volume scan of its list per Next).
    const scan = axes(cells.map((c) => ({ ...c, ms: 3 + c.volumes * (1 + 1e-4 * c.perVolume * c.perVolume) })));
    expect([scan.inVolumes.linear, scan.inCopiesPerVolume.linear]).toEqual([true, false]);
  });
});
