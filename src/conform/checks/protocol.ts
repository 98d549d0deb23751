/**
 * What the layers under MS-SCMP must answer: authorization and authentication levels
 * (MS-SCMP 3.1.4.4 / MS-RPCE), NTLM and SPNEGO logons (MS-NLMP / MS-SPNG), DCOM activation
 * and reference counting (MS-DCOM), and the RPC runtime's answers (C706 / MS-RPCE):
 * unknown interfaces and opnums, bad stub data, fragmentation.
 */
import { newOrpcThis } from '../../client/activation.js';
import { exporterAddresses } from '../../client/exporter-bindings.js';
import { BindNakError, RpcFaultError, syntaxOf } from '../../client/rpc-client.js';
import { AUTH_LEVEL, FAULT, NDR64_SYNTAX, RESULT } from '../../dcerpc/constants.js';
import { encodeActivationPropertiesIn } from '../../dcom/activation/blob.js';
import { IObjectExporter } from '../../interfaces/oxid/idl.js';
import { IRemUnknown } from '../../interfaces/remunknown/idl.js';
import { IRemoteSCMActivator } from '../../interfaces/scm/idl.js';
import { CLSID_ShadowCopyProvider, IID_IVssSnapshotMgmt } from '../../interfaces/scmp/class.js';
import { IVssSnapshotMgmt } from '../../interfaces/scmp/idl.js';
import { IID_IVssEnumObject, VSS_SYSTEM_PROVIDER_ID } from '../../interfaces/scmp/types.js';
import { E_ACCESSDENIED, E_NOINTERFACE, REGDB_E_CLASSNOTREG, RPC_E_DISCONNECTED, RPC_E_VERSION_MISMATCH, RPC_X_BAD_STUB_DATA } from '../../status/codes.js';
import { expect, expectHr, Mismatch, NotApplicable, status, type Ctx } from '../context.js';
import { ActivationRefused, Session } from '../session.js';
import type { Check } from '../types.js';
import { answers, check, drops, faultsOpnum, MGMT, NO_SUCH_VOLUME, OXID, ref, REMUNK, SCM, setting } from './define.js';

/** A CLSID no host registers. */
const NO_SUCH_CLASS = '5c0f0a11-dead-4bad-8bad-00000000c0f2';
/** An interface no host serves. */
const NO_SUCH_INTERFACE = { uuid: '5c0f0a11-beef-4bad-8bad-00000000c0f3', major: 1, minor: 0 };
/** The account name the unknown-user check logs on with. */
export const NOBODY = 'scmp-conform-nobody';

/** Activation with `auth`, the answer's HRESULT (a refusal at bind or call level as the error it was). */
async function activateHr(c: Ctx, auth = c.auth(), clsid = CLSID_ShadowCopyProvider, iid = IID_IVssSnapshotMgmt): Promise<{ hr: number; props: unknown }> {
  const rpc = await c.bound(IRemoteSCMActivator, auth);
  const abData = encodeActivationPropertiesIn({ clsid, iids: [iid], serverName: c.t.host });
  const r = await rpc.call(0, IRemoteSCMActivator.methods.RemoteCreateInstance, { ORPCthis: newOrpcThis(1), pUnkOuter: null, pActProperties: { ulCntData: abData.length, abData } });
  return { hr: r.hr >>> 0, props: r.ppActProperties };
}

/** The logon or activation must be refused: a bind_nak, an access-denied fault or E_ACCESSDENIED. */
async function refused(c: Ctx, auth: ReturnType<Ctx['auth']>): Promise<void> {
  let got: string;
  try {
    const r = await activateHr(c, auth);
    got = status(r.hr);
    if (r.hr === E_ACCESSDENIED) return;
  } catch (e) {
    if (e instanceof BindNakError) return;
    if (e instanceof RpcFaultError && e.status === FAULT.access_denied) return;
    got = (e as Error).message;
  }
  throw new Mismatch('the logon or activation refused (bind_nak, fault 5 or E_ACCESSDENIED)', got);
}

