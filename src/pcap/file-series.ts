/**
 * A numbered series of capture files written behind the server's back: appending only queues
 * (the server never waits on the disk), a queue that outgrows its bound or a failed write
 * stops the capture with one warning, and every file starts with the same header so each
 * opens alone. Sizes are decided when a block is queued, so no file ever exceeds its bound.
 */
import { promises as fsp } from 'node:fs';
import { close, closeSync, fchmod, fchmodSync, lstatSync, open, openSync, unlinkSync, write, type Stats } from 'node:fs';
import { promisify } from 'node:util';

const writeAsync = promisify(write);
const openAsync = promisify(open);
const closeAsync = promisify(close);

/** The part of a logger the capture writes to (src/pcap imports nothing from the layers above). */
export interface CaptureLog {
  warn(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
}

export interface SeriesLimits {
  /** A file is closed and the next begun before it would pass this size. */
  readonly maxFileBytes: number;
  /** All files together: capture stops before passing it. */
  readonly totalBytes: number;
  /** Bytes queued for the disk and not yet written: beyond it, capture stops. */
  readonly maxQueueBytes: number;
}

/** The n-th file of the series (0 is the name given): capture.pcapng, capture.1.pcapng, capture.2.pcapng … */
export function seriesFileName(path: string, n: number): string {
  if (n === 0) return path;
  const slash = path.lastIndexOf('/');
  const dot = path.lastIndexOf('.');
  return dot > slash + 1 ? `${path.slice(0, dot)}.${n}${path.slice(dot)}` : `${path}.${n}`;
}

/** Writes all of `buf` at the file's current position. */
async function writeAll(fd: number, buf: Buffer): Promise<void> {
  let off = 0;
  while (off < buf.length) off += (await writeAsync(fd, buf, off, buf.length - off)).bytesWritten;
}

/**
 * Opens `path` fresh for its owner only: a regular file already there is replaced (so it never
 * keeps a looser mode); anything else (a pipe, /dev/stdout) is written as it is, untouched.
 */
export function openFreshSync(path: string): number {
  let existing: Stats | undefined;
  try {
    existing = lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (existing && !existing.isFile()) return openSync(path, 'w');
  if (existing) unlinkSync(path);
  const fd = openSync(path, 'wx', 0o600);
  fchmodSync(fd, 0o600); // the umask can only narrow it; this says it outright
  return fd;
}

/** openFreshSync without blocking the event loop (the next file of a series is opened while serving). */
async function openFresh(path: string): Promise<number> {
  const existing = await fsp.lstat(path).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw e;
  });
  if (existing && !existing.isFile()) return openAsync(path, 'w');
  if (existing) await fsp.unlink(path);
  const fd = await openAsync(path, 'wx', 0o600);
  await promisify(fchmod)(fd, 0o600);
  return fd;
}

type Op = { kind: 'data'; buf: Buffer } | { kind: 'next'; path: string };

/** Writes coalesced up to this many bytes at a time (fewer system calls under load). */
const COALESCE_BYTES = 1 << 20;
/**
 * How long queued blocks wait for company before they are written: one write per call would
 * wake a thread-pool thread per call and cost the server a third of its small calls per
 * second (npm run bench, `capture`); bytes this old at most are lost to a crash.
 */
const FLUSH_DELAY_MS = 20;
/** Queued bytes that are written at once, without waiting for the delay. */
const FLUSH_NOW_BYTES = 256 * 1024;

export class FileSeries {
  readonly files: string[] = [];
  private fd: number | undefined;
  private readonly queue: Op[] = [];
  private queuedBytes = 0;
  private fileBytes = 0;
  private totalBytes = 0;
  private pumping: Promise<void> | undefined;
  private stopped = false;
  private failed = false;
  /** Ends the pump's wait early (enough queued, or closing). */
  private kick: (() => void) | undefined;

  /**
   * Opens the first file at once (a path that cannot be written is an error for the caller);
   * `header` begins every file (empty for a log that is not a capture).
   */
  constructor(
    private readonly path: string,
    private readonly limits: SeriesLimits,
    private readonly header: Buffer,
    private readonly log: CaptureLog,
    private readonly what = 'capture',
  ) {
    this.fd = openFreshSync(path);
    this.files.push(path);
    this.fileBytes = this.totalBytes = header.length;
    if (header.length) this.push({ kind: 'data', buf: header }, header.length);
  }

