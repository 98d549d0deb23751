/**
 * The fuzz targets of the network side: every decoder that reads octets a peer chose,
 * each with valid seeds to mutate and the one error type its layer may throw. A target
 * passes when no input makes it throw anything else (a TypeError, a RangeError, a stack
 * overflow) and none runs away. Used by the CI test (test/fuzz/network.test.ts) and by
 * `npm run fuzz` (bench/fuzz/run.ts), which runs the same targets longer.
 *
 * Other helpers add their targets in bench/fuzz/all.ts, not here.
 */
import { PduError } from '../../src/dcerpc/pdu/error.js';
import { PduFramer } from '../../src/dcerpc/pdu/framer.js';
import { parsePdu } from '../../src/dcerpc/pdu/parser.js';
import { encodeAuth3, encodeBind, encodeBodiless, encodeRequest, encodeResponse, encodeFault } from '../../src/dcerpc/pdu/serializer.js';
import { NDR20_SYNTAX, PFC } from '../../src/dcerpc/constants.js';
import type { InterfaceDecl, MethodDecl } from '../../src/dcerpc/interface.js';
import { InterfaceRegistry } from '../../src/dcerpc/registry.js';
import { ServerAssociation } from '../../src/dcerpc/server-association.js';
import { AssociationGroups } from '../../src/dcerpc/association.js';
import { DEFAULT_RPC_SETTINGS } from '../../src/dcerpc/settings.js';
import { ActivationFormatError } from '../../src/dcom/activation/error.js';
import { decodeActivationPropertiesIn, decodeActivationPropertiesOut, encodeActivationPropertiesIn, encodeActivationPropertiesOut } from '../../src/dcom/activation/blob.js';
import { DcomFormatError } from '../../src/dcom/error.js';
import { decodeObjref, encodeObjref } from '../../src/dcom/objref.js';
import * as epmIdl from '../../src/interfaces/epm/idl.js';
import * as mgmtIdl from '../../src/interfaces/mgmt/idl.js';
import * as oxidIdl from '../../src/interfaces/oxid/idl.js';
import * as remunknownIdl from '../../src/interfaces/remunknown/idl.js';
import * as scmIdl from '../../src/interfaces/scm/idl.js';
import * as scmpIdl from '../../src/interfaces/scmp/idl.js';
import { serveEpm } from '../../src/interfaces/epm/server.js';
import { encodeTcpTower } from '../../src/interfaces/epm/tower.js';
import { serveMgmt } from '../../src/interfaces/mgmt/server.js';
import { createLogger } from '../../src/log.js';
import { NdrError, ndrDecode, ndrEncode, type NdrType } from '../../src/ndr/index.js';
import { encodeAuthenticate, encodeAvPairs, encodeChallenge, encodeNegotiate, NtlmMessageError, parseAuthenticate, parseAvPairs, parseChallenge, parseNegotiate } from '../../src/security/ntlm/messages.js';
import { SpnegoError } from '../../src/security/spnego/error.js';
import { decodeNegotiationToken, encodeNegTokenInit, encodeNegTokenResp, OID_NTLMSSP, OID_MS_KRB5 } from '../../src/security/spnego/tokens.js';

export interface FuzzTarget {
  readonly name: string;
  /** Valid inputs: each is checked to decode, then mutated. */
  readonly seeds: readonly Buffer[];
  /** The pick each seed decodes with (the method it is a stub of); 0 when absent. */
  readonly seedPicks?: readonly number[];
  /** Decodes one input; `pick` is a number the input came with (a method index, a byte order). */
  run(input: Buffer, pick: number): void;
  /** The layer's own decode error: the only thing `run` may throw. */
  expected(e: unknown): boolean;
}

/** The IDL modules of every interface served (test/fuzz checks this covers src/interfaces/). */
export const IDL_MODULES: Readonly<Record<string, Record<string, unknown>>> = {
  epm: epmIdl,
  mgmt: mgmtIdl,
  oxid: oxidIdl,
  remunknown: remunknownIdl,
  scm: scmIdl,
  scmp: scmpIdl,
};

