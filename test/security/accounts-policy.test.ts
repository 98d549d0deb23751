import { describe, expect, it } from 'vitest';
import type { CallAuth, RpcIdentity } from '../../src/dcerpc/auth.js';
import { AUTH_LEVEL, AUTH_TYPE, FAULT } from '../../src/dcerpc/constants.js';
import { AccountSpecError, Accounts, parseAccountSpec } from '../../src/security/accounts.js';
import { ANONYMOUS, DEFAULT_HOST_NAMES } from '../../src/security/identity.js';
import { NTOWFv1 } from '../../src/security/ntlm/crypto.js';
import { AuthorizationPolicy, KNOWN_IIDS, LEVEL_BY_NAME, hardenedPolicy } from '../../src/security/policy.js';

const hash = (password: string) => NTOWFv1(password).toString('hex');

describe('parseAccountSpec', () => {
  it('NAME:PASSWORD is a user whose NT hash is NTOWFv1(PASSWORD)', () => {
    const a = parseAccountSpec('alice:Wonder-Land-1');
    expect(a).toMatchObject({ name: 'alice', role: 'user' });
    expect(a.ntHash.toString('hex')).toBe(hash('Wonder-Land-1'));
  });

  it('a trailing role: admin or user', () => {
    expect(parseAccountSpec('alice:pw:admin')).toMatchObject({ name: 'alice', role: 'admin' });
    expect(parseAccountSpec('bob:pw:user')).toMatchObject({ name: 'bob', role: 'user' });
    expect(parseAccountSpec('alice:pw:admin').ntHash.toString('hex')).toBe(hash('pw'));
  });

  it('the role in any case: bob:pw:Admin is an administrator whose password is pw', () => {
    for (const role of ['Admin', 'ADMIN', 'aDmIn']) {
      const a = parseAccountSpec(`bob:pw:${role}`);
      expect([a.role, a.ntHash.toString('hex')]).toEqual(['admin', hash('pw')]);
    }
    expect(parseAccountSpec('bob:pw:User').role).toBe('user');
    expect(parseAccountSpec(`bob:nthash:${hash('pw')}:Admin`).role).toBe('admin');
  });

  it("a password may contain ':'; only a last segment that is a role is taken as one", () => {
    expect(parseAccountSpec('alice:a:b:c').ntHash.toString('hex')).toBe(hash('a:b:c'));
    const withRole = parseAccountSpec('alice:a:b:admin');
    expect(withRole.role).toBe('admin');
    expect(withRole.ntHash.toString('hex')).toBe(hash('a:b'));
    const notRole = parseAccountSpec('alice:pw:root');
    expect(notRole.role).toBe('user');
    expect(notRole.ntHash.toString('hex')).toBe(hash('pw:root'));
    // A single segment is always the password, even when it reads like a role.
    expect(parseAccountSpec('alice:admin')).toMatchObject({ role: 'user' });
    expect(parseAccountSpec('alice:admin').ntHash.toString('hex')).toBe(hash('admin'));
    expect(parseAccountSpec('alice:pw:').ntHash.toString('hex')).toBe(hash('pw:'));
  });

  it('NAME:nthash:HEX32 takes the NT hash itself, in upper or lower case, with or without a role', () => {
    const h = hash('Wonder-Land-1');
    for (const spec of [`alice:nthash:${h}`, `alice:nthash:${h.toUpperCase()}`]) {
      const a = parseAccountSpec(spec);
      expect(a).toMatchObject({ name: 'alice', role: 'user' });
      expect(a.ntHash.toString('hex')).toBe(h);
    }
    expect(parseAccountSpec(`alice:nthash:${h}:admin`).role).toBe('admin');
    expect(parseAccountSpec(`alice:nthash:${h}:user`).role).toBe('user');
    expect(parseAccountSpec(`alice:nthash:${h}`).ntHash).toEqual(parseAccountSpec('alice:Wonder-Land-1').ntHash);
  });

  it('every malformed spec is an AccountSpecError saying what is wrong', () => {
    const h = hash('x');
    const bad: Array<[string, RegExp]> = [
      ['', /no name/],
      [':pw', /no name/],
      [':pw:admin', /no name/],
      ['alice', /no password/],
      ['alice:nthash', /32 hex digits/],
      ['alice:nthash:', /32 hex digits/],
      [`alice:nthash:${h.slice(1)}`, /32 hex digits/],
      [`alice:nthash:${h}0`, /32 hex digits/],
      [`alice:nthash:${h.slice(1)}g`, /32 hex digits/],
      [`alice:nthash:${h}:root`, /role must be admin or user/],
      [`alice:nthash:${h}:`, /role must be admin or user/],
      [`alice:nthash:${h}:admin:extra`, /too many fields/],
      [`alice:nthash:${h}:admin:user`, /too many fields/],
    ];
    for (const [spec, why] of bad) {
      let err: unknown;
      try {
        parseAccountSpec(spec);
      } catch (e) {
        err = e;
      }
      expect(err, spec).toBeInstanceOf(AccountSpecError);
      expect((err as Error).message, spec).toMatch(why);
    }
  });
});

