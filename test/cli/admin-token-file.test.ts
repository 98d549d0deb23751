/**
 * Issue 18, defect 6: the admin token file. A 0644 file is left 0600, a symbolic link at the
 * path is never followed (the start stops with a one-line message naming the file), and a
 * new token lands in a file of its own (0600), not in whatever appeared at the path.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { keptOrNewToken, TokenFileError } from '../../src/cli/admin-token-file.js';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'scmp-token-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const RULE = 'the token must be 16 to 512 printable characters without spaces';
const valid = (t: string) => /^[\x21-\x7e]{16,512}$/.test(t);
const fresh = () => 'f'.repeat(64);
const mode = (p: string) => statSync(p).mode & 0o777;

describe('keptOrNewToken', () => {
  test('no file: a new one, mode 0600 whatever the umask, holding the token', () => {
    const dir = tempDir();
    const file = join(dir, 'admin-token');
    const old = process.umask(0o000);
    try {
      expect(keptOrNewToken(file, fresh, valid, RULE)).toEqual({ token: fresh(), made: true });
    } finally {
      process.umask(old);
    }
    expect(mode(file)).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toBe(`${fresh()}\n`);
  });

  test('an existing 0644 token file is kept and becomes 0600 (and says what it was)', () => {
    const dir = tempDir();
    const file = join(dir, 'admin-token');
    writeFileSync(file, 'kept-token-0123456789\n');
    chmodSync(file, 0o644);
    expect(keptOrNewToken(file, fresh, valid, RULE)).toEqual({ token: 'kept-token-0123456789', made: false, narrowedFrom: 0o644 });
    expect(mode(file)).toBe(0o600);
    // Already 0600: nothing to say.
    expect(keptOrNewToken(file, fresh, valid, RULE)).toEqual({ token: 'kept-token-0123456789', made: false });
  });

  test('a symbolic link at the path is refused, to a token file or to nothing, and its target is untouched', () => {
    const dir = tempDir();
    const target = join(dir, 'elsewhere');
    writeFileSync(target, 'attacker-chosen-token-0123\n');
    chmodSync(target, 0o644);
    const link = join(dir, 'admin-token');
    symlinkSync(target, link);
    const e = (() => {
      try {
        keptOrNewToken(link, fresh, valid, RULE);
      } catch (x) {
        return x;
      }
    })();
    expect(e).toBeInstanceOf(TokenFileError);
    expect((e as Error).message).toBe(`admin token ${link}: is a symbolic link; refusing to follow it (remove it to have a new token made)`);
    expect(mode(target)).toBe(0o644);
    // A dangling link (where a new token would be written through it) is refused the same way.
    const dangling = join(dir, 'dangling');
    symlinkSync(join(dir, 'would-be-written'), dangling);
    expect(() => keptOrNewToken(dangling, fresh, valid, RULE)).toThrow(/is a symbolic link; refusing to follow it/);
    expect(existsSync(join(dir, 'would-be-written'))).toBe(false);
    expect(readlinkSync(dangling)).toBe(join(dir, 'would-be-written'));
  });

  test('a directory or a malformed token is refused naming the file', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'admin-token'));
    expect(() => keptOrNewToken(join(dir, 'admin-token'), fresh, valid, RULE)).toThrow(`admin token ${join(dir, 'admin-token')}: not a regular file`);
    const bad = join(dir, 'bad');
    writeFileSync(bad, 'short\n');
    expect(() => keptOrNewToken(bad, fresh, valid, RULE)).toThrow(`admin token ${bad}: ${RULE} (delete the file to have a new one made)`);
    const big = join(dir, 'big');
    writeFileSync(big, 'x'.repeat(10_000));
    expect(() => keptOrNewToken(big, fresh, valid, RULE)).toThrow(/larger than 4096 bytes/);
  });
});

const SCMPD = fileURLToPath(new URL('../../dist/src/cli/scmpd.js', import.meta.url));
function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [SCMPD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
      // Started: it listened, so the token file was handled; stop it.
      if (/admin API http/.test(stdout)) child.kill('SIGTERM');
    });
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('scmpd and its state directory token', () => {
  test('a symbolic link as DIR/admin-token stops the start (exit 2, one line, nothing listens); a 0644 file is made 0600 with a warning', async () => {
    const dir = tempDir();
    const target = join(dir, 'target');
    writeFileSync(target, 'attacker-chosen-token-0123\n');
    symlinkSync(target, join(dir, 'admin-token'));
    const refused = await run(['--listen', '127.0.0.1', '--port', '0', '--admin-port', '0', '--state-dir', dir]);
    expect(refused.code).toBe(2);
    expect(refused.stdout).toBe('');
    expect(refused.stderr.split('\n').filter((l) => l.startsWith('scmpd:'))).toEqual([`scmpd: admin token ${join(dir, 'admin-token')}: is a symbolic link; refusing to follow it (remove it to have a new token made)`]);

    rmSync(join(dir, 'admin-token'));
    writeFileSync(join(dir, 'admin-token'), 'kept-token-0123456789\n');
    chmodSync(join(dir, 'admin-token'), 0o644);
    const ok = await run(['--listen', '127.0.0.1', '--port', '0', '--admin-port', '0', '--state-dir', dir, '--log-level', 'warn']);
    expect(ok.code).toBe(0);
    expect(mode(join(dir, 'admin-token'))).toBe(0o600);
    expect(readFileSync(join(dir, 'admin-token'), 'utf8')).toBe('kept-token-0123456789\n');
    expect(ok.stderr + ok.stdout).toMatch(/admin API token file was readable by others: its mode is now 0600.*"mode":"0644"/);
  });
});
