import { InterfaceRegistry } from './dcerpc/registry.js';
import { ListenError, RpcServer, type Endpoint } from './dcerpc/server.js';
import type { RpcSettings } from './dcerpc/settings.js';
import { serveEpm, type EndpointEntry } from './interfaces/epm/server.js';
import { serveMgmt } from './interfaces/mgmt/server.js';
import { createLogger, type Logger } from './log.js';
import { Accounts, type Account } from './security/accounts.js';
import type { HostNames } from './security/identity.js';
import { hardenedPolicy, type AuthorizationPolicy } from './security/policy.js';
import { RpcSecurity } from './security/provider.js';
import { installSpnego } from './security/spnego/rpc.js';
import { AUTH_LEVEL } from './dcerpc/constants.js';
import type { CallContext } from './dcerpc/registry.js';
import { ClassRegistry } from './dcom/classes.js';
import { DEFAULT_EXPORTER_SETTINGS, ObjectExporter, type ExporterSettings } from './dcom/exporter.js';
import { AUTHN_SVC, COM_C_AUTHZ_NONE, TOWER_ID, toNdrValue, type DualStringArray, type SecurityBinding } from './dcom/bindings.js';
import { encodeObjref } from './dcom/objref.js';
import { serveOxidResolver } from './interfaces/oxid/server.js';
import { serveRemUnknown } from './interfaces/remunknown/server.js';
import { serveActivation } from './interfaces/scm/server.js';
import { ShadowCopyProviderClass } from './interfaces/scmp/class.js';
import { serveScmp } from './interfaces/scmp/server.js';
import { clientKey } from './interfaces/oxid/server.js';
import type { HostStore } from './store/host-store.js';
import { EmulatedHost } from './store/emulated-host.js';
import { defaultHostModel } from './store/default-host.js';
import type { ComObject } from './dcom/exporter.js';
import { KNOWN_IIDS } from './security/policy.js';
import type { Guid } from './ndr/guid.js';

/** Everything that configures one emulated host's server. */
export interface ScmpOptions {
  /** Addresses to listen on; default every IPv4 and IPv6 address. */
  listen?: string[];
  /** The endpoint mapper's port; Windows uses 135. */
  port?: number;
  rpc?: Partial<RpcSettings>;
  log?: Logger;
  /** The host's names (NTLM target information, local-account domains); default: the emulated host's. */
  host?: HostNames;
  /** Local accounts; none means only anonymous callers, who reach only what the policy opens. */
  accounts?: Account[];
  /** Lowest authentication level for activation, DCOM and MS-SCMP (default packet integrity). */
  minAuthLevel?: number;
  /** Accept NTLMv1 and LM responses (default: refused). */
  allowNtlmV1?: boolean;
  /** The object exporter's port; 0 (the default) picks an ephemeral one, as Windows uses its dynamic range. */
  objectPort?: number;
  /** Object lifetime: ping period, missed pings, per-client limits. */
  exporter?: Partial<ExporterSettings>;
  /** The emulated host; default: the embedded default host, in memory. */
  emulated?: EmulatedHost;
  /** A bare store to serve instead (benchmarks); ignored when `emulated` is given. */
  store?: HostStore;
}

export const DEFAULT_LISTEN = ['0.0.0.0', '::'];

/** A listen failure, with the endpoint it was for (each has its own flag). */
export class EndpointListenError extends ListenError {
  constructor(
    e: ListenError,
    readonly endpoint: 'epmap' | 'object-exporter',
  ) {
    super(e.message, e.code);
    this.name = 'EndpointListenError';
  }
}

/** The names NTLM and local accounts answer to, from the host model's names. */
export function hostNamesOf(host: { fqdn: string; netbiosName: string }): HostNames {
  const netbiosName = host.netbiosName.toUpperCase();
  const dot = host.fqdn.indexOf('.');
  return { netbiosName, dnsName: host.fqdn.toLowerCase(), netbiosDomain: netbiosName, dnsDomain: dot < 0 ? '' : host.fqdn.slice(dot + 1).toLowerCase() };
}
export const DEFAULT_PORT = 135;
const OBJECT_EXPORTER = 'object-exporter';

export interface ScmpServer {
  readonly rpc: RpcServer;
  /** The endpoint-mapper endpoint (port 135 on a real host). */
  readonly main: Endpoint;
  /** The DCOM object exporter's endpoint. */
  readonly objects: Endpoint;
  readonly exporter: ObjectExporter;
  /** The emulated host: sessions, documents, persistence (the in-process admin API). */
  readonly host: EmulatedHost;
  /** Its store as MS-SCMP sees it now (a simulated reboot replaces it). */
  readonly store: HostStore;
  readonly security: RpcSecurity;
  readonly policy: AuthorizationPolicy;
  close(): Promise<void>;
}

/** Security bindings offered to DCOM clients: SPNEGO and NTLM, with no principal name. */
const SECURITY_BINDINGS: SecurityBinding[] = [
  { authnSvc: AUTHN_SVC.gss_negotiate, authzSvc: COM_C_AUTHZ_NONE, principal: '' },
  { authnSvc: AUTHN_SVC.winnt, authzSvc: COM_C_AUTHZ_NONE, principal: '' },
];

