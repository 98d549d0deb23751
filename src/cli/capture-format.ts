/**
 * `scmp capture show`'s output: each decoded call as a few readable lines (time, connection,
 * Interface::Method, protection; then every argument and result by its IDL field name), or
 * as one JSON object per line for machines. Values are what the NDR decoders return:
 * numbers, bigints, strings (GUIDs among them), Buffers, arrays and records.
 */
import type { DecodedCall } from '../capture/calls.js';

/** Bytes shown in full up to this many; longer ones are cut with their length said. */
const SHOWN_BYTES = 64;
/** Array elements shown before "… N more". */
const SHOWN_ELEMENTS = 50;
const GUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A time in nanoseconds since the epoch as UTC, to the microsecond: 2026-11-30 01:02:03.456789. */
export function formatTime(ns: bigint | undefined): string {
  if (ns === undefined) return '-';
  const ms = Number(ns / 1_000_000n);
  const micro = String((ns / 1000n) % 1_000_000n).padStart(6, '0');
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}.${micro}`;
}

/** A string as written, in double quotes: only quotes, backslashes before them and control characters escaped. */
function quoted(s: string): string {
  const escaped = s.replace(/["\x00-\x1f\x7f]/g, (c) => (c === '"' ? '\\"' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
  return `"${escaped}"`;
}

function hex(b: Uint8Array): string {
  const shown = Buffer.from(b.subarray(0, SHOWN_BYTES)).toString('hex');
  return b.length > SHOWN_BYTES ? `${shown}… (${b.length} bytes)` : b.length === 0 ? '(0 bytes)' : shown;
}

function scalar(v: unknown): string | undefined {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return Number.isInteger(v) && (v > 9 || v < -9) ? `${v} (0x${(v >>> 0).toString(16)})` : String(v);
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return GUID_TEXT.test(v) ? `{${v}}` : quoted(v);
  if (v instanceof Uint8Array) return hex(v);
  return undefined;
}

/**
 * ORPCTHIS / ORPCTHAT without extensions on one line: every DCOM call carries them, and
 * their fields say little unless something is unusual (then they are printed in full).
 */
function orpcLine(name: string, v: unknown): string | undefined {
  if (v === null || typeof v !== 'object') return undefined;
  const o = v as { version?: { MajorVersion: number; MinorVersion: number }; flags?: number; cid?: string; extensions?: unknown };
  if (o.extensions !== null || typeof o.flags !== 'number') return undefined;
  if (name === 'ORPCthis' && o.version && typeof o.cid === 'string') return `COM ${o.version.MajorVersion}.${o.version.MinorVersion}, flags 0x${o.flags.toString(16)}, cid {${o.cid}}`;
  if (name === 'ORPCthat') return `flags 0x${o.flags.toString(16)}`;
  return undefined;
}

/** `name: value` lines for a decoded value, nested records and arrays indented. */
export function valueLines(name: string, v: unknown, indent: string, out: string[], depth = 0): void {
  const s = scalar(v) ?? orpcLine(name, v);
  if (s !== undefined) {
    out.push(`${indent}${name}: ${s}`);
    return;
  }
  if (depth > 24) {
    out.push(`${indent}${name}: …`);
    return;
  }
  if (Array.isArray(v)) {
    if (v.length === 0) {
      out.push(`${indent}${name}: []`);
      return;
    }
    out.push(`${indent}${name}: [${v.length}]`);
    v.slice(0, SHOWN_ELEMENTS).forEach((e, i) => valueLines(`[${i}]`, e, `${indent}  `, out, depth + 1));
    if (v.length > SHOWN_ELEMENTS) out.push(`${indent}  … ${v.length - SHOWN_ELEMENTS} more`);
    return;
  }
  const entries = Object.entries(v as Record<string, unknown>);
  if (entries.length === 0) {
    out.push(`${indent}${name}: {}`);
    return;
  }
  out.push(`${indent}${name}:`);
  for (const [k, e] of entries) valueLines(k, e, `${indent}  `, out, depth + 1);
}

function argsLines(arrow: string, v: unknown, out: string[]): void {
  if (v === undefined) return;
  if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof Uint8Array) {
    valueLines(arrow, v, '  ', out);
    return;
  }
  const entries = Object.entries(v as Record<string, unknown>);
  if (entries.length === 0) out.push(`  ${arrow} (no arguments)`);
  // Every argument indented under the arrow; the arrow marks the first line only.
  const first = out.length;
  for (const [k, e] of entries) valueLines(k, e, '     ', out);
  if (out.length > first) out[first] = `  ${arrow} ${out[first]!.slice(5)}`;
}

/** What a call is, in one heading: Interface::Method, or what is known of it. */
export function callName(c: DecodedCall): string {
  const iface = c.interface?.name ?? c.objectInterface ?? (c.interface ? c.interface.uuid : `context ${c.contextId}`);
  return `${iface}::${c.method ?? `opnum ${c.opnum}`}`;
}

const PROTECTION_TEXT: Record<DecodedCall['protection'], string> = {
  none: '',
  verified: 'signed, verified',
  decrypted: 'sealed, decrypted',
  'no-key': 'protected, no key (give --password, -hashes or --keys)',
  'bad-key': 'protected, the key does not verify (wrong password?)',
};

/** A call as text: a heading line, then its request (→) and response (←). */
export function formatCall(c: DecodedCall, n: number): string {
  const out: string[] = [];
  const prot = PROTECTION_TEXT[c.protection];
  out.push(`#${n} ${formatTime(c.requestTimeNs ?? c.responseTimeNs)} conn ${c.conversation} ${c.client} -> ${c.server} call ${c.callId}  ${callName(c)}${prot ? `  [${prot}]` : ''}`);
  if (c.object) out.push(`  object {${c.object}}${c.objectInterface && c.objectInterface !== c.interface?.name ? ` (${c.objectInterface})` : ''}`);
  if (c.requestError) out.push(`  -> not decoded: ${c.requestError}`);
  else argsLines('->', c.request, out);
  if (c.fault) out.push(`  <- fault ${formatHex(c.fault.status)} ${c.fault.name}`);
  else if (c.responseError) out.push(`  <- not decoded: ${c.responseError}`);
  else if (c.response === undefined) out.push('  <- (no response in the capture)');
  else argsLines('<-', c.response, out);
  if (c.status) out.push(`  = ${formatHex(c.status.value)} ${c.status.name}`);
  for (const note of c.notes ?? []) out.push(`  note: ${note}`);
  return `${out.join('\n')}\n`;
}

