import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readCaptureBuffer } from '../../src/pcap/read-capture.js';
import { READ_DEFAULTS, type ReadSettings } from '../../src/pcap/read-settings.js';
import { TcpReassembler } from '../../src/pcap/tcp-reassembly.js';
import { ipv4, pcapHeader, pcapRecord, RecordingSink, type Tcp } from './fixtures/build.js';

const C = { src: '10.0.0.1', dst: '10.0.0.2', sport: 50000, dport: 135 };
const S = { src: '10.0.0.2', dst: '10.0.0.1', sport: 135, dport: 50000 };
const ISN_C = 1000;
const ISN_S = 7000;

/** Client → server segment at stream offset `off` (0 = first byte after the SYN). */
const c = (off: number, payload: string, flags = 'PA', isn = ISN_C): Tcp => ({ ...C, seq: (isn + 1 + off) >>> 0, ack: ISN_S + 1, flags, payload });
const s = (off: number, payload: string, flags = 'PA', isn = ISN_S): Tcp => ({ ...S, seq: (isn + 1 + off) >>> 0, ack: ISN_C + 1, flags, payload });
const handshake = (ic = ISN_C, is = ISN_S): Tcp[] => [
  { ...C, seq: ic, flags: 'S' },
  { ...S, seq: is, ack: ic + 1, flags: 'SA' },
  { ...C, seq: ic + 1, ack: is + 1, flags: 'A' },
];

function run(segments: Tcp[], settings?: Partial<ReadSettings>): RecordingSink {
  const buf = Buffer.concat([pcapHeader('le', false, 101), ...segments.map((t, i) => pcapRecord('le', 1_700_000_000, i, ipv4(t)))]);
  const sink = new RecordingSink();
  readCaptureBuffer(buf, sink, settings);
  return sink;
}

describe('TCP reassembly', () => {
  it('delivers both directions in order from the SYN and closes on FIN both ways', () => {
    const k = run([...handshake(), c(0, 'abc'), s(0, 'XYZ'), c(3, 'def', 'FA'), s(3, '', 'FA'), { ...C, seq: ISN_C + 8, flags: 'A' }]);
    expect(k.of('open')).toMatchObject([{ id: 1, client: '10.0.0.1:50000', server: '10.0.0.2:135', sawSyn: true }]);
    expect(k.stream(1, 'toServer')).toBe('abcdef');
    expect(k.stream(1, 'toClient')).toBe('XYZ');
    expect(k.of('close')).toEqual([{ kind: 'close', id: 1, how: 'fin' }]);
    expect(k.problems()).toEqual([]);
  });

  it('puts out-of-order segments back in order', () => {
    const k = run([...handshake(), c(6, 'ghi'), c(3, 'def'), c(0, 'abc')]);
    expect(k.stream(1, 'toServer')).toBe('abcdefghi');
    expect(k.of('gap')).toEqual([]);
  });

  it('drops retransmissions and keeps the first copy of overlapping bytes', () => {
    const k = run([...handshake(), c(0, 'abcd'), c(0, 'abcd'), c(2, 'XXef'), c(8, 'ij'), c(5, 'YYYZZ'), c(10, 'k')]);
    // offset 2-3 already delivered as "cd"; 8-9 held as "ij" before the overlapping "YYYZZ" came.
    expect(k.stream(1, 'toServer')).toBe('abcdefYYijk');
  });

  it('reports a lost segment as a gap where it is and goes on with what follows (at close)', () => {
    const k = run([...handshake(), c(0, 'abc'), c(6, 'ghi'), c(9, '', 'FA'), s(0, '', 'FA')]);
    expect(k.stream(1, 'toServer')).toBe('abc<gap 3>ghi');
    expect(k.of('close')).toEqual([{ kind: 'close', id: 1, how: 'fin' }]);
  });

  it('gives up on a hole when the reorder buffer is over its limit, then continues', () => {
    const k = run([...handshake(), c(0, 'ab'), c(5, 'fghij'), c(10, 'klmno'), c(15, 'p')], { maxReorderBytes: 8 });
    const events = k.events.filter((e) => e.kind === 'gap' || e.kind === 'data').map((e) => (e.kind === 'gap' ? `gap ${e.missing}` : (e as { bytes: string }).bytes));
    // The gap is reported when the limit is passed, before the end of the capture.
    expect(events).toEqual(['ab', 'gap 3', 'fghij', 'klmno', 'p']);
    expect(k.of('close')).toEqual([{ kind: 'close', id: 1, how: 'end-of-capture' }]);
  });

  it('follows the sequence numbers across the 32-bit wrap-around', () => {
    const isn = 0xfffffff0;
    const k = run([...handshake(isn), c(0, 'a'.repeat(10), 'PA', isn), c(20, 'c'.repeat(10), 'PA', isn), c(10, 'b'.repeat(10), 'PA', isn)]);
    expect(k.stream(1, 'toServer')).toBe('a'.repeat(10) + 'b'.repeat(10) + 'c'.repeat(10));
    expect(k.of('gap')).toEqual([]);
  });

  it('closes at once on RST', () => {
    const k = run([...handshake(), c(0, 'abc'), { ...S, seq: ISN_S + 1, flags: 'R' }, c(3, 'late')]);
    expect(k.of('close')[0]).toEqual({ kind: 'close', id: 1, how: 'rst' });
    expect(k.stream(1, 'toServer')).toBe('abc');
  });

  it('without a SYN starts from the first segment and takes port 135 as the server', () => {
    const k = run([s(100, 'reply'), c(50, 'request'), c(57, 'more')]);
    expect(k.of('open')).toMatchObject([{ id: 1, client: '10.0.0.1:50000', server: '10.0.0.2:135', sawSyn: false }]);
    expect(k.stream(1, 'toServer')).toBe('requestmore');
    expect(k.stream(1, 'toClient')).toBe('reply');
    expect(k.of('close')).toEqual([{ kind: 'close', id: 1, how: 'end-of-capture' }]);
  });

  it('without a SYN or port 135 takes the higher port as the client', () => {
    const k = run([{ src: '10.0.0.2', dst: '10.0.0.1', sport: 49700, dport: 52000, seq: 5, flags: 'PA', payload: 'x' }]);
    expect(k.of('open')).toMatchObject([{ client: '10.0.0.1:52000', server: '10.0.0.2:49700' }]);
  });

  it('a bare ACK of no known conversation opens nothing', () => {
    const k = run([{ ...C, seq: 5, flags: 'A' }, { ...C, seq: 5, flags: 'FA' }]);
    expect(k.of('open')).toEqual([]);
  });

  it('keeps conversations apart and numbers them in order of appearance', () => {
    const other = { src: '10.0.0.3', dst: '10.0.0.2', sport: 50001, dport: 135 };
    const k = run([...handshake(), { ...other, seq: 1, flags: 'S' }, c(0, 'one'), { ...other, seq: 2, flags: 'PA', payload: 'two' }]);
    expect(k.of('open').map((e) => (e as { client: string }).client)).toEqual(['10.0.0.1:50000', '10.0.0.3:50001']);
    expect(k.stream(1, 'toServer')).toBe('one');
    expect(k.stream(2, 'toServer')).toBe('two');
  });

  it('tracks no more than maxConversations at once, reporting it once', () => {
    const segs: Tcp[] = [];
    for (let i = 0; i < 5; i++) segs.push({ src: '10.0.0.9', dst: '10.0.0.2', sport: 40000 + i, dport: 135, seq: 1, flags: 'PA', payload: 'z' });
    const k = run(segs, { maxConversations: 2 });
    expect(k.of('open')).toHaveLength(2);
    expect(k.problems()).toHaveLength(1);
    expect(k.problems()[0]!.message).toMatch(/maxConversations/);
  });

  it('a SYN-ACK without its SYN still gives the client stream its start', () => {
    const k = run([{ ...S, seq: ISN_S, ack: ISN_C + 1, flags: 'SA' }, c(3, 'def'), c(0, 'abc')]);
    expect(k.of('open')).toMatchObject([{ client: '10.0.0.1:50000', sawSyn: false }]);
    expect(k.stream(1, 'toServer')).toBe('abcdef');
  });
});

