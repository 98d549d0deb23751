/**
 * Decoded values as a replay report prints them: HRESULTs and RPC statuses by name, GUIDs in
 * braces, bytes in hex, strings quoted; and a key under which any value can be remembered.
 */
import { statusHex, statusName } from '../status/index.js';

/** An HRESULT or RPC status: its name, then its number. */
export function showStatus(n: number): string {
  const name = statusName(n >>> 0);
  return name === undefined ? statusHex(n >>> 0) : `${name} (${statusHex(n >>> 0)})`;
}

export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Buffer.isBuffer(v) && !Array.isArray(v);
export const isGuid = (v: unknown): v is string => typeof v === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v);

/** A stable text for any decoded value (bigints and buffers included), for maps and equality. */
export function valueKey(v: unknown): string {
  if (typeof v === 'bigint') return `${v}n`;
  if (Buffer.isBuffer(v)) return `0x${v.toString('hex')}`;
  if (typeof v === 'string') return isGuid(v) ? `g:${v.toLowerCase()}` : JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(valueKey).join(',')}]`;
  if (isRecord(v)) return `{${Object.keys(v).sort().map((k) => `${k}:${valueKey(v[k])}`).join(',')}}`;
  return String(v);
}

const MAX_SHOWN = 200;

/** A value for a person: `status` true prints numbers as HRESULT / RPC status names. */
export function showValue(v: unknown, status = false): string {
  let s: string;
  if (v === undefined) s = '(absent)';
  else if (v === null) s = 'null';
  else if (typeof v === 'number' && status) s = showStatus(v);
  else if (typeof v === 'bigint' || typeof v === 'number' || typeof v === 'boolean') s = String(v);
  else if (isGuid(v)) s = `{${v.toUpperCase()}}`;
  else if (typeof v === 'string') s = JSON.stringify(v);
  else if (Buffer.isBuffer(v)) s = v.length === 0 ? '(0 octets)' : `0x${v.toString('hex')}`;
  else if (isRecord(v) && Buffer.isBuffer(v.abData)) s = `MInterfacePointer (${v.abData.length} octets)`;
  else if (Array.isArray(v)) s = `[${v.map((x) => showValue(x, status)).join(', ')}]`;
  else s = `{${Object.entries(v as Record<string, unknown>).map(([k, x]) => `${k}: ${showValue(x, status)}`).join(', ')}}`;
  return s.length > MAX_SHOWN ? `${s.slice(0, MAX_SHOWN)}…` : s;
}
