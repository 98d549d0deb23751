/**
 * scmpd --capture, judged by an independent reader: scmpd records an impacket MS-SCMP session
 * at packet privacy and Samba's smbtorture (endpoint mapper sealed with SPNEGO, the OXID
 * resolver's ServerAlive2) into a pcapng and a keys file; once scmpd has stopped, tshark reads
 * the file with no malformed frame and no expert error, and with the password it decrypts the
 * sealed stubs (DCOM's ORPCTHIS and the endpoint mapper's towers are read in clear). The keys
 * file is the owner's only, one line per security context with its 32-hex key.
 *
 * Samba's client reaches the endpoint mapper on the well-known 135 without asking, so scmpd
 * listens on port 135 of an address of its own (127.0.0.136: the smbtorture test uses .135).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { runPython } from '../helpers/python.js';
import { requirePackage } from '../helpers/prerequisites.js';
import { dissectFrames, scmpdOn, smbtorture, type DissectedFrame, type ScmpdOnPort, type TortureRun } from '../helpers/smbtorture.js';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('./impacket_scmp.py', import.meta.url));
const ADDRESS = '127.0.0.136';
const PORT = 135;
const PASSWORD = 'Wonder-Land-1';
const dir = mkdtempSync(join(tmpdir(), 'scmp-capture-'));
const file = join(dir, 'scmpd.pcapng');
const keysFile = join(dir, 'keys.jsonl');
const decrypt = ['-o', `ntlmssp.nt_password:${PASSWORD}`];

let server: ScmpdOnPort;
let impacket: any;
let torture: TortureRun;
let frames: DissectedFrame[];

afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** tshark's values of `fields` in the frames matching `filter`, one line per frame (fields joined by ':'). */
async function fieldValues(filter: string, ...fields: string[]): Promise<string[]> {
  const { stdout } = await run('tshark', ['-r', file, '-d', `tcp.port==${server.objectPort},dcerpc`, ...decrypt, '-Y', filter, '-T', 'fields', '-E', 'occurrence=a', '-E', 'separator=:', ...fields.flatMap((f) => ['-e', f])], { maxBuffer: 64 << 20 });
  return stdout.split('\n').filter(Boolean);
}

beforeAll(async () => {
  requirePackage('tshark');
  server = await scmpdOn(ADDRESS, PORT, ['--account', `alice:${PASSWORD}:admin`, '--account', `Administrator:${PASSWORD}:admin`, '--capture', file, '--capture-keys', keysFile]);
  impacket = await runPython(SCRIPT, [ADDRESS, String(PORT), 'alice', PASSWORD]);
  torture = await smbtorture([`ncacn_ip_tcp:${ADDRESS}[seal,spnego]`, '-U', `Administrator%${PASSWORD}`, 'rpc.epmapper', 'rpc.oxidresolve.oxidresolver.ServerAlive2']);
  await server.stop(); // the capture is closed on the way out
  frames = await dissectFrames(file, [PORT, server.objectPort], decrypt);
}, 180_000);

test('both clients were served (the capture holds real sessions)', () => {
  expect(impacket.activated).toBe(true);
  expect(torture.results.get('oxidresolver.ServerAlive2')?.outcome).toBe('success');
  expect(torture.results.get('epmapper.Map_simple')?.outcome).toBe('success');
});

const bad = (f: DissectedFrame) => f.malformed || f.expertError;
const show = (fs: DissectedFrame[]) => fs.map((f) => `${f.frame} ${f.info}`);

test('without the password tshark reads the whole capture: no malformed frame and no expert error in any frame, both ports seen', async () => {
  const plain = await dissectFrames(file, [PORT, server.objectPort]);
  expect(plain.length).toBeGreaterThan(50);
  expect(show(plain.filter(bad))).toEqual([]);
  const ports = new Set(plain.map((f) => f.srcPort));
  expect(ports.has(PORT) && ports.has(server.objectPort)).toBe(true);
});

