/**
 * What a probe works with: the target, a shared administrator session (opened on first use,
 * opened again after a check broke it), fresh sessions and raw RPC connections that are
 * closed after the check, the host's facts read once per run, and the verdict helpers.
 */
import { RpcClient, type ClientAuth } from '../client/rpc-client.js';
import type { InterfaceDecl } from '../dcerpc/interface.js';
import { IVssDifferentialSoftwareSnapshotMgmt, IVssEnumMgmtObject, IVssEnumObject, IVssSnapshotMgmt } from '../interfaces/scmp/idl.js';
import { IID_IVssDifferentialSoftwareSnapshotMgmt, VSS_SYSTEM_PROVIDER_ID } from '../interfaces/scmp/types.js';
import { formatStatus } from '../status/index.js';
import { Session, clientAuth, type Answer, type AuthChoice, type ConformTarget } from './session.js';

export type Probe = (c: Ctx) => Promise<void>;

/** The requirement does not hold: what it wants and what came. */
export class Mismatch extends Error {
  constructor(
    readonly expected: string,
    readonly got: string,
  ) {
    super(`expected ${expected}, got ${got}`);
  }
}

/** The check cannot be made on this host (a volume kind it lacks, an option not given). */
export class NotApplicable extends Error {}

export const hex = (n: number) => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
export const status = (n: number) => formatStatus(n >>> 0);

/** An enumerator's kind, by what opens it. */
export type EnumSource = 'snapshots' | 'volumes' | 'diff-volumes' | 'diff-areas-for' | 'diff-areas-on';

export interface Volume {
  name: string;
  displayName: string;
}

export class Ctx {
  private shared: Session | undefined;
  private readonly opened: Array<{ close(): Promise<void> }> = [];
  private readonly cache = new Map<string, Promise<unknown>>();

  constructor(
    readonly t: ConformTarget,
    readonly allowChanges: boolean,
  ) {}

  /** The administrator session shared by read-only checks. */
  async session(): Promise<Session> {
    if (this.shared && !this.shared.closed) return this.shared;
    if (this.shared) await this.shared.close();
    this.shared = await Session.open(this.t);
    return this.shared;
  }

  /** A session of the check's own (closed after it): other credentials, type or level. */
  async fresh(o: AuthChoice = {}): Promise<Session> {
    const s = await Session.open(this.t, o);
    this.opened.push(s);
    return s;
  }

  /** A raw RPC connection to the host's port 135 (or `port`), closed after the check. */
  async connect(port = this.t.port): Promise<RpcClient> {
    const c = await RpcClient.connect(this.t.host, port, this.t.timeoutMs);
    this.opened.push(c);
    return c;
  }

  /** A connection to port 135 bound to `decl` as context 0, authenticated unless `auth` is null. */
  async bound(decl: InterfaceDecl, auth: ClientAuth | null = this.auth(), port = this.t.port): Promise<RpcClient> {
    const c = await this.connect(port);
    await c.bindInterface(decl, auth ? { auth } : {});
    return c;
  }

  auth(o: AuthChoice = {}): ClientAuth {
    return clientAuth(this.t, o);
  }

  /** Closes what the check opened; a broken shared session is dropped. */
  async settle(): Promise<void> {
    const all = this.opened.splice(0);
    await Promise.all(all.map((x) => x.close().catch(() => undefined)));
    if (this.shared?.closed) this.shared = undefined;
  }

  /** Drops the shared session (a check timed out on it). */
  abandon(): void {
    this.shared?.rpc.socket.destroy();
    this.shared = undefined;
    for (const x of this.opened) (x as { socket?: { destroy(): void }; rpc?: RpcClient }).rpc?.socket.destroy();
    for (const x of this.opened) (x as { socket?: { destroy(): void } }).socket?.destroy();
    this.opened.length = 0;
  }

  async end(): Promise<void> {
    await this.settle();
    await this.shared?.close();
    this.shared = undefined;
  }

  // --- MS-SCMP calls on the shared session ---

  async mgmt(name: string, args: Record<string, unknown>, s?: Session): Promise<Answer> {
    const ss = s ?? (await this.session());
    return ss.call(IVssSnapshotMgmt, ss.mgmtIpid, name, args);
  }

  /** IVssDifferentialSoftwareSnapshotMgmt's IPID on a session (GetProviderMgmtInterface, must succeed). */
  async diffIpid(s?: Session): Promise<string> {
    const ss = s ?? (await this.session());
    const known = (ss as unknown as { diffIpid?: string }).diffIpid;
    if (known) return known;
    const r = await this.mgmt('GetProviderMgmtInterface', { ProviderId: VSS_SYSTEM_PROVIDER_ID, InterfaceId: IID_IVssDifferentialSoftwareSnapshotMgmt }, ss);
    expectHr(r.hr, 0, 'GetProviderMgmtInterface for the system provider');
    if (!r.ppItf) throw new Mismatch('an interface pointer', 'NULL');
    const ipid = ss.held[ss.held.length - 1]!.ipid;
    (ss as unknown as { diffIpid?: string }).diffIpid = ipid;
    return ipid;
  }

