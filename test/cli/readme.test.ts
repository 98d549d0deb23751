/**
 * The README's "`scmp` over the network" section, run as a new user runs it: its shell
 * blocks, in order, in bash, against a spawned scmpd with the default host and a state
 * directory (so `state/admin-token` is where the README says). As the README tells users of
 * another port, `--port N` is added to every network verb; `scmp admin` finds the admin API
 * through $SCMP_ADMIN_URL, as in the tour. Nothing else is changed: a README line that stops
 * working fails this test.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { spawnScmpd, type RunningScmpd } from '../helpers/scmpd.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The ```sh blocks of the README section whose heading starts with `heading`. */
function shellBlocks(heading: string): string[] {
  const start = readme.indexOf(`\n### ${heading}`);
  if (start < 0) throw new Error(`README has no section ${heading}`);
  const end = readme.indexOf('\n### ', start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

let dir: string;
let server: RunningScmpd;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scmp-readme-'));
  // The clone's folder as the README's reader has it: dist/ beside state/.
  symlinkSync(join(ROOT, 'dist'), join(dir, 'dist'));
  server = await spawnScmpd(['--state-dir', join(dir, 'state'), '--admin-port', '0']);
});
afterAll(() => {
  server?.child.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

test('the capture section records a session and shows its calls as printed there', async () => {
  const [block] = shellBlocks('Packet captures');
  expect(block).toBeDefined();
  // Its own port, free now, for the README's 1135 (other tests may run beside this one).
  const probe = (await import('node:net')).createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as { port: number }).port;
  await new Promise((r) => probe.close(r));
  const script = `set -euo pipefail\nscmp() { node dist/src/cli/scmp.js "$@"; }\n${block!.replaceAll('1135', String(port))}\n`;
  const child = spawn('bash', ['--norc', '--noprofile', '-c', script], { cwd: dir, env: { PATH: process.env.PATH ?? '', TZ: 'UTC' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise((r) => child.on('close', r));
  expect(code, stderr).toBe(0);
  // The README's printed output, with what differs from run to run (times, ports, ids of the session) masked.
  const printed = /prints \(times in UTC[^\n]*\n\n```\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf('### Packet captures')))![1]!;
  const mask = (t: string) =>
    t
      .replace(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}/g, 'TIME')
      .replace(/127\.0\.0\.1:\d+/g, 'ADDR')
      .replace(/(object|cid) \{[0-9a-f-]{36}\}/g, '$1 ID')
      .replace(/call \d+/g, 'call N')
      .replace(/conn \d+/g, 'conn N');
  expect(mask(stdout + stderr)).toBe(mask(printed));
}, 60_000);

test('every line of the network section works against the default host, as written (plus --port)', async () => {
  const blocks = shellBlocks('`scmp` over the network');
  expect(blocks.length).toBeGreaterThanOrEqual(2);
  const withPort = blocks
    .join('\n')
    .split('\n')
    .map((line) => (/^scmp (?!admin)/.test(line) ? line.replace(/^(scmp [^#]*?)(\s*(#.*)?)$/, `$1 --port ${server.port}$2`) : line))
    .join('\n');
  const script = `set -euo pipefail\n${withPort}\n`;
  // --norc: bash reads ~/.bashrc when its stdin is a socket (its rshd guess), and node's pipes are.
  const child = spawn('bash', ['--norc', '--noprofile', '-c', script], { cwd: dir, env: { PATH: process.env.PATH ?? '', TZ: 'UTC', SCMP_ADMIN_URL: server.adminUrl! } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise((r) => child.on('close', r));
  expect(stderr).toBe('');
  expect(code).toBe(0);
  // What each kind of line printed, in order.
  expect(stdout).toContain('Volume path: C:\\\n');
  expect(stdout).toContain('Contents of shadow copy set ID: {9e5ec4ac-8e2d-4a10-93a3-88fc99734917}');
  expect(stdout).toContain('Maximum Shadow Copy Storage space: 200 GB (40%)');
  expect(stdout).toContain('Successfully added the shadow copy storage association');
  expect(stdout).toContain('Successfully resized the shadow copy storage association');
  expect(stdout).toContain('"maximumBytes": 1610612736');
  expect(stdout).toContain('Successfully deleted the shadow copy storage association');
  expect(stdout).toMatch(/Successfully created shadow copy for 'C:\\'\n {4}Shadow Copy ID: \{([0-9a-f-]{36})\}/);
  // The copy made through the admin API is then listed over the network.
  const id = /Successfully created shadow copy for 'C:\\'\n {4}Shadow Copy ID: \{([0-9a-f-]{36})\}/.exec(stdout)![1]!;
  expect(stdout.split(`Shadow Copy ID: {${id}}`).length).toBe(4); // created, the admin listing, the network listing
}, 60_000);
