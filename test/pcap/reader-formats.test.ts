import { describe, expect, it } from 'vitest';
import { CaptureFileReader, type CapturedPacket } from '../../src/pcap/file-reader.js';
import { ipFromLink } from '../../src/pcap/link.js';
import { tcpFromIp, ipv6Text } from '../../src/pcap/packet.js';
import { readCaptureBuffer } from '../../src/pcap/read-capture.js';
import { READ_DEFAULTS } from '../../src/pcap/read-settings.js';
import type { CaptureProblem } from '../../src/pcap/streams.js';
import { block, epb, ethernet, idb, ipv4, ipv6, pb, pcapHeader, pcapRecord, RecordingSink, shb, spb, type Endian, type Tcp } from './fixtures/build.js';

const T: Tcp = { src: '192.168.1.10', dst: '192.168.1.20', sport: 50123, dport: 135, seq: 100, ack: 200, flags: 'PA', payload: 'hello' };

function packets(buf: Buffer, chunk = buf.length): { packets: CapturedPacket[]; problems: CaptureProblem[] } {
  const out: CapturedPacket[] = [];
  const problems: CaptureProblem[] = [];
  const r = new CaptureFileReader(READ_DEFAULTS, { packet: (p) => out.push({ ...p, data: Buffer.from(p.data) }), problem: (p) => problems.push(p) });
  for (let i = 0; i < buf.length; i += chunk) r.feed(buf.subarray(i, i + chunk));
  r.finish();
  return { packets: out, problems };
}

describe('pcap', () => {
  for (const e of ['le', 'be'] as Endian[]) {
    for (const nano of [false, true]) {
      it(`reads ${e} ${nano ? 'nanosecond' : 'microsecond'} files: link type, time, bytes, lengths`, () => {
        const d = ethernet(ipv4(T));
        const buf = Buffer.concat([pcapHeader(e, nano, 1), pcapRecord(e, 1_700_000_000, 123_456, d, d.length + 10), pcapRecord(e, 1_700_000_001, 7, d)]);
        // Fed three bytes at a time: records split anywhere are put together.
        const { packets: ps, problems } = packets(buf, 3);
        expect(problems).toEqual([]);
        expect(ps.map((p) => [p.number, p.linkType, p.interfaceIndex, p.timeNs, p.originalLength])).toEqual([
          [1, 1, 0, 1_700_000_000_000_000_000n + (nano ? 123_456n : 123_456_000n), d.length + 10],
          [2, 1, 0, 1_700_000_001_000_000_000n + (nano ? 7n : 7000n), d.length],
        ]);
        expect(ps[0]!.data.equals(d)).toBe(true);
        expect(ps[1]!.offset).toBe(24 + 16 + d.length);
      });
    }
  }

  it('clamps a huge snap length and says so', () => {
    const { problems } = packets(Buffer.concat([pcapHeader('le', false, 1, 0xffffffff)]));
    expect(problems).toEqual([{ message: expect.stringMatching(/snap length 4294967295 .*maxSnaplen/), offset: 0, fatal: false }]);
  });
});

