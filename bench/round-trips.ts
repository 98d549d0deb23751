import * as net from 'node:net';

/**
 * The floor under the enumeration figure that no server can go below on this machine: the
 * same round trips, one at a time, with the same octet counts each way, between a Node
 * client doing no RPC work and bench/echo-server.ts in `sized` mode doing none either. What
 * an enumeration costs above it is RPC, NDR and NTLM work (measured apart by
 * enumeration-work.ts); a loopback round trip between two processes costs about as much
 * here as sealing 64 shadow copies does.
 */

/** Octets sent and received by one call (its request and its response, all fragments). */
export type CallOctets = [request: number, response: number];

/** A request PDU of `size` octets whose alloc_hint asks the sized echo for `reply` octets back. */
function requestOf(size: number, reply: number, callId: number): Buffer {
  const b = Buffer.alloc(Math.max(24, size));
  b[0] = 5;
  b[2] = 0; // request
  b[3] = 3;
  b[4] = 0x10;
  b.writeUInt16LE(b.length, 8);
  b.writeUInt32LE(callId, 12);
  b.writeUInt32LE(reply, 16);
  return b;
}

/** Runs `calls` in order on one connection `times` times; the fastest run's milliseconds. */
export async function replayRoundTrips(port: number, calls: CallOctets[], times = 3): Promise<number> {
  const s = net.connect({ host: '127.0.0.1', port, noDelay: true });
  await new Promise<void>((resolve, reject) => {
    s.once('connect', resolve);
    s.once('error', reject);
  });
  const requests = calls.map(([req, resp], i) => requestOf(req, resp, i + 1));
  let want = 0;
  let got = 0;
  let done: (() => void) | undefined;
  s.on('data', (d: Buffer) => {
    got += d.length;
    if (got >= want && done) {
      const f = done;
      done = undefined;
      f();
    }
  });
  const one = (i: number) =>
    new Promise<void>((resolve) => {
      got = 0;
      want = Math.max(24, calls[i]![1]);
      done = resolve;
      s.write(requests[i]!);
    });
  let best = Infinity;
  for (let t = 0; t < times + 1; t++) {
    const t0 = performance.now();
    for (let i = 0; i < calls.length; i++) await one(i);
    // The first pass warms up both ends, as the enumeration figure's first enumeration does.
    if (t > 0) best = Math.min(best, performance.now() - t0);
  }
  s.destroy();
  return best;
}
