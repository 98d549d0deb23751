/**
 * The space arithmetic of one shadow copy storage association. Used space is what its shadow
 * copies take; allocated space is what volsnap has claimed on the storage volume for them:
 * nothing while there is no shadow copy, then the minimum diff-area size, then whole growth
 * steps, never past the maximum. So used ≤ allocated ≤ maximum whenever used ≤ maximum,
 * which the store keeps true (MS-SCMP 2.2.3.9).
 */
import type { StoreSettings } from './settings.js';

export const NO_LIMIT = -1n;

export function withinMaximum(bytes: bigint, maximum: bigint): boolean {
  return maximum === NO_LIMIT || bytes <= maximum;
}

export function allocatedFor(usedBytes: bigint, snapshotCount: number, maximum: bigint, s: StoreSettings): bigint {
  if (snapshotCount === 0) return 0n;
  const steps = (usedBytes + s.diffAreaGrowthBytes - 1n) / s.diffAreaGrowthBytes;
  let allocated = steps * s.diffAreaGrowthBytes;
  if (allocated < s.minDiffAreaBytes) allocated = s.minDiffAreaBytes;
  return maximum === NO_LIMIT || allocated <= maximum ? allocated : maximum;
}