describe('Accounts', () => {
  const accounts = new Accounts(DEFAULT_HOST_NAMES, [parseAccountSpec('Administrator:pw:admin'), parseAccountSpec('bob:pw')]);

  it('finds names case-insensitively and keeps the stored spelling', () => {
    expect(accounts.size).toBe(2);
    for (const n of ['Administrator', 'administrator', 'ADMINISTRATOR', 'aDmInIsTrAtOr']) {
      expect(accounts.find(n)?.name).toBe('Administrator');
    }
    expect(accounts.find('BOB')?.role).toBe('user');
    expect(accounts.find('mallory')).toBeUndefined();
    expect(accounts.find('')).toBeUndefined();
  });

  it('a later account of the same name (any case) replaces the earlier one', () => {
    const a = new Accounts(DEFAULT_HOST_NAMES, [parseAccountSpec('bob:one'), parseAccountSpec('BOB:two:admin')]);
    expect(a.size).toBe(1);
    expect(a.find('bob')?.role).toBe('admin');
  });

  it('local domain: the NetBIOS name, the DNS name, "." and none, in any case; others are foreign', () => {
    for (const d of ['FILESRV01', 'filesrv01', 'filesrv01.lab.local', 'FILESRV01.LAB.LOCAL', '.', '']) {
      expect(accounts.isLocalDomain(d), d).toBe(true);
    }
    for (const d of ['CONTOSO', 'contoso.com', 'FILESRV02', 'filesrv01.lab', '..', ' ']) {
      expect(accounts.isLocalDomain(d), d).toBe(false);
    }
  });

  it('a member server whose NetBIOS domain differs from its name accepts both', () => {
    const host = { netbiosName: 'SRV', dnsName: 'srv.corp.example', netbiosDomain: 'CORP', dnsDomain: 'corp.example' };
    const a = new Accounts(host, []);
    expect(a.isLocalDomain('SRV')).toBe(true);
    expect(a.isLocalDomain('corp')).toBe(true);
    expect(a.isLocalDomain('srv.corp.example')).toBe(true);
    expect(a.isLocalDomain('OTHER')).toBe(false);
  });
});

