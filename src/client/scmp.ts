/**
 * An MS-SCMP client, as vssadmin on a Windows machine talks to a remote host: activate
 * the shadow-copy class on the host's port 135 (IRemoteSCMActivator::RemoteCreateInstance),
 * reach the object exporter through the string bindings of the activation reply, then
 * call IVssSnapshotMgmt and IVssDifferentialSoftwareSnapshotMgmt with typed arguments and
 * results. Enumerators are async iterables; every reference is given back at close; while
 * connected, the client pings the host's OXID resolver so its objects stay alive.
 */
import { AUTH_LEVEL } from '../dcerpc/constants.js';
import type { InterfaceDecl } from '../dcerpc/interface.js';
import { decodeObjref } from '../dcom/objref.js';
import { CLSID_ShadowCopyProvider, IID_IVssSnapshotMgmt } from '../interfaces/scmp/class.js';
import { IVssDifferentialSoftwareSnapshotMgmt, IVssEnumMgmtObject, IVssEnumObject, IVssSnapshotMgmt } from '../interfaces/scmp/idl.js';
import { IID_IVssDifferentialSoftwareSnapshotMgmt, VSS_SYSTEM_PROVIDER_ID, type VSS_MGMT_OBJECT_PROP_T, type VSS_OBJECT_PROP_T } from '../interfaces/scmp/types.js';
import type { Guid } from '../ndr/guid.js';
import type { NtlmCredentials } from '../security/ntlm/client.js';
import { NtlmRpcClientContext } from '../security/ntlm/rpc.js';
import { SpnegoRpcClientContext } from '../security/spnego/rpc.js';
import { activate, type Activated } from './activation.js';
import { DcomChannel, HResultError, type InterfaceProxy, type MarshalledPointer } from './dcom.js';
import { AuthenticationError, ConnectionError, NotDcomHostError, TimeoutError, isAuthenticationFailure, isProtocolRefusal, isUnreachable } from './errors.js';
import { exporterAddresses, type ExporterAddress } from './exporter-bindings.js';
import { Pinger } from './pinger.js';
import { InterfaceRefusedError, type ClientAuth } from './rpc-client.js';
import { toDiffArea, toDiffVolume, toSnapshot, toVolume, type DiffArea, type DiffVolume, type Snapshot, type Volume } from './scmp-types.js';

export interface ScmpConnectOptions {
  host: string;
  /** The endpoint mapper's port (135). */
  port?: number;
  user: string;
  /** The password, or `ntHash` (16 bytes, or 32 hex digits). */
  password?: string;
  ntHash?: Buffer | string;
  domain?: string;
  /** SPNEGO (negotiating NTLM) as Windows clients do, or plain NTLM. */
  authType?: 'spnego' | 'ntlm';
  /** Packet privacy (sealed) as Windows clients do, or integrity (signed). */
  authLevel?: 'privacy' | 'integrity';
  /** Limit for each connect and each call; the operation fails with TimeoutError. */
  timeoutMs?: number;
  /** How often to ping the OXID resolver (MS-DCOM's 2 minutes); 0 disables pinging. */
  pingPeriodMs?: number;
  /** Objects fetched per IEnum*::Next. */
  batchSize?: number;
  /**
   * The exporter addresses to try, given those of the activation reply. For tests (e.g.
   * an unreachable address listed first); a client never needs it.
   */
  exporterAddresses?: (fromReply: ExporterAddress[]) => ExporterAddress[];
}

export const SCMP_CLIENT_DEFAULTS = { port: 135, timeoutMs: 30_000, pingPeriodMs: 120_000, batchSize: 64 } as const;

/** S_FALSE: Next fetched fewer than asked, the enumeration's end. */
const S_FALSE = 1;

/** Credentials as the security contexts take them, the NT hash checked. */
function credentials(o: ScmpConnectOptions): NtlmCredentials {
  let ntHash: Buffer | undefined;
  if (typeof o.ntHash === 'string') {
    if (!/^[0-9a-fA-F]{32}$/.test(o.ntHash)) throw new TypeError('ntHash must be 32 hex digits');
    ntHash = Buffer.from(o.ntHash, 'hex');
  } else if (o.ntHash) {
    if (o.ntHash.length !== 16) throw new TypeError('ntHash must be 16 bytes');
    ntHash = o.ntHash;
  }
  if (ntHash === undefined && o.password === undefined) throw new TypeError('a password or an NT hash is needed');
  return { user: o.user, domain: o.domain ?? '', ...(ntHash ? { ntHash } : { password: o.password }) };
}

