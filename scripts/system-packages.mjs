/**
 * The Debian packages the interop tests use (and the C compiler the bench's load generators
 * are built with, which their tests build too), each with how to tell it is there. One list for
 * scripts/ensure.mjs (which installs them) and for the test helpers (which name the missing
 * one in a single line instead of failing obscurely).
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Debian's python3, which has python3-impacket (a pyenv or venv python3 on PATH does not). */
export const DEBIAN_PYTHON = '/usr/bin/python3';

/** A program on PATH, as `command -v` finds it. */
export function onPath(program) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, program), constants.X_OK);
      return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

export const SYSTEM_PACKAGES = [
  {
    name: 'python3-impacket',
    what: `impacket for ${DEBIAN_PYTHON}`,
    present: () => {
      if (!existsSync(DEBIAN_PYTHON)) return false;
      try {
        execFileSync(DEBIAN_PYTHON, ['-c', 'import impacket'], { stdio: 'ignore' });
        return true;
      } catch {
        return false;
      }
    },
  },
  { name: 'tshark', what: 'tshark', present: () => onPath('tshark') },
  { name: 'samba-testsuite', what: 'smbtorture', present: () => onPath('smbtorture') },
  { name: 'gcc', what: 'a C compiler (cc) for bench/loadgen.c and bench/activation-gen.c', present: () => existsSync('/usr/bin/cc') || onPath('cc') },
  { name: 'libc6-dev', what: "the C library's headers for bench/*.c", present: () => existsSync('/usr/include/stdio.h') },
];

/** The command that installs `name`, as a user would type it. */
export const installCommand = (names) => `${process.getuid?.() === 0 ? '' : 'sudo '}apt-get install ${[names].flat().join(' ')}`;

/** One line naming a missing package and how to install it; undefined when it is there. */
export function missingLine(name) {
  const p = SYSTEM_PACKAGES.find((x) => x.name === name);
  if (!p) throw new TypeError(`unknown system package ${name}`);
  if (p.present()) return undefined;
  return `${p.what} is missing: install Debian's ${p.name} with \`${installCommand(p.name)}\` (npm test installs it itself when run as root on Debian)`;
}
