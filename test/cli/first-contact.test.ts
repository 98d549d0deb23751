/**
 * What a new user meets first with scmpd (issue "First contact"): persistence by default in
 * ./state, a clear error for a state directory that cannot be made, roles in any case and
 * a warning without an administrator, every host model error at once, which of host model
 * and state directory decides what, the right flag for a busy object port, a token that
 * survives a restart, and a prompt stop that says so.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { defaultHostModel } from '../../src/store/default-host.js';
import { serializeHostModel } from '../../src/store/model-file.js';
import { logLines, runScmpd } from '../helpers/scmpd.js';

const made: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'scmp-first-'));
  made.push(d);
  return d;
};
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

const LOOPBACK = ['--listen', '127.0.0.1', '--port', '0', '--admin-port', '0'];

async function stopped(s: ReturnType<typeof runScmpd>) {
  s.child.kill('SIGTERM');
  const r = await s.exited;
  expect(r.code).toBe(0);
  return r;
}

describe('persistence by default', () => {
  test('without --state-dir or --in-memory, scmpd keeps its state and its admin token in ./state', async () => {
    const cwd = tempDir();
    const s = runScmpd(LOOPBACK, { cwd, asGiven: true });
    expect(await s.ready).toMatch(/^scmpd ready/);
    const r = await stopped(s);
    expect(JSON.parse(readFileSync(join(cwd, 'state', 'state.json'), 'utf8')).format).toBe('scmp-state/1');
    expect(statSync(join(cwd, 'state', 'admin-token')).mode & 0o777).toBe(0o600);
    expect(logLines(r.stderr).find((l) => l.msg.startsWith(`state directory ${join(cwd, 'state')} is new`))).toBeDefined();
  });

  test('--in-memory writes nothing, and says nothing is kept', async () => {
    const cwd = tempDir();
    const s = runScmpd([...LOOPBACK, '--in-memory'], { cwd, asGiven: true });
    expect(await s.ready).toMatch(/^scmpd ready/);
    const r = await stopped(s);
    expect(existsSync(join(cwd, 'state'))).toBe(false);
    expect(logLines(r.stderr).map((l) => l.msg)).toContainEqual(expect.stringMatching(/^in memory \(--in-memory\): .*nothing is kept/));
  });
});

describe('the state directory', () => {
  test('a path that cannot be created stops the start at once with one clear line, and never listens', async () => {
    const r = await runScmpd([...LOOPBACK, '--state-dir', '/proc/scmp-no-such/state']).exited;
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("scmpd: state directory /proc/scmp-no-such/state: cannot create /proc/scmp-no-such/state: ENOENT: no such file or directory, mkdir '/proc/scmp-no-such'\n");
    expect(r.stdout).toBe('');
  });

  test('the admin token is made once and kept across restarts', async () => {
    const dir = join(tempDir(), 'state');
    const first = runScmpd([...LOOPBACK, '--state-dir', dir]);
    await first.ready;
    const token = readFileSync(join(dir, 'admin-token'), 'utf8');
    expect(logLines((await stopped(first)).stderr).find((l) => l.msg === 'admin API token made')?.file).toBe(join(dir, 'admin-token'));
    const second = runScmpd([...LOOPBACK, '--state-dir', dir]);
    const url = /admin API (http:\/\/\S+)$/.exec((await second.ready) ?? '')![1]!;
    expect(readFileSync(join(dir, 'admin-token'), 'utf8')).toBe(token);
    expect((await fetch(`${url}/api/host`, { headers: { authorization: `Bearer ${token.trim()}` } })).status).toBe(200);
    expect(logLines((await stopped(second)).stderr).map((l) => l.msg)).toContain('admin API token kept from an earlier start');
    // A token file spoilt by hand is refused, naming it, rather than silently replaced.
    writeFileSync(join(dir, 'admin-token'), 'short\n');
    const bad = await runScmpd([...LOOPBACK, '--state-dir', dir]).exited;
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/admin token .*admin-token: the token must be 16 to 512 printable characters/);
  });

  test('a log line says which of host model and state directory decided what; a host model the state overrides is named', async () => {
    const dir = tempDir();
    const f = JSON.parse(serializeHostModel(defaultHostModel()));
    writeFileSync(join(dir, 'model.json'), JSON.stringify(f));
    const args = [...LOOPBACK, '--state-dir', join(dir, 'state'), '--host-model', join(dir, 'model.json')];
    const first = runScmpd(args);
    await first.ready;
    const firstLog = logLines((await stopped(first)).stderr);
    expect(firstLog.find((l) => /is new: the host starts from the host model/.test(l.msg))).toBeDefined();
    // The same model again: restored, and nothing to warn about.
    const again = runScmpd(args);
    await again.ready;
    const againLog = logLines((await stopped(again)).stderr);
    const restored = againLog.find((l) => / restored: /.test(l.msg))!;
    expect(restored).toMatchObject({ fromStateDir: ['host names', 'volumes', 'shadow copy storage', 'persistent shadow copies', 'saved documents'], fromHostModel: ['writers', 'accounts'] });
    expect(againLog.filter((l) => l.level === 'warn' && l.ignored)).toEqual([]);
    // A new host name and a bigger volume in the model: the state's win, and the log says so.
    f.host.netbiosName = 'OTHERHOST';
    f.volumes[1].totalBytes = '4398046511104';
    writeFileSync(join(dir, 'model.json'), JSON.stringify(f));
    const changed = runScmpd(args);
    const url = /admin API (http:\/\/\S+)$/.exec((await changed.ready) ?? '')![1]!;
    const token = readFileSync(join(dir, 'state', 'admin-token'), 'utf8').trim();
    const host = await (await fetch(`${url}/api/host`, { headers: { authorization: `Bearer ${token}` } })).json();
    expect(host.host.netbiosName).toBe('FILESRV01');
    const warning = logLines((await stopped(changed)).stderr).find((l) => l.ignored);
    expect(warning).toMatchObject({ level: 'warn', ignored: ['host names', 'volumes'], hint: expect.stringContaining('state.json') });
    expect(warning!.msg).toMatch(/differs from the state directory in its host names, volumes: the state directory's are used/);
  });
});

describe('accounts', () => {
  test('--account NAME:PASSWORD:Admin makes an administrator; without one, a warning says every caller will be refused', async () => {
    const admin = runScmpd([...LOOPBACK, '--account', 'bob:pw:Admin']);
    await admin.ready;
    const log = logLines((await stopped(admin)).stderr);
    expect(log.find((l) => l.msg === 'local accounts')?.accounts).toEqual([{ name: 'bob', role: 'admin' }]);
    expect(log.find((l) => /no administrator/.test(l.msg))).toBeUndefined();
    const user = runScmpd([...LOOPBACK, '--account', 'bob:pw']);
    await user.ready;
    const userLog = logLines((await stopped(user)).stderr);
    expect(userLog.find((l) => /^no administrator account/.test(l.msg))).toMatchObject({ level: 'warn', hint: expect.stringContaining(':admin') });
  });
});

test('a host model with several errors reports every one, one line each, and never listens', async () => {
  const dir = tempDir();
  const f = JSON.parse(serializeHostModel(defaultHostModel()));
  f.volumes[1].totalBytes = 'lots';
  f.snapshots[2].created = 'yesterday';
  f.writers[3].components[1].selectableForRestore = 'sometimes';
  writeFileSync(join(dir, 'bad.json'), JSON.stringify(f));
  const r = await runScmpd([...LOOPBACK, '--host-model', join(dir, 'bad.json')]).exited;
  expect(r.code).toBe(2);
  const file = join(dir, 'bad.json');
  expect(r.stderr.trim().split('\n')).toEqual([
    `scmpd: host model ${file}: volumes[1].totalBytes: expected a whole number of bytes (a number or a decimal string)`,
    `scmpd: host model ${file}: snapshots[2].created: expected an ISO 8601 time`,
    `scmpd: host model ${file}: writers[3].components[1].selectableForRestore: expected true or false`,
  ]);
  expect(r.stdout).toBe('');
});

test('a busy --object-port is named as --object-port, not --port', async () => {
  const busy: Server = createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  const port = (busy.address() as { port: number }).port;
  try {
    const r = await runScmpd([...LOOPBACK, '--object-port', String(port)]).exited;
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`cannot listen on port ${port} for object-exporter: .*EADDRINUSE.* \\(choose another with --object-port\\)`));
    expect(r.stderr).not.toMatch(/--port\b/);
  } finally {
    busy.close();
  }
});

test('SIGTERM stops at once and the last log line says it stopped', async () => {
  const s = runScmpd([...LOOPBACK]);
  await s.ready;
  const r = await stopped(s);
  const log = logLines(r.stderr);
  expect(log.slice(-2).map((l) => [l.msg, l.signal])).toEqual([
    ['stopping', 'SIGTERM'],
    ['stopped', 'SIGTERM'],
  ]);
});
