/**
 * Without a system package the interop tests need, the test that needs it fails at once
 * with one line naming the package and the command that installs it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { installCommand, missingLine, SYSTEM_PACKAGES } from '../../scripts/system-packages.mjs';

test('a program missing from PATH is one line naming its Debian package and the install command', () => {
  const empty = mkdtempSync(join(tmpdir(), 'scmp-path-'));
  const saved = process.env.PATH;
  try {
    process.env.PATH = empty;
    const sudo = process.getuid?.() === 0 ? '' : 'sudo ';
    expect(missingLine('tshark')).toBe(`tshark is missing: install Debian's tshark with \`${sudo}apt-get install tshark\` (npm test installs it itself when run as root on Debian)`);
    expect(missingLine('samba-testsuite')).toMatch(/^smbtorture is missing: install Debian's samba-testsuite with `(sudo )?apt-get install samba-testsuite`/);
    expect(missingLine('tshark')!.split('\n')).toHaveLength(1);
  } finally {
    process.env.PATH = saved;
    rmSync(empty, { recursive: true });
  }
  expect(installCommand(['a', 'b'])).toMatch(/apt-get install a b$/);
  expect(SYSTEM_PACKAGES.map((p) => p.name)).toEqual(['python3-impacket', 'tshark', 'samba-testsuite', 'gcc', 'libc6-dev']);
  expect(() => missingLine('cowsay')).toThrow(TypeError);
});
