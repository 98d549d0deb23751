import { writeFileSync } from 'node:fs';
import { compileBenchC, defaultCompiler, runJson } from './loadgen.js';
import { encodeActivationPropertiesIn } from '../src/dcom/activation/blob.js';
import { AUTH_LEVEL, AUTH_TYPE, NDR20_SYNTAX } from '../src/dcerpc/constants.js';
import { encodeBind } from '../src/dcerpc/pdu/serializer.js';
import { SEC_VT_COMMAND, encodeVerificationTrailer, header2Of } from '../src/dcerpc/pdu/verification-trailer.js';
import { syntaxOf } from '../src/client/rpc-client.js';
import { newOrpcThis } from '../src/client/activation.js';
import { ndrEncode } from '../src/ndr/index.js';
import { guidBytes } from '../src/ndr/guid.js';
import { IRemUnknown } from '../src/interfaces/remunknown/idl.js';
import { IRemoteSCMActivator } from '../src/interfaces/scm/idl.js';
import { CLSID_ShadowCopyProvider, IID_IVssSnapshotMgmt } from '../src/interfaces/scmp/class.js';
import type { InterfaceDecl, MethodDecl } from '../src/dcerpc/interface.js';
import { NtlmClientContext } from '../src/security/ntlm/client.js';
import { NTOWFv1, NTOWFv2FromHash } from '../src/security/ntlm/crypto.js';

/**
 * The activation load generator (bench/activation-gen.c) as the benchmark uses it: compiled
 * with the system compiler, handed the octets that do not change between activations (built
 * here by the project's own encoders, as src/client/activation.ts sends them), and run.
 * Without a compiler there is no such generator; the benchmark then keeps its Node client's
 * figure alone.
 */

export interface ActivationGenerator {
  exe: string;
  note: string;
}

/** Compiles bench/activation-gen.c into `dir`; a string saying why not when it cannot. */
export function buildActivationGenerator(dir: string, cc = defaultCompiler()): ActivationGenerator | string {
  const built = compileBenchC('activation-gen', dir, cc, ['-pthread'], ['-lm']);
  return 'exe' in built ? { exe: built.exe, note: `bench/activation-gen.c compiled with ${cc} -O2 -pthread` } : built.why;
}

export interface ActivationScript {
  user: string;
  password: string;
  domain: string;
  /** The exporter's ipidRemUnknown (one per exporter: learned from one activation). */
  ipidRemUnknown: string;
  serverName: string;
  level?: number;
}

const AUTH_CONTEXT_ID = 1; // as RpcClient's default
const CALL_ID = 2; // the request after bind (1) on a new connection

/** A bind of `iface` as context 0 carrying NTLM's NEGOTIATE, as RpcClient.bindInterface sends it. */
function bindPdu(iface: InterfaceDecl, level: number): Buffer {
  return encodeBind(
    'bind',
    { callId: 1, maxXmitFrag: 5840, maxRecvFrag: 5840, assocGroupId: 0, contexts: [{ contextId: 0, abstractSyntax: syntaxOf(iface), transferSyntaxes: [{ ...NDR20_SYNTAX }] }] },
    { authType: AUTH_TYPE.winnt, authLevel: level, authContextId: AUTH_CONTEXT_ID, authValue: new NtlmClientContext({ user: '', domain: '' }).negotiate(), padTo: 4 },
  );
}

/** A request stub with the verification trailer RpcClient appends to signed calls. */
function signedStub(iface: InterfaceDecl, m: MethodDecl, args: unknown): Buffer {
  const stub = ndrEncode(m.request, args as never);
  const trailer = encodeVerificationTrailer(stub.length, [
    { command: SEC_VT_COMMAND.PCONTEXT, mustProcess: false, interfaceId: syntaxOf(iface), transferSyntax: { ...NDR20_SYNTAX } },
    { command: SEC_VT_COMMAND.HEADER2, mustProcess: false, ...header2Of({ drep: 0x10, callId: CALL_ID, contextId: 0, opnum: m.opnum }) },
  ]);
  return Buffer.concat([stub, trailer]);
}

/** The script of bench/activation-gen.c: one `name hex` (or `name number`) per line. */
export function activationScript(s: ActivationScript): string {
  const level = s.level ?? AUTH_LEVEL.pkt_integrity;
  const abData = encodeActivationPropertiesIn({ clsid: CLSID_ShadowCopyProvider, iids: [IID_IVssSnapshotMgmt], serverName: s.serverName });
  const create = signedStub(IRemoteSCMActivator, IRemoteSCMActivator.methods.RemoteCreateInstance, {
    ORPCthis: newOrpcThis(1),
    pUnkOuter: null,
    pActProperties: { ulCntData: abData.length, abData },
  });
  // RemRelease of one REMINTERFACEREF: its ipid and cPublicRefs are filled in per activation.
  const marker = 'eeeeeeee-eeee-eeee-eeee-eeeeeeeeeeee';
  const rel = signedStub(IRemUnknown, IRemUnknown.methods.RemRelease, {
    ORPCthis: newOrpcThis(),
    cInterfaceRefs: 1,
    InterfaceRefs: [{ ipid: marker, cPublicRefs: 0, cPrivateRefs: 0 }],
  });
  const refAt = rel.indexOf(guidBytes(marker));
  if (refAt < 0) throw new Error('RemRelease stub without its REMINTERFACEREF');
  const u = (t: string) => Buffer.from(t, 'utf16le').toString('hex');
  return [
    `bind1 ${bindPdu(IRemoteSCMActivator, level).toString('hex')}`,
    `stub1 ${create.toString('hex')}`,
    `opnum1 ${IRemoteSCMActivator.methods.RemoteCreateInstance.opnum}`,
    `bind2 ${bindPdu(IRemUnknown, level).toString('hex')}`,
    `stub2 ${rel.toString('hex')}`,
    `opnum2 ${IRemUnknown.methods.RemRelease.opnum}`,
    `refat ${refAt}`,
    `ipidremunknown ${guidBytes(s.ipidRemUnknown).toString('hex')}`,
    `responsekey ${NTOWFv2FromHash(NTOWFv1(s.password), s.user, s.domain).toString('hex')}`,
    `user ${u(s.user)}`,
    `domain ${u(s.domain)}`,
    `workstation ${u('SCMPCLIENT')}`,
    '',
  ].join('\n');
}

/** What activation-gen prints (the histogram merges as the load generator's does). */
export interface ActivationRun {
  mode: 'activate';
  connections: number;
  seconds: number;
  cycles: number;
  perSecond: number;
  errors: number;
  refused: number;
  p50us: number;
  p99us: number;
  /** Successful activations including the warm-up's, and the generator's CPU time over them. */
  allCycles: number;
  cpuMs: number;
  hist: [number, number][];
  /** When some failed: the first failure's cause, as the generator names it. */
  firstError?: string;
}

/** One run: `connections` threads activating and releasing for `ms`. */
export async function runActivations(gen: ActivationGenerator, scriptFile: string, script: ActivationScript, host: string, port: number, objectPort: number, connections: number, ms: number, warmMs = 200, timeoutMs = 10_000): Promise<ActivationRun> {
  writeFileSync(scriptFile, activationScript(script));
  const args = [host, String(port), String(objectPort), String(connections), String(Math.round(ms)), scriptFile, '--warm', String(warmMs), '--timeout', String(timeoutMs)];
  const { json, stderr } = await runJson<ActivationRun>(gen.exe, args, true);
  const first = stderr.match(/the first: (.*)/);
  return { ...json, ...(first ? { firstError: first[1] } : {}) };
}