/** A fresh security context per connection (a context authenticates one association). */
function authFactory(o: ScmpConnectOptions): () => ClientAuth {
  const creds = credentials(o);
  const level = (o.authLevel ?? 'privacy') === 'privacy' ? AUTH_LEVEL.pkt_privacy : o.authLevel === 'integrity' ? AUTH_LEVEL.pkt_integrity : NaN;
  if (Number.isNaN(level)) throw new TypeError(`authLevel must be 'privacy' or 'integrity', not ${String(o.authLevel)}`);
  const type = o.authType ?? 'spnego';
  if (type !== 'spnego' && type !== 'ntlm') throw new TypeError(`authType must be 'spnego' or 'ntlm', not ${String(type)}`);
  return () => ({ ctx: type === 'ntlm' ? new NtlmRpcClientContext(creds) : new SpnegoRpcClientContext(creds), level });
}

/** Races `p` against the timeout; on expiry runs `abort` (which closes what `p` waits on). */
async function within<T>(p: Promise<T>, ms: number, operation: string, abort: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      abort();
      reject(new TimeoutError(operation, ms));
    }, ms);
  });
  try {
    return await Promise.race([p, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** Bad credentials as an AuthenticationError, a port that is no DCOM host as NotDcomHostError; anything else unchanged. */
function asAuthFailure(e: unknown, where: string): unknown {
  if (isProtocolRefusal(e)) return new NotDcomHostError(`${where} refused the bind (${e.message})`, e);
  if (e instanceof InterfaceRefusedError) return new NotDcomHostError(`${where}: ${e.message}`, e);
  if (isAuthenticationFailure(e)) return new AuthenticationError(`${where}: the credentials were refused (${(e as Error).message})`, e);
  if (e instanceof Error && /SPNEGO rejected/.test(e.message)) return new AuthenticationError(`${where}: the credentials were refused (${e.message})`, e);
  return e;
}

/** An enumeration: iterate it (for await), or collect it with toArray(). */
export interface Enumeration<T> extends AsyncIterable<T> {
  toArray(): Promise<T[]>;
}

export class ScmpClient {
  private readonly oids = new Map<InterfaceProxy<InterfaceDecl>, bigint>();
  private diffMgmt: InterfaceProxy<typeof IVssDifferentialSoftwareSnapshotMgmt> | undefined;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly channel: DcomChannel,
    private readonly mgmt: InterfaceProxy<typeof IVssSnapshotMgmt>,
    /** The exporter address the client reached, from the activation reply. */
    readonly exporter: ExporterAddress,
    readonly activation: Activated,
    private readonly timeoutMs: number,
    private readonly batchSize: number,
    private readonly pinger: Pinger | undefined,
  ) {}

  /** Activates the shadow-copy class on `host` and connects to its object exporter. */
  static async connect(o: ScmpConnectOptions): Promise<ScmpClient> {
    const auth = authFactory(o);
    const port = o.port ?? SCMP_CLIENT_DEFAULTS.port;
    const timeoutMs = o.timeoutMs ?? SCMP_CLIENT_DEFAULTS.timeoutMs;
    const batchSize = o.batchSize ?? SCMP_CLIENT_DEFAULTS.batchSize;
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 0xffff) throw new RangeError('batchSize must be 1..65535');

    let a: Activated;
    const stopActivation = new AbortController();
    try {
      a = await within(
        activate(o.host, port, auth(), CLSID_ShadowCopyProvider, IID_IVssSnapshotMgmt, {
          serverName: o.host,
          connectTimeoutMs: timeoutMs,
          signal: stopActivation.signal,
        }),
        timeoutMs,
        `activation on ${o.host}:${port}`,
        () => stopActivation.abort(),
      );
    } catch (e) {
      if (isUnreachable(e)) throw new ConnectionError(`cannot reach ${o.host}:${port}: ${(e as Error).message}`, [{ target: `${o.host}:${port}`, error: e }]);
      throw asAuthFailure(e, `${o.host}:${port}`);
    }
    if (a.hr !== 0) throw new HResultError(a.hr >>> 0, 'IRemoteSCMActivator::RemoteCreateInstance');

    const fromReply = exporterAddresses(a.bindings);
    const candidates = o.exporterAddresses ? o.exporterAddresses(fromReply) : fromReply;
    const attempts: { target: string; error: unknown }[] = [];
    for (const at of candidates) {
      let ch: DcomChannel;
      const stopOpen = new AbortController();
      try {
        ch = await within(
          DcomChannel.open({ host: at.host, port: at.port, auth: auth(), ipidRemUnknown: a.ipidRemUnknown, connectTimeoutMs: timeoutMs, signal: stopOpen.signal }),
          timeoutMs,
          `connecting to the object exporter at ${at.binding}`,
          () => stopOpen.abort(),
        );
      } catch (e) {
        // An address this client cannot reach: the next binding, as a Windows client does.
        if (isUnreachable(e) || e instanceof TimeoutError) {
          attempts.push({ target: at.binding, error: e });
          continue;
        }
        throw asAuthFailure(e, `object exporter ${at.binding}`);
      }
      const mgmt = ch.proxy(IVssSnapshotMgmt, a.ipid, a.cPublicRefs);
      const period = o.pingPeriodMs ?? SCMP_CLIENT_DEFAULTS.pingPeriodMs;
      const pinger = period > 0 ? new Pinger({ host: o.host, port, auth, periodMs: period, timeoutMs }) : undefined;
      const c = new ScmpClient(ch, mgmt, at, a, timeoutMs, batchSize, pinger);
      c.track(mgmt, a.oid);
      pinger?.start();
      return c;
    }
    const tried = attempts.map((t) => `${t.target} (${(t.error as Error).message})`).join(', ');
    throw new ConnectionError(`no object exporter binding of ${o.host} could be reached${tried ? `: ${tried}` : ' (the reply listed none over TCP)'}`, attempts);
  }

  private track(p: InterfaceProxy<any>, oid: bigint): void {
    this.oids.set(p, oid);
    this.pinger?.setOids(new Set(this.oids.values()));
  }

  private async drop(p: InterfaceProxy<any>): Promise<void> {
    this.oids.delete(p);
    this.pinger?.setOids(new Set(this.oids.values()));
    await p.release();
  }

  /** A returned interface pointer as a proxy whose OID is pinged. */
  private adopt<D extends InterfaceDecl>(decl: D, mip: MarshalledPointer | null | undefined): InterfaceProxy<D> | null {
    if (!mip) return null;
    const o = decodeObjref(mip.abData);
    const p = this.channel.unmarshal(decl, mip)!;
    if (o.kind === 'standard') this.track(p, o.std.oid);
    return p;
  }

  /** One call under the client's timeout; on expiry the connection is closed. */
  private run<T>(p: Promise<T>, operation: string): Promise<T> {
    return within(p, this.timeoutMs, operation, () => this.channel.rpc.socket.destroy());
  }

  /** Next in batches; the enumerator released when the iteration ends, breaks or throws. */
  private enumerate<W, T>(
    operation: string,
    open: () => Promise<MarshalledPointer | null | undefined>,
    decl: typeof IVssEnumObject | typeof IVssEnumMgmtObject,
    convert: (w: W) => T,
  ): Enumeration<T> {
    const self = this;
    const iterate = async function* (): AsyncGenerator<T> {
      const e = self.adopt(decl as typeof IVssEnumMgmtObject, await self.run(open(), operation));
      if (!e) return;
      try {
        for (;;) {
          const r = await self.run(e.call('Next', { celt: self.batchSize }), `${decl.name}::Next`);
          for (const item of r.rgelt) yield convert(item as W);
          if (r.hr === S_FALSE || r.pceltFetched === 0) return;
        }
      } finally {
        await self.drop(e).catch(() => {});
      }
    };
    return {
      [Symbol.asyncIterator]: iterate,
      async toArray() {
        const out: T[] = [];
        for await (const x of iterate()) out.push(x);
        return out;
      },
    };
  }

  /** IVssSnapshotMgmt::GetProviderMgmtInterface for the system provider's diff-area interface (cached). */
  async getProviderMgmtInterface(providerId: Guid = VSS_SYSTEM_PROVIDER_ID) {
    if (this.diffMgmt && providerId === VSS_SYSTEM_PROVIDER_ID) return this.diffMgmt;
    const r = await this.run(
      this.mgmt.call('GetProviderMgmtInterface', { ProviderId: providerId, InterfaceId: IID_IVssDifferentialSoftwareSnapshotMgmt }),
      'GetProviderMgmtInterface',
    );
    const p = this.adopt(IVssDifferentialSoftwareSnapshotMgmt, r.ppItf);
    if (!p) throw new Error('GetProviderMgmtInterface answered S_OK with a null interface');
    if (providerId === VSS_SYSTEM_PROVIDER_ID) this.diffMgmt = p;
    return p;
  }

  /** IVssSnapshotMgmt::QueryVolumesSupportedForSnapshots. */
  queryVolumesSupportedForSnapshots(context = 0, providerId: Guid = VSS_SYSTEM_PROVIDER_ID): Enumeration<Volume> {
    return this.enumerate<VSS_MGMT_OBJECT_PROP_T, Volume>(
      'QueryVolumesSupportedForSnapshots',
      async () => (await this.mgmt.call('QueryVolumesSupportedForSnapshots', { ProviderId: providerId, lContext: context })).ppEnum,
      IVssEnumMgmtObject,
      toVolume,
    );
  }

  /** IVssSnapshotMgmt::QuerySnapshotsByVolume. */
  querySnapshotsByVolume(volumeName: string, providerId: Guid = VSS_SYSTEM_PROVIDER_ID): Enumeration<Snapshot> {
    return this.enumerate<VSS_OBJECT_PROP_T, Snapshot>(
      'QuerySnapshotsByVolume',
      async () => (await this.mgmt.call('QuerySnapshotsByVolume', { pwszVolumeName: volumeName, ProviderId: providerId })).ppEnum,
      IVssEnumObject,
      toSnapshot,
    );
  }

  /** IVssDifferentialSoftwareSnapshotMgmt::AddDiffArea; `maximumSize` -1n is UNBOUNDED. */
  async addDiffArea(volumeName: string, diffAreaVolumeName: string, maximumSize: bigint): Promise<void> {
    const d = await this.getProviderMgmtInterface();
    await this.run(d.call('AddDiffArea', { pwszVolumeName: volumeName, pwszDiffAreaVolumeName: diffAreaVolumeName, llMaximumDiffSpace: maximumSize }), 'AddDiffArea');
  }

  /** IVssDifferentialSoftwareSnapshotMgmt::ChangeDiffAreaMaximumSize; 0n removes the association (VSS_ASSOC_REMOVE). */
  async changeDiffAreaMaximumSize(volumeName: string, diffAreaVolumeName: string, maximumSize: bigint): Promise<void> {
    const d = await this.getProviderMgmtInterface();
    await this.run(
      d.call('ChangeDiffAreaMaximumSize', { pwszVolumeName: volumeName, pwszDiffAreaVolumeName: diffAreaVolumeName, llMaximumDiffSpace: maximumSize }),
      'ChangeDiffAreaMaximumSize',
    );
  }

  private diffEnumeration<T>(
    method: 'QueryVolumesSupportedForDiffAreas' | 'QueryDiffAreasForVolume' | 'QueryDiffAreasOnVolume',
    args: Record<string, string>,
    convert: (w: VSS_MGMT_OBJECT_PROP_T) => T,
  ): Enumeration<T> {
    return this.enumerate<VSS_MGMT_OBJECT_PROP_T, T>(
      method,
      async () => {
        const d = await this.getProviderMgmtInterface();
        return (await d.call(method, args as never)).ppEnum;
      },
      IVssEnumMgmtObject,
      convert,
    );
  }

  /** IVssDifferentialSoftwareSnapshotMgmt::QueryVolumesSupportedForDiffAreas. */
  queryVolumesSupportedForDiffAreas(originalVolumeName: string): Enumeration<DiffVolume> {
    return this.diffEnumeration('QueryVolumesSupportedForDiffAreas', { pwszOriginalVolumeName: originalVolumeName }, toDiffVolume);
  }

  /** IVssDifferentialSoftwareSnapshotMgmt::QueryDiffAreasForVolume: the storage of an original volume. */
  queryDiffAreasForVolume(volumeName: string): Enumeration<DiffArea> {
    return this.diffEnumeration('QueryDiffAreasForVolume', { pwszVolumeName: volumeName }, toDiffArea);
  }

  /** IVssDifferentialSoftwareSnapshotMgmt::QueryDiffAreasOnVolume: the storage a volume holds. */
  queryDiffAreasOnVolume(volumeName: string): Enumeration<DiffArea> {
    return this.diffEnumeration('QueryDiffAreasOnVolume', { pwszVolumeName: volumeName }, toDiffArea);
  }

  /** Stops pinging, gives back every reference (one RemRelease), closes the connection. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      try {
        await this.pinger?.stop();
      } finally {
        this.oids.clear();
        await this.channel.close();
      }
    })();
    return this.closing;
  }
}
