import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll } from 'vitest';
import { requirePackage } from './prerequisites.js';

const run = promisify(execFile);

export interface Capture {
  file: string;
  stop(): Promise<void>;
}

/** Capture folders of the test file that imports this helper, removed when the file ends. */
const folders: string[] = [];
afterAll(() => {
  for (const d of folders.splice(0)) rmSync(d, { recursive: true, force: true });
});

/**
 * Captures loopback traffic to and from the server's `ports` on `host` with tshark (needs root
 * or capture rights). The filter names the server's end of each connection — address and port
 * together, in each direction — because tests run side by side: another test's client on
 * 127.77.x.y once took one of these port numbers as its source port, and a filter on ports
 * alone put its calls in this capture.
 */
export async function startCapture(ports: number[], host = '127.0.0.1'): Promise<Capture> {
  requirePackage('tshark');
  const dir = mkdtempSync(join(tmpdir(), 'scmp-cap-'));
  folders.push(dir);
  const file = join(dir, 'capture.pcapng');
  const filter = ports.map((p) => `(src host ${host} and tcp src port ${p}) or (dst host ${host} and tcp dst port ${p})`).join(' or ');
  const p = spawn('tshark', ['-i', 'lo', '-f', filter, '-w', file, '-q'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tshark did not start capturing within 15 s: ${err.trim() || 'it wrote nothing'}`)), 15_000);
    p.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('Capturing on')) {
        clearTimeout(timer);
        // dumpcap announces itself a moment before its filter is live on the interface.
        setTimeout(resolve, 1000);
      }
    });
    p.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`tshark could not be started: ${e.message}`));
    });
    p.on('exit', (code) => {
      clearTimeout(timer);
      // Capturing needs root or dumpcap's capabilities; say so in one line, not tshark's page.
      const denied = /permission|not permitted|don't have/i.test(err);
      reject(
        new Error(
          denied
            ? `tshark cannot capture on the loopback interface (${err.trim().split('\n')[0]}): run the tests as root, or give dumpcap capture rights with \`sudo dpkg-reconfigure wireshark-common\` and \`sudo usermod -aG wireshark $USER\``
            : `tshark exited (${code}) before capturing: ${err.trim()}`,
        ),
      );
    });
  });
  return {
    file,
    stop: async () => {
      // Let the last segments reach the capture before stopping it.
      await new Promise((r) => setTimeout(r, 300));
      const exited = new Promise<void>((resolve) => p.once('exit', () => resolve()));
      p.kill('SIGINT');
      await exited;
    },
  };
}

export interface Dissection {
  /** `tshark -q -z expert` output. */
  expert: string;
  /** One line per frame, as tshark summarises it. */
  summary: string[];
  malformed: number;
  errors: number;
  /** Source TCP port of each malformed frame (to tell our frames from a peer's). */
  malformedFrom: number[];
}

/** Reads a capture back, decoding `ports` as DCE/RPC. */
export async function dissect(file: string, ports: number[], extra: string[] = []): Promise<Dissection> {
  requirePackage('tshark');
  const decodeAs = ports.flatMap((p) => ['-d', `tcp.port==${p},dcerpc`]);
  const expert = (await run('tshark', ['-r', file, ...decodeAs, ...extra, '-q', '-z', 'expert'], { maxBuffer: 64 << 20 })).stdout;
  const summary = (await run('tshark', ['-r', file, ...decodeAs, ...extra], { maxBuffer: 64 << 20 })).stdout.split('\n').filter(Boolean);
  const malformed = summary.filter((l) => /malformed/i.test(l)).length + (expert.match(/Malformed/gi)?.length ?? 0);
  const m = expert.match(/^Errors \((\d+)\)/m);
  const fields = (
    await run('tshark', ['-r', file, ...decodeAs, ...extra, '-Y', '_ws.malformed', '-T', 'fields', '-e', 'tcp.srcport'], { maxBuffer: 64 << 20 })
  ).stdout;
  const malformedFrom = fields.split('\n').filter(Boolean).map(Number);
  return { expert, summary, malformed, errors: m ? Number(m[1]) : 0, malformedFrom };
}
