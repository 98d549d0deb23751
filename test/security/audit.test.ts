import { describe, expect, it } from 'vitest';
import type { AuthEvent } from '../../src/dcerpc/auth.js';
import { AUTH_LEVEL, AUTH_TYPE } from '../../src/dcerpc/constants.js';
import { createLogger, type LogLevel } from '../../src/log.js';
import { Accounts, parseAccountSpec } from '../../src/security/accounts.js';
import { DEFAULT_HOST_NAMES } from '../../src/security/identity.js';
import { RpcSecurity } from '../../src/security/provider.js';

/** A provider whose log lines are captured. */
function audited(level: LogLevel = 'info') {
  const lines: string[] = [];
  const log = createLogger(level, (l) => lines.push(l));
  const accounts = new Accounts(DEFAULT_HOST_NAMES, [parseAccountSpec('alice:pw:admin')]);
  const sec = new RpcSecurity({ host: DEFAULT_HOST_NAMES, accounts, allowNtlmV1: false, allowAnonymous: false, spnego: false }, log);
  return { sec, lines };
}

const success: AuthEvent = {
  outcome: 'success',
  authType: AUTH_TYPE.winnt,
  authLevel: AUTH_LEVEL.pkt_privacy,
  user: 'alice',
  domain: 'FILESRV01',
  client: '192.0.2.7:49152',
};

describe('RpcSecurity.audit', () => {
  it('a success is one JSON line at info with the authentication fields, levels and types by name', () => {
    const { sec, lines } = audited();
    sec.audit(success);
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('\n');
    const o = JSON.parse(lines[0]!);
    expect(o).toMatchObject({
      level: 'info',
      msg: 'authentication succeeded',
      audit: 'authentication',
      outcome: 'success',
      user: 'alice',
      domain: 'FILESRV01',
      client: '192.0.2.7:49152',
      authLevel: 'pkt_privacy',
      authType: 'winnt',
    });
    expect(o).not.toHaveProperty('reason');
    expect(typeof o.time).toBe('string');
    expect(Number.isNaN(Date.parse(o.time))).toBe(false);
  });

  it('a failure is one JSON line at warn with its reason', () => {
    const { sec, lines } = audited();
    sec.audit({ ...success, outcome: 'failure', authType: AUTH_TYPE.gss_negotiate, authLevel: AUTH_LEVEL.pkt_integrity, reason: 'wrong password' });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      level: 'warn',
      msg: 'authentication failed',
      audit: 'authentication',
      outcome: 'failure',
      user: 'alice',
      authLevel: 'pkt_integrity',
      authType: 'gss_negotiate',
      reason: 'wrong password',
    });
  });

  it("the line's own level stays the log level, whatever the authentication level", () => {
    const { sec, lines } = audited('debug');
    const levels = [AUTH_LEVEL.connect, AUTH_LEVEL.call, AUTH_LEVEL.pkt, AUTH_LEVEL.pkt_integrity, AUTH_LEVEL.pkt_privacy];
    for (const authLevel of levels) {
      sec.audit({ ...success, authLevel });
      sec.audit({ ...success, authLevel, outcome: 'failure', reason: 'r' });
    }
    expect(lines).toHaveLength(2 * levels.length);
    const parsed = lines.map((l) => JSON.parse(l));
    expect(parsed.map((o) => o.level)).toEqual(levels.flatMap(() => ['info', 'warn']));
    expect(parsed.map((o) => o.authLevel)).toEqual(levels.flatMap((l) => {
      const name = { 2: 'connect', 3: 'call', 4: 'pkt', 5: 'pkt_integrity', 6: 'pkt_privacy' }[l];
      return [name, name];
    }));
  });

  it('one line per event, no more, over many events', () => {
    const { sec, lines } = audited();
    for (let i = 0; i < 50; i++) sec.audit({ ...success, user: `u${i}`, outcome: i % 3 ? 'success' : 'failure', reason: i % 3 ? undefined : 'no' });
    expect(lines).toHaveLength(50);
    expect(lines.map((l) => JSON.parse(l).user)).toEqual(Array.from({ length: 50 }, (_, i) => `u${i}`));
  });

  it('an empty reason is left out; an unknown level or type number is logged as the number', () => {
    const { sec, lines } = audited();
    sec.audit({ ...success, outcome: 'failure', reason: '' });
    sec.audit({ ...success, authLevel: 42, authType: 77 });
    const [a, b] = lines.map((l) => JSON.parse(l));
    expect(a).not.toHaveProperty('reason');
    expect(a.level).toBe('warn');
    expect(b).toMatchObject({ level: 'info', authLevel: 42, authType: 77 });
  });

  it('user names that need escaping stay on one line and round-trip', () => {
    const { sec, lines } = audited();
    const user = 'eve"\n\\{"level":"error"}\u0000';
    sec.audit({ ...success, user, outcome: 'failure', reason: 'unknown user' });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.split('\n')).toHaveLength(1);
    const o = JSON.parse(lines[0]!);
    expect(o.user).toBe(user);
    expect(o.level).toBe('warn');
  });

  it('the logger level filters: at warn, failures only; at error, nothing', () => {
    const warn = audited('warn');
    warn.sec.audit(success);
    warn.sec.audit({ ...success, outcome: 'failure', reason: 'x' });
    expect(warn.lines.map((l) => JSON.parse(l).outcome)).toEqual(['failure']);
    const error = audited('error');
    error.sec.audit(success);
    error.sec.audit({ ...success, outcome: 'failure', reason: 'x' });
    expect(error.lines).toHaveLength(0);
  });
});

describe('RpcSecurity.newContext', () => {
  it('NTLM for auth type 10; SPNEGO only when enabled and installed; nothing for other types', () => {
    const { sec } = audited();
    expect(sec.newContext(AUTH_TYPE.winnt)?.authType).toBe(AUTH_TYPE.winnt);
    expect(sec.newContext(AUTH_TYPE.gss_negotiate)).toBeUndefined();
    expect(sec.newContext(AUTH_TYPE.gss_kerberos)).toBeUndefined();
    expect(sec.newContext(AUTH_TYPE.none)).toBeUndefined();
  });
});
