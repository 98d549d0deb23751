/**
 * A capture file → TCP conversations pushed to a StreamSink: the file reader, the link layer,
 * IP and TCP, reassembly. Never throws for what the file holds: every problem goes to the
 * sink, and the summary says whether reading stopped early.
 */
import { open } from 'node:fs/promises';
import { CaptureFileReader, type CapturedPacket } from './file-reader.js';
import { ipFromLink } from './link.js';
import { tcpFromIp } from './packet.js';
import { readSettings, type ReadSettings } from './read-settings.js';
import type { CaptureProblem, CaptureSummary, StreamSink } from './streams.js';
import { TcpReassembler } from './tcp-reassembly.js';

class Pipeline {
  readonly reader: CaptureFileReader;
  readonly tcp: TcpReassembler;
  skipped = 0;
  lastTimeNs = 0n;
  private problems = 0;
  private readonly sink: StreamSink;

  constructor(
    private readonly settings: ReadSettings,
    sink: StreamSink,
  ) {
    // Problems pass through one counter so that a file of nothing but bad packets stays bounded.
    this.sink = { ...bind(sink), problem: (p) => this.problem(sink, p) };
    this.reader = new CaptureFileReader(settings, { packet: (p) => this.packet(p), problem: (p) => this.sink.problem(p) });
    this.tcp = new TcpReassembler(settings, this.sink);
  }

  private problem(sink: StreamSink, p: CaptureProblem): void {
    const n = this.problems++;
    if (n < this.settings.maxProblems || p.fatal) sink.problem(p);
    else if (n === this.settings.maxProblems) {
      sink.problem({ message: `more than ${this.settings.maxProblems} problems (maxProblems): further ones are not reported`, packet: p.packet, fatal: false });
    }
  }

  private packet(p: CapturedPacket): void {
    this.lastTimeNs = p.timeNs;
    const link = ipFromLink(p.linkType, p.data);
    if ('skip' in link) {
      this.skipped++;
      return;
    }
    const r = tcpFromIp(link.ip);
    if ('skip' in r) {
      this.skipped++;
      if (r.malformed === true) this.sink.problem({ message: `packet skipped: ${r.skip}`, packet: p.number, offset: p.offset, fatal: false });
      return;
    }
    this.tcp.segment(r.segment, p.timeNs, p.number);
  }

  finish(): CaptureSummary {
    this.reader.finish();
    this.tcp.end(this.lastTimeNs);
    return {
      format: this.reader.format ?? 'pcap',
      packets: this.reader.packets,
      tcpConversations: this.tcp.opened,
      skippedPackets: this.skipped,
      truncated: this.reader.stopped,
    };
  }
}

function bind(s: StreamSink): StreamSink {
  return {
    open: (c, t) => s.open(c, t),
    data: (c, d, t, b) => s.data(c, d, t, b),
    gap: (c, d, t, m) => s.gap(c, d, t, m),
    close: (c, t, h) => s.close(c, t, h),
    problem: (p) => s.problem(p),
  };
}

/** Reads a capture held in memory (tests, small inputs). */
export function readCaptureBuffer(buf: Buffer, sink: StreamSink, settings?: Partial<ReadSettings>): CaptureSummary {
  const pipe = new Pipeline(readSettings(settings), sink);
  pipe.reader.feed(buf);
  return pipe.finish();
}

/**
 * Reads a capture file in chunks of `readChunkBytes`: at most one block is held besides what
 * reassembly keeps. A file that cannot be opened or read is the only thing that rejects.
 */
export async function readCaptureFile(path: string, sink: StreamSink, settings?: Partial<ReadSettings>): Promise<CaptureSummary> {
  const s = readSettings(settings);
  const pipe = new Pipeline(s, sink);
  const fh = await open(path, 'r');
  try {
    while (!pipe.reader.stopped) {
      // A fresh buffer each time: packets handed on may point into it.
      const chunk = Buffer.allocUnsafe(s.readChunkBytes);
      const { bytesRead } = await fh.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      pipe.reader.feed(chunk.subarray(0, bytesRead));
    }
  } finally {
    await fh.close();
  }
  return pipe.finish();
}