describe('pcapng', () => {
  for (const e of ['le', 'be'] as Endian[]) {
    it(`reads a ${e} section: IDB, EPB, SPB, obsolete PB, unknown blocks skipped`, () => {
      const d = ethernet(ipv4(T));
      const buf = Buffer.concat([
        shb(e),
        idb(e, 1, { snaplen: 20 }),
        block(e, 0x00000004, Buffer.alloc(12, 7)), // a name resolution block: skipped
        epb(e, 0, 1_700_000_000_000_001n, d, d.length + 1), // default resolution: microseconds
        block(e, 0x0badcafe, Buffer.alloc(3)), // unknown: skipped by its length
        spb(e, d), // cut to the first interface's snap length
        pb(e, 0, 5n, d),
      ]);
      const { packets: ps, problems } = packets(buf, 5);
      expect(problems).toEqual([]);
      expect(ps.map((p) => [p.number, p.linkType, p.timeNs, p.data.length, p.originalLength])).toEqual([
        [1, 1, 1_700_000_000_000_001_000n, d.length, d.length + 1],
        [2, 1, 1_700_000_000_000_001_000n, 20, d.length], // an SPB has no time: the last one
        [3, 1, 5000n, d.length, d.length],
      ]);
      expect(ps[0]!.data.equals(d)).toBe(true);
    });
  }

  it('if_tsresol as a power of 10 and of 2, and if_tsoffset', () => {
    const d = Buffer.from(ipv4(T));
    const buf = Buffer.concat([
      shb('le'),
      idb('le', 101, { tsresol: 9 }), // ns
      idb('le', 101, { tsresol: 3 }), // ms
      idb('le', 101, { tsresol: 0x80 | 10 }), // 1/1024 s
      idb('le', 101, { tsresol: 12, tsoffset: 100n }), // ps, +100 s
      epb('le', 0, 1_234_567_890_123_456_789n, d),
      epb('le', 1, 1500n, d),
      epb('le', 2, 1536n, d),
      epb('le', 3, 2_000_000n, d),
    ]);
    const { packets: ps, problems } = packets(buf);
    expect(problems).toEqual([]);
    expect(ps.map((p) => [p.interfaceIndex, p.timeNs])).toEqual([
      [0, 1_234_567_890_123_456_789n],
      [1, 1_500_000_000n],
      [2, 1_500_000_000n],
      [3, 100_000_002_000n],
    ]);
  });

  it('several sections, each with its own byte order and interfaces', () => {
    const d = ipv4(T);
    const buf = Buffer.concat([shb('le'), idb('le', 101), epb('le', 0, 1n, d), shb('be'), idb('be', 228, { tsresol: 9 }), epb('be', 0, 2n, d)]);
    const { packets: ps, problems } = packets(buf, 7);
    expect(problems).toEqual([]);
    expect(ps.map((p) => [p.linkType, p.timeNs])).toEqual([
      [101, 1000n],
      [228, 2n],
    ]);
  });

  it('a packet naming an interface the section lacks is skipped with a problem', () => {
    const buf = Buffer.concat([shb('le'), idb('le', 1), epb('le', 3, 1n, Buffer.alloc(8))]);
    const { packets: ps, problems } = packets(buf);
    expect(ps).toEqual([]);
    expect(problems).toMatchObject([{ packet: 1, fatal: false, message: expect.stringMatching(/interface 3/) }]);
  });

  it('an EPB whose captured length is past its block is skipped, and reading goes on', () => {
    const bad = epb('le', 0, 1n, Buffer.alloc(8));
    bad.writeUInt32LE(400, 8 + 12); // captured length
    const buf = Buffer.concat([shb('le'), idb('le', 101), bad, epb('le', 0, 2n, ipv4(T))]);
    const { packets: ps, problems } = packets(buf);
    expect(ps.map((p) => p.number)).toEqual([2]);
    expect(problems).toMatchObject([{ packet: 1, fatal: false }]);
  });
});

describe('link types', () => {
  const ip4 = ipv4(T);
  const ip6 = ipv6({ ...T, src: 'fe80::1', dst: '2001:db8::20' });
  const sll = (ip: Buffer, proto: number) => Buffer.concat([Buffer.from([0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, proto >> 8, proto & 0xff]), ip]);
  const sll2 = (ip: Buffer, proto: number) => Buffer.concat([Buffer.from([proto >> 8, proto & 0xff, 0, 0, 0, 0, 0, 1, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0]), ip]);
  const fam = (v: number, e: Endian) => {
    const b = Buffer.alloc(4);
    if (e === 'le') b.writeUInt32LE(v);
    else b.writeUInt32BE(v);
    return b;
  };
  const cases: [string, number, Buffer, Buffer][] = [
    ['Ethernet', 1, ethernet(ip4), ip4],
    ['Ethernet IPv6', 1, ethernet(ip6), ip6],
    ['Ethernet 802.1Q', 1, ethernet(ip4, [0x8100]), ip4],
    ['Ethernet 802.1ad + 802.1Q', 1, ethernet(ip6, [0x88a8, 0x8100]), ip6],
    ['Linux cooked SLL', 113, sll(ip4, 0x0800), ip4],
    ['Linux cooked SLL2', 276, sll2(ip6, 0x86dd), ip6],
    ['BSD null, little endian AF_INET', 0, Buffer.concat([fam(2, 'le'), ip4]), ip4],
    ['BSD null, big endian AF_INET6 (Darwin 30)', 0, Buffer.concat([fam(30, 'be'), ip6]), ip6],
    ['BSD null, little endian AF_INET6 (FreeBSD 28)', 0, Buffer.concat([fam(28, 'le'), ip6]), ip6],
    ['LOOP (big endian)', 108, Buffer.concat([fam(24, 'be'), ip6]), ip6],
    ['raw 101', 101, ip4, ip4],
    ['raw 12', 12, ip6, ip6],
    ['raw 14', 14, ip4, ip4],
    ['IPv4 228', 228, ip4, ip4],
    ['IPv6 229', 229, ip6, ip6],
  ];
  for (const [name, lt, frame, ip] of cases) {
    it(`${name} (${lt}) → the IP packet`, () => {
      const r = ipFromLink(lt, frame);
      expect('ip' in r && r.ip.equals(ip)).toBe(true);
    });
  }

  it('other link types, other EtherTypes and cut headers are skips', () => {
    expect(ipFromLink(105, ip4)).toEqual({ skip: 'link type 105' });
    expect(ipFromLink(1, Buffer.concat([Buffer.alloc(12), Buffer.from([0x08, 0x06]), Buffer.alloc(28)]))).toEqual({ skip: 'EtherType 0x0806' });
    expect(ipFromLink(1, Buffer.alloc(10))).toHaveProperty('skip');
    expect(ipFromLink(276, Buffer.alloc(19))).toHaveProperty('skip');
    expect(ipFromLink(0, Buffer.concat([fam(7, 'le'), ip4]))).toEqual({ skip: 'address family 7' });
  });

  it('every link type reads end to end into the same stream', () => {
    for (const [name, lt, frame] of cases) {
      const sink = new RecordingSink();
      const summary = readCaptureBuffer(Buffer.concat([pcapHeader('be', true, lt), pcapRecord('be', 1, 0, frame)]), sink);
      expect(summary, name).toMatchObject({ format: 'pcap', packets: 1, tcpConversations: 1, skippedPackets: 0, truncated: false });
      expect(sink.stream(1, 'toServer'), name).toBe('hello');
    }
  });
});