  /** Whether capture has stopped (cap reached, queue overflow, write error, closed). */
  get active(): boolean {
    return !this.stopped;
  }

  /** Bytes accounted to the files so far (written or queued). */
  get bytes(): number {
    return this.totalBytes;
  }

  /** Queues `blocks` (kept in one file together); false when capture has stopped. */
  append(...blocks: Buffer[]): boolean {
    if (this.stopped) return false;
    const len = blocks.reduce((n, b) => n + b.length, 0);
    if (this.fileBytes + len > this.limits.maxFileBytes && this.fileBytes > this.header.length) {
      if (this.totalBytes + this.header.length + len > this.limits.totalBytes) return this.capReached();
      const path = seriesFileName(this.path, this.files.length);
      this.files.push(path);
      this.push({ kind: 'next', path }, 0);
      this.push({ kind: 'data', buf: this.header }, this.header.length);
      this.fileBytes = this.header.length;
      this.totalBytes += this.header.length;
    }
    if (this.totalBytes + len > this.limits.totalBytes) return this.capReached();
    if (this.queuedBytes + len > this.limits.maxQueueBytes) {
      this.fail('the disk does not keep up: the write queue is full', { maxQueueBytes: this.limits.maxQueueBytes });
      return false;
    }
    for (const buf of blocks) this.push({ kind: 'data', buf }, buf.length);
    this.fileBytes += len;
    this.totalBytes += len;
    return true;
  }

  /** Writes what is queued, then closes the file. */
  async close(): Promise<void> {
    this.stopped = true;
    this.kick?.();
    while (this.pumping) await this.pumping;
    this.closeFd();
  }

  private capReached(): false {
    this.log.warn(`${this.what} stopped: its total size limit is reached`, { totalBytes: this.limits.totalBytes, files: this.files.length });
    this.stopped = true; // what is queued is still written
    return false;
  }

  private fail(why: string, fields: Record<string, unknown> = {}): void {
    if (!this.failed) this.log.warn(`${this.what} stopped: ${why}; the server goes on`, { file: this.files[this.files.length - 1], ...fields });
    this.failed = this.stopped = true;
    this.queue.length = 0;
    this.queuedBytes = 0;
  }

  private push(op: Op, bytes: number): void {
    this.queue.push(op);
    this.queuedBytes += bytes;
    if (!this.pumping) this.pumping = this.pump().finally(() => (this.pumping = undefined));
    else if (this.queuedBytes >= FLUSH_NOW_BYTES) this.kick?.();
  }

  private async pump(): Promise<void> {
    // Wait a little (or until enough is queued): the blocks queued meanwhile go out in one write.
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, this.stopped ? 0 : FLUSH_DELAY_MS);
      this.kick = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.kick = undefined;
    try {
      while (this.queue.length) {
        const op = this.queue[0]!;
        if (op.kind === 'next') {
          this.queue.shift();
          const old = this.fd;
          this.fd = undefined;
          if (old !== undefined) await closeAsync(old);
          this.fd = await openFresh(op.path);
          continue;
        }
        const bufs: Buffer[] = [];
        let n = 0;
        while (this.queue.length && this.queue[0]!.kind === 'data' && n < COALESCE_BYTES) {
          const b = (this.queue.shift() as { buf: Buffer }).buf;
          bufs.push(b);
          n += b.length;
        }
        if (this.fd === undefined) return;
        await writeAll(this.fd, bufs.length === 1 ? bufs[0]! : Buffer.concat(bufs, n));
        this.queuedBytes -= n;
      }
    } catch (e) {
      this.fail(`writing failed (${(e as Error).message})`);
      this.closeFd();
    }
  }

  private closeFd(): void {
    if (this.fd === undefined) return;
    try {
      closeSync(this.fd);
    } catch {
      // Closing a file whose writes failed may fail again: nothing more to say.
    }
    this.fd = undefined;
  }
}