test('with the password: no malformed frame and no expert error where Wireshark decrypts (NTLM sessions; SPNEGO up to its first protected answer)', () => {
  // Each stream's security as its first authenticated PDU says.
  const auth = new Map<number, { type: number; level: number }>();
  for (const f of frames) if (f.authType !== undefined && f.authLevel !== undefined && !auth.has(f.stream)) auth.set(f.stream, { type: f.authType, level: f.authLevel });
  // Wireshark 4.0 runs no RC4 keystream over the sealed checksum of an SPNEGO-wrapped NTLMSSP
  // verifier, so it reads only the first protected message of each direction of a sealed
  // SPNEGO session (test/interop/smbtorture.test.ts says more); after that the check without
  // the password above is what holds.
  const sealedSpnego = (f: DissectedFrame) => auth.get(f.stream)?.type === 9 && auth.get(f.stream)?.level === 6;
  const firstProtected = new Map<number, number>();
  for (const f of frames) if (sealedSpnego(f) && f.pktTypes.includes(2) && !firstProtected.has(f.stream)) firstProtected.set(f.stream, f.frame);
  expect(firstProtected.size).toBeGreaterThan(0);
  expect([...auth.values()].some((a) => a.type === 10 && a.level === 6)).toBe(true);
  const checked = frames.filter((f) => !sealedSpnego(f) || f.frame <= firstProtected.get(f.stream)!);
  expect(checked.length).toBeGreaterThan(50);
  expect(show(checked.filter(bad))).toEqual([]);
});

test('decrypted with the password: the sealed MS-SCMP requests read in clear (ORPCTHIS 5.7 first), the endpoint mapper towers of the SPNEGO session too', async () => {
  const clear = (await fieldValues(`tcp.dstport==${server.objectPort} && dcerpc.pkt_type==0 && dcerpc.auth_level==6`, 'dcerpc.opnum', 'dcerpc.decrypted_stub_data')).filter((l) =>
    /^\d+:05000700/.test(l),
  );
  expect(clear.length).toBeGreaterThan(5);
  // IVssSnapshotMgmt's QueryVolumesSupportedForSnapshots (opnum 4) among them, and the enumerators' Next (3).
  const opnums = new Set(clear.map((l) => Number(l.split(':')[0])));
  expect(opnums.has(4) && opnums.has(3)).toBe(true);
  expect(frames.some((f) => f.authType === 9 && f.authLevel === 6 && f.annotations.length > 0)).toBe(true);
});

test('the TCP conversations are whole: every SYN answered, every conversation ended by FIN or RST, no lost segment', async () => {
  const syn = await fieldValues('tcp.flags.syn==1 && tcp.flags.ack==0', 'tcp.stream');
  const ended = new Set(await fieldValues('tcp.flags.fin==1 || tcp.flags.reset==1', 'tcp.stream'));
  expect(syn.length).toBeGreaterThan(3);
  for (const s of syn) expect(ended.has(s)).toBe(true);
  expect(await fieldValues('tcp.analysis.lost_segment || tcp.analysis.ack_lost_segment || tcp.analysis.retransmission', 'frame.number')).toEqual([]);
});

test('the keys file: mode 0600, one JSON line per NTLM security context with a 32-hex key, naming conversations of the capture', async () => {
  expect(statSync(keysFile).mode & 0o777).toBe(0o600);
  const lines = readFileSync(keysFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  // One AUTHENTICATE message per context established.
  const authenticates = (await fieldValues('ntlmssp.messagetype == 0x00000003', 'ntlmssp.messagetype')).length;
  expect(lines.length).toBe(authenticates);
  const conversations = new Set(await fieldValues('tcp.flags.syn==1 && tcp.flags.ack==0', 'ip.src', 'tcp.srcport'));
  for (const l of lines) {
    expect(l).toMatchObject({ exportedSessionKey: expect.stringMatching(/^[0-9a-f]{32}$/), negotiateFlags: expect.stringMatching(/^0x[0-9a-f]{8}$/), authLevel: 6 });
    expect([9, 10]).toContain(l.authType);
    expect(['epmap', 'object-exporter']).toContain(l.endpoint);
    expect(conversations.has(l.client)).toBe(true);
    expect(l.server).toBe(`${ADDRESS}:${l.endpoint === 'epmap' ? PORT : server.objectPort}`);
  }
  expect(new Set(lines.map((l) => l.authType))).toEqual(new Set([9, 10]));
});
