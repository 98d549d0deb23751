/**
 * PduFramer: cutting a TCP byte stream into fragments by frag_length (C706 12.6.1), in
 * either integer byte order, with the frag_length bounds checked before anything waits for
 * the body. The fragments here are written out by hand (see pdu.test.ts for their layouts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PduError } from '../../src/dcerpc/pdu/error.js';
import { PduFramer } from '../../src/dcerpc/pdu/framer.js';

function hex(s: string): Buffer {
  const clean = s.replace(/\s+/g, '');
  if (!/^(?:[0-9a-f]{2})*$/i.test(clean)) throw new Error(`bad hex literal: ${s}`);
  return Buffer.from(clean, 'hex');
}

/** request, 28 bytes. */
const REQUEST = hex('05 00 00 03 10 00 00 00 1c 00 00 00 03 00 00 00  04 00 00 00 00 00 03 00  de ad be ef');
/** bind_nak, 24 bytes. */
const BIND_NAK = hex('05 00 0d 03 10 00 00 00 18 00 00 00 01 00 00 00  04 00 01 05 00 00 00 00');
/** shutdown, 16 bytes: a fragment that is only a header. */
const SHUTDOWN = hex('05 00 11 03 10 00 00 00 10 00 00 00 06 00 00 00');
/** big-endian request with object UUID, 48 bytes (frag_length 00 30). */
const REQUEST_OBJ_BE = hex(`
  05 00 00 83 00 00 00 00 00 30 00 00 00 00 00 04
  00 00 00 08 00 01 00 02  12 34 56 78 9a bc de f0 01 23 45 67 89 ab cd ef
  11 22 33 44 55 66 77 88
`);
/** fault, 32 bytes. */
const FAULT = hex('05 00 03 23 10 00 00 00 20 00 00 00 03 00 00 00  20 00 00 00 01 00 00 00 02 00 01 1c 00 00 00 00');
/** alter_context_resp, 56 bytes. */
const ALTER_RESP = hex(`
  05 00 0f 03 10 00 00 00 38 00 00 00 02 00 00 00
  d0 16 d0 16 3d 46 00 00 00 00 00 00 01 00 00 00
  00 00 00 00 04 5d 88 8a eb 1c c9 11 9f e8 08 00 2b 10 48 60 02 00 00 00
`);
/** big-endian bind_nak (frag_length 00 18), 24 bytes. */
const BIND_NAK_BE = hex('05 00 0d 03 00 00 00 00 00 18 00 00 00 00 00 01  00 04 01 05 00 00 00 00');

const FRAGMENTS = [REQUEST, BIND_NAK, SHUTDOWN, REQUEST_OBJ_BE, FAULT, SHUTDOWN, ALTER_RESP, BIND_NAK_BE, REQUEST];
const STREAM = Buffer.concat(FRAGMENTS);
const EXPECTED = FRAGMENTS.map((f) => f.toString('hex'));

/** Feeds `chunks` in order; returns every fragment emitted, as hex. */
function feed(framer: PduFramer, chunks: Buffer[]): string[] {
  const out: string[] = [];
  for (const c of chunks) for (const f of framer.push(c)) out.push(f.toString('hex'));
  return out;
}

