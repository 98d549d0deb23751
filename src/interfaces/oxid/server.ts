import { implement, type CallContext, type ServedInterface } from '../../dcerpc/registry.js';
import { AUTH_LEVEL } from '../../dcerpc/constants.js';
import { toNdrValue } from '../../dcom/bindings.js';
import { clientKey } from '../../dcom/client-key.js';
import { DCOM_E, type ObjectExporter } from '../../dcom/exporter.js';
import type { HostBindings } from '../../dcom/host-bindings.js';
import { COM_VERSION } from '../../dcom/orpc.js';
import { GUID_NULL } from '../../ndr/guid.js';
import { IObjectExporter } from './idl.js';

export interface OxidResolverOptions {
  exporter: ObjectExporter;
  /** Resolver bindings (ServerAlive2: names and addresses, no endpoints) and the exporter's (ResolveOxid: with its port). */
  bindings: HostBindings;
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
      ? { ppdsaOxidBindings: toNdrValue(opts.bindings.exporter(call)), pipidRemUnknown: ex.ipidRemUnknown, pAuthnHint: authnHint, status: 0 }
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
      ServerAlive2: (_a, call) => ({ pComVersion: { ...COM_VERSION }, ppdsaOrBindings: toNdrValue(opts.bindings.resolver(call)), pReserved: 0, status: 0 }),
    },
    'IObjectExporter',
  );
}
