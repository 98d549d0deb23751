import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readCaptureBuffer } from '../../src/pcap/read-capture.js';
import type { StreamSink } from '../../src/pcap/streams.js';
import { block, epb, ethernet, idb, ipv4, pcapHeader, pcapRecord, RecordingSink, shb, type Tcp } from './fixtures/build.js';

const T: Tcp = { src: '10.1.1.1', dst: '10.1.1.2', sport: 49999, dport: 135, seq: 1, flags: 'PA', payload: 'data' };
const good = Buffer.concat([shb('le'), idb('le', 1), epb('le', 0, 1n, ethernet(ipv4(T))), epb('le', 0, 2n, ethernet(ipv4({ ...T, seq: 5, payload: 'more' })))]);

function read(buf: Buffer) {
  const sink = new RecordingSink();
  const summary = readCaptureBuffer(buf, sink);
  return { sink, summary, fatal: sink.problems().filter((p) => p.fatal) };
}

describe('bad capture files give problems and a summary, never a throw', () => {
  it('wrong magic', () => {
    const { summary, fatal } = read(Buffer.from('GET / HTTP/1.1\r\n\r\n'));
    expect(summary).toMatchObject({ packets: 0, truncated: true });
    expect(fatal).toEqual([{ message: 'not a pcap or pcapng file (magic 0x47455420)', offset: 0, fatal: true }]);
  });

  it('empty and too-short files', () => {
    expect(read(Buffer.alloc(0)).fatal).toMatchObject([{ message: 'the file is empty' }]);
    expect(read(Buffer.from([0xd4, 0xc3])).fatal).toMatchObject([{ message: expect.stringMatching(/too short/) }]);
    expect(read(pcapHeader('le', false, 1).subarray(0, 20)).fatal).toMatchObject([{ message: expect.stringMatching(/file header/) }]);
  });

  it('truncated inside a packet: what came before is read, the end is reported', () => {
    const { sink, summary, fatal } = read(good.subarray(0, good.length - 10));
    expect(summary).toMatchObject({ format: 'pcapng', packets: 1, tcpConversations: 1, truncated: true });
    expect(sink.stream(1, 'toServer')).toBe('data');
    expect(fatal).toMatchObject([{ offset: good.length - epb('le', 0, 2n, ethernet(ipv4({ ...T, seq: 5, payload: 'more' }))).length, message: expect.stringMatching(/truncated/) }]);
    expect(sink.of('close')).toEqual([{ kind: 'close', id: 1, how: 'end-of-capture' }]);
  });

  it('truncated pcap record', () => {
    const d = ethernet(ipv4(T));
    const buf = Buffer.concat([pcapHeader('le', false, 1), pcapRecord('le', 1, 0, d), pcapRecord('le', 1, 0, d).subarray(0, 20)]);
    expect(read(buf)).toMatchObject({ summary: { packets: 1, truncated: true } });
  });

  it('a block whose length at its end is not the one at its start', () => {
    const lying = Buffer.from(good);
    const at = shb('le').length + idb('le', 1).length;
    lying.writeUInt32LE(lying.readUInt32LE(at + 4) + 8, at + 4); // claims 8 bytes more
    const { summary, fatal } = read(lying);
    expect(summary).toMatchObject({ packets: 0, truncated: true });
    expect(fatal).toEqual([{ offset: at, fatal: true, message: expect.stringMatching(/says \d+ bytes at its start and \d+ at its end/) }]);
  });

  it('a block length over the limit, a length under 12 and one not a multiple of 4', () => {
    const at = shb('le').length + idb('le', 1).length;
    for (const [len, re] of [
      [0x7ffffff0, /over the limit of 262144 \(maxBlockBytes\)/],
      [0, /impossible length 0/],
      [8, /impossible length 8/],
      [46, /impossible length 46/],
    ] as const) {
      const b = Buffer.from(good);
      b.writeUInt32LE(len, at + 4);
      const { summary, fatal } = read(b);
      expect(summary.truncated).toBe(true);
      expect(fatal).toEqual([{ offset: at, fatal: true, message: expect.stringMatching(re) }]);
    }
  });

  it('a huge snap length is reported and a record over the limit stops reading', () => {
    const d = ethernet(ipv4(T));
    const rec = pcapRecord('le', 1, 0, d);
    rec.writeUInt32LE(300_000, 8);
    const { summary, sink } = read(Buffer.concat([pcapHeader('le', false, 1, 0x7fffffff), pcapRecord('le', 1, 0, d), rec]));
    expect(summary).toMatchObject({ packets: 1, truncated: true });
    expect(sink.problems()).toMatchObject([
      { fatal: false, message: expect.stringMatching(/snap length 2147483647/) },
      { fatal: true, offset: 24 + 16 + d.length, message: expect.stringMatching(/300000 captured bytes is over the limit/) },
    ]);
  });

  it('a pcapng section with a bad byte-order magic', () => {
    const b = Buffer.from(good);
    b.writeUInt32LE(0x11223344, 8);
    expect(read(b).fatal).toMatchObject([{ message: expect.stringMatching(/byte-order magic/) }]);
  });

  it('a capture with no TCP at all: a summary with every packet skipped', () => {
    const arp = Buffer.concat([Buffer.alloc(12, 1), Buffer.from([0x08, 0x06]), Buffer.alloc(28)]);
    const udp = ethernet(ipv4(T, { protocol: 17 }));
    const { summary, sink } = read(Buffer.concat([shb('le'), idb('le', 1), epb('le', 0, 1n, arp), epb('le', 0, 2n, udp), idb('le', 147), epb('le', 1, 3n, Buffer.alloc(20))]));
    expect(summary).toEqual({ format: 'pcapng', packets: 3, tcpConversations: 0, skippedPackets: 3, truncated: false });
    expect(sink.problems()).toEqual([]);
  });

  it('problems beyond maxProblems are counted, not each reported', () => {
    const bad = ipv4(T);
    bad[0] = 0x41; // IHL 4 bytes: impossible
    const recs = Array.from({ length: 50 }, () => pcapRecord('le', 1, 0, bad));
    const sink = new RecordingSink();
    readCaptureBuffer(Buffer.concat([pcapHeader('le', false, 101), ...recs]), sink, { maxProblems: 10 });
    expect(sink.problems()).toHaveLength(11);
    expect(sink.problems()[10]!.message).toMatch(/maxProblems/);
  });
});

