/**
 * vssadmin sizes: what `/MaxSize=` takes (bytes, 1024-based units in any case, decimals,
 * a percentage, UNBOUNDED) and how `list shadowstorage` prints sizes.
 */
import { describe, expect, test } from 'vitest';
import { formatBytes, formatStorageSize, MAX_SIZE_BYTES, parseSize, resolveSize, SizeError } from '../../src/cli/sizes.js';

const KiB = 1024n;
const MiB = 1024n * KiB;
const GiB = 1024n * MiB;

describe('parseSize', () => {
  test.each([
    ['0', 0n],
    ['1073741824', GiB],
    ['400MB', 400n * MiB],
    ['400mb', 400n * MiB],
    ['1GB', GiB],
    ['1 GB', GiB],
    ['1.5GB', GiB + GiB / 2n],
    ['0.1KB', 102n], // 102.4 bytes: cut down to whole bytes
    ['2KB', 2048n],
    ['1TB', 1024n * GiB],
    ['1PB', 1024n * 1024n * GiB],
    ['7EB', 7n * 1024n ** 6n],
    ['512B', 512n],
    ['  10gb ', 10n * GiB],
  ])('%s is %s bytes', (text, bytes) => {
    expect(parseSize(text)).toEqual({ kind: 'bytes', bytes });
  });

  test('UNBOUNDED in any case', () => {
    expect(parseSize('UNBOUNDED')).toEqual({ kind: 'unbounded' });
    expect(parseSize('unbounded')).toEqual({ kind: 'unbounded' });
  });

  test('a percentage is left for the caller, then resolved against the storage volume', () => {
    expect(parseSize('20%')).toEqual({ kind: 'percent', percent: 20 });
    expect(parseSize('100%')).toEqual({ kind: 'percent', percent: 100 });
    expect(resolveSize(parseSize('20%'), 1000n * GiB)).toBe(200n * GiB);
    expect(resolveSize(parseSize('10%'), 1001n)).toBe(100n);
    expect(resolveSize(parseSize('UNBOUNDED'), 1n)).toBe('unbounded');
    expect(resolveSize(parseSize('1KB'), 1n)).toBe(1024n);
  });

  test('the largest LONGLONG is taken; one more byte is refused', () => {
    expect(parseSize(MAX_SIZE_BYTES.toString())).toEqual({ kind: 'bytes', bytes: MAX_SIZE_BYTES });
    expect(() => parseSize((MAX_SIZE_BYTES + 1n).toString())).toThrow(/more than the largest size/);
    expect(() => parseSize('8EB')).toThrow(/more than the largest size/);
  });

  test.each([
    ['', /is not a size/],
    ['lots', /is not a size/],
    ['-1', /is not a size/],
    ['1ZB', /is not a size/],
    ['1.5', /a fraction needs a unit/],
    ['GB', /is not a size/],
    ['0%', /from 1% to 100%/],
    ['101%', /from 1% to 100%/],
    ['1.5%', /is not a size/],
    ['1e3', /is not a size/],
  ])('%j is refused clearly', (text, message) => {
    expect(() => parseSize(text)).toThrow(SizeError);
    expect(() => parseSize(text)).toThrow(message);
  });
});

describe('formatBytes: as vssadmin prints sizes', () => {
  test.each([
    [0n, '0 bytes'],
    [999n, '999 bytes'],
    [1000n, '0.97 KB'],
    [1024n, '1 KB'],
    [1536n, '1.5 KB'],
    [208n * KiB + 500n, '208 KB'],
    [1023n * KiB, '0.99 MB'],
    [400n * MiB, '400 MB'],
    [1240n * MiB, '1.21 GB'],
    [GiB + 43n * MiB, '1.04 GB'],
    [23n * GiB + 972n * MiB, '23.9 GB'],
    [200n * GiB, '200 GB'],
    [1024n * GiB, '1 TB'],
    [MAX_SIZE_BYTES, '7.99 EB'],
  ])('%s bytes: %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });

  test('with the share of the storage volume; -1 is UNBOUNDED (100%)', () => {
    expect(formatStorageSize(0n, 100n * GiB)).toBe('0 bytes (0%)');
    expect(formatStorageSize(20n * GiB, 100n * GiB)).toBe('20 GB (20%)');
    expect(formatStorageSize(200n * GiB, 1024n * GiB)).toBe('200 GB (20%)'); // 19.53%: rounded
    expect(formatStorageSize(GiB, 1000n * GiB)).toBe('1 GB (0%)');
    expect(formatStorageSize((1000n * GiB * 20n) / 100n, 1000n * GiB + 1n)).toBe('200 GB (20%)');
    expect(formatStorageSize(-1n, 100n * GiB)).toBe('UNBOUNDED (100%)');
    expect(formatStorageSize(-1n, undefined)).toBe('UNBOUNDED');
    expect(formatStorageSize(400n * MiB, undefined)).toBe('400 MB');
  });

  test('negative sizes other than the storage maximum are refused', () => {
    expect(() => formatBytes(-5n)).toThrow(RangeError);
  });
});
