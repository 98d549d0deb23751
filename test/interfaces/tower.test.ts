/**
 * Protocol towers (C706 appendix L; the 75-byte ncacn_ip_tcp tower of notes/facts-dcerpc.md
 * section 8, byte-confirmed by a Windows ept_map capture and Samba's torture data). Vectors
 * are written by hand: floor lengths and UUID-floor versions little-endian, port and IPv4
 * address in network order.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NdrError } from '../../src/ndr/error.js';
import {
  PROTOCOL_ID,
  decodeFloors,
  decodeTowerQuery,
  encodeFloors,
  encodeTcpTower,
  ipv4Octets,
  readUuidFloor,
  uuidFloor,
} from '../../src/interfaces/epm/tower.js';

function hex(s: string): Buffer {
  const clean = s.replace(/\s+/g, '');
  if (!/^(?:[0-9a-f]{2})*$/i.test(clean)) throw new Error(`bad hex literal: ${s}`);
  return Buffer.from(clean, 'hex');
}

const EPM = { uuid: 'e1af8308-5d1f-11c9-91a4-08002b14a0fa', major: 3, minor: 0 };
const MGMT = { uuid: 'afa8bd80-7d8a-11c9-bef4-08002b102989', major: 1, minor: 0 };
const IOBJ = { uuid: '0b0a6584-9e0f-11cf-a3cf-00805f68cb1b', major: 1, minor: 1 };
const NDR20 = { uuid: '8a885d04-1ceb-11c9-9fe8-08002b104860', major: 2, minor: 0 };

/** EPM v3.0, NDR20 v2.0, ncacn, TCP 135, IPv4 10.1.2.3: 75 bytes. */
const EPM_TOWER = hex(`
  05 00
  13 00  0d 08 83 af e1 1f 5d c9 11 91 a4 08 00 2b 14 a0 fa 03 00  02 00  00 00
  13 00  0d 04 5d 88 8a eb 1c c9 11 9f e8 08 00 2b 10 48 60 02 00  02 00  00 00
  01 00  0b  02 00  00 00
  01 00  07  02 00  00 87
  01 00  09  04 00  0a 01 02 03
`);

/** IOBJ v1.1 (minor in the rhs), NDR20, TCP 49676 = c2 0c, IPv4 192.168.1.20. */
const IOBJ_TOWER = hex(`
  05 00
  13 00  0d 84 65 0a 0b 0f 9e cf 11 a3 cf 00 80 5f 68 cb 1b 01 00  02 00  01 00
  13 00  0d 04 5d 88 8a eb 1c c9 11 9f e8 08 00 2b 10 48 60 02 00  02 00  00 00
  01 00  0b  02 00  00 00
  01 00  07  02 00  c2 0c
  01 00  09  04 00  c0 a8 01 14
`);

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('encodeTcpTower', () => {
  it('encodes EPM v3.0 / NDR20 v2.0 / port 135 / 10.1.2.3 as the 75-byte vector', () => {
    expect(EPM_TOWER.length).toBe(75);
    const t = encodeTcpTower({ iface: EPM, transfer: NDR20, port: 135, address: '10.1.2.3' });
    expect(t.toString('hex')).toBe(EPM_TOWER.toString('hex'));
  });

  it('puts the interface minor version in the rhs and the port big-endian', () => {
    const t = encodeTcpTower({ iface: IOBJ, transfer: NDR20, port: 49676, address: '::ffff:192.168.1.20' });
    expect(t.toString('hex')).toBe(IOBJ_TOWER.toString('hex'));
  });

  it('writes 0.0.0.0 for an IPv6 address (a Windows client map tower carries 00 00 00 00)', () => {
    const t = encodeTcpTower({ iface: MGMT, transfer: NDR20, port: 135, address: 'fe80::1' });
    // floor 4 at 2 + 25 + 25 + 7 = 59, floor 5 at 66, the address at 71
    expect(t.subarray(59).toString('hex')).toBe('01000702000087' + '0100090400' + '00000000');
  });
});

