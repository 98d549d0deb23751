import { randomOctets } from '../dcerpc/random.js';
import { randomGuid } from '../dcerpc/association.js';
import type { Guid } from '../ndr/guid.js';
import * as S from '../status/codes.js';
import type { STDOBJREF_T } from './orpc.js';

/**
 * The HRESULTs and statuses of the object exporter (MS-DCOM 3.1.1.5, 3.1.2.5), gathered for
 * its callers; the numbers and names are declared once, in src/status.
 */
export const DCOM_E = {
  E_NOINTERFACE: S.E_NOINTERFACE,
  E_ACCESSDENIED: S.E_ACCESSDENIED,
  E_OUTOFMEMORY: S.E_OUTOFMEMORY,
  E_INVALIDARG: S.E_INVALIDARG,
  RPC_E_DISCONNECTED: S.RPC_E_DISCONNECTED,
  RPC_E_INVALID_HEADER: S.RPC_E_INVALID_HEADER,
  RPC_E_VERSION_MISMATCH: S.RPC_E_VERSION_MISMATCH,
  RPC_E_INVALID_OBJECT: S.RPC_E_INVALID_OBJECT,
  RPC_E_INVALID_OBJREF: S.RPC_E_INVALID_OBJREF,
  CO_E_OBJNOTREG: S.CO_E_OBJNOTREG,
  REGDB_E_CLASSNOTREG: S.REGDB_E_CLASSNOTREG,
  OR_INVALID_OXID: S.OR_INVALID_OXID,
  OR_INVALID_OID: S.OR_INVALID_OID,
  OR_INVALID_SET: S.OR_INVALID_SET,
} as const;

export const IID_IUnknown = '00000000-0000-0000-c000-000000000046';
export const IID_IRemUnknown = '00000131-0000-0000-c000-000000000046';
export const IID_IRemUnknown2 = '00000143-0000-0000-c000-000000000046';

/** Lifetime settings (MS-DCOM 3.1.2.2): ping period × missed pings before an object is reclaimed. */
export interface ExporterSettings {
  pingPeriodMs: number;
  missedPings: number;
  /** Objects one client (one authenticated user at one address) may hold. */
  maxObjectsPerClient: number;
  /** Ping sets one client may hold. */
  maxPingSetsPerClient: number;
  /** IPIDs one object may have (one per interface asked for). */
  maxInterfacesPerObject: number;
}

export const DEFAULT_EXPORTER_SETTINGS: ExporterSettings = {
  pingPeriodMs: 120_000,
  missedPings: 3,
  maxObjectsPerClient: 1024,
  maxPingSetsPerClient: 64,
  maxInterfacesPerObject: 32,
};

/** What a DCOM object is to the exporter: the interfaces it answers, and its implementation. */
export interface ComObject {
  readonly clsid: Guid;
  /** Interfaces the object supports, besides IUnknown. */
  supports(iid: Guid): boolean;
  /** Called once when the exporter lets go of the object. */
  released?(): void;
}

export interface IpidEntry {
  readonly ipid: Guid;
  readonly iid: Guid;
  readonly oid: bigint;
  publicRefs: number;
  privateRefs: number;
}

interface ObjectEntry {
  readonly oid: bigint;
  readonly object: ComObject;
  readonly client: string;
  readonly ipids: Map<Guid, IpidEntry>;
  /** When the object was exported or last pinged (via a ping set holding it). */
  lastSeen: number;
}

interface PingSet {
  readonly id: bigint;
  readonly client: string;
  readonly oids: Set<bigint>;
  seq: number;
  lastPing: number;
}

function random64(): bigint {
  // Never zero: zero means "no set" and "no OXID" on the wire.
  let v = 0n;
  while (v === 0n) v = randomOctets(8).readBigUInt64LE(0);
  return v;
}

/**
 * The object exporter of one emulated host (MS-DCOM 3.1.2.1): one OXID, the exported
 * objects (OIDs) with their interface pointers (IPIDs) and reference counts, and the ping
 * sets that keep them alive. An object whose references are all released, or that no ping
 * set has kept alive for pingPeriod × missedPings, is reclaimed with all its IPIDs.
 */