function cut(buf: Buffer, points: number[]): Buffer[] {
  const sorted = [...new Set(points)].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let prev = 0;
  for (const p of sorted) {
    chunks.push(buf.subarray(prev, p));
    prev = p;
  }
  chunks.push(buf.subarray(prev));
  return chunks;
}

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('PduFramer splitting', () => {
  it('emits every fragment of a stream pushed in one piece, in order', () => {
    const framer = new PduFramer(5840);
    expect(feed(framer, [STREAM])).toEqual(EXPECTED);
    expect(framer.buffered).toBe(0);
  });

  it('emits the same fragments when the stream is split at any single byte boundary', () => {
    for (let i = 0; i <= STREAM.length; i++) {
      const framer = new PduFramer(5840);
      expect(feed(framer, [STREAM.subarray(0, i), STREAM.subarray(i)]), `split at ${i}`).toEqual(EXPECTED);
      expect(framer.buffered).toBe(0);
    }
  });

  it('emits the same fragments when the stream is split at every pair of byte boundaries', () => {
    for (let i = 0; i <= STREAM.length; i++) {
      for (let j = i; j <= STREAM.length; j++) {
        const framer = new PduFramer(5840);
        const got = feed(framer, [STREAM.subarray(0, i), STREAM.subarray(i, j), STREAM.subarray(j)]);
        if (got.length !== EXPECTED.length || got.some((g, k) => g !== EXPECTED[k])) {
          expect(got, `split at ${i}, ${j}`).toEqual(EXPECTED);
        }
      }
    }
  });

  it('emits the same fragments when fed one byte at a time, each as soon as its last byte arrives', () => {
    const framer = new PduFramer(5840);
    const ends = new Set<number>();
    let at = 0;
    for (const f of FRAGMENTS) ends.add((at += f.length));
    const out: string[] = [];
    for (let i = 0; i < STREAM.length; i++) {
      const got = framer.push(STREAM.subarray(i, i + 1));
      expect(got.length, `byte ${i}`).toBe(ends.has(i + 1) ? 1 : 0);
      for (const f of got) out.push(f.toString('hex'));
    }
    expect(out).toEqual(EXPECTED);
    expect(framer.buffered).toBe(0);
  });

  it('emits the same fragments for random chunkings (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: STREAM.length }), { maxLength: 40 }), (points) => {
        const framer = new PduFramer(5840);
        expect(feed(framer, cut(STREAM, points))).toEqual(EXPECTED);
        expect(framer.buffered).toBe(0);
      }),
      { numRuns: 500 },
    );
  });

  it('handles empty pushes', () => {
    const framer = new PduFramer(5840);
    expect(framer.push(Buffer.alloc(0))).toEqual([]);
    expect(feed(framer, [Buffer.alloc(0), REQUEST, Buffer.alloc(0)])).toEqual([REQUEST.toString('hex')]);
  });
});

describe('PduFramer holding partial data', () => {
  it('holds a partial header and a partial body without emitting', () => {
    const framer = new PduFramer(5840);
    expect(framer.push(ALTER_RESP.subarray(0, 10))).toEqual([]);
    expect(framer.buffered).toBe(10);
    expect(framer.push(ALTER_RESP.subarray(10, 15))).toEqual([]);
    expect(framer.buffered).toBe(15);
    expect(framer.push(ALTER_RESP.subarray(15, 16))).toEqual([]);
    expect(framer.buffered).toBe(16);
    expect(framer.push(ALTER_RESP.subarray(16, 55))).toEqual([]);
    expect(framer.buffered).toBe(55);
    const out = framer.push(ALTER_RESP.subarray(55));
    expect(out.map((b) => b.toString('hex'))).toEqual([ALTER_RESP.toString('hex')]);
    expect(framer.buffered).toBe(0);
  });

  it('emits the complete fragments of a push and keeps the partial tail', () => {
    const framer = new PduFramer(5840);
    const out = framer.push(Buffer.concat([REQUEST, FAULT, BIND_NAK.subarray(0, 20)]));
    expect(out.map((b) => b.toString('hex'))).toEqual([REQUEST.toString('hex'), FAULT.toString('hex')]);
    expect(framer.buffered).toBe(20);
    expect(framer.push(BIND_NAK.subarray(20)).map((b) => b.toString('hex'))).toEqual([BIND_NAK.toString('hex')]);
    expect(framer.buffered).toBe(0);
  });

  it('returns fragments whose bytes are exactly the input (not shared scratch space)', () => {
    const framer = new PduFramer(5840);
    const first = framer.push(Buffer.concat([REQUEST, SHUTDOWN.subarray(0, 3)]));
    framer.push(SHUTDOWN.subarray(3));
    expect(first[0]!.toString('hex')).toBe(REQUEST.toString('hex'));
  });
});

