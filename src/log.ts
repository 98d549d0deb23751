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
    // time, level and msg are the logger's own: a caller's field of the same name (an
    // authentication level, say) must not pass for the line's level.
    const line: Record<string, unknown> = { time: '', level: lv, msg, ...named(fields) };
    line.time = new Date().toISOString();
    line.level = lv;
    line.msg = msg;
    sink(JSON.stringify(line));
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

/** How many lines one message may log for one source in one window (a named setting of the server). */
export interface LogRateLimit {
  /** Lines of one message from one source per window; the rest are counted, not written. */
  logLinesPerSource: number;
  /** The window, in milliseconds. */
  logRateWindowMs: number;
}

export const DEFAULT_LOG_RATE_LIMIT: Readonly<LogRateLimit> = { logLinesPerSource: 10, logRateWindowMs: 60_000 };

/** Sources tracked at once; past it, new sources share one budget (memory stays bounded). */
const MAX_TRACKED = 4096;

interface Window {
  start: number;
  count: number;
  suppressed: number;
  level: LogLevel;
}

/**
 * Log lines caused by peers nobody has authenticated, limited per message and source: a
 * peer that repeats a bad request a thousand times a second writes `logLinesPerSource`
 * lines a window, then one "log lines suppressed" line with the count when the next
 * window opens (or at flush, when the server stops).
 */
export class RateLimitedLog {
  private readonly windows = new Map<string, Window>();

  constructor(
    readonly log: Logger,
    private readonly limit: LogRateLimit = DEFAULT_LOG_RATE_LIMIT,
    private readonly now: () => number = Date.now,
  ) {}

  line(level: LogLevel, msg: string, source: string, fields?: Record<string, unknown>): void {
    if (!this.log.enabled(level)) return;
    const t = this.now();
    let key = `${msg}\u0000${source}`;
    let w = this.windows.get(key);
    if (!w && this.windows.size >= MAX_TRACKED) {
      this.sweep(t);
      if (this.windows.size >= MAX_TRACKED) {
        key = `${msg}\u0000*`;
        w = this.windows.get(key);
      }
    }
    if (w && t - w.start >= this.limit.logRateWindowMs) {
      this.report(key, w);
      w = undefined;
    }
    if (!w) {
      w = { start: t, count: 0, suppressed: 0, level };
      this.windows.set(key, w);
    }
    if (w.count < this.limit.logLinesPerSource) {
      w.count++;
      this.log[level](msg, { ...fields, source });
    } else {
      w.suppressed++;
    }
  }

  /** Writes the pending "suppressed" counts (at stop). */
  flush(): void {
    for (const [k, w] of this.windows) this.report(k, w);
    this.windows.clear();
  }

  private sweep(t: number): void {
    for (const [k, w] of this.windows) {
      if (t - w.start >= this.limit.logRateWindowMs) {
        this.report(k, w);
        this.windows.delete(k);
      }
    }
  }

  private report(key: string, w: Window): void {
    if (w.suppressed === 0) return;
    const [msg, source] = key.split('\u0000');
    this.log[w.level]('log lines suppressed', { of: msg, source, suppressed: w.suppressed, windowMs: this.limit.logRateWindowMs });
    w.suppressed = 0;
  }
}
