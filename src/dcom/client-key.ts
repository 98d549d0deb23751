import type { CallContext } from '../dcerpc/registry.js';

/**
 * Who holds objects and ping sets, for the exporter's per-client limits: one authenticated
 * user at one address. Activation, the MS-SCMP methods that hand out objects and ComplexPing
 * all count against the same key.
 */
export function clientKey(call: CallContext): string {
  return `${call.conn.remoteAddress}|${call.auth?.identity.user ?? ''}`;
}