describe('AuthorizationPolicy and hardenedPolicy', () => {
  const iface = (uuid: string) => ({ uuid, name: 'test' });
  const id = (over: Partial<RpcIdentity> = {}): RpcIdentity => ({ anonymous: false, user: 'bob', domain: 'FILESRV01', admin: false, ...over });
  const at = (level: number, identity: RpcIdentity = id()): CallAuth => ({ authType: AUTH_TYPE.winnt, level, identity });
  const ADMIN = id({ user: 'alice', admin: true });
  const LEVELS = [AUTH_LEVEL.none, AUTH_LEVEL.connect, AUTH_LEVEL.call, AUTH_LEVEL.pkt, AUTH_LEVEL.pkt_integrity, AUTH_LEVEL.pkt_privacy];

  const policy = hardenedPolicy();
  /** The fault authorize answers for a call at `level` (undefined: an unauthenticated call). */
  const fault = (p: AuthorizationPolicy, uuid: string, opnum: number, level?: number) => p.authorize(iface(uuid), opnum, level === undefined ? undefined : at(level));

  it('the endpoint mapper and the management interface answer anyone', () => {
    for (const uuid of [KNOWN_IIDS.epm, KNOWN_IIDS.mgmt]) {
      for (const opnum of [0, 1, 2, 3, 4, 7]) {
        expect(fault(policy, uuid, opnum)).toBe(0);
        for (const l of LEVELS) expect(fault(policy, uuid, opnum, l)).toBe(0);
        expect(policy.allowsCaller(uuid, opnum, undefined)).toBe(true);
        expect(policy.allowsCaller(uuid, opnum, ANONYMOUS)).toBe(true);
      }
    }
  });

  it('IObjectExporter: ServerAlive (opnum 3) and ServerAlive2 (opnum 5) are open, its other methods need at least connect', () => {
    const uuid = KNOWN_IIDS.IObjectExporter;
    for (const alive of [3, 5]) {
      expect(fault(policy, uuid, alive)).toBe(0);
      expect(fault(policy, uuid, alive, AUTH_LEVEL.none)).toBe(0);
    }
    for (const opnum of [0, 1, 2, 4]) {
      expect(fault(policy, uuid, opnum)).toBe(FAULT.access_denied);
      expect(fault(policy, uuid, opnum, AUTH_LEVEL.none)).toBe(FAULT.access_denied);
      for (const l of [AUTH_LEVEL.connect, AUTH_LEVEL.call, AUTH_LEVEL.pkt, AUTH_LEVEL.pkt_integrity, AUTH_LEVEL.pkt_privacy]) {
        expect(fault(policy, uuid, opnum, l)).toBe(0);
      }
      expect(policy.allowsCaller(uuid, opnum, ANONYMOUS)).toBe(true);
    }
  });

  const ADMIN_ONLY = {
    IRemoteSCMActivator: KNOWN_IIDS.IRemoteSCMActivator,
    IVssSnapshotMgmt: KNOWN_IIDS.IVssSnapshotMgmt,
    IVssDifferentialSoftwareSnapshotMgmt: KNOWN_IIDS.IVssDifferentialSoftwareSnapshotMgmt,
    IVssEnumObject: KNOWN_IIDS.IVssEnumObject,
    IVssEnumMgmtObject: KNOWN_IIDS.IVssEnumMgmtObject,
    IActivation: KNOWN_IIDS.IActivation,
    // Issue 18, defect 7: the process's access check covers its remote unknown too.
    IRemUnknown: KNOWN_IIDS.IRemUnknown,
    IRemUnknown2: KNOWN_IIDS.IRemUnknown2,
  };

  for (const [name, uuid] of Object.entries(ADMIN_ONLY)) {
    it(`${name}: packet integrity at least (fault 5 below), and only administrators`, () => {
      expect(FAULT.access_denied).toBe(5);
      for (const opnum of [0, 3, 4, 5, 9]) {
        expect(fault(policy, uuid, opnum)).toBe(5);
        for (const l of [AUTH_LEVEL.none, AUTH_LEVEL.connect, AUTH_LEVEL.call, AUTH_LEVEL.pkt]) expect(fault(policy, uuid, opnum, l), `level ${l}`).toBe(5);
        expect(fault(policy, uuid, opnum, AUTH_LEVEL.pkt_integrity)).toBe(0);
        expect(fault(policy, uuid, opnum, AUTH_LEVEL.pkt_privacy)).toBe(0);
        expect(policy.allowsCaller(uuid, opnum, ADMIN)).toBe(true);
        expect(policy.allowsCaller(uuid, opnum, id())).toBe(false);
        expect(policy.allowsCaller(uuid, opnum, ANONYMOUS)).toBe(false);
        // Anonymous is never an administrator, whatever its admin bit says.
        expect(policy.allowsCaller(uuid, opnum, { ...ANONYMOUS, admin: true })).toBe(false);
        expect(policy.allowsCaller(uuid, opnum, undefined)).toBe(false);
      }
    });
  }

  it('hardenedPolicy(none) lowers the level everywhere but keeps the administrators check', () => {
    const lax = hardenedPolicy(AUTH_LEVEL.none);
    for (const uuid of Object.values(ADMIN_ONLY)) {
      expect(fault(lax, uuid, 0)).toBe(0);
      for (const l of LEVELS) expect(fault(lax, uuid, 0, l)).toBe(0);
      expect(lax.allowsCaller(uuid, 0, ADMIN)).toBe(true);
      expect(lax.allowsCaller(uuid, 0, id())).toBe(false);
      expect(lax.allowsCaller(uuid, 0, ANONYMOUS)).toBe(false);
      expect(lax.allowsCaller(uuid, 0, undefined)).toBe(false);
    }
    expect(fault(lax, KNOWN_IIDS.IObjectExporter, 0)).toBe(0);
  });

  it('hardenedPolicy(privacy) refuses integrity; IObjectExporter still needs only connect', () => {
    const strict = hardenedPolicy(AUTH_LEVEL.pkt_privacy);
    expect(fault(strict, KNOWN_IIDS.IRemoteSCMActivator, 4, AUTH_LEVEL.pkt_integrity)).toBe(FAULT.access_denied);
    expect(fault(strict, KNOWN_IIDS.IRemoteSCMActivator, 4, AUTH_LEVEL.pkt_privacy)).toBe(0);
    expect(fault(strict, KNOWN_IIDS.IObjectExporter, 0, AUTH_LEVEL.connect)).toBe(0);
  });

  it('an interface the policy does not know falls back to open', () => {
    const unknown = '12345678-1234-abcd-ef00-0123456789ab';
    expect(fault(policy, unknown, 0)).toBe(0);
    for (const l of LEVELS) expect(fault(policy, unknown, 7, l)).toBe(0);
    expect(policy.allowsCaller(unknown, 0, undefined)).toBe(true);
    expect(policy.allowsCaller(unknown, 0, ANONYMOUS)).toBe(true);
    expect(policy.rule(unknown)).toEqual({ minLevel: AUTH_LEVEL.none, admin: false });
  });

  it('a custom fallback and per-method rules', () => {
    const p = new AuthorizationPolicy({ minLevel: AUTH_LEVEL.connect, admin: false }).set(
      'aaaaaaaa-0000-0000-0000-000000000000',
      { minLevel: AUTH_LEVEL.pkt_privacy, admin: true },
      { 2: { minLevel: AUTH_LEVEL.none, admin: false } },
    );
    expect(fault(p, 'bbbbbbbb-0000-0000-0000-000000000000', 0)).toBe(FAULT.access_denied);
    expect(fault(p, 'bbbbbbbb-0000-0000-0000-000000000000', 0, AUTH_LEVEL.connect)).toBe(0);
    expect(fault(p, 'aaaaaaaa-0000-0000-0000-000000000000', 1, AUTH_LEVEL.pkt_integrity)).toBe(FAULT.access_denied);
    expect(fault(p, 'aaaaaaaa-0000-0000-0000-000000000000', 2)).toBe(0);
    expect(p.allowsCaller('aaaaaaaa-0000-0000-0000-000000000000', 2, undefined)).toBe(true);
    expect(p.allowsCaller('aaaaaaaa-0000-0000-0000-000000000000', 1, undefined)).toBe(false);
  });

  it('an interface set with an upper-case UUID is found under that UUID in either case', () => {
    const upper = 'AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE';
    const p = new AuthorizationPolicy().set(upper, { minLevel: AUTH_LEVEL.pkt_integrity, admin: true });
    for (const uuid of [upper, upper.toLowerCase()]) {
      expect(fault(p, uuid, 0, AUTH_LEVEL.connect), uuid).toBe(FAULT.access_denied);
      expect(p.allowsCaller(uuid, 0, id()), uuid).toBe(false);
    }
  });

  it('LEVEL_BY_NAME maps the command-line names', () => {
    expect(LEVEL_BY_NAME).toMatchObject({
      none: AUTH_LEVEL.none,
      connect: AUTH_LEVEL.connect,
      integrity: AUTH_LEVEL.pkt_integrity,
      privacy: AUTH_LEVEL.pkt_privacy,
      pkt: AUTH_LEVEL.pkt,
      packet: AUTH_LEVEL.pkt,
    });
  });
});
