import { createHash } from 'node:crypto';
import { randomUUID } from 'node:crypto';
import { AUTH_LEVEL, AUTH_TYPE, PFC } from '../src/dcerpc/constants.js';
import { parsePdu } from '../src/dcerpc/pdu/parser.js';
import { encodeResponse } from '../src/dcerpc/pdu/serializer.js';
import type { ResponsePdu } from '../src/dcerpc/pdu/types.js';
import { emitFragments, verifyFragment, type FragmentSecurity } from '../src/dcerpc/protection.js';
import { StubAssembly } from '../src/dcerpc/reassembly.js';
import { ndrDecode, ndrEncode } from '../src/ndr/index.js';
import { IVssEnumObject } from '../src/interfaces/scmp/idl.js';
import { snapshotObject, VSS_SYSTEM_PROVIDER_ID } from '../src/interfaces/scmp/types.js';
import { silentLogger } from '../src/log.js';
import { Accounts, parseAccountSpec } from '../src/security/accounts.js';
import { DEFAULT_HOST_NAMES } from '../src/security/identity.js';
import { NtlmRpcClientContext } from '../src/security/ntlm/rpc.js';
import { RpcSecurity } from '../src/security/provider.js';
import type { PduProtection } from '../src/dcerpc/auth.js';
import { BENCH_ACCOUNT } from './full-poll.js';

/**
 * The work of one enumeration at privacy with no sockets and no event loop: both ends' code
 * run back to back in this process on the octets of IVssEnumObject::Next answers (64 shadow
 * copies each, named as bench/scmp-host.ts names them). It is what the enumeration figure
 * cannot go below with today's code on this machine, split by stage, so that figure can be
 * read: what the wire and the two processes add, and what each stage costs.
 */

const BATCH = 64;
const MAX_FRAG = 5840; // what our client and Windows negotiate

/** A client and a server NTLM context that completed a handshake with each other, in memory. */
function sessionPair(): { client: PduProtection; server: PduProtection } {
  const accounts = new Accounts(DEFAULT_HOST_NAMES, [parseAccountSpec(`${BENCH_ACCOUNT.user}:${BENCH_ACCOUNT.password}:admin`)]);
  const security = new RpcSecurity({ host: DEFAULT_HOST_NAMES, accounts, allowNtlmV1: false, allowAnonymous: false, spnego: false }, silentLogger);
  const server = security.newContext(AUTH_TYPE.winnt)!;
  const client = new NtlmRpcClientContext(BENCH_ACCOUNT);
  const negotiate = client.step(undefined).token;
  const challenge = server.step(negotiate!).token;
  const authenticate = client.step(challenge).token;
  const last = server.step(authenticate!);
  if (!last.done || last.rejected) throw new Error('the in-memory NTLM handshake failed');
  return { client, server };
}

function nextAnswer(first: number) {
  const volume = `\\\\?\\Volume{${randomUUID()}}\\`;
  const rgelt = Array.from({ length: BATCH }, (_, i) =>
    snapshotObject({
      m_SnapshotId: randomUUID(),
      m_SnapshotSetId: randomUUID(),
      m_lSnapshotsCount: 1,
      m_pwszSnapshotDeviceObject: `\\\\?\\GLOBALROOT\\Device\\HarddiskVolumeShadowCopy${first + i}`,
      m_pwszOriginalVolumeName: volume,
      m_pwszOriginatingMachine: DEFAULT_HOST_NAMES.dnsName,
      m_pwszServiceMachine: DEFAULT_HOST_NAMES.dnsName,
      m_pwszExposedName: null,
      m_pwszExposedPath: null,
      m_ProviderId: VSS_SYSTEM_PROVIDER_ID,
      m_lSnapshotAttributes: 0,
      m_tsCreationTimestamp: 133_000_000_000_000_000n + BigInt(i) * 36_000_000_000n,
      m_eStatus: 0x0c,
    }),
  );
  return { ORPCthat: { flags: 0, extensions: null }, rgelt, pceltFetched: BATCH, hr: 0 };
}

