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
  /** The admin API did not accept the admin token (wrong or missing). */
  AUTHENTICATION: 3,
  /** Logged on, but not allowed (not an administrator of the host). */
  ACCESS_DENIED: 4,
  /** A volume, shadow copy, association or other object named does not exist. */
  NOT_FOUND: 5,
  /** The host could not be reached (refused, unreachable, timed out). */
  CONNECTION: 6,
  /** The host refused the logon (wrong password, unknown user): network verbs. */
  LOGON: 7,
  /** scmp capture show / replay: the capture file could not be read (or decrypted), or only in part. */
  CAPTURE: 8,
  /** scmp replay: replayed, and the answers differ from the recording (or calls failed). */
  DIFFERENT: 9,
  /** scmp conform: an applicable conformance check failed. */
  CHECKS_FAILED: 10,
} as const;
