import { InterfaceRegistry } from './dcerpc/registry.js';
import { CaptureRecorder } from './pcap/recorder.js';
import type { ConnectionTap } from './dcerpc/tap.js';
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
import type { ServedInterface } from './dcerpc/registry.js';
import { ClassRegistry } from './dcom/classes.js';
import { ObjectDispatcher } from './dcom/dispatcher.js';
import { DEFAULT_EXPORTER_SETTINGS, ObjectExporter, type ExporterSettings } from './dcom/exporter.js';
import { HostBindings } from './dcom/host-bindings.js';
import { Marshaller } from './dcom/marshaller.js';
import { serveOxidResolver } from './interfaces/oxid/server.js';
import { IRemUnknown, IRemUnknown2 } from './interfaces/remunknown/idl.js';
import { RemUnknown, remUnknownRefusals } from './interfaces/remunknown/server.js';
import { serveActivation } from './interfaces/scm/server.js';
import { ShadowCopyProviderClass } from './interfaces/scmp/class.js';
import { EnumMethods } from './interfaces/scmp/enumerators.js';
import { IVssDifferentialSoftwareSnapshotMgmt, IVssEnumMgmtObject, IVssEnumObject, IVssSnapshotMgmt } from './interfaces/scmp/idl.js';
import { DiffAreaMgmt, SnapshotMgmt, type ScmpServices } from './interfaces/scmp/server.js';
import type { VSS_MGMT_OBJECT_PROP_T, VSS_OBJECT_PROP_T } from './interfaces/scmp/types.js';
import type { HostStore } from './store/host-store.js';
import { EmulatedHost } from './store/emulated-host.js';
import { defaultHostModel } from './store/default-host.js';
import { KNOWN_IIDS } from './security/policy.js';
import type { FaultRuleSpec } from './store/faults.js';

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
  /** Told of every connection on every endpoint and its bytes: scmpd's --capture recorder. */
  tap?: ConnectionTap;
  /**
   * Record every connection as pcapng (scmpd's --capture): the recorder is made at start
   * (a file that cannot be opened stops it) and closed after the server. Ignored when `tap` is given.
   */
  capture?: { file: string; keysFile?: string; maxFileBytes?: number; totalBytes?: number };
  /** Scripted faults to start with (src/store/faults.ts); the admin API changes them at run time. */
  faults?: FaultRuleSpec[];
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

/** DCOM on one host: what port 135 adds, what the object exporter's port serves, and where it is. */
interface Dcom {
  main: ServedInterface[];
  objects: ServedInterface[];
  bindings: HostBindings;
}

/**
 * The DCOM side of one host: the OXID resolver and the activators on port 135; on the
 * object exporter's port every object interface, one registration each, dispatched by
 * src/dcom/dispatcher.ts (IPID, IID, ORPCTHIS, the caller, ORPCTHAT).
 */
function composeDcom(exporter: ObjectExporter, hostName: string, policy: AuthorizationPolicy, scmp: ScmpServices): Dcom {
  const bindings = new HostBindings(hostName);
  const marshaller = new Marshaller(exporter, bindings);
  const main = [
    serveOxidResolver({ exporter, bindings }),
    ...serveActivation({
      marshaller,
      classes: new ClassRegistry().register(ShadowCopyProviderClass),
      allowsCaller: (call) => policy.allowsCaller(KNOWN_IIDS.IRemoteSCMActivator, call.opnum, call.auth?.identity),
    }),
  ];
  const remUnknown = new RemUnknown(marshaller);
  const objects = new ObjectDispatcher({ marshaller, allowsCaller: (iid, call) => policy.allowsCaller(iid, call.opnum, call.auth?.identity) })
    .register(IRemUnknown, remUnknown, remUnknownRefusals)
    .register(IRemUnknown2, remUnknown, remUnknownRefusals)
    .register(IVssSnapshotMgmt, new SnapshotMgmt(scmp))
    .register(IVssDifferentialSoftwareSnapshotMgmt, new DiffAreaMgmt(scmp))
    .register(IVssEnumObject, new EnumMethods<VSS_OBJECT_PROP_T>())
    .register(IVssEnumMgmtObject, new EnumMethods<VSS_MGMT_OBJECT_PROP_T>());
  return { main, objects: objects.served(), bindings };
}

/** The host's authentication: NTLM for its local accounts, also inside SPNEGO. */
function securityOf(host: HostNames, opts: ScmpOptions, log: Logger): RpcSecurity {
  const security = new RpcSecurity(
    { host, accounts: new Accounts(host, opts.accounts ?? []), allowNtlmV1: opts.allowNtlmV1 ?? false, allowAnonymous: true, spnego: true },
    log,
  );
  installSpnego(security);
  return security;
}