export interface EnumerationWork {
  what: string;
  octetsPer1000ShadowCopies: number;
  msPer1000ShadowCopies: { encode: number; seal: number; unseal: number; decode: number; total: number };
  sealAndUnsealMBps: number;
  /** node's OpenSSL MD5 over the same fragments, both sides: the native half of the cryptography's cost, as a reference. */
  nativeMd5MsPer1000ShadowCopies: number;
}

/**
 * Runs the four stages over `rounds` answers, each stage timed on its own; ms per 1,000
 * copies. A quarter as many rounds go first, untimed, so that the figure is of optimised
 * code, as the servers' figures are after their warm-up.
 */
export function enumerationWork(rounds = 400): EnumerationWork {
  measure(Math.max(1, rounds >> 2));
  return measure(rounds);
}

function measure(rounds: number): EnumerationWork {
  const { client, server } = sessionPair();
  const method = IVssEnumObject.methods.Next;
  const answers = Array.from({ length: 8 }, (_, i) => nextAnswer(1 + i * BATCH));
  const security: FragmentSecurity = { protection: server, authType: AUTH_TYPE.winnt, level: AUTH_LEVEL.pkt_privacy, contextId: 0 };
  const time = { encode: 0, seal: 0, unseal: 0, decode: 0, md5: 0 };
  let octets = 0;
  for (let r = 0; r < rounds; r++) {
    const out = answers[r % answers.length]!;
    let t = performance.now();
    const stub = ndrEncode(method.response, out, { celt: BATCH, ...out });
    time.encode += performance.now() - t;
    t = performance.now();
    const pdus: Buffer[] = [];
    emitFragments(
      stub,
      MAX_FRAG,
      false,
      security,
      (f, verifier) => encodeResponse({ callId: r + 1, flags: f.flags, allocHint: f.allocHint, contextId: 0, stub: f.chunk }, verifier),
      (pdu) => pdus.push(pdu),
    );
    time.seal += performance.now() - t;
    for (const p of pdus) octets += p.length;
    t = performance.now();
    for (const p of pdus) for (let side = 0; side < 2; side++) createHash('md5').update(p).digest();
    time.md5 += performance.now() - t;
    t = performance.now();
    const assembly = new StubAssembly();
    let whole: Buffer | undefined;
    for (const raw of pdus) {
      const pdu = parsePdu(raw) as ResponsePdu;
      if (!verifyFragment(client, AUTH_LEVEL.pkt_privacy, pdu)) throw new Error('a sealed fragment did not verify');
      assembly.push(pdu.stub);
      if (pdu.header.flags & PFC.LAST_FRAG) whole = assembly.take();
    }
    time.unseal += performance.now() - t;
    t = performance.now();
    const back = ndrDecode(method.response, whole!, true, { celt: BATCH });
    time.decode += performance.now() - t;
    if (back.pceltFetched !== BATCH) throw new Error('the answer did not decode');
  }
  const per1000 = (ms: number) => Number(((ms * 1000) / (rounds * BATCH)).toFixed(2));
  const ms = { encode: per1000(time.encode), seal: per1000(time.seal), unseal: per1000(time.unseal), decode: per1000(time.decode), total: 0 };
  ms.total = Number((ms.encode + ms.seal + ms.unseal + ms.decode).toFixed(2));
  return {
    what:
      'the same enumeration work with no sockets: IVssEnumObject::Next answers of 64 copies NDR-encoded, cut into 5,840-octet fragments and sealed (NTLM privacy: RC4 + HMAC-MD5) by the server code, unsealed, reassembled and decoded by the client code, one after the other in this process; ms per 1,000 shadow copies by stage',
    octetsPer1000ShadowCopies: Math.round((octets * 1000) / (rounds * BATCH)),
    msPer1000ShadowCopies: ms,
    sealAndUnsealMBps: Number(((2 * octets) / ((time.seal + time.unseal) * 1000)).toFixed(0)),
    nativeMd5MsPer1000ShadowCopies: per1000(time.md5),
  };
}
