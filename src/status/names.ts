/**
 * Number → name for every status in codes.ts, for logs, error texts, the CLI and (later)
 * the capture decoder. Built from the module's exports, so a constant cannot be left out.
 */
import * as codes from './codes.js';

/**
 * Names that share their number with another, preferred one: the preferred name is what
 * statusName answers. Each is a spec's own second name for the same status.
 */
export const ALIASES: Readonly<Record<string, string>> = {
  RPC_S_OK: 'S_OK',
  RPC_S_ACCESS_DENIED: 'ERROR_ACCESS_DENIED',
};

const NAMES: ReadonlyMap<number, string> = (() => {
  const m = new Map<number, string>();
  for (const [name, value] of Object.entries(codes)) {
    if (name in ALIASES) continue;
    if (m.has(value)) throw new Error(`status 0x${hex32(value)}: ${m.get(value)} and ${name} (declare one an alias)`);
    m.set(value, name);
  }
  return m;
})();

function hex32(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

/** The spec name of a status (an HRESULT, a Win32 or RPC status, a DCE status), if known. */
export function statusName(n: number): string | undefined {
  return NAMES.get(n >>> 0);
}

/** A status as MS-ERREF prints it: 0x and 8 lower-case hex digits. */
export function statusHex(n: number): string {
  return `0x${hex32(n)}`;
}

/** "0x80042308 VSS_E_OBJECT_NOT_FOUND", or the number alone when it has no name here. */
export function formatStatus(n: number): string {
  const name = statusName(n);
  return name === undefined ? statusHex(n) : `${statusHex(n)} ${name}`;
}

/** Every named status, number → preferred name. */
export function statusTable(): ReadonlyMap<number, string> {
  return NAMES;
}
