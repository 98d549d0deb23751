import { implement, type CallContext, type ServedInterface } from '../../dcerpc/registry.js';
import { AUTH_LEVEL } from '../../dcerpc/constants.js';
import { DCOM_E, type ObjectExporter } from '../../dcom/exporter.js';
import { COM_VERSION } from '../../dcom/orpc.js';
import type { TypeOf } from '../../ndr/type.js';
import type { DUALSTRINGARRAY } from '../../dcom/orpc.js';
import { GUID_NULL } from '../../ndr/guid.js';
import { IObjectExporter } from './idl.js';

type Dsa = TypeOf<typeof DUALSTRINGARRAY>;

export interface OxidResolverOptions {
  exporter: ObjectExporter;
  /** Resolver bindings (names and addresses, no endpoints), as ServerAlive2 gives them. */
  resolverBindings(call: CallContext): Dsa;
  /** The object exporter's bindings (with its port), as ResolveOxid gives them. */
  exporterBindings(call: CallContext): Dsa;
}

/** Who holds objects and ping sets, for the per-client limits. */
export function clientKey(call: CallContext): string {
  return `${call.conn.remoteAddress}|${call.auth?.identity.user ?? ''}`;
}

/**
 * The OXID resolver: answers for this host's one object exporter. ServerAlive and
 * ServerAlive2 answer anyone; the rest are subject to the policy like any method.
 */
export function serveOxidResolver(opts: OxidResolverOptions): ServedInterface {
  const ex = opts.exporter;
  // The level the client must use towards the exporter (MS-DCOM authnHint, 2 to 6).
  const authnHint = AUTH_LEVEL.pkt_integrity;
  const resolve = (oxid: bigint, call: CallContext) =>
    oxid === ex.oxid
      ? { ppdsaOxidBindings: opts.exporterBindings(call), pipidRemUnknown: ex.ipidRemUnknown, pAuthnHint: authnHint, status: 0 }
      : { ppdsaOxidBindings: null, pipidRemUnknown: GUID_NULL, pAuthnHint: 0, status: DCOM_E.OR_INVALID_OXID };
  return implement(
    IObjectExporter,
    {
      ResolveOxid: (a, call) => resolve(a.pOxid, call),
      ResolveOxid2: (a, call) => ({ ...resolve(a.pOxid, call), pComVersion: { ...COM_VERSION } }),
      SimplePing: (a) => ({ status: ex.simplePing(a.pSetId) }),
      ComplexPing(a, call) {
        const r = ex.complexPing(clientKey(call), a.pSetId, a.SequenceNum, a.AddToSet ?? [], a.DelFromSet ?? []);
        // Windows servers always suggest a backoff factor of 0.
        return 'status' in r ? { pSetId: a.pSetId, pPingBackoffFactor: 0, status: r.status } : { pSetId: r.setId, pPingBackoffFactor: 0, status: 0 };
      },
      ServerAlive: () => ({ status: 0 }),
      ServerAlive2: (_a, call) => ({ pComVersion: { ...COM_VERSION }, ppdsaOrBindings: opts.resolverBindings(call), pReserved: 0, status: 0 }),
    },
    'IObjectExporter',
  );
}
