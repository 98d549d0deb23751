/**
 * Sizes as vssadmin takes and prints them (`/MaxSize=`, `list shadowstorage`).
 *
 * Taken: a number of bytes, or a number with KB, MB, GB, TB, PB or EB (1024-based, as
 * vssadmin; any case; a decimal such as 1.5GB is cut down to whole bytes), a percentage of
 * the storage volume (`20%`: only the caller knows the volume's size, so it is returned
 * as it is), or UNBOUNDED. Printed: as Windows' StrFormatByteSize does (three significant
 * digits, truncated; the next unit from 1000 on), with the percentage of the volume.
 */

export type SizeSpec = { kind: 'bytes'; bytes: bigint } | { kind: 'percent'; percent: number } | { kind: 'unbounded' };

export class SizeError extends Error {}

/** The units vssadmin names, each 1024 times the one before. */
export const SIZE_UNITS = ['KB', 'MB', 'GB', 'TB', 'PB', 'EB'] as const;

/** llMaximumDiffSpace is a LONGLONG: nothing larger can be asked for. */
export const MAX_SIZE_BYTES = (1n << 63n) - 1n;

const SIZE = /^(\d+)(?:\.(\d+))?\s*(B|BYTES|KB|MB|GB|TB|PB|EB)?$/i;
const PERCENT = /^(\d+)\s*%$/;

/** Reads one vssadmin size; throws SizeError saying what is wrong and what is taken. */
export function parseSize(text: string): SizeSpec {
  const t = text.trim();
  const what = `${JSON.stringify(text)} is not a size: give bytes, a number with KB, MB, GB, TB, PB or EB (1024-based), a percentage of the storage volume such as 20%, or UNBOUNDED`;
  if (/^unbounded$/i.test(t)) return { kind: 'unbounded' };
  const p = PERCENT.exec(t);
  if (p) {
    const percent = Number(p[1]);
    if (percent < 1 || percent > 100) throw new SizeError(`${JSON.stringify(text)}: a percentage of the storage volume is from 1% to 100%`);
    return { kind: 'percent', percent };
  }
  const m = SIZE.exec(t);
  if (!m) throw new SizeError(what);
  const unit = (m[3] ?? 'B').toUpperCase();
  const power = SIZE_UNITS.indexOf(unit as (typeof SIZE_UNITS)[number]) + 1;
  if (m[2] !== undefined && power === 0) throw new SizeError(`${JSON.stringify(text)}: a number of bytes is whole; a fraction needs a unit (KB, MB, …)`);
  const multiplier = 1024n ** BigInt(power);
  const fraction = m[2] ?? '';
  // Exact arithmetic: (whole.fraction × multiplier), cut down to whole bytes.
  const scaled = BigInt(m[1]! + fraction) * multiplier;
  const bytes = scaled / 10n ** BigInt(fraction.length);
  if (bytes > MAX_SIZE_BYTES) throw new SizeError(`${JSON.stringify(text)} is more than the largest size a host takes (${MAX_SIZE_BYTES} bytes, about 8 EB)`);
  return { kind: 'bytes', bytes };
}

/** A percentage resolved against the storage volume's size (whole bytes, cut down). */
export function resolveSize(spec: SizeSpec, volumeTotalBytes: bigint): bigint | 'unbounded' {
  if (spec.kind === 'unbounded') return 'unbounded';
  if (spec.kind === 'bytes') return spec.bytes;
  return (volumeTotalBytes * BigInt(spec.percent)) / 100n;
}

/** Three significant digits of n/d, truncated, without trailing zeros ("1.04", "23.9", "208"). */
function threeDigits(n: bigint, d: bigint): string {
  const whole = n / d;
  const digits = whole.toString().length;
  const decimals = whole === 0n ? 2 : Math.max(0, 3 - digits);
  const scaled = (n * 10n ** BigInt(decimals)) / d;
  let s = scaled.toString().padStart(decimals + 1, '0');
  if (decimals > 0) s = `${s.slice(0, -decimals)}.${s.slice(-decimals)}`.replace(/\.?0+$/, '');
  return s;
}

/** Bytes as vssadmin prints them: "0 bytes", "512 bytes", "208 KB", "1.04 GB", "0.97 MB". */
export function formatBytes(bytes: bigint): string {
  if (bytes < 0n) throw new RangeError(`a size cannot be negative: ${bytes}`);
  if (bytes < 1000n) return `${bytes} bytes`;
  let unit = 1024n;
  let i = 0;
  // The unit changes when the number would reach 1000, as StrFormatByteSize does.
  while (i < SIZE_UNITS.length - 1 && bytes >= 1000n * unit) {
    unit *= 1024n;
    i++;
  }
  return `${threeDigits(bytes, unit)} ${SIZE_UNITS[i]}`;
}

/**
 * A shadow copy storage size with its share of the storage volume, as `list shadowstorage`
 * prints it: "4.77 GB (0%)", "UNBOUNDED (100%)" for -1 (no limit). Without the volume's
 * size, the percentage is left out.
 */
export function formatStorageSize(bytes: bigint, volumeTotalBytes: bigint | undefined): string {
  const unbounded = bytes < 0n;
  const text = unbounded ? 'UNBOUNDED' : formatBytes(bytes);
  if (volumeTotalBytes === undefined || volumeTotalBytes <= 0n) return text;
  // Rounded to the nearest whole percent, so a maximum set as 20% reads back as 20%.
  const percent = unbounded ? 100n : (bytes * 100n + volumeTotalBytes / 2n) / volumeTotalBytes;
  return `${text} (${percent}%)`;
}
