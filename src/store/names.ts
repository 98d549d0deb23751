/**
 * How a name a client sends finds its volume. MS-SCMP accepts a drive letter, a mount point
 * or a volume mount name (3.1.1.4.3, 3.1.4.4.x); Windows compares them case-insensitively
 * and takes `C:` for `C:\`. One rule covers every form: fold the case and drop one trailing
 * backslash, then compare with the volume's own names folded the same way. So `C:`, `c:\`,
 * `C:\mnt\archive` and `\\?\Volume{…}` (without its backslash) all resolve; a path inside a
 * volume that is not a mount point (`D:\shares\`) does not.
 */
import type { Volume } from './model.js';

export function nameKey(name: string): string {
  const folded = name.toLowerCase();
  return folded.endsWith('\\') ? folded.slice(0, -1) : folded;
}

/** Every key a volume answers to: its mount name and each mount point. */
export function volumeKeys(v: Volume): string[] {
  return [v.mountName, ...v.mountPoints].map(nameKey);
}

/** `\\?\Volume{GUID}\`, the only form a model may use to refer to a volume. */
export const MOUNT_NAME_RE = /^\\\\\?\\Volume\{[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}\\$/i;

/** `X:\` or `X:\folder\…\`, always with its trailing backslash. */
export const MOUNT_POINT_RE = /^[a-z]:\\(?:[^\\]+\\)*$/i;
