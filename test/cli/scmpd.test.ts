import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { inMemoryUnlessStateDir } from '../helpers/scmpd.js';
import { RpcClient } from '../../src/client/rpc-client.js';
import { mgmt } from '../../src/interfaces/mgmt/idl.js';
import { parseArgs, UsageError } from '../../src/cli/args.js';

const SCMPD = fileURLToPath(new URL('../../dist/src/cli/scmpd.js', import.meta.url));

/** Temporary folders of this file, removed when it ends. */
const made: string[] = [];
const tempDir = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  return d;
};
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

interface Run {
  stdout: string;
  stderr: string;
  code: number | null;
}

/** Starts scmpd; resolves with the ready line's match, or the exit if it ends first. */
function start(argsIn: string[], prefix: string[] = [], opts: { cwd?: string; asGiven?: boolean } = {}) {
  // Tests run side by side: the admin API takes a free port unless a test chooses; and
  // nothing is written to the default state directory unless a test means it.
  const withPort = argsIn.some((a) => a.startsWith('--admin-port') || a === '--no-admin' || a === '--help') ? argsIn : [...argsIn, '--admin-port', '0'];
  const args = opts.asGiven ? withPort : inMemoryUnlessStateDir(withPort);
  const cmd = prefix.length ? prefix[0]! : process.execPath;
  const argv = prefix.length ? [...prefix.slice(1), process.execPath, SCMPD, ...args] : [SCMPD, ...args];
  const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], cwd: opts.cwd });
  const run: Run = { stdout: '', stderr: '', code: null };
  const exited = new Promise<Run>((resolve) => child.on('exit', (code) => resolve({ ...run, code })));
  child.stdout.on('data', (d: Buffer) => (run.stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (run.stderr += d.toString()));
  const ready = new Promise<string | undefined>((resolve) => {
    child.stdout.on('data', () => {
      if (run.stdout.includes('\n')) resolve(run.stdout.split('\n')[0]);
    });
    child.on('exit', () => resolve(undefined));
  });
  return { child, ready, exited };
}

describe('argument parsing', () => {
  test('defaults and every flag', () => {
    expect(parseArgs([])).toEqual({ listen: undefined, port: 135, logLevel: 'info', help: false, accounts: [], minAuthLevel: undefined, allowNtlmV1: false, objectPort: 0, hostModel: undefined, stateDir: 'state', adminListen: '127.0.0.1', adminPort: 8135, adminTokenFile: undefined });
    expect(parseArgs(['--in-memory']).stateDir).toBeUndefined();
    expect(parseArgs(['--state-dir', '/tmp/x', '--admin-listen', '::1', '--admin-port', '0', '--admin-token-file', '/tmp/t'])).toMatchObject({
      stateDir: '/tmp/x',
      adminListen: '::1',
      adminPort: 0,
      adminTokenFile: '/tmp/t',
    });
    expect(parseArgs(['--no-admin']).adminListen).toBeUndefined();
    expect(parseArgs(['--listen', '127.0.0.1', '--listen=::1,10.0.0.1', '--port', '1135', '--log-level=debug'])).toMatchObject({
      listen: ['127.0.0.1', '::1', '10.0.0.1'],
      port: 1135,
      logLevel: 'debug',
      help: false,
    });
    const a = parseArgs(['--account', 'alice:pa:ss:admin', '--account', 'bob:nthash:8846F7EAEE8FB117AD06BDD830B7586C', '--min-auth-level', 'privacy', '--allow-ntlmv1']);
    expect(a.accounts.map((x) => [x.name, x.role, x.ntHash.toString('hex')])).toEqual([
      ['alice', 'admin', expect.stringMatching(/^[0-9a-f]{32}$/)],
      ['bob', 'user', '8846f7eaee8fb117ad06bdd830b7586c'],
    ]);
    expect(a.minAuthLevel).toBe(6);
    expect(a.allowNtlmV1).toBe(true);
    expect(parseArgs(['--object-port', '49667']).objectPort).toBe(49667);
    expect(() => parseArgs(['--object-port', '-1'])).toThrow(/--object-port takes a number/);
    expect(parseArgs(['-h']).help).toBe(true);
  });

  test('bad flags are usage errors that say what is wrong', () => {
    expect(() => parseArgs(['--port', '70000'])).toThrow(/--port takes a number/);
    expect(() => parseArgs(['--port'])).toThrow(/needs a value/);
    expect(() => parseArgs(['--log-level', 'loud'])).toThrow(UsageError);
    expect(() => parseArgs(['--frobnicate'])).toThrow(/unknown option --frobnicate/);
    expect(() => parseArgs(['--account', 'nopassword'])).toThrow(/--account: .*no password/);
    expect(() => parseArgs(['--account', 'x:nthash:zz'])).toThrow(/32 hex digits/);
    expect(() => parseArgs(['--min-auth-level', 'high'])).toThrow(/--min-auth-level takes/);
    expect(() => parseArgs(['--in-memory', '--state-dir', 'x'])).toThrow(/--in-memory and --state-dir exclude each other/);
    expect(() => parseArgs(['--state-dir='])).toThrow(/--state-dir needs a directory/);
  });

  test('a role is read in any case: bob:pw:Admin is an administrator whose password is pw', () => {
    const [bob, carol, dave] = parseArgs(['--account', 'bob:pw:Admin', '--account', 'carol:nthash:8846F7EAEE8FB117AD06BDD830B7586C:ADMIN', '--account', 'dave:pw:User']).accounts;
    expect([bob!.role, carol!.role, dave!.role]).toEqual(['admin', 'admin', 'user']);
    expect(bob!.ntHash).toEqual(parseArgs(['--account', 'bob:pw:admin']).accounts[0]!.ntHash);
    // Only a last field that is a role is one: a password may hold colons.
    expect(parseArgs(['--account', 'erin:pa:ss']).accounts[0]).toMatchObject({ role: 'user', ntHash: parseArgs(['--account', 'erin:pa:ss:user']).accounts[0]!.ntHash });
  });
});