export function isInterfaceDecl(v: unknown): v is InterfaceDecl {
  return typeof v === 'object' && v !== null && 'opnums' in v && 'methods' in v && 'uuid' in v;
}

/** Every method of every interface an IDL module declares, by "Interface.method". */
export function declaredMethods(mod: Record<string, unknown>): Array<{ id: string; method: MethodDecl }> {
  const out: Array<{ id: string; method: MethodDecl }> = [];
  for (const decl of Object.values(mod)) {
    if (!isInterfaceDecl(decl)) continue;
    for (const m of Object.values(decl.methods)) out.push({ id: `${decl.name}.${m.name}`, method: m });
  }
  return out;
}

/** A scope whose every size_is/length_is source is `n` (a response's in-parameters). */
const scopeOf = (n: number) => new Proxy({}, { get: (_t, k) => (typeof k === 'string' ? n : undefined) });

/**
 * A valid stub of `type`: the value a buffer of 32-bit `fill`s decodes to (0: null
 * pointers, empty arrays; 1: every pointer set, counts of one), encoded again (with
 * fresh referent ids). undefined where the type has no such form.
 */
function zeroStub(type: NdrType<any>, fill = 0): Buffer | undefined {
  try {
    const scope = scopeOf(fill);
    const raw = Buffer.alloc(4 * type.minSize + 256);
    for (let i = 0; i < raw.length; i += 4) raw[i] = fill;
    const v = ndrDecode(type, raw, true, scope);
    const b = ndrEncode(type, v, v);
    ndrDecode(type, b, true, v);
    return b;
  } catch {
    return undefined;
  }
}

/**
 * One NDR target per IDL module: an input is a stub of one of its methods' requests or
 * responses (chosen by `pick`), in either byte order, decoded as the server (requests) or
 * our client (responses) does.
 */
/**
 * Requests whose full pointers are all set, which zero-filled seeds cannot give: the
 * endpoint mapper's object, interface and tower (issue 18's defect 1 aliased two of them).
 */
function epmSeeds(): Array<{ method: MethodDecl; stub: Buffer }> {
  const e = epmIdl.epm.methods;
  const tower = encodeTcpTower({ iface: { uuid: GUID_A, major: 1, minor: 0 }, transfer: { ...NDR20_SYNTAX }, port: 135, address: '10.0.0.1' });
  const handle = { context_handle_attributes: 0, context_handle_uuid: GUID_B };
  return [
    { method: e.ept_map, stub: ndrEncode(e.ept_map.request, { object: GUID_B, map_tower: { tower_length: tower.length, tower_octet_string: tower }, entry_handle: handle, max_towers: 4 }) },
    {
      method: e.ept_lookup,
      stub: ndrEncode(e.ept_lookup.request, { inquiry_type: 1, object: GUID_A, interface_id: { uuid: GUID_A, vers_major: 1, vers_minor: 0 }, vers_option: 1, entry_handle: handle, max_ents: 10 }),
    },
  ];
}

function ndrTarget(name: string, mod: Record<string, unknown>): FuzzTarget & { readonly cases: string[] } {
  const cases = declaredMethods(mod).flatMap(({ id, method }) => [
    { id: `${id} request`, type: method.request },
    { id: `${id} response`, type: method.response },
  ]);
  const seeds: Buffer[] = [];
  const seedPicks: number[] = [];
  cases.forEach((c, i) => {
    // Two seeds a method: every pointer null and every count 0, and (where it decodes)
    // every pointer set and every count 1, so mutations reach the referents too.
    const zero = zeroStub(c.type, 0);
    const one = zeroStub(c.type, 1);
    const extra = name === 'epm' ? epmSeeds().filter((x) => x.method.request === c.type).map((x) => x.stub) : [];
    for (const s of [zero, one && zero && one.equals(zero) ? undefined : one, ...extra]) {
      if (s) {
        seeds.push(s);
        seedPicks.push(i << 2);
      }
    }
  });
  return {
    name: `ndr:${name}`,
    cases: cases.map((c) => c.id),
    seeds,
    seedPicks,
    run(input, pick) {
      // pick: bit 0 big-endian, bit 1 a scope whose sizes are 1000, the rest the method.
      const c = cases[(pick >>> 2) % cases.length]!;
      ndrDecode(c.type, input, (pick & 1) === 0, scopeOf(pick & 2 ? 1000 : 0));
    },
    expected: (e) => e instanceof NdrError,
  };
}

