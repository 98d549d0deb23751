/**
 * The state directory's admin-token file (issue 18, defect 6). It is a secret: whoever reads
 * it administers the host. So it is never reached through a symbolic link (another local user
 * could point it at a file of theirs, or at one they can read), it is a regular file, and it is
 * left with mode 0600 whether it was made now or kept: a kept file found readable by others is
 * narrowed, and said so.
 */
import { closeSync, constants, fchmodSync, fstatSync, fsyncSync, lstatSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

/** A token file that cannot be used as it is: the message names the file and what is wrong. */
export class TokenFileError extends Error {}

export type TokenFileOutcome = { token: string; made: boolean; narrowedFrom?: number };

const SYMLINK = (file: string) => `admin token ${file}: is a symbolic link; refusing to follow it (remove it to have a new token made)`;

/** What is at `file` now, without following a link; undefined when nothing is. */
function lstatOrNone(file: string) {
  try {
    return lstatSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new TokenFileError(`admin token ${file}: ${(e as Error).message}`);
  }
}

/** The kept token, read through a descriptor opened without following a link; mode narrowed to 0600. */
function readKept(file: string): { text: string; narrowedFrom?: number } {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    // ELOOP: a link appeared between the lstat and the open.
    if ((e as NodeJS.ErrnoException).code === 'ELOOP') throw new TokenFileError(SYMLINK(file));
    throw new TokenFileError(`admin token ${file}: ${(e as Error).message}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new TokenFileError(`admin token ${file}: not a regular file`);
    // A file another user made could hold a token they chose: not ours to trust or to narrow.
    const uid = process.getuid?.();
    if (uid !== undefined && st.uid !== uid) throw new TokenFileError(`admin token ${file}: owned by uid ${st.uid}, not by this user (uid ${uid}); refusing it`);
    const mode = st.mode & 0o777;
    if (mode !== 0o600) fchmodSync(fd, 0o600);
    // A token is at most 512 characters: a bigger file is not one, and is not read whole.
    if (st.size > 4096) throw new TokenFileError(`admin token ${file}: larger than 4096 bytes, not a token`);
    return { text: readFileSync(fd, 'utf8'), ...(mode !== 0o600 ? { narrowedFrom: mode } : {}) };
  } finally {
    closeSync(fd);
  }
}

/**
 * A new token file: written to a fresh name beside it (O_EXCL|O_NOFOLLOW, mode 0600), synced,
 * then renamed over `file`. rename replaces whatever entry is there and never follows it, so
 * a link or file that appears after the check cannot receive the token.
 */
function writeNew(file: string, token: string): void {
  const temp = join(dirname(file), `.admin-token.${randomBytes(6).toString('hex')}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    fchmodSync(fd, 0o600); // the umask can only narrow the mode; this says it outright
    writeSync(fd, `${token}\n`);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temp, file);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(temp);
    } catch {
      /* not made, or already renamed */
    }
    throw new TokenFileError(`admin token ${file}: ${(e as Error).message}`);
  }
}

/**
 * The token kept in `file`, or `fresh()` written there when there is none. Refuses a
 * symbolic link and anything but a regular file; `valid` decides whether a kept text is a
 * token (the caller's rule, in the caller's message).
 */
export function keptOrNewToken(file: string, fresh: () => string, valid: (token: string) => boolean, rule: string): TokenFileOutcome {
  const st = lstatOrNone(file);
  if (st?.isSymbolicLink()) throw new TokenFileError(SYMLINK(file));
  if (st !== undefined) {
    const kept = readKept(file);
    const token = kept.text.trim();
    if (!valid(token)) throw new TokenFileError(`admin token ${file}: ${rule} (delete the file to have a new one made)`);
    return { token, made: false, ...(kept.narrowedFrom !== undefined ? { narrowedFrom: kept.narrowedFrom } : {}) };
  }
  const token = fresh();
  writeNew(file, token);
  return { token, made: true };
}
