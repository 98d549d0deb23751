/**
 * Structured logging: one JSON object per line on stderr, so stdout carries only what a
 * user or a supervisor reads (the ready line).
 */
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

export function isLogLevel(s: string): s is LogLevel {
  return s in RANK;
}

export function createLogger(level: LogLevel = 'info', sink: (line: string) => void = (l) => process.stderr.write(l + '\n')): Logger {
  const emit = (lv: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (RANK[lv] > RANK[level]) return;
    sink(JSON.stringify({ time: new Date().toISOString(), level: lv, msg, ...fields }));
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
