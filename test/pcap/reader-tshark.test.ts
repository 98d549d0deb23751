/**
 * tshark as the independent judge: real captures it made (test/pcap/fixtures/make.sh) read by
 * readCaptureFile, in small chunks, give the streams, endpoints and times tshark itself gives.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { readCaptureFile } from '../../src/pcap/read-capture.js';
import { requirePackage } from '../helpers/prerequisites.js';
import { RecordingSink } from './fixtures/build.js';

const run = promisify(execFile);
const fixture = (f: string) => fileURLToPath(new URL(`./fixtures/${f}`, import.meta.url));

interface Judged {
  client: string;
  server: string;
  toServer: string;
  toClient: string;
  firstTimeNs: bigint;
}

const node = (s: string) => s.replace(/^\[(.*)\]:(\d+)$/, '$1:$2');

async function tsharkStreams(file: string): Promise<Judged[]> {
  requirePackage('tshark');
  const { stdout: fields } = await run('tshark', ['-r', file, '-T', 'fields', '-e', 'tcp.stream', '-e', 'frame.time_epoch']);
  const first = new Map<number, bigint>();
  for (const line of fields.trim().split('\n')) {
    const [stream, time] = line.split('\t') as [string, string];
    const [sec, frac = ''] = time.split('.');
    if (!first.has(Number(stream))) first.set(Number(stream), BigInt(sec!) * 1_000_000_000n + BigInt(frac.padEnd(9, '0').slice(0, 9)));
  }
  const out: Judged[] = [];
  for (const [stream, firstTimeNs] of [...first].sort((a, b) => a[0] - b[0])) {
    const { stdout } = await run('tshark', ['-r', file, '-q', '-z', `follow,tcp,raw,${stream}`]);
    const lines = stdout.split('\n');
    const n0 = lines.find((l) => l.startsWith('Node 0: '))!.slice(8);
    const n1 = lines.find((l) => l.startsWith('Node 1: '))!.slice(8);
    let toServer = '';
    let toClient = '';
    for (const l of lines.slice(lines.findIndex((x) => x.startsWith('Node 1: ')) + 1)) {
      if (l.startsWith('====') || l === '') continue;
      if (l.startsWith('\t')) toClient += Buffer.from(l.trim(), 'hex').toString('latin1');
      else toServer += Buffer.from(l, 'hex').toString('latin1');
    }
    out.push({ client: node(n0), server: node(n1), toServer, toClient, firstTimeNs });
  }
  return out;
}

const cases: [string, string, number][] = [
  ['lo-ipv4.pcapng', 'pcapng, Ethernet, IPv4, nanosecond timestamps', 1],
  ['lo-ipv4.pcap', 'pcap (editcap -F pcap), microseconds', 1],
  ['lo-ipv4-ns.pcap', 'pcap (editcap -F nsecpcap), nanoseconds', 1],
  ['lo-ipv6.pcapng', 'pcapng, Ethernet, IPv6', 1],
  ['any-sll.pcapng', 'pcapng, Linux cooked SLL', 1],
  ['any-sll.pcap', 'pcap, Linux cooked SLL', 1],
  ['any-sll2.pcapng', 'pcapng, Linux cooked SLL2', 1],
  ['merged.pcapng', 'mergecap: two interfaces (Ethernet and SLL2), IPv6 and IPv4', 2],
];

describe('captures made by tshark read as tshark reads them', () => {
  for (const [file, what, streams] of cases) {
    it(`${file}: ${what}`, async () => {
      const judged = await tsharkStreams(fixture(file));
      expect(judged).toHaveLength(streams);
      const sink = new RecordingSink();
      // Tiny chunks: every block crosses chunk boundaries.
      const summary = await readCaptureFile(fixture(file), sink, { readChunkBytes: 61 });
      expect(summary).toMatchObject({ format: file.endsWith('.pcapng') ? 'pcapng' : 'pcap', tcpConversations: streams, skippedPackets: 0, truncated: false });
      expect(sink.problems()).toEqual([]);
      const opens = sink.of('open') as { id: number; client: string; server: string; sawSyn: boolean; time: bigint }[];
      expect(opens).toHaveLength(streams);
      judged.forEach((j, i) => {
        const o = opens[i]!;
        expect({ client: o.client, server: o.server, sawSyn: o.sawSyn, time: o.time }).toEqual({ client: j.client, server: j.server, sawSyn: true, time: j.firstTimeNs });
        expect(sink.stream(o.id, 'toServer')).toBe(j.toServer);
        expect(sink.stream(o.id, 'toClient')).toBe(j.toClient);
        expect(j.toServer).toBe('hello' + 'x'.repeat(600) + 'world');
      });
      expect(sink.of('close').map((c) => (c as { how: string }).how)).toEqual(Array(streams).fill('fin'));
    });
  }
});