  async diff(name: string, args: Record<string, unknown>, s?: Session): Promise<Answer> {
    const ss = s ?? (await this.session());
    return ss.call(IVssDifferentialSoftwareSnapshotMgmt, await this.diffIpid(ss), name, args);
  }

  /** Opens an enumerator; answers the method's answer and the enumerator's IPID (if any). */
  async open(source: EnumSource, arg: string | null, s?: Session): Promise<{ r: Answer; ipid: string | undefined; decl: typeof IVssEnumObject | typeof IVssEnumMgmtObject }> {
    const ss = s ?? (await this.session());
    let r: Answer;
    let decl: typeof IVssEnumObject | typeof IVssEnumMgmtObject = IVssEnumMgmtObject;
    switch (source) {
      case 'snapshots':
        r = await this.mgmt('QuerySnapshotsByVolume', { pwszVolumeName: arg, ProviderId: VSS_SYSTEM_PROVIDER_ID }, ss);
        decl = IVssEnumObject;
        break;
      case 'volumes':
        r = await this.mgmt('QueryVolumesSupportedForSnapshots', { ProviderId: VSS_SYSTEM_PROVIDER_ID, lContext: Number(arg ?? 0) }, ss);
        break;
      case 'diff-volumes':
        r = await this.diff('QueryVolumesSupportedForDiffAreas', { pwszOriginalVolumeName: arg }, ss);
        break;
      case 'diff-areas-for':
        r = await this.diff('QueryDiffAreasForVolume', { pwszVolumeName: arg }, ss);
        break;
      case 'diff-areas-on':
        r = await this.diff('QueryDiffAreasOnVolume', { pwszVolumeName: arg }, ss);
        break;
    }
    const ipid = r.ppEnum ? ss.held[ss.held.length - 1]!.ipid : undefined;
    return { r, ipid, decl };
  }

  /** Every item of an enumeration (Next in batches of 16 until S_FALSE), the opening required to succeed. */
  async items(source: EnumSource, arg: string | null, s?: Session): Promise<any[]> {
    const ss = s ?? (await this.session());
    const { r, ipid, decl } = await this.open(source, arg, ss);
    expectHr(r.hr, 0, `${source} query`);
    if (!ipid) throw new Mismatch('an enumerator', 'a NULL interface pointer with S_OK');
    const out: any[] = [];
    for (let i = 0; i < 1000; i++) {
      const n = await ss.call(decl, ipid, 'Next', { celt: 16 });
      if (n.hr !== 0 && n.hr !== 1) throw new Mismatch('Next to answer S_OK or S_FALSE', status(n.hr));
      out.push(...n.rgelt);
      if (n.hr === 1) return out;
    }
    throw new Mismatch('S_FALSE at the end of the enumeration', 'no end after 16,000 items');
  }

  /** Facts read once per run: the volumes, their snapshots, storage volumes and associations. */
  fact<T>(key: string, read: () => Promise<T>): Promise<T> {
    let p = this.cache.get(key) as Promise<T> | undefined;
    if (!p) {
      p = read();
      this.cache.set(key, p);
      p.catch(() => this.cache.delete(key));
    }
    return p;
  }

  volumes(): Promise<Volume[]> {
    return this.fact('volumes', async () =>
      (await this.items('volumes', '0')).map((p) => ({ name: p.Obj.value.m_pwszVolumeName, displayName: p.Obj.value.m_pwszVolumeDisplayName })),
    );
  }

  /** Every snapshot of the host (QuerySnapshotsByVolume on each volume), raw VSS_OBJECT_PROP. */
  snapshots(): Promise<Array<{ volume: string; prop: any }>> {
    return this.fact('snapshots', async () => {
      const out: Array<{ volume: string; prop: any }> = [];
      for (const v of await this.volumes()) for (const p of await this.items('snapshots', v.name)) out.push({ volume: v.name, prop: p });
      return out;
    });
  }

  /** For each volume, the storage volumes it may use (raw VSS_MGMT_OBJECT_PROP). */
  diffVolumes(): Promise<Array<{ volume: string; prop: any }>> {
    return this.fact('diff-volumes', async () => {
      const out: Array<{ volume: string; prop: any }> = [];
      for (const v of await this.volumes()) for (const p of await this.items('diff-volumes', v.name)) out.push({ volume: v.name, prop: p });
      return out;
    });
  }

  /** Every association, from QueryDiffAreasForVolume on each volume. */
  diffAreas(): Promise<Array<{ volume: string; prop: any }>> {
    return this.fact('diff-areas', async () => {
      const out: Array<{ volume: string; prop: any }> = [];
      for (const v of await this.volumes()) for (const p of await this.items('diff-areas-for', v.name)) out.push({ volume: v.name, prop: p });
      return out;
    });
  }

  needChanges(): void {
    if (!this.allowChanges) throw new NotApplicable('changes the host: run with --allow-changes');
  }
}

/** The HRESULT (or status) must be `want`. */
export function expectHr(got: number, want: number, what = 'the answer'): void {
  if (got >>> 0 !== want >>> 0) throw new Mismatch(`${what}: ${status(want)}`, status(got));
}

export function expect(ok: boolean, expected: string, got: string | (() => string)): void {
  if (!ok) throw new Mismatch(expected, typeof got === 'function' ? got() : got);
}
