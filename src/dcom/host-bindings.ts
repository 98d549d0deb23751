import type { CallContext } from '../dcerpc/registry.js';
import { AUTHN_SVC, COM_C_AUTHZ_NONE, TOWER_ID, type DualStringArray, type SecurityBinding } from './bindings.js';

/** Security bindings offered to DCOM clients: SPNEGO and NTLM, with no principal name. */
export const SECURITY_BINDINGS: readonly SecurityBinding[] = [
  { authnSvc: AUTHN_SVC.gss_negotiate, authzSvc: COM_C_AUTHZ_NONE, principal: '' },
  { authnSvc: AUTHN_SVC.winnt, authzSvc: COM_C_AUTHZ_NONE, principal: '' },
];

/** The address a client reached us on, as it would dial it again (IPv4-mapped addresses unwrapped). */
export function reachedAddress(call: CallContext): string {
  const a = call.conn.localAddress;
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}

/**
 * Where this host's object resolver and object exporter are reached (MS-DCOM 2.2.19): the
 * string bindings name the host, then the address the client dialled (so it can always
 * reach us again), over ncacn_ip_tcp; the security bindings are the same for both.
 * Resolver bindings have no endpoint, the exporter's carry its port.
 */
export class HostBindings {
  /** The object exporter's port: 0 until it listens. */
  objectPort = 0;

  constructor(
    private readonly hostName: string,
    private readonly security: readonly SecurityBinding[] = SECURITY_BINDINGS,
  ) {}

  /** The OXID resolver's bindings: ServerAlive2, and every OBJREF's saResAddr. */
  resolver(call: CallContext): DualStringArray {
    return this.dsa(call, undefined);
  }

  /** The object exporter's bindings: ResolveOxid, activation replies. */
  exporter(call: CallContext): DualStringArray {
    return this.dsa(call, this.objectPort);
  }

  private dsa(call: CallContext, port: number | undefined): DualStringArray {
    const at = (h: string) => (port === undefined ? h : `${h}[${port}]`);
    return {
      stringBindings: [this.hostName, reachedAddress(call)].map((n) => ({ towerId: TOWER_ID.ncacn_ip_tcp, networkAddr: at(n) })),
      securityBindings: [...this.security],
    };
  }
}
