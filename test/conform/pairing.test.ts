/**
 * The suite proves itself (issue 16, point 3): for every check, the scripted fault or server
 * setting it names as its breaker makes it fail. Fault breakers share one scmpd (each rule
 * added through the admin API, its checks run, the rules cleared); each server setting gets
 * a scmpd of its own, and so does each host model with wrong data. A check that passes
 * whatever the server does would show up here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATALOGUE } from '../../src/conform/catalogue.js';
import { runChecks } from '../../src/conform/runner.js';
import type { ConformTarget } from '../../src/conform/session.js';
import type { Check, FaultSpec, Result } from '../../src/conform/types.js';
import { NOBODY } from '../../src/conform/checks/protocol.js';
import { scmpdWithAdminToken, type ScmpdWithToken } from '../helpers/scmp-cli.js';
import { spawnScmpd } from '../helpers/scmpd.js';
import { ADMIN, conformHostModel, conformServerArgs, USER } from './host.js';

const TOKEN = 'conform-pairing-token-0123456789';
let model: ReturnType<typeof conformHostModel>;
let faulty: ScmpdWithToken;

const targetAt = (port: number): ConformTarget => ({
  host: '127.0.0.1',
  port,
  creds: { user: ADMIN.user, domain: '', password: ADMIN.password },
  authType: 'spnego',
  authLevel: 'privacy',
  timeoutMs: 5000,
  userAccount: { user: USER.user, domain: '', password: USER.password },
});

/** The admin API's form of a breaker's rule. */
function rule(f: FaultSpec): Record<string, unknown> {
  const a = f.action;
  const action = 'hresult' in a ? { action: 'hresult', status: a.hresult } : 'fault' in a ? { action: 'fault', status: a.fault } : { action: 'drop' };
  return { interface: f.interface, ...(f.opnum !== undefined ? { opnum: f.opnum } : { method: f.method }), ...(f.args ? { args: f.args } : {}), ...action };
}

async function admin(method: string, path: string, body?: unknown): Promise<unknown> {
  const r = await fetch(`${faulty.server.adminUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
  return JSON.parse(text);
}

/** scmpd arguments for a setting breaker, its placeholders filled with the test's accounts. */
function settingArgs(server: string[]): string[] {
  return server.map((a) =>
    a
      .replace('USER:admin', `${USER.user}:${USER.password}:admin`)
      .replace('ADMIN:WRONGPASSWORD:admin', `${ADMIN.user}:${ADMIN.password}-wrong:admin`)
      .replace(`${NOBODY}:PASSWORD:admin`, `${NOBODY}:${ADMIN.password}:admin`),
  );
}

const failedOrReport = (rs: Result[]) => rs.filter((r) => r.verdict !== 'fail').map((r) => `${r.id}: ${r.verdict}${r.reason ? ` (${r.reason})` : ''}`);

const byFault = new Map<string, { spec: FaultSpec; checks: Check[] }>();
const byModel: Array<{ note: string; edit(m: Record<string, any>): void; check: Check }> = [];
const bySetting = new Map<string, { server: string[]; fault?: FaultSpec; checks: Check[] }>();
for (const c of CATALOGUE) {
  const b = c.breaker;
  if ('hostModel' in b) byModel.push({ note: b.hostModel, edit: b.edit, check: c });
  else if (!('server' in b)) {
    const key = JSON.stringify(rule(b.fault));
    byFault.set(key, { spec: b.fault, checks: [...(byFault.get(key)?.checks ?? []), c] });
  } else {
    const key = JSON.stringify([b.server, b.fault ? rule(b.fault) : null]);
    bySetting.set(key, { server: b.server, ...(b.fault ? { fault: b.fault } : {}), checks: [...(bySetting.get(key)?.checks ?? []), c] });
  }
}

beforeAll(async () => {
  model = conformHostModel();
  faulty = await scmpdWithAdminToken(TOKEN, conformServerArgs(model.file));
});
afterAll(() => {
  faulty?.stop();
  model?.remove();
});

describe('every check fails under its breaker', () => {
  it('every check of the catalogue has exactly one pairing below', () => {
    const n = [...byFault.values(), ...bySetting.values()].reduce((s, g) => s + g.checks.length, 0) + byModel.length;
    expect(n).toBe(CATALOGUE.length);
  });

  it('with no fault, the pairing server passes every check', async () => {
    const rs = await runChecks(targetAt(faulty.server.port), CATALOGUE, { allowChanges: true });
    expect(rs.filter((r) => r.verdict !== 'pass').map((r) => `${r.id}: ${r.got ?? r.reason}`)).toEqual([]);
  });

  it.each([...byFault.entries()].map(([key, g]) => [key, g] as const))('fault %s', async (_key, g) => {
    await admin('POST', '/api/faults', rule(g.spec));
    try {
      const rs = await runChecks(targetAt(faulty.server.port), g.checks, { allowChanges: true });
      expect(failedOrReport(rs)).toEqual([]);
    } finally {
      await admin('DELETE', '/api/faults');
    }
  });

  it.each([...bySetting.entries()].map(([key, g]) => [key, g] as const))('server setting %s', async (_key, g) => {
    // A setting that comes with a fault rule: the rule in the host model it starts from.
    const own = g.fault ? conformHostModel([rule(g.fault)]) : undefined;
    const s = await spawnScmpd(['--no-admin', ...conformServerArgs((own ?? model).file, settingArgs(g.server))]).catch((e) => {
      own?.remove();
      throw e;
    });
    try {
      const rs = await runChecks(targetAt(s.port), g.checks, { allowChanges: true });
      expect(failedOrReport(rs)).toEqual([]);
    } finally {
      s.child.kill('SIGTERM');
      own?.remove();
    }
  });

  it.each(byModel.map((g) => [g.check.id, g] as const))('%s with the host model changed', async (_id, g) => {
    const own = conformHostModel([], g.edit);
    try {
      const s = await spawnScmpd(['--no-admin', ...conformServerArgs(own.file)]);
      try {
        const rs = await runChecks(targetAt(s.port), [g.check], { allowChanges: true });
        expect(failedOrReport(rs)).toEqual([]);
      } finally {
        s.child.kill('SIGTERM');
      }
    } finally {
      own.remove();
    }
  });

  it('a call left unanswered fails its check ("no answer"), and the run goes on to pass the next', async () => {
    await admin('POST', '/api/faults', { interface: 'IVssDifferentialSoftwareSnapshotMgmt', method: 'QueryDiffAreasOnVolume', action: 'hang' });
    try {
      const checks = ['scmp.on.null-name', 'scmp.qsbv.ok'].map((id) => CATALOGUE.find((c) => c.id === id)!);
      const rs = await runChecks({ ...targetAt(faulty.server.port), timeoutMs: 1000 }, checks, { allowChanges: false });
      expect(rs.map((r) => [r.id, r.verdict, r.got])).toEqual([
        ['scmp.on.null-name', 'fail', 'none within 2000 ms'],
        ['scmp.qsbv.ok', 'pass', undefined],
      ]);
    } finally {
      await admin('DELETE', '/api/faults');
    }
  });

  it('after the faults, the host is as it was: every check passes again', async () => {
    const rs = await runChecks(targetAt(faulty.server.port), CATALOGUE, { allowChanges: true });
    expect(rs.filter((r) => r.verdict !== 'pass').map((r) => `${r.id}: ${r.got ?? r.reason}`)).toEqual([]);
  });
});
