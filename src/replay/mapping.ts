/**
 * The volatile values a replay has learnt (src/interfaces/volatile.ts says which fields):
 * each recorded value of a mapped kind paired with the live value found at the same place,
 * then put in place of the recorded one in every later request and object UUID. The table is
 * bounded (a capture may hold any number of objects); beyond the limit, the oldest pairs go.
 */
import { randomUUID } from 'node:crypto';
import { volatileField, type VolatileKind } from '../interfaces/volatile.js';
import { isRecord, valueKey } from './values.js';

export const DEFAULT_MAX_MAPPINGS = 65536;
const MAX_DEPTH = 32;

const MAPPED = new Set<VolatileKind>(['ipid', 'oxid', 'oid', 'setid', 'context-handle']);

export class VolatileMap {
  private readonly pairs = new Map<string, unknown>();

  constructor(private readonly max = DEFAULT_MAX_MAPPINGS) {}

  get size(): number {
    return this.pairs.size;
  }

  /** Pairs a recorded value with the live one (arrays element by element). */
  learn(kind: VolatileKind, recorded: unknown, live: unknown): void {
    if (!MAPPED.has(kind) || recorded === undefined || live === undefined || recorded === null) return;
    if (Array.isArray(recorded) && Array.isArray(live)) {
      recorded.forEach((r, i) => this.learn(kind, r, live[i]));
      return;
    }
    const k = `${kind}|${valueKey(recorded)}`;
    this.pairs.delete(k);
    this.pairs.set(k, live);
    if (this.pairs.size > this.max) this.pairs.delete(this.pairs.keys().next().value!);
  }

  /** The live value for a recorded one, or the recorded one when none was learnt. */
  live<T>(kind: VolatileKind, recorded: T): T {
    if (Array.isArray(recorded)) return recorded.map((r) => this.live(kind, r)) as T;
    const k = `${kind}|${valueKey(recorded)}`;
    return this.pairs.has(k) ? (this.pairs.get(k) as T) : recorded;
  }

  has(kind: VolatileKind, recorded: unknown): boolean {
    return this.pairs.has(`${kind}|${valueKey(recorded)}`);
  }

  /** A request's arguments with every mapped value replaced, and a fresh causality id. */
  substitute(args: unknown): unknown {
    return this.walk(args, undefined, 0);
  }

  private walk(v: unknown, field: string | undefined, depth: number): unknown {
    const rule = field === undefined ? undefined : volatileField(field);
    if (rule?.kind === 'causality' && typeof v === 'string') return randomUUID();
    if (rule && MAPPED.has(rule.kind)) return this.live(rule.kind, v);
    if (depth > MAX_DEPTH) return v;
    if (Array.isArray(v)) return v.map((x) => this.walk(x, field, depth + 1));
    if (!isRecord(v)) return v;
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, this.walk(x, k, depth + 1)]));
  }
}