describe('decodeFloors / decodeTowerQuery', () => {
  it('splits the vector into its five floors', () => {
    const floors = decodeFloors(EPM_TOWER).map((f) => [f.lhs.toString('hex'), f.rhs.toString('hex')]);
    expect(floors).toEqual([
      ['0d0883afe11f5dc91191a408002b14a0fa0300', '0000'],
      ['0d045d888aeb1cc9119fe808002b1048600200', '0000'],
      ['0b', '0000'],
      ['07', '0087'],
      ['09', '0a010203'],
    ]);
  });

  it('reads interface, transfer syntax and protocol ids back', () => {
    expect(decodeTowerQuery(EPM_TOWER)).toStrictEqual({
      iface: EPM,
      transfer: NDR20,
      protocols: [PROTOCOL_ID.ncacn, PROTOCOL_ID.tcp, PROTOCOL_ID.ip],
    });
    expect(decodeTowerQuery(IOBJ_TOWER)).toStrictEqual({ iface: IOBJ, transfer: NDR20, protocols: [0x0b, 0x07, 0x09] });
  });

  it('reads a UUID floor back and rejects a floor that is not one', () => {
    const [f0, , f2] = decodeFloors(EPM_TOWER);
    expect(readUuidFloor(f0!)).toStrictEqual(EPM);
    expect(readUuidFloor(f2!)).toBeUndefined();
    expect(readUuidFloor({ lhs: Buffer.concat([Buffer.from([0x0d]), Buffer.alloc(18)]), rhs: Buffer.alloc(1) })).toBeUndefined();
    expect(readUuidFloor({ lhs: Buffer.concat([Buffer.from([0x0c]), Buffer.alloc(18)]), rhs: Buffer.alloc(2) })).toBeUndefined();
  });

  it('returns undefined for a tower with fewer than 3 floors or without UUID floors', () => {
    expect(decodeTowerQuery(hex('00 00'))).toBeUndefined();
    expect(decodeTowerQuery(encodeFloors(decodeFloors(EPM_TOWER).slice(0, 2)))).toBeUndefined();
    const floors = decodeFloors(EPM_TOWER);
    expect(decodeTowerQuery(encodeFloors([floors[2]!, floors[1]!, floors[2]!]))).toBeUndefined();
    // exactly three floors is enough
    expect(decodeTowerQuery(encodeFloors(floors.slice(0, 3)))).toStrictEqual({ iface: EPM, transfer: NDR20, protocols: [0x0b] });
  });

  it('encodeFloors inverts decodeFloors', () => {
    expect(encodeFloors(decodeFloors(EPM_TOWER)).toString('hex')).toBe(EPM_TOWER.toString('hex'));
    expect(encodeFloors([uuidFloor(EPM)]).toString('hex')).toBe(EPM_TOWER.subarray(0, 27).toString('hex').replace(/^0500/, '0100'));
  });

  it('throws NdrError for every truncation of the tower', () => {
    for (const t of [EPM_TOWER, IOBJ_TOWER]) {
      for (let n = 0; n < t.length; n++) {
        expect(thrown(() => decodeFloors(t.subarray(0, n))), `prefix ${n}`).toBeInstanceOf(NdrError);
        expect(thrown(() => decodeTowerQuery(t.subarray(0, n))), `prefix ${n}`).toBeInstanceOf(NdrError);
      }
    }
  });

  it('throws NdrError for towers that lie about a count or a length', () => {
    const lies: Array<[string, (b: Buffer) => void]> = [
      ['floor count 6', (b) => b.writeUInt16LE(6, 0)],
      ['floor count 0xffff', (b) => b.writeUInt16LE(0xffff, 0)],
      ['first lhs length 0xffff', (b) => b.writeUInt16LE(0xffff, 2)],
      ['first lhs length 75', (b) => b.writeUInt16LE(75, 2)],
      ['first rhs length 0xffff', (b) => b.writeUInt16LE(0xffff, 23)],
      ['last rhs length 5', (b) => b.writeUInt16LE(5, 69)],
      ['last lhs length 7', (b) => b.writeUInt16LE(7, 66)],
    ];
    for (const [what, lie] of lies) {
      const b = Buffer.from(EPM_TOWER);
      lie(b);
      expect(thrown(() => decodeFloors(b)), what).toBeInstanceOf(NdrError);
      expect(thrown(() => decodeTowerQuery(b)), what).toBeInstanceOf(NdrError);
    }
  });

  it('ignores bytes after the last floor', () => {
    expect(decodeFloors(Buffer.concat([EPM_TOWER, hex('ff ff')]))).toHaveLength(5);
  });

  it('random bytes: decodeTowerQuery returns or throws NdrError only (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), fc.integer({ min: 0, max: 8 }), (bytes, n) => {
        const b = Buffer.from(bytes);
        if (b.length >= 2) b.writeUInt16LE(n, 0);
        const e = thrown(() => decodeTowerQuery(b));
        if (e !== undefined) expect(e).toBeInstanceOf(NdrError);
      }),
      { numRuns: 2000 },
    );
  });

  it('round-trips random TCP towers (property)', () => {
    const u16 = fc.integer({ min: 0, max: 0xffff });
    const guid = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => {
      const h = Buffer.from(b).toString('hex');
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    });
    const syntax = fc.record({ uuid: guid, major: u16, minor: u16 });
    fc.assert(
      fc.property(syntax, syntax, u16, fc.ipV4(), (iface, transfer, port, address) => {
        const t = encodeTcpTower({ iface, transfer, port, address });
        expect(t.length).toBe(75);
        expect(decodeTowerQuery(t)).toEqual({ iface, transfer, protocols: [0x0b, 0x07, 0x09] });
        const floors = decodeFloors(t);
        expect(floors[3]!.rhs.readUInt16BE(0)).toBe(port);
        expect([...floors[4]!.rhs].join('.')).toBe(address);
      }),
      { numRuns: 300 },
    );
  });
});

describe('ipv4Octets', () => {
  it('returns the octets of a dotted quad', () => {
    expect(ipv4Octets('10.1.2.3')).toEqual([10, 1, 2, 3]);
    expect(ipv4Octets('0.0.0.0')).toEqual([0, 0, 0, 0]);
    expect(ipv4Octets('255.255.255.255')).toEqual([255, 255, 255, 255]);
  });

  it('unwraps IPv4-mapped IPv6', () => {
    expect(ipv4Octets('::ffff:192.168.1.20')).toEqual([192, 168, 1, 20]);
    expect(ipv4Octets('::ffff:127.0.0.1')).toEqual([127, 0, 0, 1]);
    expect(ipv4Octets('::FFFF:10.0.0.1')).toEqual([10, 0, 0, 1]);
  });

  it('returns 0.0.0.0 for IPv6 and anything that is not a dotted quad', () => {
    for (const a of [
      '::1',
      '::',
      'fe80::1',
      '2001:db8::1',
      '64:ff9b::1.2.3.4',
      '::1.2.3.4',
      '',
      'localhost',
      '1.2.3',
      '1.2.3.4.5',
      '256.1.1.1',
      '1.2.3.-1',
      '1.2.3.4.',
      '1..2.3',
      '1.2.3.',
      '.1.2.3',
      ' 1.2.3.4',
      '0x1.2.3.4',
      '1e1.2.3.4',
      '1.5.2.3.',
    ]) {
      expect(ipv4Octets(a), JSON.stringify(a)).toEqual([0, 0, 0, 0]);
    }
  });
});
