/**
 * [string] arrays (C706 chapter 14, "Strings" and "Varying/Conformant Varying Arrays"):
 * a conformant varying string is max_count, offset (always 0), actual_count, then the
 * characters, the terminating NUL included in both counts; a varying string (a [string]
 * array of fixed size) is offset and actual_count, then the characters. char is one
 * octet; wchar_t a 16-bit code unit in the sender's byte order.
 */
import { describe, expect, it } from 'vitest';
import {
  GUID,
  conformantString,
  cstring,
  ndrDecode,
  ndrEncode,
  struct,
  u16,
  u32,
  u8,
  unique,
  varyingString,
  wstring,
} from '../../src/ndr/index.js';
import { decodes, everyPrefixFails, expectNdrError, hex, vector } from './helpers.js';

describe('[string] char* and wchar_t* through pointers', () => {
  it('[unique, string] char*: id, max_count, offset 0, actual_count with the NUL, chars', () => {
    vector(
      unique(cstring),
      'abc',
      '00000200 04000000 00000000 04000000 61626300',
      '00020000 00000004 00000000 00000004 61626300',
    );
  });

  it('[unique, string] wchar_t*', () => {
    vector(
      unique(wstring),
      'Hi',
      '00000200 03000000 00000000 03000000 4800 6900 0000',
      '00020000 00000003 00000000 00000003 0048 0069 0000',
    );
  });

  it('a null string pointer', () => {
    vector(unique(wstring), null, '00000000', '00000000');
  });

  it('two string pointers in a structure: both ids first, then each string', () => {
    const S = struct('S', { a: unique(cstring), b: unique(wstring) });
    vector(
      S,
      { a: 'x', b: 'y' },
      '00000200 04000200 02000000 00000000 02000000 7800 0000 02000000 00000000 02000000 7900 0000',
      '00020000 00020004 00000002 00000000 00000002 7800 0000 00000002 00000000 00000002 0079 0000',
    );
  });
});

describe('conformant strings', () => {
  it('the empty string is just its NUL', () => {
    vector(cstring, '', '01000000 00000000 01000000 00', '00000001 00000000 00000001 00');
    vector(wstring, '', '01000000 00000000 01000000 0000', '00000001 00000000 00000001 0000');
  });

  it('wchar_t code units above 0x7f and surrogate pairs', () => {
    vector(wstring, 'é€', '03000000 00000000 03000000 e900 ac20 0000', '00000003 00000000 00000003 00e9 20ac 0000');
    vector(wstring, '😀', '03000000 00000000 03000000 3dd8 00de 0000', '00000003 00000000 00000003 d83d de00 0000');
  });

  it('char strings are octets (latin-1)', () => {
    vector(cstring, 'é', '02000000 00000000 02000000 e900', '00000002 00000000 00000002 e900');
  });

  it('an embedded NUL is kept; only the last character must be NUL', () => {
    vector(cstring, 'a\u0000b', '04000000 00000000 04000000 61006200', '00000004 00000000 00000004 61006200');
  });

  it('as the trailing member of a structure, max_count is hoisted to the front', () => {
    const S = struct('S', { id: u16, name: cstring });
    vector(
      S,
      { id: 1, name: 'ab' },
      '03000000 0100 0000 00000000 03000000 616200',
      '00000003 0001 0000 00000000 00000003 616200',
    );
  });

  it('[size_is(n), string]: max_count is the buffer size, actual_count the string', () => {
    const S = struct('S', { size: u32, s: conformantString(2, { sizeIs: (s) => s.size }) });
    vector(
      S,
      { size: 5, s: 'ab' },
      '05000000 05000000 00000000 03000000 6100 6200 0000',
      '00000005 00000005 00000000 00000003 0061 0062 0000',
    );
    expect(() => ndrEncode(S, { size: 2, s: 'ab' })).toThrow(TypeError);
    expectNdrError(() => ndrDecode(S, hex('04000000 05000000 00000000 03000000 6100 6200 0000')));
  });

  it('a max_count larger than actual_count is accepted', () => {
    decodes(cstring, '10000000 00000000 03000000 616200', '00000010 00000000 00000003 616200', 'ab');
  });
});

