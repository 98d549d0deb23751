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

/** Past this many element pairs (recorded × live) lists are paired by position alone. */
const MAX_ALIGNED_PAIRS = 1 << 16;

/** One step of an alignment: a pair of elements, or an element on one side only. */
interface AlignStep {
  r?: number;
  l?: number;
}

/**
 * Pairs the elements of two lists for comparison. Elements equal on both sides are matched
 * by their longest common subsequence, so one shadow copy gone from the middle of a list is
 * one difference, not one for every element after it; between two matches the rest are
 * paired by position (a changed element shows its changed fields), and what is left over on
 * one side is an element only that side has. Indexes in paths are the recorded list's, the
 * live list's for an element only it has.
 */
export function alignArrays(r: readonly unknown[], l: readonly unknown[]): AlignStep[] {
  const n = r.length;
  const m = l.length;
  if (n * m > MAX_ALIGNED_PAIRS || n === 0 || m === 0) return byPosition(0, n, 0, m);
  const kr = r.map(valueKey);
  const kl = l.map(valueKey);
  // lcs[i][j]: the longest common subsequence of r[i..] and l[j..], row by row.
  const lcs = new Uint16Array((n + 1) * (m + 1));
  const at = (i: number, j: number) => i * (m + 1) + j;
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[at(i, j)] = kr[i] === kl[j] ? lcs[at(i + 1, j + 1)]! + 1 : Math.max(lcs[at(i + 1, j)]!, lcs[at(i, j + 1)]!);
    }
  }
  const steps: AlignStep[] = [];
  let i = 0;
  let j = 0;
  let gapR = 0;
  let gapL = 0;
  while (i < n && j < m) {
    if (kr[i] === kl[j]) {
      steps.push(...byPosition(gapR, i, gapL, j), { r: i, l: j });
      gapR = ++i;
      gapL = ++j;
    } else if (lcs[at(i + 1, j)]! >= lcs[at(i, j + 1)]!) i++;
    else j++;
  }
  steps.push(...byPosition(gapR, n, gapL, m));
  return steps;
}

/** r[r0..r1) against l[l0..l1) by position; the longer side's rest on its own. */
function byPosition(r0: number, r1: number, l0: number, l1: number): AlignStep[] {
  const steps: AlignStep[] = [];
  for (let k = 0; k < Math.max(r1 - r0, l1 - l0); k++) {
    const ri = r0 + k < r1 ? r0 + k : undefined;
    const li = l0 + k < l1 ? l0 + k : undefined;
    steps.push({ ...(ri !== undefined ? { r: ri } : {}), ...(li !== undefined ? { l: li } : {}) });
  }
  return steps;
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
      for (const step of alignArrays(r, l)) {
        if (step.r === undefined) this.differ(`${path}[${step.l}]`, undefined, l[step.l!], status);
        else if (step.l === undefined) this.differ(`${path}[${step.r}]`, r[step.r], undefined, status);
        else this.walk(r[step.r], l[step.l], `${path}[${step.r}]`, field, status, depth + 1);
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