/** The address a client reached us on, as it would dial it again (IPv4-mapped addresses unwrapped). */
function reachedAddress(call: CallContext): string {
  const a = call.conn.localAddress;
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}

/**
 * Composes the layers into one host's server: the RPC runtime, and on its main endpoint
 * the endpoint mapper and the management interface (the latter on every endpoint).
 */
export async function startScmp(opts: ScmpOptions = {}): Promise<ScmpServer> {
  const log = opts.log ?? createLogger('info');
  const emulated = opts.emulated ?? new EmulatedHost(opts.store ?? defaultHostModel());
  const host = opts.host ?? hostNamesOf(emulated.store.model().host);
  const security = new RpcSecurity(
    { host, accounts: new Accounts(host, opts.accounts ?? []), allowNtlmV1: opts.allowNtlmV1 ?? false, allowAnonymous: true, spnego: true },
    log,
  );
  installSpnego(security);
  const policy = hardenedPolicy(opts.minAuthLevel ?? AUTH_LEVEL.pkt_integrity);
  const rpc = new RpcServer({ settings: opts.rpc, log, security, authorize: policy.authorize });
  const mgmt = serveMgmt({ stats: rpc.stats, principalName: () => undefined });
  // The endpoint map lists the RPC interfaces; DCOM's exporter is found through the OXID
  // resolver instead, as on Windows, so its endpoint is not in it.
  const entries = (): EndpointEntry[] =>
    rpc.endpoints.filter((ep) => ep.name !== OBJECT_EXPORTER).flatMap((ep) =>
      ep.registry.list().map((s) => ({
        iface: { uuid: s.decl.uuid, major: s.decl.major, minor: s.decl.minor },
        port: ep.port,
        annotation: s.annotation,
      })),
    );
  const exporter = new ObjectExporter({ ...DEFAULT_EXPORTER_SETTINGS, ...opts.exporter });
  const classes = new ClassRegistry().register(ShadowCopyProviderClass);
  let objectPort = 0;
  // Resolver bindings name the host without endpoints; exporter bindings add the port.
  // The address the client dialled always comes first after the name, so it can reach us.
  const dsa = (call: CallContext, port?: number): DualStringArray => {
    const at = (h: string) => (port === undefined ? h : `${h}[${port}]`);
    const names = [host.netbiosName, reachedAddress(call)];
    return { stringBindings: names.map((n) => ({ towerId: TOWER_ID.ncacn_ip_tcp, networkAddr: at(n) })), securityBindings: SECURITY_BINDINGS };
  };
  const marshalInterface = (oid: bigint, iid: Guid, refs: number, call: CallContext): Buffer | undefined => {
    const std = exporter.marshal(oid, iid, refs);
    return std ? encodeObjref({ kind: 'standard', iid, std, resolver: dsa(call) }) : undefined;
  };
  const mainRegistry = new InterfaceRegistry().add(serveEpm(entries)).add(mgmt);
  mainRegistry.add(
    serveOxidResolver({ exporter, resolverBindings: (call) => toNdrValue(dsa(call)), exporterBindings: (call) => toNdrValue(dsa(call, objectPort)) }),
  );
  for (const s of serveActivation({
    exporter,
    classes,
    allowsCaller: (call) => policy.allowsCaller(KNOWN_IIDS.IRemoteSCMActivator, call.opnum, call.auth?.identity),
    exporterBindings: (call) => toNdrValue(dsa(call, objectPort)),
    marshalInterface,
  })) {
    mainRegistry.add(s);
  }
  const objectRegistry = new InterfaceRegistry().add(mgmt);
  for (const s of serveRemUnknown(exporter, marshalInterface)) objectRegistry.add(s);
  /** Interface pointers MS-SCMP methods return: a new object exported for the caller. */
  const exportInterface = (object: ComObject, iid: Guid, call: CallContext) => {
    const exported = exporter.exportObject(object, clientKey(call));
    const objref = exported ? marshalInterface(exported.oid, iid, 5, call) : undefined;
    return objref ? { ulCntData: objref.length, abData: objref } : undefined;
  };
  for (const s of serveScmp({
    exporter,
    // Read at every call: a simulated reboot gives the host a new store.
    get store() {
      return emulated.store;
    },
    exportInterface,
    allowsCaller: (iid, call) => policy.allowsCaller(iid, call.opnum, call.auth?.identity),
  })) {
    objectRegistry.add(s);
  }
  const addresses = opts.listen ?? DEFAULT_LISTEN;
  let main: Endpoint;
  try {
    main = await rpc.listen('epmap', mainRegistry, addresses, opts.port ?? DEFAULT_PORT);
  } catch (e) {
    throw e instanceof ListenError ? new EndpointListenError(e, 'epmap') : e;
  }
  let objects: Endpoint;
  try {
    objects = await rpc.listen(OBJECT_EXPORTER, objectRegistry, addresses, opts.objectPort ?? 0);
  } catch (e) {
    await rpc.close();
    throw e instanceof ListenError ? new EndpointListenError(e, OBJECT_EXPORTER) : e;
  }
  objectPort = objects.port;
  exporter.start();
  return {
    rpc,
    main,
    objects,
    exporter,
    host: emulated,
    get store() {
      return emulated.store;
    },
    security,
    policy,
    close: async () => {
      exporter.stop();
      await rpc.close();
    },
  };
}
