/**
 * The capture decoder on bad input: arbitrary bytes as streams, real sessions mutated, a
 * conversation that is no DCE/RPC, a capture that begins mid-stream, and its limits. It
 * only ever reports calls and notes: it never throws.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { CaptureNote, DecodedCall } from '../../src/capture/calls.js';
import { CaptureDecoder } from '../../src/capture/decode.js';
import { RpcClient } from '../../src/client/rpc-client.js';
import { ScmpClient } from '../../src/client/scmp.js';
import { IObjectExporter } from '../../src/interfaces/oxid/idl.js';
import type { TcpConversation } from '../../src/pcap/streams.js';
import { parseAccountSpec } from '../../src/security/accounts.js';
import { DEFAULT_VOLUMES as V } from '../../src/store/default-host.js';
import { testServer } from '../helpers/server.js';
import { decodeRecording, recordingTap, replay, type RecordedEvent } from './recording.js';

const ADMIN = { user: 'alice', password: 'Wonder-Land-1', domain: 'FILESRV01' };
const rec = recordingTap();
let server: Awaited<ReturnType<typeof testServer>>;
let sealed: RecordedEvent[];
let plain: RecordedEvent[];
beforeAll(async () => {
  server = await testServer({ accounts: [parseAccountSpec(`${ADMIN.user}:${ADMIN.password}:admin`)], tap: rec.tap });
  let r = rec.start();
  const c = await ScmpClient.connect({ host: server.host, port: server.port, ...ADMIN, pingPeriodMs: 0 });
  await c.queryVolumesSupportedForSnapshots().toArray();
  await c.querySnapshotsByVolume(V.data).toArray();
  await c.close();
  sealed = r.events;
  // Five unauthenticated calls on the endpoint mapper's port.
  r = rec.start();
  const u = await RpcClient.connect(server.host, server.port);
  await u.bindInterface(IObjectExporter);
  for (let i = 0; i < 5; i++) await u.call(0, IObjectExporter.methods.ServerAlive2, {});
  await u.close();
  plain = r.events;
});
afterAll(() => server?.close());

function collect(keys = { password: ADMIN.password }, limits = {}) {
  const calls: DecodedCall[] = [];
  const notes: CaptureNote[] = [];
  const d = new CaptureDecoder({ keys, limits, onCall: (c) => calls.push(c), onNote: (n) => notes.push(n) });
  return { d, calls, notes };
}

const conv = (id: number, sawSyn: boolean): TcpConversation => ({ id, sawSyn, client: { address: '10.0.0.1', port: 50000 + id }, server: { address: '10.0.0.2', port: 135 } });

test('arbitrary bytes, chunks and gaps as streams: never a throw', () => {
  const event = fc.oneof(
    fc.record({ kind: fc.constantFrom('toServer' as const, 'toClient' as const), data: fc.uint8Array({ maxLength: 300 }) }),
    fc.record({ kind: fc.constant('gap' as const), dir: fc.constantFrom('toServer' as const, 'toClient' as const), missing: fc.option(fc.nat(5000), { nil: undefined }) }),
    // A PDU-looking header, so that the framer gets past its first check.
    fc.record({
      kind: fc.constant('header' as const),
      ptype: fc.constantFrom(0, 2, 3, 11, 12, 13, 14, 15, 16),
      flags: fc.nat(255),
      fragLength: fc.nat(400),
      authLength: fc.nat(100),
      body: fc.uint8Array({ maxLength: 400 }),
    }),
  );
  fc.assert(
    fc.property(fc.boolean(), fc.array(event, { maxLength: 40 }), (sawSyn, events) => {
      const { d } = collect();
      const c = conv(1, sawSyn);
      d.open(c, 0n);
      let t = 1n;
      for (const e of events) {
        t++;
        if (e.kind === 'gap') d.gap(c, e.dir, t, e.missing);
        else if (e.kind === 'header') {
          const h = Buffer.alloc(16);
          h.set([5, 0, e.ptype, e.flags, 0x10, 0, 0, 0]);
          h.writeUInt16LE(e.fragLength, 8);
          h.writeUInt16LE(e.authLength, 10);
          d.data(c, e.ptype === 0 || e.ptype === 11 || e.ptype === 14 || e.ptype === 16 ? 'toServer' : 'toClient', t, Buffer.concat([h, e.body]));
        } else d.data(c, e.kind, t, Buffer.from(e.data));
      }
      d.close(c, t + 1n, 'end-of-capture');
      d.finish();
    }),
    { numRuns: 300 },
  );
});

test('a real sealed session, mutated (flipped octets, dropped or split chunks): never a throw', () => {
  const chunks = sealed.filter((e) => e.kind === 'toServer' || e.kind === 'toClient').length;
  fc.assert(
    fc.property(
      fc.array(fc.record({ chunk: fc.nat(chunks - 1), at: fc.nat(2000), xor: fc.integer({ min: 1, max: 255 }) }), { maxLength: 8 }),
      fc.array(fc.nat(chunks - 1), { maxLength: 3 }),
      fc.nat(7),
      (flips, drops, split) => {
        const { d, calls } = collect();
        let n = -1;
        for (const e of sealed) {
          if (e.kind === 'open') d.open(e.conv, e.timeNs);
          else if (e.kind === 'close') d.close(e.conv, e.timeNs, 'fin');
          else {
            n++;
            if (drops.includes(n)) {
              d.gap(e.conv, e.kind, e.timeNs, n % 2 ? e.data.length : undefined);
              continue;
            }
            const data = Buffer.from(e.data);
            for (const f of flips) if (f.chunk === n && data.length > 0) data[f.at % data.length]! ^= f.xor;
            const cut = Math.min(split, data.length);
            d.data(e.conv, e.kind, e.timeNs, data.subarray(0, cut));
            d.data(e.conv, e.kind, e.timeNs, data.subarray(cut));
          }
        }
        d.finish();
        for (const c of calls) expect(['none', 'decrypted', 'verified', 'no-key', 'bad-key']).toContain(c.protection);
      },
    ),
    { numRuns: 150 },
  );
});

test('the unmutated session with the same chunks split: the same calls as whole', () => {
  const whole = decodeRecording(sealed, { password: ADMIN.password }).calls;
  const { d, calls } = collect();
  for (const e of sealed) {
    if (e.kind === 'open') d.open(e.conv, e.timeNs);
    else if (e.kind === 'close') d.close(e.conv, e.timeNs, 'fin');
    else for (const b of e.data) d.data(e.conv, e.kind, e.timeNs, Buffer.from([b]));
  }
  d.finish();
  expect(calls.length).toBeGreaterThan(5);
  expect(calls).toEqual(whole);
});

test('a conversation that is not DCE/RPC: ignored with one note, the others decoded', () => {
  const { d, calls, notes } = collect();
  const http = conv(99, true);
  d.open(http, 0n);
  d.data(http, 'toServer', 1n, Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
  d.data(http, 'toClient', 2n, Buffer.from('HTTP/1.1 200 OK\r\n\r\n'));
  d.data(http, 'toServer', 3n, Buffer.alloc(100000, 5));
  replay(plain, d);
  d.close(http, 4n, 'fin');
  d.finish();
  expect(notes).toEqual([{ conversation: 99, timeNs: 1n, message: '10.0.0.1:50099 → 10.0.0.2:135: the stream does not start with a DCE/RPC PDU header: not DCE/RPC, ignored' }]);
  expect(calls.map((c) => c.method)).toEqual(Array(5).fill('ServerAlive2'));
});

test('a capture that begins mid-stream: the first PDU header is found; the bind is missing', () => {
  const { d, calls } = collect();
  const first = plain.findIndex((e) => e.kind === 'toServer');
  const events = plain.map((e, i) => {
    const late = { ...e.conv, sawSyn: false };
    return i === first && e.kind === 'toServer' ? { ...e, conv: late, data: e.data.subarray(7) } : { ...e, conv: late };
  });
  // The conversation object must be one and the same across events.
  const same = events[0]!.conv;
  replay(events.map((e) => ({ ...e, conv: same })) as RecordedEvent[], d);
  d.finish();
  expect(calls).toHaveLength(5);
  for (const c of calls) {
    expect(c.interface).toBeUndefined();
    expect(c.requestError).toBe('presentation context 0 was not seen bound');
    expect(c.responseError).toBe('presentation context 0 was not seen bound');
  }
});

test('pending calls are bounded: beyond the limit the oldest is reported without its response', () => {
  const { d, calls } = collect(undefined, { maxPendingCalls: 2 });
  replay(plain.filter((e) => e.kind !== 'toClient' || e.data[2] !== 2), d); // no responses
  d.finish();
  expect(calls.map((c) => c.notes)).toEqual([
    ['no response among the next 2 calls'],
    ['no response among the next 2 calls'],
    ['no response among the next 2 calls'],
    ['no response: the connection ended (closed)'],
    ['no response: the connection ended (closed)'],
  ]);
  expect(calls.map((c) => c.method)).toEqual(Array(5).fill('ServerAlive2'));
});

test('a key file with malformed lines: each reported, the good ones used', () => {
  const notes: CaptureNote[] = [];
  new CaptureDecoder({ keys: { keysFile: ['{"client":"a"}', 'not json', ''] }, onCall: () => {}, onNote: (n) => notes.push(n) });
  expect(notes.map((n) => n.message)).toEqual([
    'key file line 1: client, server or authContextId missing',
    expect.stringMatching(/^key file line 2: /),
  ]);
});