const formatHex = (n: number) => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

/** JSON for a decoded value: bigints as exact numbers, Buffers as hex, GUIDs as they are. */
function jsonValue(v: unknown): unknown {
  if (typeof v === 'bigint') return { $bigint: v.toString() };
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  if (Array.isArray(v)) return v.map(jsonValue);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, e]) => [k, jsonValue(e)]));
  return v;
}

/** One call as one line of JSON (bigints written as exact JSON numbers). */
export function callJson(c: DecodedCall): string {
  const record = {
    conversation: c.conversation,
    client: c.client,
    server: c.server,
    callId: c.callId,
    requestTime: c.requestTimeNs === undefined ? null : formatIso(c.requestTimeNs),
    responseTime: c.responseTimeNs === undefined ? null : formatIso(c.responseTimeNs),
    contextId: c.contextId,
    interface: c.interface ?? null,
    object: c.object ?? null,
    objectInterface: c.objectInterface ?? null,
    opnum: c.opnum,
    method: c.method ?? null,
    authType: c.authType ?? null,
    authLevel: c.authLevel ?? null,
    protection: c.protection,
    request: c.request === undefined ? null : jsonValue(c.request),
    ...(c.requestError ? { requestError: c.requestError } : {}),
    response: c.response === undefined ? null : jsonValue(c.response),
    ...(c.responseError ? { responseError: c.responseError } : {}),
    fault: c.fault ?? null,
    status: c.status ?? null,
    notes: c.notes ?? [],
  };
  return `${JSON.stringify(record).replace(/\{"\$bigint":"(-?\d+)"\}/g, '$1')}\n`;
}

/** ISO 8601 UTC with nanoseconds: 2026-11-30T01:02:03.456789123Z. */
function formatIso(ns: bigint): string {
  const iso = new Date(Number(ns / 1_000_000n)).toISOString();
  return `${iso.slice(0, 19)}.${String(((ns % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n).padStart(9, '0')}Z`;
}

/**
 * --filter: a comma-separated list of Interface, Method or Interface::Method, matched
 * without regard to case; a call matches when any entry does.
 */
export function callFilter(spec: string | undefined): (c: DecodedCall) => boolean {
  if (spec === undefined) return () => true;
  const wanted = spec
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '');
  return (c) => {
    const iface = (c.interface?.name ?? c.objectInterface ?? '').toLowerCase();
    const method = (c.method ?? '').toLowerCase();
    return wanted.some((w) => {
      const [i, m] = w.includes('::') ? w.split('::') : [undefined, undefined];
      if (i !== undefined) return i === iface && m === method;
      return w === iface || w === method || w === (c.objectInterface ?? '').toLowerCase();
    });
  };
}
