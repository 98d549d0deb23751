/**
 * One recorded answer against the live one, field by field: both decoded by the method's
 * declaration and expanded alike (OBJREFs and activation properties read out of their
 * MInterfacePointers), walked together. A volatile field (src/interfaces/volatile.ts) is not
 * compared: a mapped one teaches the VolatileMap its live value, an exporter binding teaches
 * where the live object exporter listens; a protocol tower is compared without its port and
 * address. Everything else must be equal.
 */
import { decodeFloors, PROTOCOL_ID } from '../interfaces/epm/tower.js';
import { STATUS_FIELDS, UNION_ARM_NAMES, volatileField } from '../interfaces/volatile.js';
import type { VolatileMap } from './mapping.js';
import { isRecord, showValue, valueKey } from './values.js';

export interface Difference {
  /** Field path from the method's out-args, e.g. `rgelt[3].Obj.Snap.m_tsCreationTimestamp`. */
  path: string;
  recorded: string;
  live: string;
}

/** What a walk learns beside the mapping: recorded exporter binding text → live binding texts. */
export interface BindingPair {
  recorded: string[];
  live: string[];
}

const STATUS = new Set(STATUS_FIELDS);
const MAX_DEPTH = 32;

/** Floors whose value is where a host listens: its port (TCP, UDP) and its IP address. */
const PLACE_FLOORS: ReadonlySet<number> = new Set([PROTOCOL_ID.tcp, PROTOCOL_ID.udp, PROTOCOL_ID.ip]);

/**
 * A tower as compared from host to host: every floor's octets, except the values of its port
 * and address floors (their protocol ids still count). A tower that does not split into
 * floors is compared whole.
 */
function towerShape(v: unknown): string {
  if (!Buffer.isBuffer(v)) return valueKey(v);
  try {
    return decodeFloors(v)
      .map((f) => `${f.lhs.toString('hex')}:${f.lhs.length === 1 && PLACE_FLOORS.has(f.lhs[0]!) ? `(${f.rhs.length} octets)` : f.rhs.toString('hex')}`)
      .join('/');
  } catch {
    return `whole:${v.toString('hex')}`;
  }
}

/** The ncacn_ip_tcp addresses ("host[port]") of an expanded DUALSTRINGARRAY, or of one nested deeper. */
function networkAddrs(v: unknown, depth = 0): string[] {
  if (depth > 4) return [];
  if (isRecord(v) && Array.isArray(v.stringBindings)) {
    return v.stringBindings.filter((b) => isRecord(b) && typeof b.networkAddr === 'string' && b.towerId === 7).map((b) => (b as { networkAddr: string }).networkAddr);
  }
  if (isRecord(v)) return Object.values(v).flatMap((x) => networkAddrs(x, depth + 1));
  return [];
}

export class Comparison {
  readonly differences: Difference[] = [];
  readonly bindings: BindingPair[] = [];

  /** `iface`: the interface answering (or holding the object called), for union arm names. */
  constructor(
    private readonly map: VolatileMap,
    private readonly iface?: string,
  ) {}

  /** Compares two decoded out-args (ORPCTHAT included: its flags and extensions are not volatile). */
  compare(recorded: unknown, live: unknown): this {
    this.walk(recorded, live, '', undefined, false, 0);
    return this;
  }

  private differ(path: string, r: unknown, l: unknown, status: boolean): void {
    this.differences.push({ path: path || '(result)', recorded: showValue(r, status), live: showValue(l, status) });
  }

  private walk(r: unknown, l: unknown, path: string, field: string | undefined, status: boolean, depth: number): void {
    const rule = field === undefined ? undefined : volatileField(field);
    if (rule) {
      if (rule.kind === 'binding') {
        const recorded = networkAddrs({ x: r });
        const live = networkAddrs({ x: l });
        if (recorded.length > 0 || live.length > 0) this.bindings.push({ recorded, live });
        return;
      }
      if (rule.kind === 'tower') {
        if (towerShape(r) !== towerShape(l)) this.differ(path, r, l, false);
        return;
      }
      if (rule.kind !== 'marshalled' && rule.kind !== 'causality') {
        // A value where the other side has none is a difference of shape, not of value.
        if ((r === null || r === undefined) !== (l === null || l === undefined)) this.differ(path, r, l, false);
        else this.map.learn(rule.kind, r, l);
      }
      return;
    }
    if (depth > MAX_DEPTH) {
      if (valueKey(r) !== valueKey(l)) this.differ(path, r, l, status);
      return;
    }
    if (Array.isArray(r) && Array.isArray(l)) {
      const n = Math.max(r.length, l.length);
      for (let i = 0; i < n; i++) {
        const p = `${path}[${i}]`;
        if (i >= l.length) this.differ(p, r[i], undefined, status);
        else if (i >= r.length) this.differ(p, undefined, l[i], status);
        else this.walk(r[i], l[i], p, field, status, depth + 1);
      }
      return;
    }
    if (isRecord(r) && isRecord(l)) {
      // A union as NDR decodes it, {tag, value}: the path names the arm as the IDL does.
      const arms = field !== undefined && this.iface !== undefined ? UNION_ARM_NAMES[this.iface]?.[field] : undefined;
      if (arms && Object.keys(r).length === 2 && 'tag' in r && 'value' in r && 'tag' in l && 'value' in l && r.tag === l.tag && typeof r.tag === 'number' && arms[r.tag]) {
        this.walk(r.value, l.value, `${path}.${arms[r.tag]}`, arms[r.tag], status, depth + 1);
        return;
      }
      const keys = [...Object.keys(r), ...Object.keys(l).filter((k) => !(k in r))];
      for (const k of keys) {
        const p = path ? `${path}.${k}` : k;
        if (!(k in l)) this.differ(p, r[k], undefined, STATUS.has(k));
        else if (!(k in r)) this.differ(p, undefined, l[k], STATUS.has(k));
        else this.walk(r[k], l[k], p, k, STATUS.has(k), depth + 1);
      }
      return;
    }
    if (valueKey(r) !== valueKey(l)) this.differ(path, r, l, status);
  }
}