const GUID_A = '4fc7b4d6-67cd-4dbb-a4f3-9b2d3e1f0a11';
const GUID_B = '9f7b2c1a-0d3e-4b5f-8a6c-7e1d2f3a4b5c';

const ctx = (uuid: string) => ({ contextId: 0, abstractSyntax: { uuid, major: 3, minor: 0 }, transferSyntaxes: [{ ...NDR20_SYNTAX }] });

/** The PDUs of a session: what the framer and the parser see from a peer. */
function pduSeeds(): Buffer[] {
  const F = PFC.FIRST_FRAG | PFC.LAST_FRAG;
  const auth = { authType: 10, authLevel: 6, authContextId: 0, authValue: encodeNegotiate(0xe2088297), padTo: 4 };
  return [
    encodeBind('bind', { callId: 1, maxXmitFrag: 5840, maxRecvFrag: 5840, assocGroupId: 0, contexts: [ctx(GUID_A)] }),
    encodeBind('bind', { callId: 1, flags: F | PFC.CONC_MPX, maxXmitFrag: 5840, maxRecvFrag: 5840, assocGroupId: 7, contexts: [ctx(GUID_A), ctx(GUID_B)] }, auth),
    encodeBind('alter_context', { callId: 2, maxXmitFrag: 5840, maxRecvFrag: 5840, assocGroupId: 0, contexts: [ctx(GUID_B)] }, auth),
    encodeRequest({ callId: 3, flags: F, allocHint: 8, contextId: 0, opnum: 3, stub: Buffer.alloc(8, 1) }),
    encodeRequest({ callId: 4, flags: PFC.FIRST_FRAG, allocHint: 40, contextId: 1, opnum: 0, object: GUID_A, stub: Buffer.alloc(24, 2) }),
    encodeRequest({ callId: 5, flags: F, allocHint: 8, contextId: 0, opnum: 1, stub: Buffer.alloc(8), bigEndian: true }),
    encodeRequest({ callId: 6, flags: F, allocHint: 16, contextId: 0, opnum: 2, stub: Buffer.alloc(16) }, { ...auth, authValue: Buffer.alloc(16, 9) }),
    encodeResponse({ callId: 3, flags: F, allocHint: 4, contextId: 0, stub: Buffer.alloc(4) }),
    encodeFault({ callId: 3, flags: F, contextId: 0, status: 0x1c010003 }),
    encodeAuth3(2, { ...auth, authValue: Buffer.alloc(40, 3) }),
    encodeBodiless('orphaned', 4),
    encodeBodiless('co_cancel', 4),
  ];
}

const pduTarget: FuzzTarget = {
  name: 'pdu',
  seeds: pduSeeds(),
  run(input, pick) {
    // As a connection reads: cut at an arbitrary point, framed, then each fragment parsed.
    const framer = new PduFramer(DEFAULT_RPC_SETTINGS.maxFragmentSize);
    const cut = input.length === 0 ? 0 : pick % (input.length + 1);
    for (const part of [input.subarray(0, cut), input.subarray(cut)]) {
      for (const f of framer.push(part)) parsePdu(f);
    }
  },
  expected: (e) => e instanceof PduError,
};

/**
 * The whole server machine of one connection: a byte stream from a peer (a bind and the
 * request of one endpoint mapper or management method, mutated) through framing, binding,
 * NDR and the method. Nothing may escape it, and nothing may reach the log at level error
 * (the sign of a defect answered with nca_s_fault_unspec, as defect 1 of issue 18 was).
 */