/**
 * The endpoint map lists the RPC interfaces; DCOM's exporter is found through the OXID
 * resolver instead, as on Windows, so its endpoint is not in it.
 */
function endpointEntries(rpc: RpcServer): EndpointEntry[] {
  return rpc.endpoints.filter((ep) => ep.name !== OBJECT_EXPORTER).flatMap((ep) =>
    ep.registry.list().map((s) => ({
      iface: { uuid: s.decl.uuid, major: s.decl.major, minor: s.decl.minor },
      port: ep.port,
      annotation: s.annotation,
    })),
  );
}

/** What each endpoint serves: the management interface on both; the rest by `dcom`, and the endpoint mapper on the main one. */
function registriesOf(rpc: RpcServer, dcom: Dcom): { main: InterfaceRegistry; objects: InterfaceRegistry } {
  const mgmt = serveMgmt({ stats: rpc.stats, principalName: () => undefined });
  const main = new InterfaceRegistry().add(serveEpm(() => endpointEntries(rpc))).add(mgmt);
  for (const s of dcom.main) main.add(s);
  const objects = new InterfaceRegistry().add(mgmt);
  for (const s of dcom.objects) objects.add(s);
  return { main, objects };
}

/** Both endpoints on the same addresses; a failure names its endpoint, and the second one's closes the first. */
async function listenEndpoints(rpc: RpcServer, registries: { main: InterfaceRegistry; objects: InterfaceRegistry }, opts: ScmpOptions): Promise<{ main: Endpoint; objects: Endpoint }> {
  const addresses = opts.listen ?? DEFAULT_LISTEN;
  let main: Endpoint;
  try {
    main = await rpc.listen('epmap', registries.main, addresses, opts.port ?? DEFAULT_PORT);
  } catch (e) {
    throw e instanceof ListenError ? new EndpointListenError(e, 'epmap') : e;
  }
  let objects: Endpoint;
  try {
    objects = await rpc.listen(OBJECT_EXPORTER, registries.objects, addresses, opts.objectPort ?? 0);
  } catch (e) {
    await rpc.close();
    throw e instanceof ListenError ? new EndpointListenError(e, OBJECT_EXPORTER) : e;
  }
  return { main, objects };
}

/**
 * Composes the layers into one host's server: the RPC runtime, and on its main endpoint
 * the endpoint mapper and the management interface (the latter on every endpoint).
 */
function captureRecorder(c: NonNullable<ScmpOptions['capture']>, log: Logger): CaptureRecorder {
  const settings = { ...(c.maxFileBytes !== undefined ? { maxFileBytes: c.maxFileBytes } : {}), ...(c.totalBytes !== undefined ? { totalBytes: c.totalBytes } : {}) };
  return new CaptureRecorder({ file: c.file, keysFile: c.keysFile, settings, log });
}

export async function startScmp(opts: ScmpOptions = {}): Promise<ScmpServer> {
  const log = opts.log ?? createLogger('info');
  const emulated = opts.emulated ?? new EmulatedHost(opts.store ?? defaultHostModel());
  const host = opts.host ?? hostNamesOf(emulated.store.model().host);
  const security = securityOf(host, opts, log);
  const policy = hardenedPolicy(opts.minAuthLevel ?? AUTH_LEVEL.pkt_integrity);
  for (const f of opts.faults ?? []) emulated.faults.add(f);
  const recorder = !opts.tap && opts.capture ? captureRecorder(opts.capture, log) : undefined;
  const rpc = new RpcServer({ settings: opts.rpc, log, security, authorize: policy.authorize, tap: opts.tap ?? recorder, intercept: emulated.faults.interceptor(log) });
  const exporter = new ObjectExporter({ ...DEFAULT_EXPORTER_SETTINGS, ...opts.exporter });
  const dcom = composeDcom(exporter, host.netbiosName, policy, {
    // Read at every call: a simulated reboot gives the host a new store.
    get store() {
      return emulated.store;
    },
  });
  let endpoints;
  try {
    endpoints = await listenEndpoints(rpc, registriesOf(rpc, dcom), opts);
  } catch (e) {
    await recorder?.close();
    throw e;
  }
  const { main, objects } = endpoints;
  dcom.bindings.objectPort = objects.port;
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
      // After the server: every connection's end is in the file, which ends on a whole block.
      await recorder?.close();
    },
  };
}