/** Counts what the sink is given, holding nothing (so only the reader's own memory counts). */
function countingSink(): StreamSink & { bytes: number; calls: number } {
  const s = {
    bytes: 0,
    calls: 0,
    open: () => void s.calls++,
    data: (_c: unknown, _d: unknown, _t: unknown, b: Buffer) => {
      s.calls++;
      s.bytes += b.length;
    },
    gap: () => void s.calls++,
    close: () => void s.calls++,
    problem: () => void s.calls++,
  };
  return s;
}

describe('fuzz: random and mutated files only ever give a result', () => {
  const fixtures = ['lo-ipv4.pcapng', 'lo-ipv4.pcap', 'any-sll2.pcapng', 'merged.pcapng'].map((f) => readFileSync(new URL(`./fixtures/${f}`, import.meta.url)));
  const settings = { maxBlockBytes: 4096, maxReorderBytes: 2048, maxReorderSegments: 16, maxConversations: 8 };

  it('random bytes, with and without a valid magic', () => {
    const magics = [Buffer.alloc(0), Buffer.from('d4c3b2a1', 'hex'), Buffer.from('a1b23c4d', 'hex'), Buffer.from('0a0d0d0a', 'hex')];
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3 }), fc.uint8Array({ maxLength: 3000 }), (m, bytes) => {
        const sink = countingSink();
        const s = readCaptureBuffer(Buffer.concat([magics[m]!, Buffer.from(bytes)]), sink, settings);
        expect(s.packets).toBeGreaterThanOrEqual(0);
        // Nothing delivered that the input did not hold.
        expect(sink.bytes).toBeLessThanOrEqual(bytes.length);
      }),
      { numRuns: 400 },
    );
  });

  it('valid captures with bytes flipped, cut, repeated or inserted', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: fixtures.length - 1 }),
        fc.array(fc.record({ at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }), kind: fc.constantFrom('set', 'cut', 'dup', 'insert') }), { minLength: 1, maxLength: 8 }),
        (f, edits) => {
          let b = Buffer.from(fixtures[f]!);
          for (const e of edits) {
            const at = e.at % Math.max(1, b.length);
            if (e.kind === 'set') b[at] = e.byte;
            else if (e.kind === 'cut') b = b.subarray(0, at);
            else if (e.kind === 'dup') b = Buffer.concat([b.subarray(0, at), b.subarray(at, at + 64), b.subarray(at)]);
            else b = Buffer.concat([b.subarray(0, at), Buffer.from([e.byte, e.byte, e.byte, e.byte]), b.subarray(at)]);
          }
          const sink = countingSink();
          const s = readCaptureBuffer(b, sink, settings);
          expect(['pcap', 'pcapng']).toContain(s.format);
          expect(sink.bytes).toBeLessThanOrEqual(b.length);
        },
      ),
      { numRuns: 400 },
    );
  });
});
