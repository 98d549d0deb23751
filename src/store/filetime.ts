/** FILETIME (VSS_TIMESTAMP): 100 ns intervals since 1601-01-01 UTC. */
const MS_FROM_1601_TO_1970 = 11_644_473_600_000n;
const TICKS_PER_MS = 10_000n;

export function filetimeFromDate(date: Date): bigint {
  return (BigInt(date.getTime()) + MS_FROM_1601_TO_1970) * TICKS_PER_MS;
}

export function dateFromFiletime(filetime: bigint): Date {
  return new Date(Number(filetime / TICKS_PER_MS - MS_FROM_1601_TO_1970));
}
