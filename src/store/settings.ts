/** The host's shadow-copy limits: named, with Windows' defaults where Windows has one. */
export interface StoreSettings {
  /**
   * The smallest maximum a shadow copy storage association may have, and the size of its
   * first allocation: MinDiffAreaFileSize, 320 MB by default for volumes over 500 MB
   * (AddDiffArea: "must be at least 320 MB"; the 32 MB of smaller volumes is not modelled).
   */
  minDiffAreaBytes: bigint;
  /** Allocated space grows by whole steps of this size beyond the first allocation. */
  diffAreaGrowthBytes: bigint;
  /**
   * Shadow copies one volume keeps (MaxShadowCopies: 64 by default, 512 at most); making
   * one more deletes the oldest, as Shadow Copies of Shared Folders documents.
   */
  maxSnapshotsPerVolume: number;
}

const MiB = 1024n * 1024n;

export const DEFAULT_STORE_SETTINGS: Readonly<StoreSettings> = {
  minDiffAreaBytes: 320n * MiB,
  diffAreaGrowthBytes: 16n * MiB,
  maxSnapshotsPerVolume: 64,
};