describe('scmpd', () => {
  test('prints one ready line naming its address and port, serves, and stops on SIGTERM', async () => {
    const s = start(['--listen', '127.0.0.1', '--port', '0']);
    const line = await s.ready;
    const m = line?.match(/^scmpd ready: listening on 127\.0\.0\.1:(\d+) \(epmap\), 127\.0\.0\.1:\d+ \(object-exporter\); admin API http:\/\/127\.0\.0\.1:\d+$/);
    expect(m, line).toBeTruthy();
    const c = await RpcClient.connect('127.0.0.1', Number(m![1]));
    await c.bindInterface(mgmt);
    expect(await c.call(0, mgmt.methods.is_server_listening, {})).toEqual({ status: 0, result: 1 });
    s.child.kill('SIGTERM');
    const r = await s.exited;
    expect(r.code).toBe(0);
    expect(c.isClosed || (await c.closedPromise, true)).toBe(true);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
  });

  test('by default it listens on every IPv4 and IPv6 address', async () => {
    const s = start(['--port', '0']);
    const line = (await s.ready) ?? '';
    expect(line).toMatch(/0\.0\.0\.0:(\d+) \(epmap\)/);
    // On a host without IPv6 the server falls back to IPv4 and says so on stderr.
    if (!line.includes('[::]')) expect((await (s.child.kill('SIGINT'), s.exited)).stderr).toMatch(/IPv6 unavailable/);
    else {
      expect(line).toMatch(/\[::\]:(\d+) \(epmap\)/);
      s.child.kill('SIGINT');
      expect((await s.exited).code).toBe(0);
    }
  });

  test('--host-model: a malformed file fails at start naming the field, and never listens', async () => {
    const { writeFileSync } = await import('node:fs');
    const { serializeHostModel } = await import('../../src/store/model-file.js');
    const { defaultHostModel } = await import('../../src/store/default-host.js');
    const dir = tempDir('scmp-model-');
    const f = JSON.parse(serializeHostModel(defaultHostModel()));
    f.volumes[1].totalBytes = 'lots';
    writeFileSync(join(dir, 'bad.json'), JSON.stringify(f));
    const bad = await start(['--listen', '127.0.0.1', '--port', '0', '--host-model', join(dir, 'bad.json')]).exited;
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/volumes\[1\]\.totalBytes: expected a whole number of bytes/);
    expect(bad.stdout).toBe('');
    // A good file serves, with the accounts it names.
    f.volumes[1].totalBytes = '2199023255552';
    f.accounts = [{ name: 'carol', password: 'Car0l!', role: 'admin' }];
    writeFileSync(join(dir, 'good.json'), JSON.stringify(f));
    const ok = start(['--listen', '127.0.0.1', '--port', '0', '--host-model', join(dir, 'good.json')]);
    expect(await ok.ready).toMatch(/^scmpd ready/);
    ok.child.kill('SIGTERM');
    const r = await ok.exited;
    expect(r.code).toBe(0);
    // The file's account replaces the lab administrator.
    expect(r.stderr).not.toMatch(/lab administrator/);
  });

  test('--state-dir: the admin token is written there (0600) unless a token file is given; a corrupt state stops the start naming the file, before anything listens', async () => {
    const { readFileSync, statSync, writeFileSync } = await import('node:fs');
    const dir = tempDir('scmp-statedir-');
    const ok = start(['--listen', '127.0.0.1', '--port', '0', '--state-dir', dir]);
    const line = (await ok.ready) ?? '';
    const url = /admin API (http:\/\/\S+)$/.exec(line)![1]!;
    const token = readFileSync(join(dir, 'admin-token'), 'utf8').trim();
    expect(statSync(join(dir, 'admin-token')).mode & 0o777).toBe(0o600);
    const res = await fetch(`${url}/api/host`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect((await res.json()).writers.map((w: { name: string }) => w.name)).toContain('SqlServerWriter');
    ok.child.kill('SIGTERM');
    expect((await ok.exited).code).toBe(0);
    writeFileSync(join(dir, 'state.json'), '{"format":"scmp-state/1","model":[],"documents":{}}');
    const bad = await start(['--listen', '127.0.0.1', '--port', '0', '--state-dir', dir]).exited;
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/state directory .*state\.json: model\.\(file\): expected an object/);
    expect(bad.stdout).toBe('');
    // A host model whose writers are malformed fails the same way, naming the field.
    const { serializeHostModel } = await import('../../src/store/model-file.js');
    const { defaultHostModel } = await import('../../src/store/default-host.js');
    const f = JSON.parse(serializeHostModel(defaultHostModel()));
    f.writers[3].components[1].selectableForRestore = 'sometimes';
    writeFileSync(join(dir, 'model.json'), JSON.stringify(f));
    const badModel = await start(['--listen', '127.0.0.1', '--port', '0', '--host-model', join(dir, 'model.json')]).exited;
    expect(badModel.code).toBe(2);
    expect(badModel.stderr).toMatch(/writers\[3\]\.components\[1\]\.selectableForRestore: expected true or false/);
  });

  test('scmp admin, as a command, drives a running scmpd: vssadmin-style output, exit 1 on a refusal, 2 on a usage error', async () => {
    const { writeFileSync } = await import('node:fs');
    const { execFile } = await import('node:child_process');
    const dir = tempDir('scmp-admin-');
    writeFileSync(join(dir, 'token'), 'cli-test-token-0123456789\n');
    const s = start(['--listen', '127.0.0.1', '--port', '0', '--admin-token-file', join(dir, 'token')]);
    const url = /admin API (http:\/\/\S+)$/.exec((await s.ready) ?? '')![1]!;
    const SCMP = fileURLToPath(new URL('../../dist/src/cli/scmp.js', import.meta.url));
    const scmp = (args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
        execFile(process.execPath, [SCMP, 'admin', '--url', url, '--token-file', join(dir, 'token'), ...args], (e, stdout, stderr) => resolve({ code: e ? Number(e.code) : 0, stdout, stderr })),
      );
    const made = await scmp(['create', 'shadow', '/for=D:']);
    expect(made.code).toBe(0);
    expect(made.stdout).toMatch(/^Successfully created shadow copy for 'D:\\'\n {4}Shadow Copy ID: \{[0-9a-f-]{36}\}\n/);
    const refused = await scmp(['create', 'shadow', '/for=F:']);
    expect([refused.code, refused.stderr]).toEqual([1, expect.stringMatching(/refused \(409\): .*\[VSS_E_VOLUME_NOT_SUPPORTED 0x8004230c\]/)]);
    expect((await scmp(['frobnicate'])).code).toBe(2);
    const host = await scmp(['--json', 'host']);
    expect(JSON.parse(host.stdout).snapshots).toHaveLength(7);
    s.child.kill('SIGTERM');
    expect((await s.exited).code).toBe(0);
  });

  test('--help prints every flag; a bad flag exits 2', async () => {
    const h = start(['--help']);
    const r = await h.exited;
    expect(r.code).toBe(0);
    for (const flag of ['--listen', '--port', '--object-port', '--log-level', '--account', '--min-auth-level', '--allow-ntlmv1', '--host-model', '--state-dir', '--in-memory', '--admin-listen', '--admin-port', '--admin-token-file', '--no-admin']) expect(r.stdout).toContain(flag);
    expect(r.stdout).toMatch(/--listen ADDR\[,ADDR…\]/);
    expect(r.stdout).toMatch(/comma-separated list/);
    const bad = await start(['--port', 'x']).exited;
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--port takes a number/);
  });

  test('without the privilege to bind port 135 the error says so and names --port', async () => {
    // As root, drop to nobody for this run; as anyone else port 135 is already out of reach.
    const asRoot = process.getuid?.() === 0;
    if (asRoot) expect(existsSync('/usr/bin/setpriv')).toBe(true);
    const prefix = asRoot ? ['/usr/bin/setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups'] : [];
    const r = await start(['--listen', '127.0.0.1'], prefix).exited;
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not allowed to listen on port 135/);
    expect(r.stderr).toMatch(/--port/);
  });
});
