/**
 * Reading an admin request's JSON body field by field, with the reader the host model file
 * uses (src/store/json-fields.ts): every bad value is a FieldError (BadRequest here) that
 * names its field, which the HTTP layer answers with 400. A request stops at its first bad
 * field: a body is a handful of fields, each read where the route needs it.
 */
import type { ComponentRef, DeleteTarget } from '../store/requester/session.js';
import { BACKUP_TYPES, FILE_RESTORE_STATUSES, type BackupType, type FileRestoreStatus } from '../store/requester/document.js';
import type { ComponentType } from '../store/writers.js';
import * as json from '../store/json-fields.js';
import { FieldError, fieldName } from '../store/json-fields.js';
import { faultRuleFromJson, type FaultRuleSpec, type FaultSettings } from '../store/faults.js';
import { servedRule } from './fault-methods.js';

/** A request body's bad field: the FieldError every JSON reader throws. */
export { FieldError as BadRequest };

/** Longest string a request field takes unless its route says otherwise. */
const MAX_STRING = 4096;

export class Fields {
  private readonly o: Record<string, unknown>;

  constructor(
    body: unknown,
    private readonly prefix = '',
  ) {
    this.o = json.object(body, prefix || '(body)');
  }

  private name(f: string): string {
    return fieldName(this.prefix, f);
  }

  /** Refuses fields the request does not take, so a misspelt one is not silently ignored. */
  only(...allowed: string[]): this {
    const [first] = json.unknownKeys(this.o, this.prefix, allowed);
    if (first) throw new FieldError(first.field, first.message);
    return this;
  }

  /** The whole body as a scripted fault rule, its interface and method ones the host serves. */
  faultRule(settings: FaultSettings): FaultRuleSpec {
    return servedRule(faultRuleFromJson(this.o, settings, this.prefix), this.prefix);
  }

  has(f: string): boolean {
    return this.o[f] !== undefined;
  }

  string(f: string, opts: { empty?: boolean; max?: number } = {}): string {
    return json.string(this.o[f], this.name(f), { empty: opts.empty, max: opts.max ?? MAX_STRING });
  }

  optString(f: string, opts: { empty?: boolean; max?: number } = {}): string | undefined {
    return this.has(f) ? this.string(f, opts) : undefined;
  }

  bool(f: string, dflt?: boolean): boolean {
    return json.bool(this.o[f], this.name(f), dflt);
  }

  guid(f: string): string {
    return json.guid(this.string(f), this.name(f));
  }

  optGuid(f: string): string | undefined {
    return this.has(f) ? this.guid(f) : undefined;
  }

  /** A 32-bit lContext: a number (-1 is VSS_CTX_ALL) or 0x-hex string. */
  context(f: string): number {
    const v = this.o[f];
    const n = typeof v === 'string' && /^0x[0-9a-f]{1,8}$/i.test(v) ? Number(v) | 0 : v;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < -0x80000000 || n > 0xffffffff) throw new FieldError(this.name(f), 'expected a context: an integer or 0x-hex of 32 bits');
    return n | 0;
  }

  /** Bytes as a number or decimal string; -1 (or "UNBOUNDED") for no limit when allowed. */
  /** The field as the body gave it, for a route that reads a form of its own (maxSize's `20%`). */
  raw(f: string): unknown {
    return this.o[f];
  }

  bytes(f: string, allowNoLimit = false): bigint {
    return json.bytes(this.o[f], this.name(f), { noLimit: allowNoLimit, unbounded: allowNoLimit });
  }

  oneOf<T extends string>(f: string, values: readonly T[], dflt?: T): T {
    return json.oneOf(this.o[f], this.name(f), values, dflt);
  }

  backupType(f: string): BackupType {
    return this.oneOf(f, BACKUP_TYPES, 'full');
  }

  restoreStatus(f: string): FileRestoreStatus {
    return this.oneOf(f, FILE_RESTORE_STATUSES);
  }

  deleteTarget(f: string): DeleteTarget {
    return this.oneOf(f, ['snapshot', 'set'] as const);
  }

  /** A component as IVssBackupComponents names one: writer, type, logical path, name. */
  component(f?: string): ComponentRef {
    const c = f === undefined ? this : new Fields(this.o[f], this.name(f));
    const ref: ComponentRef = {
      writerId: c.guid('writerId'),
      type: c.oneOf<ComponentType>('type', ['database', 'filegroup']),
      logicalPath: c.optString('logicalPath', { empty: true }) ?? '',
      name: c.string('name'),
    };
    const instanceId = c.optGuid('instanceId');
    return instanceId === undefined ? ref : { ...ref, instanceId };
  }

  nested(f: string): Fields {
    return new Fields(this.o[f], this.name(f));
  }
}