describe('IP and TCP', () => {
  it('IPv4 with options: addresses, ports, numbers, flags, window, payload', () => {
    const r = tcpFromIp(ipv4({ ...T, options: Buffer.from([1, 1, 1, 0]) }, { options: Buffer.from([0x94, 4, 0, 0, 1, 1, 1, 0]) }));
    expect(r).toEqual({
      segment: { src: '192.168.1.10', dst: '192.168.1.20', srcPort: 50123, dstPort: 135, seq: 100, ack: 200, flags: 0x18, window: 65535, payloadLength: 5, payload: Buffer.from('hello') },
    });
  });

  it('IPv4: the payload ends at the total length (Ethernet padding is not data)', () => {
    const r = tcpFromIp(Buffer.concat([ipv4(T), Buffer.alloc(6)]));
    expect('segment' in r && r.segment.payload?.toString()).toBe('hello');
  });

  it('IPv4 fragments are skipped, not reassembled', () => {
    expect(tcpFromIp(ipv4(T, { fragment: 0x2000 }))).toEqual({ skip: 'IPv4 fragment' });
    expect(tcpFromIp(ipv4(T, { fragment: 0x0010 }))).toEqual({ skip: 'IPv4 fragment' });
    expect(tcpFromIp(ipv4(T, { protocol: 17 }))).toEqual({ skip: 'IP protocol 17' });
  });

  it('IPv6 skips hop-by-hop, routing and destination options; a fragment header is a skip', () => {
    const T6 = { ...T, src: '2001:db8:0:0:1:0:0:1', dst: '::1' };
    const r = tcpFromIp(ipv6(T6, [[0, Buffer.alloc(8)], [43, Buffer.alloc(16)], [60, Buffer.alloc(8)]]));
    expect(r).toMatchObject({ segment: { src: '2001:db8::1:0:0:1', dst: '::1', srcPort: 50123, payload: Buffer.from('hello') } });
    expect(tcpFromIp(ipv6(T6, [[44, Buffer.alloc(8)]]))).toEqual({ skip: 'IPv6 fragment' });
  });

  it('IPv6 text is RFC 5952', () => {
    const hex = (s: string) => Buffer.from(s.replace(/ /g, ''), 'hex');
    expect(ipv6Text(hex('00000000 00000000 00000000 00000001'), 0)).toBe('::1');
    expect(ipv6Text(hex('20010db8 00000000 00010000 00000001'), 0)).toBe('2001:db8::1:0:0:1');
    expect(ipv6Text(hex('20010db8 00010001 00010001 00010001'), 0)).toBe('2001:db8:1:1:1:1:1:1');
    expect(ipv6Text(hex('fe800000 00000000 00000000 00000000'), 0)).toBe('fe80::');
    expect(ipv6Text(hex('00000000 00000000 0000ffff 7f000001'), 0)).toBe('::ffff:127.0.0.1');
    expect(ipv6Text(hex('00010000 00000000 00000000 00000000'), 0)).toBe('1::');
    expect(ipv6Text(hex('00000000 00010000 00000000 00000001'), 0)).toBe('0:0:1::1');
  });

  it('a bad data offset is malformed; a segment captured short is a gap, not data', () => {
    const bad = ipv4(T);
    bad[20 + 12] = 0x30; // data offset 12 bytes
    expect(tcpFromIp(bad)).toMatchObject({ malformed: true });
    const short = tcpFromIp(ipv4(T).subarray(0, 42));
    expect(short).toMatchObject({ segment: { payloadLength: 5, payload: undefined } });

    const hs: Tcp[] = [
      { ...T, seq: 99, flags: 'S', payload: '' },
      { ...T, seq: 100, payload: 'abc' },
      { ...T, seq: 103, payload: 'hello' },
      { ...T, seq: 108, payload: 'xyz' },
    ];
    const recs = hs.map((t, i) => {
      const d = ipv4(t);
      return pcapRecord('le', 1, i, i === 2 ? d.subarray(0, 42) : d, d.length);
    });
    const sink = new RecordingSink();
    readCaptureBuffer(Buffer.concat([pcapHeader('le', false, 101), ...recs]), sink);
    expect(sink.stream(1, 'toServer')).toBe('abc<gap 5>xyz');
  });
});