describe('TCP reassembly bounds (property)', () => {
  it('random segments never make it hold more than the settings allow, nor deliver a byte twice', () => {
    const settings = { ...READ_DEFAULTS, maxConversations: 3, maxReorderBytes: 300, maxReorderSegments: 5 };
    const seg = fc.record({
      client: fc.integer({ min: 0, max: 4 }),
      fromServer: fc.boolean(),
      off: fc.integer({ min: -50, max: 2000 }),
      len: fc.integer({ min: 0, max: 200 }),
      flags: fc.constantFrom('PA', 'PA', 'PA', 'S', 'SA', 'FA', 'R', 'A'),
      short: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(seg, { maxLength: 200 }), (segs) => {
        const delivered = new Map<string, number>();
        const sink = {
          open: () => {},
          data: (c: { id: number }, d: string, _t: bigint, b: Buffer) => delivered.set(`${c.id}${d}`, (delivered.get(`${c.id}${d}`) ?? 0) + b.length),
          gap: () => {},
          close: () => {},
          problem: () => {},
        };
        const r = new TcpReassembler(settings, sink);
        for (const g of segs) {
          const a = `10.0.0.${g.client + 1}`;
          const seq = (0xffffff00 + g.off) >>> 0;
          const payload = Buffer.alloc(g.len, 0x61);
          r.segment(
            {
              src: g.fromServer ? '10.0.1.1' : a,
              dst: g.fromServer ? a : '10.0.1.1',
              srcPort: g.fromServer ? 135 : 50000,
              dstPort: g.fromServer ? 50000 : 135,
              seq,
              ack: 0,
              flags: [...g.flags].reduce((f, ch) => f | ({ F: 1, S: 2, R: 4, P: 8, A: 16 } as Record<string, number>)[ch]!, 0),
              window: 0,
              payloadLength: g.len,
              payload: g.short ? undefined : payload,
            },
            0n,
            1,
          );
          const h = r.held();
          expect(h.conversations).toBeLessThanOrEqual(3);
          expect(h.maxPerDirection).toBeLessThanOrEqual(300);
          expect(h.segments).toBeLessThanOrEqual(3 * 2 * 5);
        }
        r.end(0n);
        expect(r.held()).toEqual({ conversations: 0, bytes: 0, segments: 0, maxPerDirection: 0 });
        // Offsets span at most 2250 bytes per direction: anything more would be a byte delivered twice.
        for (const n of delivered.values()) expect(n).toBeLessThanOrEqual(2250);
      }),
      { numRuns: 300 },
    );
  });
});
