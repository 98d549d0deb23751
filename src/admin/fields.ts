/**
 * Reading an admin request's JSON body field by field: every bad value is a BadRequest
 * that names its field, which the HTTP layer answers with 400.
 */
import type { ComponentRef, DeleteTarget } from '../store/requester/session.js';
import { BACKUP_TYPES, FILE_RESTORE_STATUSES, type BackupType, type FileRestoreStatus } from '../store/requester/document.js';
import type { ComponentType } from '../store/writers.js';
import { readGuid } from '../store/vss.js';

export class BadRequest extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'BadRequest';
  }
}


export class Fields {
  private readonly o: Record<string, unknown>;

  constructor(
    body: unknown,
    private readonly prefix = '',
  ) {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new BadRequest(prefix || '(body)', 'expected a JSON object');
    this.o = body as Record<string, unknown>;
  }

  private name(f: string): string {
    return this.prefix ? `${this.prefix}.${f}` : f;
  }

  /** Refuses fields the request does not take, so a misspelt one is not silently ignored. */
  only(...allowed: string[]): this {
    for (const k of Object.keys(this.o)) if (!allowed.includes(k)) throw new BadRequest(this.name(k), `unknown field (expected ${allowed.length ? allowed.join(', ') : 'none'})`);
    return this;
  }

  private fail(f: string, message: string): never {
    throw new BadRequest(this.name(f), message);
  }

  has(f: string): boolean {
    return this.o[f] !== undefined;
  }

  string(f: string, opts: { empty?: boolean; max?: number } = {}): string {
    const v = this.o[f];
    if (typeof v !== 'string') throw new BadRequest(this.name(f), v === undefined ? 'is required (a string)' : 'expected a string');
    if (!opts.empty && v.length === 0) throw new BadRequest(this.name(f), 'expected a non-empty string');
    const max = opts.max ?? 4096;
    if (v.length > max) throw new BadRequest(this.name(f), `longer than ${max} characters`);
    return v;
  }

  optString(f: string, opts: { empty?: boolean; max?: number } = {}): string | undefined {
    return this.has(f) ? this.string(f, opts) : undefined;
  }

  bool(f: string, dflt?: boolean): boolean {
    const v = this.o[f];
    if (v === undefined && dflt !== undefined) return dflt;
    if (typeof v !== 'boolean') throw new BadRequest(this.name(f), v === undefined ? 'is required (true or false)' : 'expected true or false');
    return v;
  }

  guid(f: string): string {
    const v = this.string(f);
    return readGuid(v) ?? this.fail(f, `expected a GUID, not "${v}"`);
  }

  optGuid(f: string): string | undefined {
    return this.has(f) ? this.guid(f) : undefined;
  }

  /** A 32-bit lContext: a number (-1 is VSS_CTX_ALL) or 0x-hex string. */
  context(f: string): number {
    const v = this.o[f];
    const n = typeof v === 'string' && /^0x[0-9a-f]{1,8}$/i.test(v) ? Number(v) | 0 : v;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < -0x80000000 || n > 0xffffffff) throw new BadRequest(this.name(f), 'expected a context: an integer or 0x-hex of 32 bits');
    return n | 0;
  }

  /** Bytes as a number or decimal string; -1 for no limit when allowed. */
  bytes(f: string, allowNoLimit = false): bigint {
    const v = this.o[f];
    let b: bigint | undefined;
    if (typeof v === 'number' && Number.isSafeInteger(v)) b = BigInt(v);
    else if (typeof v === 'string' && /^-?\d{1,20}$/.test(v)) b = BigInt(v);
    else if (allowNoLimit && typeof v === 'string' && /^unbounded$/i.test(v)) b = -1n;
    if (b === undefined || b < -1n || (b === -1n && !allowNoLimit) || b >= 1n << 63n) {
      throw new BadRequest(this.name(f), allowNoLimit ? 'expected a byte count (number or decimal string), or -1 / "UNBOUNDED"' : 'expected a byte count (number or decimal string)');
    }
    return b;
  }

  oneOf<T extends string>(f: string, values: readonly T[], dflt?: T): T {
    const v = this.o[f];
    if (v === undefined && dflt !== undefined) return dflt;
    if (typeof v !== 'string' || !values.includes(v as T)) throw new BadRequest(this.name(f), `expected one of ${values.join(', ')}`);
    return v as T;
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