/** After a refusal the association still serves: ServerAlive2 on it answers 0. */
async function stillServes(rpc: Awaited<ReturnType<Ctx['connect']>>, contextId: number): Promise<void> {
  const r = await rpc.call(contextId, IObjectExporter.methods.ServerAlive2, {});
  expectHr(r.status, 0, 'ServerAlive2 on the same connection afterwards');
}

async function faultOf(p: Promise<unknown>): Promise<number | string> {
  try {
    await p;
    return 'an answer';
  } catch (e) {
    if (e instanceof RpcFaultError) return e.status >>> 0;
    return (e as Error).message;
  }
}

function expectFault(got: number | string, want: number): void {
  expect(got === want >>> 0, `fault ${status(want)}`, typeof got === 'number' ? `fault ${status(got)}` : got);
}

const B_ACT = answers(SCM, 'RemoteCreateInstance');
const B_ALIVE = drops(OXID, 'ServerAlive2');
const B_QVSS = answers(MGMT, 'QueryVolumesSupportedForSnapshots');
const rpce = (s: string) => ref('MS-RPCE', s);
const dcom = (s: string) => ref('MS-DCOM', s);

export const PROTOCOL_CHECKS: Check[] = [
  // --- authorization and authentication levels ---
  check('auth.admin.activation', 'an administrator activates the shadow-copy class (RemoteCreateInstance answers S_OK with activation properties)', ref('MS-DCOM', '3.1.2.5.2.3.3'), B_ACT, async (c) => {
    const r = await activateHr(c);
    expectHr(r.hr, 0);
    expect(!!r.props, 'activation properties', 'NULL');
  }),
  check('auth.user.denied', 'an account that is not an administrator is refused: E_ACCESSDENIED', ref('MS-SCMP', '3.1.1.4'), setting('the second account made an administrator', '--account', 'USER:admin'), async (c) => {
    if (!c.t.userAccount) throw new NotApplicable('no --user-account given');
    let hr: number;
    try {
      const s = await Session.open(c.t, { creds: c.t.userAccount });
      try {
        hr = (await c.mgmt('QueryVolumesSupportedForSnapshots', { ProviderId: VSS_SYSTEM_PROVIDER_ID, lContext: 0 }, s)).hr;
      } finally {
        await s.close();
      }
    } catch (e) {
      if (!(e instanceof ActivationRefused)) throw e;
      hr = e.hr;
    }
    expectHr(hr, E_ACCESSDENIED);
  }, ['user-account']),
  check('auth.level.none-refused', 'an unauthenticated activation (authentication level none) is refused', rpce('2.2.1.1.8'), { ...setting('--min-auth-level none, and the activation answering S_OK', '--min-auth-level', 'none'), fault: { interface: SCM, method: 'RemoteCreateInstance', action: { hresult: 0 } } }, async (c) => {
    let got: string;
    try {
      const r = await activateHr(c, null as never);
      if (r.hr === E_ACCESSDENIED) return;
      got = status(r.hr);
    } catch (e) {
      if (e instanceof BindNakError || (e instanceof RpcFaultError && e.status === FAULT.access_denied)) return;
      got = (e as Error).message;
    }
    throw new Mismatch('refused (bind_nak, fault 5 or E_ACCESSDENIED)', got);
  }),
  check('auth.level.connect-refused', 'an activation at authentication level connect (no per-message protection) is refused', rpce('2.2.1.1.8'), setting('--min-auth-level connect', '--min-auth-level', 'connect'), (c) => refused(c, c.auth({ level: AUTH_LEVEL.connect }))),
  check('auth.level.integrity', 'MS-SCMP calls at packet integrity (signed) are answered', rpce('2.2.1.1.8'), setting('--min-auth-level privacy', '--min-auth-level', 'privacy'), async (c) => {
    const s = await c.fresh({ level: AUTH_LEVEL.pkt_integrity });
    expectHr((await c.mgmt('QueryVolumesSupportedForSnapshots', { ProviderId: VSS_SYSTEM_PROVIDER_ID, lContext: 0 }, s)).hr, 0);
  }),
  check('auth.level.privacy', 'MS-SCMP calls at packet privacy (sealed) are answered', rpce('2.2.1.1.8'), B_QVSS, async (c) => {
    const s = await c.fresh({ level: AUTH_LEVEL.pkt_privacy });
    expectHr((await c.mgmt('QueryVolumesSupportedForSnapshots', { ProviderId: VSS_SYSTEM_PROVIDER_ID, lContext: 0 }, s)).hr, 0);
  }),
  check('auth.ntlm.logon', 'a logon with NTLM (auth type 10) is accepted and its calls answered', ref('MS-NLMP', '3.2.5'), B_QVSS, async (c) => {
    const s = await c.fresh({ authType: 'ntlm' });
    expectHr((await c.mgmt('QueryVolumesSupportedForSnapshots', { ProviderId: VSS_SYSTEM_PROVIDER_ID, lContext: 0 }, s)).hr, 0);
  }),
  check('auth.spnego.logon', 'a logon with SPNEGO negotiating NTLM (auth type 9) is accepted and its calls answered', ref('MS-SPNG', '3.3.5'), B_QVSS, async (c) => {
    const s = await c.fresh({ authType: 'spnego' });
    expectHr((await c.mgmt('QueryVolumesSupportedForSnapshots', { ProviderId: VSS_SYSTEM_PROVIDER_ID, lContext: 0 }, s)).hr, 0);
  }),
  check('auth.ntlm.wrong-password', 'a logon with a wrong password is refused', ref('MS-NLMP', '3.2.5.1.2'), setting('the account given the wrong password', '--account', 'ADMIN:WRONGPASSWORD:admin'), async (c) => {
    if (c.t.creds.password === undefined) throw new NotApplicable('logged on with an NT hash');
    await refused(c, c.auth({ creds: { ...c.t.creds, password: `${c.t.creds.password}-wrong` } }));
  }),
  check('auth.ntlm.unknown-user', `a logon by an account the host does not have (${NOBODY}) is refused`, ref('MS-NLMP', '3.2.5.1.2'), setting(`an account named ${NOBODY}`, '--account', `${NOBODY}:PASSWORD:admin`), async (c) => {
    await refused(c, c.auth({ creds: { ...c.t.creds, user: NOBODY } }));
  }),

  // --- DCOM activation and reference counting ---
  check('dcom.activation.refs', 'the activation hands out the interface with at least one public reference', dcom('3.1.2.5.2.3.3'), B_ACT, async (c) => {
    const s = await c.session();
    expect(s.activation.cPublicRefs >= 1, 'at least 1', String(s.activation.cPublicRefs));
  }),
  check('dcom.activation.bindings', "the activation reply's OXID bindings name a reachable ncacn_ip_tcp endpoint", dcom('2.2.19'), B_ACT, async (c) => {
    const s = await c.session();
    const tcp = exporterAddresses(s.activation.bindings);
    expect(tcp.length > 0, 'an ncacn_ip_tcp string binding host[port]', `${s.activation.bindings.stringBindings.length} string binding(s), none over TCP with a port`);
    expect(s.activation.bindings.securityBindings.length > 0, 'a security binding', 'none');
  }),
  check('dcom.activation.unknown-class', 'activating a CLSID the host does not register answers REGDB_E_CLASSNOTREG', dcom('3.1.2.5.2.3.3'), B_ACT, async (c) => {
    expectHr((await activateHr(c, c.auth(), NO_SUCH_CLASS)).hr, REGDB_E_CLASSNOTREG);
  }),
  check('dcom.activation.wrong-iid', 'activating the class for an interface it does not implement (IVssEnumObject) answers E_NOINTERFACE', dcom('3.1.2.5.2.3.3'), B_ACT, async (c) => {
    expectHr((await activateHr(c, c.auth(), CLSID_ShadowCopyProvider, IID_IVssEnumObject)).hr, E_NOINTERFACE);
  }),
  check('dcom.remunknown.addref', 'RemAddRef of the activated object answers S_OK', dcom('3.1.1.5.6.1.2'), answers(REMUNK, 'RemAddRef'), async (c) => {
    const s = await c.fresh();
    const r = await s.call(IRemUnknown, s.activation.ipidRemUnknown, 'RemAddRef', { cInterfaceRefs: 1, InterfaceRefs: [{ ipid: s.mgmtIpid, cPublicRefs: 1, cPrivateRefs: 0 }] });
    expectHr(r.hr, 0);
    s.held[0]!.refs += 1;
  }),
  check('dcom.remunknown.qi-unsupported', 'RemQueryInterface for an interface the object lacks answers E_NOINTERFACE', dcom('3.1.1.5.6.1.1'), answers(REMUNK, 'RemQueryInterface', 0), async (c) => {
    const s = await c.session();
    const r = await s.call(IRemUnknown, s.activation.ipidRemUnknown, 'RemQueryInterface', { ripid: s.mgmtIpid, cRefs: 1, cIids: 1, iids: [IID_IVssEnumObject] });
    expectHr(r.hr, E_NOINTERFACE);
  }),
  check('dcom.remunknown.released', 'after its references are released (RemRelease), a call on the object faults RPC_E_DISCONNECTED', dcom('3.1.1.5.4'), answers(REMUNK, 'RemRelease'), async (c) => {
    const s = await c.fresh();
    const r = await s.call(IRemUnknown, s.activation.ipidRemUnknown, 'RemRelease', { cInterfaceRefs: 1, InterfaceRefs: [{ ipid: s.mgmtIpid, cPublicRefs: s.held[0]!.refs, cPrivateRefs: 0 }] });
    expectHr(r.hr, 0, 'RemRelease');
    s.held[0]!.refs = 0;
    expectFault(await faultOf(s.call(IVssSnapshotMgmt, s.mgmtIpid, 'QueryVolumesSupportedForSnapshots', { ProviderId: VSS_SYSTEM_PROVIDER_ID, lContext: 0 })), RPC_E_DISCONNECTED);
  }),
  check('dcom.orpc.version', 'a call whose ORPCTHIS names COM version 6.0 is refused with RPC_E_VERSION_MISMATCH', dcom('3.1.1.5.4'), B_QVSS, async (c) => {
    const s = await c.session();
    const orpc = { ...newOrpcThis(), version: { MajorVersion: 6, MinorVersion: 0 } };
    let got: number | string;
    try {
      got = (await s.call(IVssSnapshotMgmt, s.mgmtIpid, 'QueryVolumesSupportedForSnapshots', { ProviderId: VSS_SYSTEM_PROVIDER_ID, lContext: 0 }, orpc)).hr;
    } catch (e) {
      got = e instanceof RpcFaultError ? e.status >>> 0 : (e as Error).message;
    }
    expect(got === RPC_E_VERSION_MISMATCH, status(RPC_E_VERSION_MISMATCH), typeof got === 'number' ? status(got) : got);
    // the object still answers a correct call
    expectHr((await c.mgmt('QueryVolumesSupportedForSnapshots', { ProviderId: VSS_SYSTEM_PROVIDER_ID, lContext: 0 })).hr, 0, 'a correct call afterwards');
  }),

  // --- the RPC runtime ---
  check('rpc.bind.unknown-interface', 'a bind to an interface the port does not serve is refused with provider rejection, abstract syntax not supported, and the association stays usable', ref('C706', '12.6'), B_ALIVE, async (c) => {
    const rpc = await c.connect();
    const [a, b] = await rpc.bind([
      { contextId: 0, abstractSyntax: NO_SUCH_INTERFACE },
      { contextId: 1, abstractSyntax: syntaxOf(IObjectExporter) },
    ]);
    expect(a?.result === RESULT.provider_rejection && a.reason === 1, 'provider_rejection, reason 1', `result ${a?.result}, reason ${a?.reason}`);
    expect(b?.result === RESULT.acceptance, 'IObjectExporter accepted', `result ${b?.result}`);
    await stillServes(rpc, 1);
  }),
  check('rpc.bind.ndr64-only', 'a context offering only NDR64 is refused or accepted for NDR64 (never NDR20 answered to it), and the association stays usable', ref('C706', '12.6'), B_ALIVE, async (c) => {
    const rpc = await c.connect();
    const [a, b] = await rpc.bind([
      { contextId: 0, abstractSyntax: syntaxOf(IObjectExporter), transferSyntaxes: [{ ...NDR64_SYNTAX }] },
      { contextId: 1, abstractSyntax: syntaxOf(IObjectExporter) },
    ]);
    expect(a?.result === RESULT.provider_rejection || (a?.result === RESULT.acceptance && a.transferSyntax.uuid === NDR64_SYNTAX.uuid), 'rejected, or NDR64', `result ${a?.result}`);
    // Whichever context the host took serves the next call.
    await stillServes(rpc, b?.result === RESULT.acceptance ? 1 : 0);
  }),
  check('rpc.frag.negotiated', 'bind_ack answers fragment sizes of at least 2048 whatever smaller size the client offers, and calls then work', ref('C706', '12.6'), B_ALIVE, async (c) => {
    const rpc = await c.connect();
    await rpc.bind([{ contextId: 0, abstractSyntax: syntaxOf(IObjectExporter) }], { maxXmitFrag: 1024, maxRecvFrag: 1024 });
    expect(rpc.maxXmitFrag >= 2048 && rpc.maxRecvFrag >= 2048, 'at least 2048', `${rpc.maxXmitFrag}/${rpc.maxRecvFrag}`);
    await stillServes(rpc, 0);
  }),
  check('rpc.opnum.unknown', 'a call to an opnum the interface lacks faults nca_s_op_rng_error and the association stays usable', ref('C706', '12.6'), faultsOpnum(OXID, 99, FAULT.nca_s_unk_if), async (c) => {
    const rpc = await c.bound(IObjectExporter, null);
    expectFault(await faultOf(rpc.request(0, 99, Buffer.alloc(0))), FAULT.nca_s_op_rng_error);
    await stillServes(rpc, 0);
  }),
  check('rpc.opnum.scmp-unknown', 'an MS-SCMP call to an opnum IVssSnapshotMgmt lacks (6) faults nca_s_op_rng_error', ref('C706', '12.6'), faultsOpnum(MGMT, 6, FAULT.nca_s_unk_if), async (c) => {
    const s = await c.session();
    const ctx = await s.contextFor(IVssSnapshotMgmt);
    expectFault(await faultOf(s.rpc.request(ctx, 6, Buffer.alloc(64), { object: s.mgmtIpid })), FAULT.nca_s_op_rng_error);
    expectHr((await c.mgmt('QueryVolumesSupportedForSnapshots', { ProviderId: VSS_SYSTEM_PROVIDER_ID, lContext: 0 })).hr, 0, 'a correct call afterwards');
  }),
  check('rpc.context.unknown', 'a request on a presentation context never bound faults nca_s_unk_if and the association stays usable', ref('C706', '12.6'), B_ALIVE, async (c) => {
    const rpc = await c.bound(IObjectExporter, null);
    expectFault(await faultOf(rpc.request(7, 5, Buffer.alloc(0))), FAULT.nca_s_unk_if);
    await stillServes(rpc, 0);
  }),
  check('rpc.stub.bad', 'a stub too short for its method (ResolveOxid with 3 octets) faults rpc_x_bad_stub_data and the association stays usable', rpce('2.2.2.8'), faultsOpnum(OXID, 0, FAULT.nca_s_fault_unspec), async (c) => {
    const rpc = await c.bound(IObjectExporter);
    expectFault(await faultOf(rpc.request(0, 0, Buffer.alloc(3))), RPC_X_BAD_STUB_DATA);
    await stillServes(rpc, 0);
  }),
  check('rpc.frag.request', 'a request sent in several fragments is reassembled (a 6000-character volume name in QuerySnapshotsByVolume: S_OK, empty)', ref('C706', '12.6'), answers(MGMT, 'QuerySnapshotsByVolume'), async (c) => {
    const s = await c.session();
    const name = NO_SUCH_VOLUME + 'x'.repeat(6000);
    const r = await c.mgmt('QuerySnapshotsByVolume', { pwszVolumeName: name, ProviderId: VSS_SYSTEM_PROVIDER_ID }, s);
    expect(s.rpc.maxXmitFrag < name.length * 2, 'a request larger than one fragment', `max_xmit_frag ${s.rpc.maxXmitFrag}`);
    expectHr(r.hr, 0);
  }),
  check('rpc.frag.response', 'a response larger than the negotiated fragment is sent in fragments no larger than it (Next over every shadow copy)', ref('C706', '12.6'), answers('IVssEnumObject', 'Next'), async (c) => {
    const snaps = await c.snapshots();
    if (snaps.length < 4) throw new NotApplicable('fewer than four shadow copies: the answer fits one fragment');
    const s = await c.fresh();
    const before = s.rpc.stats.fragments;
    const big = snaps.reduce((a, b) => (snaps.filter((x) => x.volume === b.volume).length > snaps.filter((x) => x.volume === a.volume).length ? b : a)).volume;
    const items = await c.items('snapshots', big, s);
    expect(s.rpc.stats.largestFragment <= s.rpc.maxRecvFrag, `fragments of at most ${s.rpc.maxRecvFrag}`, String(s.rpc.stats.largestFragment));
    expect(items.length > 0 && s.rpc.stats.fragments > before, 'the answer received', 'none');
  }),
  check('rpc.auth.unknown-type', 'a bind with an authentication type no specification defines (0x7f) is refused (bind_nak, or the context without a token)', rpce('2.2.1.1.7'), B_ALIVE, async (c) => {
    const rpc = await c.connect();
    const ctx = { authType: 0x7f, step: () => ({ token: Buffer.from('conform'), done: false }) };
    let got = 'accepted';
    try {
      await rpc.bind([{ contextId: 0, abstractSyntax: syntaxOf(IObjectExporter) }], { auth: { ctx: ctx as never, level: AUTH_LEVEL.pkt_integrity } });
    } catch (e) {
      got = e instanceof BindNakError ? 'bind_nak' : (e as Error).message;
    }
    expect(got === 'bind_nak' || /without the server's authentication token|did not complete/.test(got), 'bind_nak', got);
    const again = await c.bound(IObjectExporter, null);
    await stillServes(again, 0);
  }),
  check('rpc.oxid.alive', 'IObjectExporter::ServerAlive2 answers status 0 and COM version 5.x to an unauthenticated caller', dcom('3.1.2.5.1.6'), answers(OXID, 'ServerAlive2', 0x5), async (c) => {
    const rpc = await c.bound(IObjectExporter, null);
    const r = await rpc.call(0, IObjectExporter.methods.ServerAlive2, {});
    expectHr(r.status, 0);
    expect(r.pComVersion.MajorVersion === 5, 'COM version 5.x', `${r.pComVersion.MajorVersion}.${r.pComVersion.MinorVersion}`);
  }),
];
