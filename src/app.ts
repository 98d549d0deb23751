import { InterfaceRegistry } from './dcerpc/registry.js';
import { RpcServer, type Endpoint } from './dcerpc/server.js';
import type { RpcSettings } from './dcerpc/settings.js';
import { serveEpm, type EndpointEntry } from './interfaces/epm/server.js';
import { serveMgmt } from './interfaces/mgmt/server.js';
import { createLogger, type Logger } from './log.js';
import { Accounts, type Account } from './security/accounts.js';
import { DEFAULT_HOST_NAMES, type HostNames } from './security/identity.js';
import { hardenedPolicy, type AuthorizationPolicy } from './security/policy.js';
import { RpcSecurity } from './security/provider.js';
import { installSpnego } from './security/spnego/rpc.js';
import { AUTH_LEVEL } from './dcerpc/constants.js';

/** Everything that configures one emulated host's server. */
export interface ScmpOptions {
  /** Addresses to listen on; default every IPv4 and IPv6 address. */
  listen?: string[];
  /** The endpoint mapper's port; Windows uses 135. */
  port?: number;
  rpc?: Partial<RpcSettings>;
  log?: Logger;
  /** The host's names (NTLM target information, local-account domains). */
  host?: HostNames;
  /** Local accounts; none means only anonymous callers, who reach only what the policy opens. */
  accounts?: Account[];
  /** Lowest authentication level for activation, DCOM and MS-SCMP (default packet integrity). */
  minAuthLevel?: number;
  /** Accept NTLMv1 and LM responses (default: refused). */
  allowNtlmV1?: boolean;
}

export const DEFAULT_LISTEN = ['0.0.0.0', '::'];
export const DEFAULT_PORT = 135;

export interface ScmpServer {
  readonly rpc: RpcServer;
  /** The endpoint-mapper endpoint (port 135 on a real host). */
  readonly main: Endpoint;
  readonly security: RpcSecurity;
  readonly policy: AuthorizationPolicy;
  close(): Promise<void>;
}

/**
 * Composes the layers into one host's server: the RPC runtime, and on its main endpoint
 * the endpoint mapper and the management interface (the latter on every endpoint).
 */
export async function startScmp(opts: ScmpOptions = {}): Promise<ScmpServer> {
  const log = opts.log ?? createLogger('info');
  const host = opts.host ?? DEFAULT_HOST_NAMES;
  const security = new RpcSecurity(
    { host, accounts: new Accounts(host, opts.accounts ?? []), allowNtlmV1: opts.allowNtlmV1 ?? false, allowAnonymous: true, spnego: true },
    log,
  );
  installSpnego(security);
  const policy = hardenedPolicy(opts.minAuthLevel ?? AUTH_LEVEL.pkt_integrity);
  const rpc = new RpcServer({ settings: opts.rpc, log, security, authorize: policy.authorize });
  const mgmt = serveMgmt({ stats: rpc.stats, principalName: () => undefined });
  const entries = (): EndpointEntry[] =>
    rpc.endpoints.flatMap((ep) =>
      ep.registry.list().map((s) => ({
        iface: { uuid: s.decl.uuid, major: s.decl.major, minor: s.decl.minor },
        port: ep.port,
        annotation: s.annotation,
      })),
    );
  const mainRegistry = new InterfaceRegistry().add(serveEpm(entries)).add(mgmt);
  const addresses = opts.listen ?? DEFAULT_LISTEN;
  const main = await rpc.listen('epmap', mainRegistry, addresses, opts.port ?? DEFAULT_PORT);
  return { rpc, main, security, policy, close: () => rpc.close() };
}
