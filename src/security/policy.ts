import type { Authorizer, RpcIdentity } from '../dcerpc/auth.js';
import { AUTH_LEVEL, FAULT } from '../dcerpc/constants.js';

/** What an interface, or one method of it, requires of its callers. */
export interface AccessRule {
  /** The lowest authentication level accepted (none = unauthenticated callers too). */
  minLevel: number;
  /** Only members of Administrators (others get the interface's own access-denied answer). */
  admin: boolean;
}

/** Interfaces the policy knows by name, so rules read like the hardening they describe. */
export const KNOWN_IIDS = {
  epm: 'e1af8308-5d1f-11c9-91a4-08002b14a0fa',
  mgmt: 'afa8bd80-7d8a-11c9-bef4-08002b102989',
  IObjectExporter: '99fcfec4-5260-101b-bbcb-00aa0021347a',
  IRemoteSCMActivator: '000001a0-0000-0000-c000-000000000046',
  IActivation: '4d9f4ab8-7d1c-11cf-861e-0020af6e7c57',
  IRemUnknown: '00000131-0000-0000-c000-000000000046',
  IRemUnknown2: '00000143-0000-0000-c000-000000000046',
  IVssSnapshotMgmt: 'fa7df749-66e7-4986-a27f-e2f04ae53772',
  IVssDifferentialSoftwareSnapshotMgmt: '214a0f28-b737-4026-b847-4f9e37d79529',
  IVssEnumObject: 'ae1c7110-2f60-11d3-8a39-00c04f72d8e3',
  IVssEnumMgmtObject: '01954e6b-9254-4e6e-808c-c9e05d007696',
} as const;

/** IObjectExporter::ServerAlive and ServerAlive2, which Windows answers for anyone (a liveness probe). */
const SERVER_ALIVE = 3;
const SERVER_ALIVE2 = 5;

/**
 * The one place that decides who may call what. The RPC runtime asks `authorize` before
 * every method (a level too low is a fault, access denied); DCOM and MS-SCMP ask
 * `allowsCaller` for the group check, which they answer with E_ACCESSDENIED as their
 * specifications say.
 */
export class AuthorizationPolicy {
  private readonly rules = new Map<string, { rule: AccessRule; methods: Map<number, AccessRule> }>();

  constructor(private readonly fallback: AccessRule = { minLevel: AUTH_LEVEL.none, admin: false }) {}

  set(uuid: string, rule: AccessRule, methods: Record<number, AccessRule> = {}): this {
    this.rules.set(uuid.toLowerCase(), { rule, methods: new Map(Object.entries(methods).map(([k, v]) => [Number(k), v])) });
    return this;
  }

  rule(uuid: string, opnum?: number): AccessRule {
    // Keys are stored in lower case (set); a lookup must normalise the same way, or a rule
    // given in upper case would never match and the interface would fall back to open.
    const r = this.rules.get(uuid.toLowerCase());
    if (!r) return this.fallback;
    return (opnum !== undefined && r.methods.get(opnum)) || r.rule;
  }

  readonly authorize: Authorizer = (iface, opnum, auth) => {
    const level = auth?.level ?? AUTH_LEVEL.none;
    return level < this.rule(iface.uuid, opnum).minLevel ? FAULT.access_denied : 0;
  };

  /** The group check: whether `identity` may use the interface (E_ACCESSDENIED otherwise). */
  allowsCaller(uuid: string, opnum: number, identity: RpcIdentity | undefined): boolean {
    const r = this.rule(uuid, opnum);
    return !r.admin || (identity !== undefined && !identity.anonymous && identity.admin);
  }
}

/**
 * A hardened Windows host's defaults: the endpoint mapper, the management interface and
 * ServerAlive2 answer anyone; activation, the rest of DCOM and MS-SCMP need at least
 * `minLevel` (packet integrity unless changed), and activation, IRemUnknown(2) and MS-SCMP
 * need Administrators.
 */
export function hardenedPolicy(minLevel: number = AUTH_LEVEL.pkt_integrity): AuthorizationPolicy {
  const open: AccessRule = { minLevel: AUTH_LEVEL.none, admin: false };
  const admins: AccessRule = { minLevel, admin: true };
  const p = new AuthorizationPolicy(open);
  p.set(KNOWN_IIDS.epm, open);
  p.set(KNOWN_IIDS.mgmt, open);
  p.set(KNOWN_IIDS.IObjectExporter, { minLevel: Math.min(minLevel, AUTH_LEVEL.connect), admin: false }, { [SERVER_ALIVE]: open, [SERVER_ALIVE2]: open });
  p.set(KNOWN_IIDS.IRemoteSCMActivator, admins);
  p.set(KNOWN_IIDS.IActivation, admins);
  // IRemUnknown lives in the same object exporter as the MS-SCMP objects, and Windows checks
  // every call into that process against its one access permission (CoInitializeSecurity /
  // the AppID's AccessPermission), IRemUnknown included: a user could otherwise release or
  // add interfaces to an administrator's object (docs/decisions.md).
  p.set(KNOWN_IIDS.IRemUnknown, admins);
  p.set(KNOWN_IIDS.IRemUnknown2, admins);
  for (const iid of [KNOWN_IIDS.IVssSnapshotMgmt, KNOWN_IIDS.IVssDifferentialSoftwareSnapshotMgmt, KNOWN_IIDS.IVssEnumObject, KNOWN_IIDS.IVssEnumMgmtObject]) {
    p.set(iid, admins);
  }
  return p;
}

export const LEVEL_BY_NAME: Record<string, number> = {
  none: AUTH_LEVEL.none,
  connect: AUTH_LEVEL.connect,
  call: AUTH_LEVEL.call,
  pkt: AUTH_LEVEL.pkt,
  packet: AUTH_LEVEL.pkt,
  integrity: AUTH_LEVEL.pkt_integrity,
  privacy: AUTH_LEVEL.pkt_privacy,
};