export class ObjectExporter {
  readonly oxid = random64();
  /** The IPID of this exporter's IRemUnknown / IRemUnknown2. */
  readonly ipidRemUnknown = randomGuid();
  private readonly objects = new Map<bigint, ObjectEntry>();
  private readonly ipids = new Map<Guid, IpidEntry>();
  private readonly sets = new Map<bigint, PingSet>();
  private readonly objectsByClient = new Map<string, number>();
  private readonly setsByClient = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly settings: ExporterSettings = DEFAULT_EXPORTER_SETTINGS,
    private readonly now: () => number = Date.now,
  ) {}

  get objectCount(): number {
    return this.objects.size;
  }

  /** Starts reclaiming unpinged objects (checked every ping period, or sooner in tests). */
  start(checkEveryMs = Math.min(this.settings.pingPeriodMs, 10_000)): void {
    this.timer ??= setInterval(() => this.collect(), checkEveryMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * Exports a new object for `client` and marshals one interface of it. Undefined when the
   * client holds too many objects already.
   */
  exportObject(object: ComObject, client: string): { oid: bigint } | undefined {
    const held = this.objectsByClient.get(client) ?? 0;
    if (held >= this.settings.maxObjectsPerClient) return undefined;
    const oid = random64();
    this.objects.set(oid, { oid, object, client, ipids: new Map(), lastSeen: this.now() });
    this.objectsByClient.set(client, held + 1);
    return { oid };
  }

  /** An interface pointer of the object with `cPublicRefs` references: an existing IPID or a new one. */
  marshal(oid: bigint, iid: Guid, cPublicRefs: number): STDOBJREF_T | undefined {
    const o = this.objects.get(oid);
    if (!o) return undefined;
    let entry = [...o.ipids.values()].find((e) => e.iid === iid);
    if (!entry) {
      if (o.ipids.size >= this.settings.maxInterfacesPerObject) return undefined;
      entry = { ipid: randomGuid(), iid, oid, publicRefs: 0, privateRefs: 0 };
      o.ipids.set(entry.ipid, entry);
      this.ipids.set(entry.ipid, entry);
    }
    entry.publicRefs += cPublicRefs;
    return { flags: 0, cPublicRefs, oxid: this.oxid, oid, ipid: entry.ipid };
  }

  lookup(ipid: Guid): { entry: IpidEntry; object: ComObject } | undefined {
    const entry = this.ipids.get(ipid);
    if (!entry) return undefined;
    const o = this.objects.get(entry.oid);
    return o ? { entry, object: o.object } : undefined;
  }

  /** RemAddRef for one IPID: false when the IPID is unknown. */
  addRef(ipid: Guid, publicRefs: number, privateRefs: number): boolean {
    const e = this.ipids.get(ipid);
    if (!e) return false;
    e.publicRefs += publicRefs;
    e.privateRefs += privateRefs;
    return true;
  }

  /** RemRelease for one IPID: counts clamp at zero; an IPID at zero goes, an object without IPIDs goes. */
  release(ipid: Guid, publicRefs: number, privateRefs: number): void {
    const e = this.ipids.get(ipid);
    if (!e) return;
    e.publicRefs = Math.max(0, e.publicRefs - publicRefs);
    e.privateRefs = Math.max(0, e.privateRefs - privateRefs);
    if (e.publicRefs > 0 || e.privateRefs > 0) return;
    this.ipids.delete(ipid);
    const o = this.objects.get(e.oid);
    if (!o) return;
    o.ipids.delete(ipid);
    if (o.ipids.size === 0) this.reclaim(o);
  }

  /** Lets go of an object at once (an activation that handed out nothing). */
  reclaimObject(oid: bigint): void {
    const o = this.objects.get(oid);
    if (o) this.reclaim(o);
  }

  private reclaim(o: ObjectEntry): void {
    if (!this.objects.delete(o.oid)) return;
    for (const ipid of o.ipids.keys()) this.ipids.delete(ipid);
    o.ipids.clear();
    this.objectsByClient.set(o.client, Math.max(0, (this.objectsByClient.get(o.client) ?? 1) - 1));
    for (const s of this.sets.values()) s.oids.delete(o.oid);
    o.object.released?.();
  }

  /** ComplexPing (MS-DCOM 3.1.2.5.1.3). Returns the set id, or an OR_* status. */
  complexPing(client: string, setId: bigint, seq: number, add: bigint[], del: bigint[]): { setId: bigint } | { status: number } {
    let set: PingSet | undefined;
    if (setId === 0n) {
      const held = this.setsByClient.get(client) ?? 0;
      if (held >= this.settings.maxPingSetsPerClient) return { status: DCOM_E.E_OUTOFMEMORY };
      set = { id: random64(), client, oids: new Set(), seq, lastPing: this.now() };
      this.sets.set(set.id, set);
      this.setsByClient.set(client, held + 1);
    } else {
      set = this.sets.get(setId);
      if (!set) return { status: DCOM_E.OR_INVALID_SET };
      // An older sequence number is a retransmission: succeed without acting.
      if (set.seq > seq) return { setId: set.id };
    }
    for (const oid of add) {
      if (!this.objects.has(oid)) return { status: DCOM_E.OR_INVALID_OID };
    }
    for (const oid of add) set.oids.add(oid);
    for (const oid of del) set.oids.delete(oid);
    set.seq = seq;
    this.touch(set);
    return { setId: set.id };
  }

  /** SimplePing: 0, or OR_INVALID_SET. */
  simplePing(setId: bigint): number {
    const set = this.sets.get(setId);
    if (!set) return DCOM_E.OR_INVALID_SET;
    this.touch(set);
    return 0;
  }

  private touch(set: PingSet): void {
    const t = this.now();
    set.lastPing = t;
    for (const oid of set.oids) {
      const o = this.objects.get(oid);
      if (o) o.lastSeen = t;
    }
  }

  /** Reclaims what nobody pinged for pingPeriod × missedPings, and the sets that expired. */
  collect(): void {
    const t = this.now();
    const limit = this.settings.pingPeriodMs * this.settings.missedPings;
    for (const s of [...this.sets.values()]) {
      if (t - s.lastPing > limit) {
        this.sets.delete(s.id);
        this.setsByClient.set(s.client, Math.max(0, (this.setsByClient.get(s.client) ?? 1) - 1));
      }
    }
    for (const o of [...this.objects.values()]) {
      if (t - o.lastSeen > limit) this.reclaim(o);
    }
  }
}
