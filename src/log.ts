/**
 * Structured logging: one JSON object per line on stderr, so stdout carries only what a
 * user or a supervisor reads (the ready line). A status given as a number in a field named
 * in STATUS_FIELDS is written with its spec name ("0x80042308 VSS_E_OBJECT_NOT_FOUND"), so
 * a reader never looks an HRESULT up.
 */
import { formatStatus } from './status/index.js';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

export interface Logger {
  readonly level: LogLevel;
  error(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  debug(msg: string, fields?: Record<string, unknown>): void;
  enabled(level: LogLevel): boolean;
}

/** Fields that hold an HRESULT, a fault status or an RPC status when they hold a number. */
export const STATUS_FIELDS: readonly string[] = ['hresult', 'fault', 'hr'];

function named(fields: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!fields || !STATUS_FIELDS.some((k) => typeof fields[k] === 'number')) return fields;
  const out = { ...fields };
  for (const k of STATUS_FIELDS) if (typeof out[k] === 'number') out[k] = formatStatus(out[k]);
  return out;
}

export function isLogLevel(s: string): s is LogLevel {
  return s in RANK;
}

export function createLogger(level: LogLevel = 'info', sink: (line: string) => void = (l) => process.stderr.write(l + '\n')): Logger {
  const emit = (lv: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (RANK[lv] > RANK[level]) return;
    sink(JSON.stringify({ time: new Date().toISOString(), level: lv, msg, ...named(fields) }));
  };
  return {
    level,
    error: (m, f) => emit('error', m, f),
    warn: (m, f) => emit('warn', m, f),
    info: (m, f) => emit('info', m, f),
    debug: (m, f) => emit('debug', m, f),
    enabled: (lv) => RANK[lv] <= RANK[level],
  };
}

export const silentLogger: Logger = createLogger('error', () => {});
