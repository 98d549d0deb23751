/**
 * `scmp conform` against a spawned scmpd: every check applies and passes, in text, JSON and
 * JUnit (the JUnit file read back by Python's XML parser); --only/--skip select by id and
 * glob; a failing check gives exit 10 with what was expected and what came.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATALOGUE } from '../../src/conform/catalogue.js';
import { runScmp } from '../helpers/scmp-cli.js';
import { spawnScmpd, type RunningScmpd } from '../helpers/scmpd.js';
import { ADMIN, conformHostModel, conformServerArgs, USER } from './host.js';

let server: RunningScmpd;
let model: ReturnType<typeof conformHostModel>;
const target = () => [`${ADMIN.user}:${ADMIN.password}@127.0.0.1`, '--port', String(server.port)];
const full = () => [...target(), '--allow-changes', '--user-account', `${USER.user}:${USER.password}`];

beforeAll(async () => {
  model = conformHostModel();
  server = await spawnScmpd(['--no-admin', ...conformServerArgs(model.file)]);
});
afterAll(() => {
  server?.child.kill('SIGTERM');
  model?.remove();
});

describe('scmp conform against scmpd', () => {
  it('has at least 150 checks, each citing a spec section and naming its breaker', () => {
    expect(CATALOGUE.length).toBeGreaterThanOrEqual(150);
    for (const c of CATALOGUE) {
      expect(c.ref.section, c.id).toMatch(/^\d+(\.\d+)*$/);
      expect(c.requirement.length, c.id).toBeGreaterThan(10);
      expect('fault' in c.breaker || 'server' in c.breaker || 'hostModel' in c.breaker, c.id).toBe(true);
    }
  });

  it('text: every check passes, none is not applicable, exit 0', async () => {
    const r = await runScmp(['conform', ...full()]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n').filter((l) => /^(PASS|FAIL|N\/A)/.test(l));
    expect(lines).toHaveLength(CATALOGUE.length);
    expect(lines.every((l) => l.startsWith('PASS '))).toBe(true);
    expect(r.stdout).toContain(`: ${CATALOGUE.length} checks, ${CATALOGUE.length} passed, 0 failed, 0 not applicable`);
  });

  it('JSON and JUnit: the same verdicts; the JUnit file parses as XML with one testcase per check', async () => {
    const file = join(model.dir, 'conform.xml');
    const r = await runScmp(['conform', ...full(), '--json', '--junit', file]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.summary).toEqual({ total: CATALOGUE.length, passed: CATALOGUE.length, failed: 0, notApplicable: 0 });
    expect(j.results.map((x: any) => x.id)).toEqual(CATALOGUE.map((c) => c.id));
    expect(j.results[0]).toMatchObject({ verdict: 'pass', ref: { spec: 'MS-SCMP' } });
    const py = `import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == 'testsuites', root.tag
cases = root.findall('./testsuite/testcase')
print(len(cases), root.get('tests'), root.get('failures'), len(root.findall('.//failure')), len(root.findall('.//skipped')))`;
    const out = execFileSync('/usr/bin/python3', ['-c', py, file]).toString().trim();
    expect(out).toBe(`${CATALOGUE.length} ${CATALOGUE.length} 0 0 0`);
    expect(readFileSync(file, 'utf8')).toContain('<property name="spec" value="MS-SCMP 3.1.1.4.1"/>');
  });

  it('read-only by default: the checks that change the host and those needing a user account are not applicable', async () => {
    const r = await runScmp(['conform', ...target(), '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    const na = j.results.filter((x: any) => x.verdict === 'not-applicable').map((x: any) => x.id);
    const expected = CATALOGUE.filter((c) => c.needs.length > 0).map((c) => c.id);
    expect(na).toEqual(expected);
    expect(na).toContain('scmp.add.round-trip');
    expect(na).toContain('auth.user.denied');
  });

  it('--only and --skip take ids and globs', async () => {
    const r = await runScmp(['conform', ...target(), '--only', 'scmp.qsbv.*,rpc.opnum.unknown', '--skip', 'scmp.qsbv.name-form-*', '--json']);
    expect(r.code).toBe(0);
    const ids = JSON.parse(r.stdout).results.map((x: any) => x.id);
    expect(ids).toContain('rpc.opnum.unknown');
    expect(ids).toContain('scmp.qsbv.null-name');
    expect(ids.some((i: string) => i.startsWith('scmp.qsbv.name-form-'))).toBe(false);
    expect(ids.every((i: string) => i.startsWith('scmp.qsbv.') || i === 'rpc.opnum.unknown')).toBe(true);
    const none = await runScmp(['conform', ...target(), '--only', 'no.such.check']);
    expect(none.code).toBe(2);
  });

  it('a failing check: exit 10, FAIL with expected and got (a wrong --user-account that is an administrator)', async () => {
    const r = await runScmp(['conform', ...target(), '--only', 'auth.user.denied', '--user-account', `${ADMIN.user}:${ADMIN.password}`]);
    expect(r.code).toBe(10);
    expect(r.stdout).toMatch(/FAIL auth\.user\.denied \[MS-SCMP 3\.1\.1\.4\]\n .*\n +expected: the answer: 0x80070005 E_ACCESSDENIED\n +got: +0x00000000 S_OK/);
  });

  it('usage errors exit 2', async () => {
    expect((await runScmp(['conform'])).code).toBe(2);
    expect((await runScmp(['conform', ...target(), '--bogus'])).code).toBe(2);
  });
});