describe('varying strings ([string] char s[N])', () => {
  it('offset 0, actual_count with the NUL, chars', () => {
    vector(varyingString(1, 64), 'ept', '00000000 04000000 65707400', '00000000 00000004 65707400');
    vector(varyingString(1, 64), '', '00000000 01000000 00', '00000000 00000001 00');
    vector(
      varyingString(2, 8),
      'ab',
      '00000000 03000000 6100 6200 0000',
      '00000000 00000003 0061 0062 0000',
    );
  });

  it('ept_entry_t: GUID, tower pointer, char annotation[64]; the tower referent follows', () => {
    const ept_entry = struct('ept_entry_t', {
      object: GUID,
      tower: unique(u32),
      annotation: varyingString(1, 64),
    });
    vector(
      ept_entry,
      { object: '00112233-4455-6677-8899-aabbccddeeff', tower: 5, annotation: 'hello' },
      '33221100 5544 7766 8899aabbccddeeff 00000200 00000000 06000000 68656c6c6f00 0000 05000000',
      '00112233 4455 6677 8899aabbccddeeff 00020000 00000000 00000006 68656c6c6f00 0000 00000005',
    );
  });

  it('a string filling the whole array (NUL included) fits; one more does not', () => {
    vector(varyingString(1, 4), 'abc', '00000000 04000000 61626300', '00000000 00000004 61626300');
    expect(() => ndrEncode(varyingString(1, 4), 'abcd')).toThrow(TypeError);
  });

  it('actual_count beyond the array size is bad stub data', () => {
    expectNdrError(() => ndrDecode(varyingString(1, 4), hex('00000000 05000000 6162636400')));
    expectNdrError(() => ndrDecode(varyingString(2, 2), hex('00000000 00000003 0061 0062 0000'), false));
  });

  it('a non-zero offset is bad stub data', () => {
    expectNdrError(() => ndrDecode(varyingString(1, 64), hex('01000000 02000000 6100')));
  });

  it('a missing NUL is bad stub data', () => {
    expectNdrError(() => ndrDecode(varyingString(1, 64), hex('00000000 03000000 616263')));
    expectNdrError(() => ndrDecode(varyingString(1, 64), hex('00000000 00000000')));
  });
});

describe('malformed strings', () => {
  it('not NUL-terminated', () => {
    expectNdrError(() => ndrDecode(cstring, hex('03000000 00000000 03000000 616263')));
    expectNdrError(() => ndrDecode(wstring, hex('02000000 00000000 02000000 4100 4200')));
    expectNdrError(() => ndrDecode(wstring, hex('00000002 00000000 00000002 0041 0042'), false));
    // The last code unit must be 0x0000, not just its first octet.
    expectNdrError(() => ndrDecode(wstring, hex('02000000 00000000 02000000 4100 0001')));
    expectNdrError(() => ndrDecode(wstring, hex('00000002 00000000 00000002 0041 0100'), false));
  });

  it('actual_count 0 (no room for the NUL)', () => {
    expectNdrError(() => ndrDecode(cstring, hex('00000000 00000000 00000000')));
    expectNdrError(() => ndrDecode(wstring, hex('01000000 00000000 00000000')));
  });

  it('offset other than 0', () => {
    expectNdrError(() => ndrDecode(cstring, hex('04000000 01000000 02000000 6100')));
    expectNdrError(() => ndrDecode(wstring, hex('00000004 00000001 00000002 0061 0000'), false));
  });

  it('actual_count > max_count', () => {
    expectNdrError(() => ndrDecode(cstring, hex('02000000 00000000 03000000 616200')));
    expectNdrError(() => ndrDecode(wstring, hex('00000001 00000000 00000002 0061 0000'), false));
  });

  it('lying counts are refused before anything is allocated', () => {
    const t0 = performance.now();
    expectNdrError(() => ndrDecode(cstring, hex('ffffffff 00000000 ffffffff 6100')));
    expectNdrError(() => ndrDecode(wstring, hex('ffffffff 00000000 ffffffff 6100')));
    expectNdrError(() => ndrDecode(unique(wstring), hex('00000200 ffffffff 00000000 ffffffff 0000')));
    expectNdrError(() => ndrDecode(varyingString(2, 0x7fffffff), hex('00000000 fffffff0 0000'), false));
    expect(performance.now() - t0).toBeLessThan(250);
  });

  it('every prefix of string vectors fails with NdrError', () => {
    everyPrefixFails(unique(wstring), hex('00000200 03000000 00000000 03000000 4800 6900 0000'), true);
    everyPrefixFails(unique(wstring), hex('00020000 00000003 00000000 00000003 0048 0069 0000'), false);
    everyPrefixFails(unique(cstring), hex('00000200 04000000 00000000 04000000 61626300'), true);
    everyPrefixFails(varyingString(1, 64), hex('00000000 04000000 65707400'), true);
    const S = struct('S', { a: u8, name: cstring });
    everyPrefixFails(S, hex('03000000 07 000000 00000000 03000000 616200'), true);
  });
});