function associationTarget(): FuzzTarget {
  let errors: string[] = [];
  const log = createLogger('error', (l) => errors.push(l));
  const stats = { callsIn: 0, callsOut: 0, pktsIn: 0, pktsOut: 0 };
  const registry = new InterfaceRegistry()
    .add(serveEpm(() => [{ iface: { uuid: GUID_A, major: 1, minor: 0 }, port: 49664, annotation: 'fuzz' }]))
    .add(serveMgmt({ stats, principalName: () => 'FILESRV01$' }));
  const host = { settings: { ...DEFAULT_RPC_SETTINGS }, groups: new AssociationGroups(64), log, stats, connectionClosed: () => {} };
  const endpoint = { name: 'fuzz', port: 135, registry };
  const seeds: Buffer[] = [];
  for (const decl of [epmIdl.epm, mgmtIdl.mgmt] as InterfaceDecl[]) {
    const bind = encodeBind('bind', {
      callId: 1,
      maxXmitFrag: 5840,
      maxRecvFrag: 5840,
      assocGroupId: 0,
      contexts: [{ contextId: 0, abstractSyntax: { uuid: decl.uuid, major: decl.major, minor: decl.minor }, transferSyntaxes: [{ ...NDR20_SYNTAX }] }],
    });
    const stubs = Object.values(decl.methods).flatMap((m) => [
      { m, stub: zeroStub(m.request, 0) },
      { m, stub: zeroStub(m.request, 1) },
      ...(decl === epmIdl.epm ? epmSeeds().filter((x) => x.method === m).map((x) => ({ m, stub: x.stub as Buffer | undefined })) : []),
    ]);
    for (const { m, stub } of stubs) {
      if (!stub) continue;
      seeds.push(Buffer.concat([bind, encodeRequest({ callId: 2, flags: PFC.FIRST_FRAG | PFC.LAST_FRAG, allocHint: stub.length, contextId: 0, opnum: m.opnum, stub })]));
    }
  }
  return {
    name: 'association',
    seeds,
    run(input, pick) {
      errors = [];
      const a = new ServerAssociation(host, endpoint, { localAddress: '127.0.0.1', localPort: 135, remoteAddress: '127.0.0.2', remotePort: 50000 }, { write: () => {}, end: () => {} });
      const cut = input.length === 0 ? 0 : pick % (input.length + 1);
      a.receive(input.subarray(0, cut));
      a.receive(input.subarray(cut));
      a.transportGone();
      if (errors.length) throw new Error(`logged at level error: ${errors[0]}`);
    },
    // The machine answers everything itself: no error type may leave it.
    expected: () => false,
  };
}

const activationIn: FuzzTarget = {
  name: 'activation-in',
  seeds: [
    encodeActivationPropertiesIn({ clsid: GUID_A, iids: [GUID_B], serverName: 'FILESRV01' }),
    encodeActivationPropertiesIn({ clsid: GUID_A, iids: [GUID_B, GUID_A], serverName: '', authnLevel: 6, protseqs: [7, 31] }),
  ],
  run: (input) => void decodeActivationPropertiesIn(input),
  expected: (e) => e instanceof ActivationFormatError || e instanceof NdrError || e instanceof DcomFormatError,
};

const STD_OBJREF = encodeObjref({
  kind: 'standard',
  iid: GUID_B,
  std: { flags: 0, cPublicRefs: 5, oxid: 0x1122334455667788n, oid: 0x99n, ipid: GUID_A },
  resolver: { stringBindings: [{ towerId: 7, networkAddr: 'FILESRV01[49664]' }], securityBindings: [{ authnSvc: 10, authzSvc: 0xffff, principal: '' }] },
});