describe('PduFramer frag_length bounds', () => {
  it('honours a big-endian frag_length (drep byte 0 = 0x00)', () => {
    // 00 30 is 48 big-endian; read as little-endian it would be 0x3000 = 12288 > 5840.
    const framer = new PduFramer(5840);
    expect(framer.push(REQUEST_OBJ_BE.subarray(0, 47))).toEqual([]);
    expect(framer.push(REQUEST_OBJ_BE.subarray(47)).map((b) => b.toString('hex'))).toEqual([REQUEST_OBJ_BE.toString('hex')]);
  });

  it('treats any drep high nibble other than 1 as big-endian', () => {
    const b = Buffer.from(REQUEST_OBJ_BE);
    b[4] = 0x01; // big-endian integers, EBCDIC characters
    const framer = new PduFramer(5840);
    expect(framer.push(b)).toHaveLength(1);
  });

  it('throws PduError for frag_length < 16 as soon as the header is complete', () => {
    for (const len of [0, 1, 8, 15]) {
      for (const le of [true, false]) {
        const h = Buffer.from(SHUTDOWN);
        h[4] = le ? 0x10 : 0x00;
        if (le) h.writeUInt16LE(len, 8);
        else h.writeUInt16BE(len, 8);
        const framer = new PduFramer(5840);
        expect(framer.push(h.subarray(0, 15))).toEqual([]);
        expect(thrown(() => framer.push(h.subarray(15, 16))), `${len} ${le}`).toBeInstanceOf(PduError);
      }
    }
  });

  it('throws PduError for frag_length > maxFragment before waiting for the body', () => {
    // 56-byte alter_context_resp against a limit of 55: the 16-byte header alone must throw.
    const framer = new PduFramer(55);
    expect(thrown(() => framer.push(ALTER_RESP.subarray(0, 16)))).toBeInstanceOf(PduError);
    // Big-endian: bind_nak of 24 against a limit of 23.
    const be = new PduFramer(23);
    expect(thrown(() => be.push(BIND_NAK_BE.subarray(0, 16)))).toBeInstanceOf(PduError);
    // A huge claim never makes it buffer: 0xffff against 5840, header only.
    const h = Buffer.from(SHUTDOWN);
    h.writeUInt16LE(0xffff, 8);
    const big = new PduFramer(5840);
    expect(thrown(() => big.push(h))).toBeInstanceOf(PduError);
  });

  it('throws PduError when a bad header follows good fragments in later pushes', () => {
    const framer = new PduFramer(5840);
    expect(framer.push(REQUEST)).toHaveLength(1);
    const h = Buffer.from(SHUTDOWN);
    h.writeUInt16LE(6000, 8);
    expect(thrown(() => framer.push(h))).toBeInstanceOf(PduError);
  });

  it('accepts frag_length exactly 16 and exactly maxFragment', () => {
    expect(new PduFramer(16).push(SHUTDOWN)).toHaveLength(1);
    expect(new PduFramer(56).push(ALTER_RESP)).toHaveLength(1);
  });

  it('applies a lowered maxFragment to the next fragment', () => {
    const framer = new PduFramer(5840);
    expect(framer.push(ALTER_RESP)).toHaveLength(1);
    framer.maxFragment = 32;
    expect(framer.push(FAULT)).toHaveLength(1);
    expect(thrown(() => framer.push(ALTER_RESP))).toBeInstanceOf(PduError);
  });

  it('never throws anything but PduError on random streams (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 10 }),
        fc.integer({ min: 16, max: 300 }),
        (chunks, max) => {
          const framer = new PduFramer(max);
          const e = thrown(() => {
            for (const c of chunks) {
              for (const f of framer.push(Buffer.from(c))) {
                expect(f.length).toBeGreaterThanOrEqual(16);
                expect(f.length).toBeLessThanOrEqual(max);
                const le = (f[4]! & 0xf0) === 0x10;
                expect(le ? f.readUInt16LE(8) : f.readUInt16BE(8)).toBe(f.length);
              }
              // At most one partial fragment (or a partial header) is held.
              expect(framer.buffered).toBeLessThan(Math.max(max, 16));
            }
          });
          if (e !== undefined) expect(e).toBeInstanceOf(PduError);
        },
      ),
      { numRuns: 500 },
    );
  });
});
