/**
 * The recorder's write side on bytes: pcapng blocks (SHB, IDB, EPB) written out by hand from
 * the pcapng draft's layouts, and IPv4/IPv6 + TCP packets whose checksums were worked out by
 * hand (the IPv4 header sum is shown below) and cross-checked with an independent RFC 1071
 * implementation outside the project.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { enhancedPacketBlock, enhancedPacketBlockOf, epbSize, interfaceDescriptionBlock, sectionHeaderBlock } from '../../src/pcap/pcapng-writer.js';
import { internetChecksum, ipPacket, ipPacketLength, parseAddress, sameFamily, writeIpPacket } from '../../src/pcap/synthesize.js';
import { TCP_ACK, TCP_PSH, TCP_SYN } from '../../src/pcap/tcp.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('pcapng blocks', () => {
  it('the Section Header Block: type, length 28, byte-order magic, version 1.0, section length -1', () => {
    expect(sectionHeaderBlock().toString('hex')).toBe(
      hex(`0a0d0d0a 1c000000 4d3c2b1a 0100 0000 ffffffffffffffff 1c000000`).toString('hex'),
    );
  });

  it('the SHB with shb_userappl: option 4, its length, the value padded to 4, opt_endofopt', () => {
    expect(sectionHeaderBlock('scmpd').toString('hex')).toBe(
      hex(`0a0d0d0a 2c000000 4d3c2b1a 0100 0000 ffffffffffffffff 0400 0500 73636d7064 000000 0000 0000 2c000000`).toString('hex'),
    );
  });

  it('the Interface Description Block: LINKTYPE_RAW (101), snaplen 0, if_tsresol 9 (nanoseconds)', () => {
    expect(interfaceDescriptionBlock().toString('hex')).toBe(hex(`01000000 20000000 6500 0000 00000000 0900 0100 09 000000 0000 0000 20000000`).toString('hex'));
  });

  it('an Enhanced Packet Block: interface 0, the timestamp split high/low, lengths, data padded to 4', () => {
    const t = 0x0001_8000_0000_0005n;
    expect(enhancedPacketBlock(t, Buffer.from('abcde')).toString('hex')).toBe(
      hex(`06000000 28000000 00000000 00800100 05000000 05000000 05000000 6162636465 000000 28000000`).toString('hex'),
    );
    expect(epbSize(5)).toBe(0x28);
  });

  it('every EPB is a whole number of 4-byte words with its length at both ends', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (data, t) => {
        const b = enhancedPacketBlock(t, Buffer.from(data));
        expect(b.length % 4).toBe(0);
        expect(b.length).toBe(epbSize(data.length));
        expect(b.readUInt32LE(4)).toBe(b.length);
        expect(b.readUInt32LE(b.length - 4)).toBe(b.length);
        expect((BigInt(b.readUInt32LE(12)) << 32n) | BigInt(b.readUInt32LE(16))).toBe(t);
      }),
    );
  });
});

const segment = {
  srcPort: 49152,
  dstPort: 135,
  seq: 0x01020304,
  ack: 0x0a0b0c0d,
  flags: TCP_PSH | TCP_ACK,
  window: 65535,
  ipId: 0x1234,
  ttl: 128,
  payload: Buffer.from('abc'),
};

describe('synthesized packets', () => {
  it('IPv4 + TCP: every field and both checksums', () => {
    const p = ipPacket({ ...segment, src: parseAddress('192.168.0.1'), dst: parseAddress('192.168.0.199') });
    // IPv4 header sum: 4500+002b+1234+4000+8006+c0a8+0001+c0a8+00c7 = 0x2997d → 0x997f → ~ = 0x6680.
    expect(p.toString('hex')).toBe(
      hex(`4500 002b 1234 4000 80 06 6680 c0a80001 c0a800c7
           c000 0087 01020304 0a0b0c0d 50 18 ffff 8ea8 0000 616263`).toString('hex'),
    );
    // A receiver's check: the header and the pseudo-header sums come out all ones.
    expect(internetChecksum([p.subarray(0, 20)])).toBe(0);
  });

  it('IPv6 + TCP: payload length, next header 6, hop limit, the checksum over the IPv6 pseudo-header', () => {
    const p = ipPacket({ ...segment, src: parseAddress('2001:db8::1'), dst: parseAddress('2001:db8::2') });
    expect(p.toString('hex')).toBe(
      hex(`60000000 0017 06 80 20010db8000000000000000000000001 20010db8000000000000000000000002
           c000 0087 01020304 0a0b0c0d 50 18 ffff b54c 0000 616263`).toString('hex'),
    );
  });

  it('a SYN carries the MSS option (data offset 6) and acknowledgement number 0', () => {
    const p = ipPacket({ ...segment, flags: TCP_SYN, payload: Buffer.alloc(0), mss: 1460, src: parseAddress('10.0.0.1'), dst: parseAddress('10.0.0.2') });
    const tcp = p.subarray(20);
    expect(p.readUInt16BE(2)).toBe(44);
    expect(tcp.readUInt32BE(8)).toBe(0);
    expect(tcp[12]).toBe(0x60);
    expect(tcp.subarray(20).toString('hex')).toBe('020405b4');
  });

  it('checksums verify for any payload, odd lengths included, in both families', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1500 }), fc.boolean(), fc.integer({ min: 0, max: 2 ** 32 - 1 }), (data, v6, seq) => {
        const src = parseAddress(v6 ? 'fe80::1234:5678' : '10.1.2.3');
        const dst = parseAddress(v6 ? '::1' : '172.16.0.9');
        const p = ipPacket({ ...segment, seq, payload: Buffer.from(data), src, dst });
        const ipLen = v6 ? 40 : 20;
        const tcpLen = p.length - ipLen;
        const pseudo = v6 ? Buffer.concat([src, dst, hex(`${tcpLen.toString(16).padStart(8, '0')} 000000 06`)]) : Buffer.concat([src, dst, hex(`00 06 ${tcpLen.toString(16).padStart(4, '0')}`)]);
        expect(internetChecksum([pseudo, p.subarray(ipLen)])).toBe(0);
        if (!v6) expect(internetChecksum([p.subarray(0, 20)])).toBe(0);
      }),
    );
  });

  it('addresses as Node gives them: IPv4, compressed and zoned IPv6, IPv4-mapped unmapped in pairs', () => {
    expect(parseAddress('::1').toString('hex')).toBe('00000000000000000000000000000001');
    expect(parseAddress('fe80::1%lo').toString('hex')).toBe('fe800000000000000000000000000001');
    expect(parseAddress('2001:db8:0:0:1::').toString('hex')).toBe('20010db8000000000001000000000000');
    expect(parseAddress('::ffff:127.0.0.1').toString('hex')).toBe('00000000000000000000ffff7f000001');
    const [a, b] = sameFamily(parseAddress('::ffff:127.0.0.1'), parseAddress('127.0.0.2'));
    expect([a.toString('hex'), b.toString('hex')]).toEqual(['7f000001', '7f000002']);
    expect(() => parseAddress('nope')).toThrow(TypeError);
  });

  it('the packet written in place into its block is the same bytes as the block of the packet (any payload, both families)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1600 }), fc.boolean(), fc.option(fc.constant(1460), { nil: undefined }), (data, v6, mss) => {
        const seg = { ...segment, payload: Buffer.from(data), src: parseAddress(v6 ? '::1' : '127.0.0.1'), dst: parseAddress(v6 ? '::2' : '127.0.0.2'), ...(mss ? { mss } : {}) };
        const inPlace = enhancedPacketBlockOf(7n, ipPacketLength(seg), (b, at) => writeIpPacket(seg, b, at));
        expect(inPlace.equals(enhancedPacketBlock(7n, ipPacket(seg)))).toBe(true);
      }),
    );
  });
});
