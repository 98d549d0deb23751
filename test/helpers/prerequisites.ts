/**
 * The tests' system packages (python3-impacket, tshark, samba-testsuite; gcc and libc6-dev
 * for the bench's C load generators): a test
 * that needs a missing one fails at once with one line naming the package and the command
 * that installs it, instead of waiting for a tool that will never answer.
 */
import { missingLine } from '../../scripts/system-packages.mjs';

const checked = new Map<string, string | undefined>();

/** Throws one line naming `pkg` and how to install it, when it is missing. */
export function requirePackage(pkg: 'python3-impacket' | 'tshark' | 'samba-testsuite' | 'gcc' | 'libc6-dev'): void {
  if (!checked.has(pkg)) checked.set(pkg, missingLine(pkg));
  const line = checked.get(pkg);
  if (line !== undefined) throw new Error(line);
}
