import { describe, expect, test } from 'vitest';
import { ORPCTHAT, ORPCTHIS, REMQIRESULT, STDOBJREF } from '../../src/dcom/orpc.js';
import { NdrError, ndrDecode, ndrEncode } from '../../src/ndr/index.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const CID = '01020304-0506-0708-090a-0b0c0d0e0f10';
const EXT = 'f1f19680-4d2a-11ce-a66a-0020af6e72f4';

describe('ORPCTHIS / ORPCTHAT', () => {
  test('ORPCTHIS without extensions: 32 bytes, COM 5.7', () => {
    const v = { version: { MajorVersion: 5, MinorVersion: 7 }, flags: 1, reserved1: 0, cid: CID, extensions: null };
    const bytes = hex('0500 0700 01000000 00000000 04030201 0605 0807 090a0b0c0d0e0f10 00000000');
    expect(ndrEncode(ORPCTHIS, v)).toEqual(bytes);
    expect(ndrDecode(ORPCTHIS, bytes)).toEqual(v);
  });

  test('ORPCTHIS with one extension: the array of pointers padded to an even count, the data to 8', () => {
    const v = {
      version: { MajorVersion: 5, MinorVersion: 7 },
      flags: 0,
      reserved1: 0,
      cid: CID,
      extensions: { size: 1, reserved: 0, extent: [{ id: EXT, size: 5, data: hex('aabbccddee000000') }, null] },
    };
    const bytes = hex(
      '0500 0700 00000000 00000000 04030201 0605 0807 090a0b0c0d0e0f10' + // ORPCTHIS scalars
        '00000200' + // extensions referent id
        '01000000 00000000 04000200' + // ORPC_EXTENT_ARRAY: size, reserved, extent referent id
        '02000000 08000200 00000000' + // max_count (size+1)&~1 = 2, two pointers, the second null
        '08000000 8096f1f1 2a4d ce11 a66a0020af6e72f4 05000000 aabbccddee000000', // ORPC_EXTENT: max_count 8, id, size, data
    );
    expect(ndrEncode(ORPCTHIS, v)).toEqual(bytes);
    expect(ndrDecode(ORPCTHIS, bytes)).toEqual(v);
    // Big-endian senders: the same value.
    const be = hex(
      '0005 0007 00000000 00000000 01020304 0506 0708 090a0b0c0d0e0f10' +
        '00020000' +
        '00000001 00000000 00020004' +
        '00000002 00020008 00000000' +
        '00000008 f1f19680 4d2a 11ce a66a0020af6e72f4 00000005 aabbccddee000000',
    );
    expect(ndrDecode(ORPCTHIS, be, false)).toEqual(v);
  });

  test('an extension whose data is shorter than its padded size is bad stub data', () => {
    const bytes = hex('0500 0700 00000000 00000000' + '00'.repeat(16) + '00000200 01000000 00000000 04000200 02000000 08000200 00000000 07000000' + '00'.repeat(16) + '05000000 aabbcc');
    expect(() => ndrDecode(ORPCTHIS, bytes)).toThrow(NdrError);
  });

  test('ORPCTHAT: flags and a null extension pointer', () => {
    expect(ndrEncode(ORPCTHAT, { flags: 0, extensions: null })).toEqual(hex('00000000 00000000'));
  });
});

describe('STDOBJREF and REMQIRESULT', () => {
  const std = { flags: 0x1000, cPublicRefs: 5, oxid: 0x1122334455667788n, oid: 0x0102030405060708n, ipid: CID };
  test('STDOBJREF: 40 bytes', () => {
    const bytes = hex('00100000 05000000 8877665544332211 0807060504030201 04030201 0605 0807 090a0b0c0d0e0f10');
    expect(ndrEncode(STDOBJREF, std)).toEqual(bytes);
    expect(ndrDecode(STDOBJREF, bytes)).toEqual(std);
  });
  test('REMQIRESULT: the HRESULT, 4 pad octets, then the STDOBJREF at 8 (48 bytes)', () => {
    const bytes = ndrEncode(REMQIRESULT, { hResult: 0x80004002, std });
    expect(bytes.length).toBe(48);
    expect(bytes.subarray(0, 8).toString('hex')).toBe('0240008000000000');
    expect(ndrDecode(REMQIRESULT, bytes)).toEqual({ hResult: 0x80004002, std });
  });
});