const activationOut: FuzzTarget = {
  name: 'activation-out',
  seeds: [
    encodeActivationPropertiesOut({
      propsOut: { iids: [GUID_B], hresults: [0], interfaces: [STD_OBJREF] },
      scmReply: {
        oxid: 0x1122334455667788n,
        bindings: { wNumEntries: 0, wSecurityOffset: 0, aStringArray: [] } as never,
        ipidRemUnknown: GUID_A,
        authnHint: 6,
        serverVersion: { MajorVersion: 5, MinorVersion: 7 },
      },
    } as never),
  ],
  run: (input) => void decodeActivationPropertiesOut(input),
  expected: (e) => e instanceof ActivationFormatError || e instanceof NdrError || e instanceof DcomFormatError,
};

const objref: FuzzTarget = {
  name: 'objref',
  seeds: [STD_OBJREF],
  run: (input, pick) => void decodeObjref(input, { anyIid: (pick & 1) === 1 }),
  expected: (e) => e instanceof DcomFormatError || e instanceof NdrError,
};

const ntlm: FuzzTarget = {
  name: 'ntlm',
  seedPicks: [0, 1, 2],
  seeds: [
    encodeNegotiate(0xe2088297, Buffer.from('0a00614a0000000f', 'hex')),
    encodeChallenge({
      flags: 0xe2898215,
      targetName: 'FILESRV01',
      serverChallenge: Buffer.alloc(8, 0x5a),
      targetInfo: encodeAvPairs([
        [2, Buffer.from('FILESRV01', 'utf16le')],
        [1, Buffer.from('FILESRV01', 'utf16le')],
        [7, Buffer.alloc(8, 1)],
      ]),
      version: Buffer.from('0a00614a0000000f', 'hex'),
    }),
    encodeAuthenticate({
      flags: 0xe2888215,
      lmChallengeResponse: Buffer.alloc(24),
      ntChallengeResponse: Buffer.concat([Buffer.alloc(16, 7), Buffer.from('0101000000000000', 'hex'), Buffer.alloc(8, 1), Buffer.alloc(8, 2), Buffer.alloc(4), encodeAvPairs([[2, Buffer.from('D', 'utf16le')]]), Buffer.alloc(4)]),
      domain: 'FILESRV01',
      user: 'alice',
      workstation: 'CLIENT',
      encryptedRandomSessionKey: Buffer.alloc(16, 3),
      version: Buffer.from('0a00614a0000000f', 'hex'),
      withMic: true,
    }),
  ],
  run(input, pick) {
    // Each message is read by the parser of every type (a peer chooses which it sends).
    switch (pick % 4) {
      case 0:
        return void parseNegotiate(input);
      case 1:
        return void parseChallenge(input);
      case 2:
        return void parseAuthenticate(input);
      default:
        return void parseAvPairs(input);
    }
  },
  expected: (e) => e instanceof NtlmMessageError,
};

const spnego: FuzzTarget = {
  name: 'spnego',
  seeds: [
    encodeNegTokenInit({ mechTypes: [OID_NTLMSSP], mechToken: encodeNegotiate(0xe2088297) }),
    encodeNegTokenInit({ mechTypes: [OID_MS_KRB5, OID_NTLMSSP], reqFlags: Buffer.from([1, 0x06]), negHints: { hintName: 'not_defined_in_RFC4178@please_ignore' }, mechListMIC: Buffer.alloc(16, 4) }),
    encodeNegTokenResp({ negState: 1, supportedMech: OID_NTLMSSP, responseToken: Buffer.alloc(40, 2) }),
    encodeNegTokenResp({ negState: 0, mechListMIC: Buffer.alloc(16, 5) }),
  ],
  run: (input) => void decodeNegotiationToken(input),
  expected: (e) => e instanceof SpnegoError,
};

/** The network side's targets, in the order they run. */
export function networkTargets(): FuzzTarget[] {
  return [
    pduTarget,
    associationTarget(),
    ...Object.entries(IDL_MODULES).map(([name, mod]) => ndrTarget(name, mod)),
    activationIn,
    activationOut,
    objref,
    ntlm,
    spnego,
  ];
}
