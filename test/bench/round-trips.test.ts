import type { ChildProcess } from 'node:child_process';
import { startNode } from '../../bench/child.js';
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replayRoundTrips } from '../../bench/round-trips.js';

/**
 * The enumeration's round-trip floor: the sized echo answers each request with as many
 * octets as its alloc_hint asks, carrying its call_id, and the replay waits for each whole
 * answer before the next call. Octet counts, never speeds.
 */
let echo: ChildProcess;
let port: number;

beforeAll(async () => {
  const started = await startNode('dist/bench/echo-server.js', ['sized'], /ready (\d+)/);
  echo = started.child;
  port = Number(started.match[1]);
});

afterAll(() => {
  echo?.kill('SIGTERM');
});

function request(size: number, reply: number, callId: number): Buffer {
  const b = Buffer.alloc(size);
  Buffer.from([5, 0, 0, 3, 0x10, 0, 0, 0]).copy(b);
  b.writeUInt16LE(size, 8);
  b.writeUInt32LE(callId, 12);
  b.writeUInt32LE(reply, 16);
  return b;
}

describe('sized echo and the round-trip replay', () => {
  it('answers each request with the octets its alloc_hint asks for, as a response with its call_id', async () => {
    const s = net.connect({ host: '127.0.0.1', port });
    await new Promise((r) => s.once('connect', r));
    const got: Buffer[] = [];
    s.on('data', (d: Buffer) => got.push(d));
    // Two requests in one write: two answers, 22,000 and 24 (the least) octets.
    s.write(Buffer.concat([request(200, 22_000, 7), request(48, 3, 8)]));
    await new Promise<void>((resolve) => {
      const check = () => (Buffer.concat(got).length >= 22_024 ? resolve() : setTimeout(check, 5));
      check();
    });
    s.destroy();
    const all = Buffer.concat(got);
    expect(all.length).toBe(22_024);
    expect(all[2]).toBe(2); // response
    expect(all.readUInt16LE(8)).toBe(22_000);
    expect(all.readUInt32LE(12)).toBe(7);
    expect(all.readUInt16LE(22_000 + 8)).toBe(24);
    expect(all.readUInt32LE(22_000 + 12)).toBe(8);
  });

  it('replays a list of calls and gives the fastest pass in milliseconds', async () => {
    const ms = await replayRoundTrips(port, [
      [180, 500],
      [220, 70_000], // more than one frag_length can say: the octet count still rules
      [200, 30],
    ]);
    expect(Number.isFinite(ms)).toBe(true);
    expect(ms).toBeGreaterThan(0);
  });
});
