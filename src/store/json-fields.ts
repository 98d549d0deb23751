/**
 * Reading JSON input field by field: the one reader of the host model file, the state file
 * and the admin API's request bodies. Each check names the field it failed on
 * (`volumes[2].totalBytes: …`) by throwing a FieldError; FieldProblems runs checks one by
 * one, recording each failure and going on with a stand-in, so a whole document is
 * reported at once, one line a problem.
 */
import { canonicalGuid, type Guid } from './vss.js';

export type Json = unknown;

export interface FieldProblem {
  field: string;
  message: string;
}

export class FieldError extends Error {
  /** Every problem found, in document order; `field` is the first one's. */
  readonly problems: FieldProblem[];

  constructor(
    readonly field: string,
    message: string,
    more: FieldProblem[] = [],
  ) {
    const problems = [{ field, message }, ...more];
    super(problems.map((p) => `${p.field}: ${p.message}`).join('\n'));
    this.name = 'FieldError';
    this.problems = problems;
  }
}

/** The name of field `key` of the object at `parent` (none at the top of a request body). */
export function fieldName(parent: string, key: string): string {
  return parent ? `${parent}.${key}` : key;
}

/**
 * Collects problems instead of stopping at the first: each check runs on its own, and a
 * failed one is recorded while a stand-in value lets the rest of the document be checked.
 */
export class FieldProblems {
  readonly list: FieldProblem[] = [];

  add(field: string, message: string): void {
    this.list.push({ field, message });
  }

  take<T>(check: () => T, standIn: T): T {
    try {
      return check();
    } catch (e) {
      if (!(e instanceof FieldError)) throw e;
      this.list.push(...e.problems);
      return standIn;
    }
  }
}

export function object(v: Json, field: string): Record<string, Json> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new FieldError(field, 'expected an object');
  return v as Record<string, Json>;
}

export function array(v: Json, field: string): Json[] {
  if (!Array.isArray(v)) throw new FieldError(field, 'expected an array');
  return v;
}

/** The keys of `o` a document may not have: each is a problem, so a misspelt field is not silently ignored. */
export function unknownKeys(o: Record<string, Json>, parent: string, allowed: readonly string[]): FieldProblem[] {
  const expected = `unknown field (expected ${allowed.length ? allowed.join(', ') : 'none'})`;
  return Object.keys(o)
    .filter((k) => !allowed.includes(k))
    .map((k) => ({ field: fieldName(parent, k), message: expected }));
}

export interface StringRule {
  /** The empty string is a value (by default it is refused). */
  empty?: boolean;
  /** Longest accepted, in UTF-16 code units. */
  max?: number;
  /** A form the string must have, and how an error names it. */
  form?: { re: RegExp; what: string };
}

export function string(v: Json, field: string, rule: StringRule = {}): string {
  const kind = rule.empty ? 'a string' : 'a non-empty string';
  if (typeof v !== 'string') throw new FieldError(field, v === undefined ? `is required (${kind})` : `expected ${kind}`);
  if (!rule.empty && v.length === 0) throw new FieldError(field, `expected ${kind}`);
  if (rule.max !== undefined && v.length > rule.max) throw new FieldError(field, `longer than ${rule.max} characters`);
  if (rule.form && !rule.form.re.test(v)) throw new FieldError(field, `expected ${rule.form.what}, not "${v}"`);
  return v;
}

/** A GUID in any case, optionally braced; answered canonical (lower case). */
export function guid(v: Json, field: string): Guid {
  const s = string(v, field);
  return canonicalGuid(s) ?? fail(field, `expected a GUID, not "${s}"`);
}

export function bool(v: Json, field: string, dflt?: boolean): boolean {
  if (v === undefined && dflt !== undefined) return dflt;
  if (typeof v !== 'boolean') throw new FieldError(field, v === undefined ? 'is required (true or false)' : 'expected true or false');
  return v;
}

export function integer(v: Json, field: string, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new FieldError(field, `expected an integer ≥ ${min}`);
  return v;
}

export function oneOf<T extends string>(v: Json, field: string, values: readonly T[], dflt?: T): T {
  if (v === undefined && dflt !== undefined) return dflt;
  if (typeof v !== 'string' || !values.includes(v as T)) throw new FieldError(field, `expected one of ${values.join(', ')}`);
  return v as T;
}

export interface BytesRule {
  /** -1 means no limit. */
  noLimit?: boolean;
  /** "UNBOUNDED" (any case) is -1 too, as vssadmin writes it. */
  unbounded?: boolean;
}

/** A byte count: a number or a decimal string (a JSON number loses precision past 2^53), below 2^63. */
export function bytes(v: Json, field: string, rule: BytesRule = {}): bigint {
  let b: bigint | undefined;
  if (typeof v === 'number' && Number.isSafeInteger(v)) b = BigInt(v);
  else if (typeof v === 'string' && /^-?\d{1,20}$/.test(v)) b = BigInt(v);
  else if (rule.noLimit && rule.unbounded && typeof v === 'string' && /^unbounded$/i.test(v)) b = -1n;
  if (b === undefined) throw new FieldError(field, `expected a whole number of bytes (a number or a decimal string)${rule.noLimit ? `, or -1${rule.unbounded ? ' / "UNBOUNDED"' : ''} for no limit` : ''}`);
  if (b < 0n && !(rule.noLimit && b === -1n)) throw new FieldError(field, rule.noLimit ? 'expected bytes, or -1 for no limit' : 'expected a non-negative number of bytes');
  if (b >= 1n << 63n) throw new FieldError(field, 'more bytes than a 64-bit count holds');
  return b;
}

export function fail(field: string, message: string): never {
  throw new FieldError(field, message);
}
