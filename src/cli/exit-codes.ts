/**
 * `scmp`'s exit codes, one per kind of outcome, so scripts can tell them apart. `scmp admin`
 * and the network verbs share them; `scmp admin --help` and the README list them.
 */
export const EXIT = {
  /** Done. */
  OK: 0,
  /** The host refused the change (the HRESULT it would return is printed). */
  REFUSED: 1,
  /** The command line is wrong: unknown command or option, a bad size, a missing value. */
  USAGE: 2,
  /** The credentials were not accepted (a wrong or missing admin token, a failed logon). */
  AUTHENTICATION: 3,
  /** Logged on, but not allowed. */
  ACCESS_DENIED: 4,
  /** A volume, shadow copy, association or other object named does not exist. */
  NOT_FOUND: 5,
  /** The host could not be reached (refused, unreachable, timed out). */
  CONNECTION: 6,
} as const;
