/**
 * OBJREF and DUALSTRINGARRAY (MS-DCOM 2.2.18, 2.2.19; notes/facts-dcom.md sections 2 and 4).
 * Vectors are written by hand: the real Windows OBJREF is the one in scapy's mswmi.uts (an
 * ExecQuery_Response from a WMI server), the others are laid out field by field from the spec.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AUTHN_SVC,
  COM_C_AUTHZ_NONE,
  TOWER_ID,
  decodePackedDsa,
  encodePackedDsa,
  fromNdrValue,
  securityOffset,
  toNdrValue,
  toStringArray,
  type DualStringArray,
  type DualStringArrayNdr,
  type SecurityBinding,
} from '../../src/dcom/bindings.js';
import { DcomFormatError, RPC_E_INVALID_OBJREF } from '../../src/dcom/error.js';
import { OBJREF_FLAGS, OBJREF_SIGNATURE, SORF_NOPING, decodeObjref, encodeObjref, type Objref } from '../../src/dcom/objref.js';
import { DUALSTRINGARRAY, MInterfacePointer } from '../../src/dcom/orpc.js';
import { ndrDecode, ndrEncode } from '../../src/ndr/index.js';

function hex(s: string): Buffer {
  const clean = s.replace(/\s+/g, '');
  if (!/^(?:[0-9a-f]{2})*$/i.test(clean)) throw new Error(`bad hex literal: ${s}`);
  return Buffer.from(clean, 'hex');
}

/** Runs `f`, expects a DcomFormatError and returns its message. */
function formatError(f: () => unknown): string {
  let thrown: unknown;
  try {
    f();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, 'expected a DcomFormatError').toBeInstanceOf(DcomFormatError);
  expect((thrown as DcomFormatError).hresult).toBe(RPC_E_INVALID_OBJREF);
  return (thrown as DcomFormatError).message;
}

/** What a DualStringArray reads back as: a lone RPC_C_AUTHN_NONE binding is written as no bindings. */
function normalized(d: DualStringArray): DualStringArray {
  const lone = d.securityBindings.length === 1 && d.securityBindings[0]!.authnSvc === 0;
  return { stringBindings: d.stringBindings, securityBindings: lone ? [] : d.securityBindings };
}

// --- The real Windows OBJREF -----------------------------------------------------------------

const IID_IENUMWBEMCLASSOBJECT = '027947e1-d731-11ce-a357-000000000001';

/** MInterfacePointer as it stood on the wire: max_count 182, ulCntData 182, then the OBJREF. */
const WINDOWS_MIP_PREFIX = 'b6000000 b6000000';
const WINDOWS_OBJREF = hex(`
  4d454f57 01000000 e1477902 31d7 ce11 a357000000000001
  00000000 05000000 e54d2d65075eb430 f9eda537b2970e37
  03d80200 2c01 0000 15fe86df03d66f0f
  3900 2300
  0700 5700 4900 4e00 2d00 3800 4b00 3100 3500 5600 4b00 5600 3200 3400 5300 4700 0000
  0700 3100 3900 3200 2e00 3100 3600 3800 2e00 3100 3000 3000 2e00 3100 3000 3000 0000
  0000
  0900 ffff 0000
  1e00 ffff 0000
  1000 ffff 0000
  0a00 ffff 0000
  1600 ffff 0000
  1f00 ffff 0000
  0e00 ffff 0000
  0000
`);

const WINDOWS_VALUE: Objref = {
  kind: 'standard',
  iid: IID_IENUMWBEMCLASSOBJECT,
  std: {
    flags: 0,
    cPublicRefs: 5,
    oxid: 0x30b45e07652d4de5n,
    oid: 0x370e97b237a5edf9n,
    ipid: '0002d803-012c-0000-15fe-86df03d66f0f',
  },
  resolver: {
    stringBindings: [
      { towerId: 7, networkAddr: 'WIN-8K15VKV24SG' },
      { towerId: 7, networkAddr: '192.168.100.100' },
    ],
    securityBindings: [0x09, 0x1e, 0x10, 0x0a, 0x16, 0x1f, 0x0e].map((authnSvc) => ({
      authnSvc,
      authzSvc: 0xffff,
      principal: '',
    })),
  },
};

describe('the real Windows OBJREF (ExecQuery_Response, scapy mswmi.uts)', () => {
  it('is 182 bytes, the ulCntData of its MInterfacePointer', () => {
    expect(WINDOWS_OBJREF.length).toBe(182);
    const mip = ndrDecode(MInterfacePointer, Buffer.concat([hex(WINDOWS_MIP_PREFIX), WINDOWS_OBJREF]));
    expect(mip.ulCntData).toBe(182);
    expect(Buffer.compare(mip.abData, WINDOWS_OBJREF)).toBe(0);
  });

  it('decodes field by field', () => {
    const o = decodeObjref(WINDOWS_OBJREF);
    expect(o.kind).toBe('standard');
    if (o.kind !== 'standard') return;
    expect(o.iid).toBe('027947e1-d731-11ce-a357-000000000001');
    expect(o.std.flags).toBe(0);
    expect(o.std.cPublicRefs).toBe(5);
    expect(o.std.oxid).toBe(0x30b45e07652d4de5n);
    expect(o.std.oid).toBe(0x370e97b237a5edf9n);
    expect(o.std.ipid).toBe('0002d803-012c-0000-15fe-86df03d66f0f');
    expect(o.resolver.stringBindings).toEqual([
      { towerId: TOWER_ID.ncacn_ip_tcp, networkAddr: 'WIN-8K15VKV24SG' },
      { towerId: TOWER_ID.ncacn_ip_tcp, networkAddr: '192.168.100.100' },
    ]);
    expect(o.resolver.securityBindings.map((b) => b.authnSvc)).toEqual([9, 0x1e, 0x10, 0x0a, 0x16, 0x1f, 0x0e]);
    for (const b of o.resolver.securityBindings) {
      expect(b.authzSvc).toBe(0xffff);
      expect(b.principal).toBe('');
    }
    expect(o).toEqual(WINDOWS_VALUE);
  });

  it('re-encodes byte for byte', () => {
    expect(encodeObjref(decodeObjref(WINDOWS_OBJREF)).toString('hex')).toBe(WINDOWS_OBJREF.toString('hex'));
    expect(encodeObjref(WINDOWS_VALUE).toString('hex')).toBe(WINDOWS_OBJREF.toString('hex'));
  });

  it('its resolver bindings are wNumEntries 57, wSecurityOffset 35', () => {
    const d = (WINDOWS_VALUE as Extract<Objref, { kind: 'standard' }>).resolver;
    expect(toStringArray(d)).toHaveLength(57);
    expect(securityOffset(d)).toBe(35);
    expect(encodePackedDsa(d).toString('hex')).toBe(WINDOWS_OBJREF.subarray(64).toString('hex'));
  });

  it('every truncation is a DcomFormatError', () => {
    for (let n = 0; n < WINDOWS_OBJREF.length; n++) formatError(() => decodeObjref(WINDOWS_OBJREF.subarray(0, n)));
  });

  it('bytes after the OBJREF are ignored, as a stream reader ignores them', () => {
    expect(decodeObjref(Buffer.concat([WINDOWS_OBJREF, hex('00000000')]))).toEqual(WINDOWS_VALUE);
  });

  it('SORF_NOPING and other STDOBJREF flags pass through', () => {
    const b = Buffer.from(WINDOWS_OBJREF);
    b.writeUInt32LE(SORF_NOPING, 24);
    const o = decodeObjref(b);
    expect(o.kind === 'standard' && o.std.flags).toBe(0x1000);
    expect(encodeObjref(o).equals(b)).toBe(true);
  });
});

// --- OBJREF_CUSTOM ---------------------------------------------------------------------------

const IID_IACTIVATIONPROPERTIESOUT = '000001a3-0000-0000-c000-000000000046';
const CLSID_ACTIVATIONPROPERTIESOUT = '00000339-0000-0000-c000-000000000046';

/** An activation reply's OBJREF_CUSTOM around 12 bytes of (stand-in) properties blob. */
const CUSTOM_OBJREF = hex(`
  4d454f57 04000000 a3010000 0000 0000 c000000000000046
  39030000 0000 0000 c000000000000046
  00000000
  14000000
  0c000000 00000000 01020304 
`);

const CUSTOM_VALUE: Objref = {
  kind: 'custom',
  iid: IID_IACTIVATIONPROPERTIESOUT,
  clsid: CLSID_ACTIVATIONPROPERTIESOUT,
  cbExtension: 0,
  data: hex('0c000000 00000000 01020304'),
};

describe('OBJREF_CUSTOM', () => {
  it('encodes header, clsid, cbExtension 0, size = data + 8, data', () => {
    expect(encodeObjref(CUSTOM_VALUE).toString('hex')).toBe(CUSTOM_OBJREF.toString('hex'));
  });

  it('decodes, the data running to the end', () => {
    expect(decodeObjref(CUSTOM_OBJREF)).toEqual(CUSTOM_VALUE);
  });

  it('ignores the reserved size and reports cbExtension, both "ignored on receipt"', () => {
    const b = Buffer.from(CUSTOM_OBJREF);
    b.writeUInt32LE(0xdeadbeef, 44);
    b.writeUInt32LE(3, 40);
    expect(decodeObjref(b)).toEqual({ ...CUSTOM_VALUE, cbExtension: 3 });
  });

  it('the decoded data is a copy', () => {
    const b = Buffer.from(CUSTOM_OBJREF);
    const o = decodeObjref(b);
    b.fill(0);
    expect(o.kind === 'custom' && o.data.toString('hex')).toBe('0c0000000000000001020304');
  });

  it('an empty data block is 48 bytes with size 8', () => {
    const o: Objref = { ...CUSTOM_VALUE, data: Buffer.alloc(0) };
    const b = encodeObjref(o);
    expect(b.length).toBe(48);
    expect(b.readUInt32LE(44)).toBe(8);
    expect(decodeObjref(b)).toEqual(o);
  });

  it('shorter than its fixed part is a DcomFormatError', () => {
    for (let n = 0; n < 48; n++) formatError(() => decodeObjref(CUSTOM_OBJREF.subarray(0, n)));
  });
});

// --- OBJREF header checks --------------------------------------------------------------------

describe('OBJREF header checks', () => {
  it('a wrong signature', () => {
    const b = Buffer.from(WINDOWS_OBJREF);
    b.writeUInt32LE(0x574f454e, 0);
    expect(formatError(() => decodeObjref(b))).toMatch(/signature/);
    expect(OBJREF_SIGNATURE).toBe(0x574f454d);
    expect(WINDOWS_OBJREF.subarray(0, 4).toString('latin1')).toBe('MEOW');
  });

  it('flags that are not exactly one format', () => {
    for (const flags of [0, 3, 5, 6, 9, 12, 15, 16, 0x11, 0x80000001, 0xffffffff]) {
      const b = Buffer.from(WINDOWS_OBJREF);
      b.writeUInt32LE(flags >>> 0, 4);
      expect(formatError(() => decodeObjref(b))).toMatch(/flags/);
    }
  });

  it('a GUID_NULL iid', () => {
    const b = Buffer.from(WINDOWS_OBJREF);
    b.fill(0, 8, 24);
    expect(formatError(() => decodeObjref(b))).toMatch(/GUID_NULL/);
    expect(() => encodeObjref({ ...CUSTOM_VALUE, iid: '00000000-0000-0000-0000-000000000000' })).toThrow(RangeError);
  });

  it('OBJREF_FLAGS are the spec values', () => {
    expect(OBJREF_FLAGS).toEqual({ STANDARD: 1, HANDLER: 2, CUSTOM: 4, EXTENDED: 8 });
  });
});

describe('OBJREF_HANDLER and OBJREF_EXTENDED are read, then refused', () => {
  const std = `
    00000000 01000000 0100000000000000 0200000000000000
    03000000 0400 0500 060708090a0b0c0d`;
  const minimalDsa = '0400 0200 0000 0000 0000 0000';
  const HANDLER = hex(`
    4d454f57 02000000 e1477902 31d7 ce11 a357000000000001
    ${std}
    11111111 2222 3333 4444555555555555
    ${minimalDsa}
  `);
  const EXTENDED = hex(`
    4d454f57 08000000 e1477902 31d7 ce11 a357000000000001
    ${std}
    5659534e
    ${minimalDsa}
    01000000 5659534e
    11111111 2222 3333 4444555555555555  05000000 08000000  0102030405 000000
  `);

  it('a well-formed OBJREF_HANDLER is refused as unsupported', () => {
    expect(formatError(() => decodeObjref(HANDLER))).toMatch(/OBJREF_HANDLER is not supported/);
    for (let n = 0; n < HANDLER.length; n++) {
      expect(formatError(() => decodeObjref(HANDLER.subarray(0, n)))).not.toMatch(/not supported/);
    }
  });

  it('a well-formed OBJREF_EXTENDED is refused as unsupported', () => {
    expect(formatError(() => decodeObjref(EXTENDED))).toMatch(/OBJREF_EXTENDED is not supported/);
    for (let n = 0; n < EXTENDED.length; n++) {
      expect(formatError(() => decodeObjref(EXTENDED.subarray(0, n)))).not.toMatch(/not supported/);
    }
  });

  it('an OBJREF_EXTENDED with bad signatures, nElms or DATAELEMENT sizes is malformed', () => {
    const at = 24 + 40; // Signature1
    const afterDsa = at + 4 + 12; // nElms
    const element = afterDsa + 8;
    const cases: Array<[number, number]> = [
      [at, 0x4e535957],
      [afterDsa, 2],
      [afterDsa + 4, 0],
      [element + 16, 0], // cbSize 0
      [element + 20, 5], // cbRounded not rounded
    ];
    for (const [offset, value] of cases) {
      const b = Buffer.from(EXTENDED);
      b.writeUInt32LE(value, offset);
      expect(formatError(() => decodeObjref(b))).not.toMatch(/not supported/);
    }
  });
});

// --- DUALSTRINGARRAY -------------------------------------------------------------------------

/** What an object exporter answers in ScmReplyInfo / ResolveOxid2: host[port] bindings. */
const EXPORTER: DualStringArray = {
  stringBindings: [
    { towerId: TOWER_ID.ncacn_ip_tcp, networkAddr: 'FILESRV01[49667]' },
    { towerId: TOWER_ID.ncacn_ip_tcp, networkAddr: '127.0.0.1[49667]' },
  ],
  securityBindings: [
    { authnSvc: AUTHN_SVC.winnt, authzSvc: 0xffff, principal: '' },
    { authnSvc: AUTHN_SVC.gss_negotiate, authzSvc: 0xffff, principal: 'FILESRV01' },
  ],
};

/** wNumEntries 53 = 2 × (1 + 16 + 1) + 1 + 3 + 12 + 1, wSecurityOffset 37. */
const EXPORTER_ARRAY = `
  0700 4600 4900 4c00 4500 5300 5200 5600 3000 3100 5b00 3400 3900 3600 3600 3700 5d00 0000
  0700 3100 3200 3700 2e00 3000 2e00 3000 2e00 3100 5b00 3400 3900 3600 3600 3700 5d00 0000
  0000
  0a00 ffff 0000
  0900 ffff 4600 4900 4c00 4500 5300 5200 5600 3000 3100 0000
  0000`;
const EXPORTER_PACKED = hex(`3500 2500 ${EXPORTER_ARRAY}`);
/** The NDR form: a conformant structure, so max_count comes first. */
const EXPORTER_NDR = hex(`35000000 3500 2500 ${EXPORTER_ARRAY}`);

function u16s(h: string): number[] {
  const b = hex(h);
  const out: number[] = [];
  for (let i = 0; i < b.length; i += 2) out.push(b.readUInt16LE(i));
  return out;
}

describe('DUALSTRINGARRAY', () => {
  it('the constants', () => {
    expect(TOWER_ID).toEqual({ ncacn_ip_tcp: 7, ncacn_np: 0x0f, ncacn_http: 0x1f });
    expect(AUTHN_SVC).toEqual({ none: 0, gss_negotiate: 9, winnt: 10, gss_kerberos: 16 });
    expect(COM_C_AUTHZ_NONE).toBe(0xffff);
  });

  it('exporter bindings: the array, the offset, the NDR value', () => {
    expect(toStringArray(EXPORTER)).toEqual(u16s(EXPORTER_ARRAY));
    expect(securityOffset(EXPORTER)).toBe(37);
    expect(toNdrValue(EXPORTER)).toEqual({ wNumEntries: 53, wSecurityOffset: 37, aStringArray: u16s(EXPORTER_ARRAY) });
  });

  it('exporter bindings: NDR bytes both ways', () => {
    expect(ndrEncode(DUALSTRINGARRAY, toNdrValue(EXPORTER)).toString('hex')).toBe(EXPORTER_NDR.toString('hex'));
    expect(fromNdrValue(ndrDecode(DUALSTRINGARRAY, EXPORTER_NDR))).toEqual(EXPORTER);
  });

  it('exporter bindings: packed bytes both ways', () => {
    expect(encodePackedDsa(EXPORTER).toString('hex')).toBe(EXPORTER_PACKED.toString('hex'));
    expect(decodePackedDsa(EXPORTER_PACKED, 0)).toEqual({ dsa: EXPORTER, size: 110 });
    const shifted = Buffer.concat([hex('aabbcc'), EXPORTER_PACKED, hex('ddee')]);
    expect(decodePackedDsa(shifted, 3)).toEqual({ dsa: EXPORTER, size: 110 });
  });

  it('the minimal array {0,0,0,0} with wSecurityOffset 2 is no bindings at all', () => {
    const none: DualStringArray = { stringBindings: [], securityBindings: [] };
    const v: DualStringArrayNdr = { wNumEntries: 4, wSecurityOffset: 2, aStringArray: [0, 0, 0, 0] };
    expect(toNdrValue(none)).toEqual(v);
    expect(fromNdrValue(v)).toEqual(none);
    expect(ndrEncode(DUALSTRINGARRAY, v).toString('hex')).toBe('04000000040002000000000000000000');
    expect(encodePackedDsa(none).toString('hex')).toBe('040002000000000000000000');
    expect(decodePackedDsa(hex('0400 0200 0000 0000 0000 0000'))).toEqual({ dsa: none, size: 12 });
  });

  it('no string bindings still has the empty binding and its terminator', () => {
    const d: DualStringArray = { stringBindings: [], securityBindings: [{ authnSvc: 10, authzSvc: 0xffff, principal: '' }] };
    expect(toNdrValue(d)).toEqual({ wNumEntries: 6, wSecurityOffset: 2, aStringArray: [0, 0, 10, 0xffff, 0, 0] });
    expect(fromNdrValue(toNdrValue(d))).toEqual(d);
  });

  it('RPC_C_AUTHN_NONE has nothing after it; alone it is written as no bindings', () => {
    const d: DualStringArray = {
      stringBindings: [{ towerId: 7, networkAddr: 'h' }],
      securityBindings: [
        { authnSvc: 0, authzSvc: 0xffff, principal: '' },
        { authnSvc: 16, authzSvc: 0xffff, principal: 'host/h' },
      ],
    };
    const h = [0x68, 0x6f, 0x73, 0x74, 0x2f, 0x68];
    expect(toNdrValue(d)).toEqual({ wNumEntries: 15, wSecurityOffset: 4, aStringArray: [7, 0x68, 0, 0, 0, 16, 0xffff, ...h, 0, 0] });
    expect(fromNdrValue(toNdrValue(d))).toEqual(d);
    const lone: DualStringArray = { stringBindings: [], securityBindings: [{ authnSvc: 0, authzSvc: 0xffff, principal: '' }] };
    expect(toStringArray(lone)).toEqual([0, 0, 0, 0]);
    expect(() => toStringArray({ stringBindings: [], securityBindings: [{ authnSvc: 0, authzSvc: 0xffff, principal: 'x' }] })).toThrow(RangeError);
  });

  it('tolerates empty STRINGBINDINGs before wSecurityOffset, and a bare terminator', () => {
    // [7, 'A', 0, 0 | 0, 0]: a binding, its terminator, then one empty binding.
    expect(fromNdrValue({ wNumEntries: 6, wSecurityOffset: 4, aStringArray: [7, 0x41, 0, 0, 0, 0] })).toEqual({
      stringBindings: [{ towerId: 7, networkAddr: 'A' }],
      securityBindings: [],
    });
    expect(fromNdrValue({ wNumEntries: 3, wSecurityOffset: 1, aStringArray: [0, 0, 0] })).toEqual({ stringBindings: [], securityBindings: [] });
    expect(fromNdrValue({ wNumEntries: 2, wSecurityOffset: 1, aStringArray: [0, 0] })).toEqual({ stringBindings: [], securityBindings: [] });
  });

  it('refuses what cannot be written', () => {
    const bad: DualStringArray[] = [
      { stringBindings: [{ towerId: 0, networkAddr: 'x' }], securityBindings: [] },
      { stringBindings: [{ towerId: 0x10000, networkAddr: 'x' }], securityBindings: [] },
      { stringBindings: [{ towerId: 7, networkAddr: 'a\u0000b' }], securityBindings: [] },
      { stringBindings: [], securityBindings: [{ authnSvc: 10, authzSvc: 0xffff, principal: '\u0000' }] },
      { stringBindings: [], securityBindings: [{ authnSvc: -1, authzSvc: 0xffff, principal: '' }] },
      { stringBindings: [], securityBindings: [{ authnSvc: 10, authzSvc: 0x10000, principal: '' }] },
      { stringBindings: [{ towerId: 7, networkAddr: 'x'.repeat(0xffff) }], securityBindings: [] },
    ];
    for (const d of bad) expect(() => toNdrValue(d)).toThrow(RangeError);
  });

  it('malformed NDR values are DcomFormatErrors', () => {
    const cases: DualStringArrayNdr[] = [
      { wNumEntries: 0, wSecurityOffset: 0, aStringArray: [] },
      { wNumEntries: 4, wSecurityOffset: 5, aStringArray: [0, 0, 0, 0] }, // offset past the end
      { wNumEntries: 4, wSecurityOffset: 0, aStringArray: [0, 0, 0, 0] }, // no string terminator
      { wNumEntries: 5, wSecurityOffset: 2, aStringArray: [0, 0, 0, 0] }, // length mismatch
      { wNumEntries: 4, wSecurityOffset: 2, aStringArray: [0, 0, 0, 0x10000] }, // not a u16
      { wNumEntries: 4, wSecurityOffset: 4, aStringArray: [0, 0, 0, 0] }, // no security terminator
      { wNumEntries: 5, wSecurityOffset: 3, aStringArray: [7, 0x41, 0, 0, 0] }, // address runs into the offset
      { wNumEntries: 5, wSecurityOffset: 3, aStringArray: [0, 9, 0, 0, 0] }, // data between terminator and offset
      { wNumEntries: 5, wSecurityOffset: 2, aStringArray: [0, 0, 10, 0xffff, 0] }, // principal ends at the last unit
      { wNumEntries: 4, wSecurityOffset: 2, aStringArray: [0, 0, 10, 0xffff] }, // principal never ends
      { wNumEntries: 3, wSecurityOffset: 2, aStringArray: [0, 0, 10] }, // Reserved missing
      { wNumEntries: 4, wSecurityOffset: 2, aStringArray: [0, 0, 0, 9] }, // last unit is not a terminator
    ];
    for (const v of cases) formatError(() => fromNdrValue(v));
  });

  it('every truncation is a DcomFormatError, in both forms', () => {
    const full = toNdrValue(EXPORTER);
    for (let k = 0; k < full.wNumEntries; k++) {
      const a = full.aStringArray.slice(0, k);
      formatError(() => fromNdrValue({ wNumEntries: k, wSecurityOffset: Math.min(full.wSecurityOffset, k), aStringArray: a }));
      formatError(() => fromNdrValue({ ...full, aStringArray: a }));
    }
    for (let n = 0; n < EXPORTER_PACKED.length; n++) formatError(() => decodePackedDsa(EXPORTER_PACKED.subarray(0, n)));
    formatError(() => decodePackedDsa(EXPORTER_PACKED, EXPORTER_PACKED.length - 3));
    formatError(() => decodePackedDsa(EXPORTER_PACKED, -1));
  });
});

// --- Properties ------------------------------------------------------------------------------

/** Any UTF-16 code unit but NUL, lone surrogates included: the wire carries code units. */
const codeUnitText = fc.string({ unit: fc.integer({ min: 1, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 20 });

const stringBinding = fc.record({ towerId: fc.integer({ min: 1, max: 0xffff }), networkAddr: codeUnitText });

const securityBinding: fc.Arbitrary<SecurityBinding> = fc.oneof(
  { weight: 1, arbitrary: fc.constant({ authnSvc: 0, authzSvc: 0xffff, principal: '' }) },
  {
    weight: 5,
    arbitrary: fc.record({ authnSvc: fc.integer({ min: 1, max: 0xffff }), authzSvc: fc.integer({ min: 0, max: 0xffff }), principal: codeUnitText }),
  },
);

const dualStringArray: fc.Arbitrary<DualStringArray> = fc.record({
  stringBindings: fc.array(stringBinding, { maxLength: 6 }),
  securityBindings: fc.array(securityBinding, { maxLength: 8 }),
});

const guid = fc.uuid({ version: [1, 2, 3, 4, 5] }).map((s) => s.toLowerCase());

const standardObjref: fc.Arbitrary<Objref> = fc.record({
  kind: fc.constant('standard' as const),
  iid: guid,
  std: fc.record({
    flags: fc.oneof(fc.constant(0), fc.constant(SORF_NOPING), fc.nat({ max: 0xffffffff })),
    cPublicRefs: fc.nat({ max: 0xffffffff }),
    oxid: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    oid: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    ipid: guid,
  }),
  resolver: dualStringArray,
});

const customObjref: fc.Arbitrary<Objref> = fc.record({
  kind: fc.constant('custom' as const),
  iid: guid,
  clsid: fc.uuid().map((s) => s.toLowerCase()),
  cbExtension: fc.nat({ max: 0xffffffff }),
  data: fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)),
});

function onlyFormatErrors(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof DcomFormatError)) throw e;
  }
}

describe('properties', () => {
  it('any DualStringArray round-trips through the NDR value and its bytes', () => {
    fc.assert(
      fc.property(dualStringArray, (d) => {
        const v = toNdrValue(d);
        expect(v.wNumEntries).toBe(v.aStringArray.length);
        expect(v.wSecurityOffset).toBe(securityOffset(d));
        expect(fromNdrValue(v)).toEqual(normalized(d));
        expect(fromNdrValue(ndrDecode(DUALSTRINGARRAY, ndrEncode(DUALSTRINGARRAY, v)))).toEqual(normalized(d));
      }),
    );
  });

  it('any DualStringArray round-trips through the packed form, at any offset', () => {
    fc.assert(
      fc.property(dualStringArray, fc.uint8Array({ maxLength: 5 }), (d, pad) => {
        const packed = encodePackedDsa(d);
        expect(packed.length).toBe(4 + 2 * toStringArray(d).length);
        const buf = Buffer.concat([Buffer.from(pad), packed, Buffer.from(pad)]);
        expect(decodePackedDsa(buf, pad.length)).toEqual({ dsa: normalized(d), size: packed.length });
      }),
    );
  });

  it('any OBJREF round-trips', () => {
    fc.assert(
      fc.property(fc.oneof(standardObjref, customObjref), (o) => {
        const b = encodeObjref(o);
        const back = decodeObjref(b);
        const expected = o.kind === 'standard' ? { ...o, resolver: normalized(o.resolver) } : o;
        expect(back).toEqual(expected);
        expect(encodeObjref(back).equals(b)).toBe(true);
      }),
    );
  });

  it('random bytes only ever throw DcomFormatError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (a) => {
        onlyFormatErrors(() => decodeObjref(Buffer.from(a)));
        onlyFormatErrors(() => decodePackedDsa(Buffer.from(a), 0));
      }),
      { numRuns: 500 },
    );
  });

  it('random bytes behind a valid header only ever throw DcomFormatError', () => {
    const header = fc.record({
      flags: fc.oneof(fc.constantFrom(1, 2, 4, 8), fc.nat({ max: 0xffffffff })),
      iid: fc.uint8Array({ minLength: 16, maxLength: 16 }),
      tail: fc.uint8Array({ maxLength: 160 }),
    });
    fc.assert(
      fc.property(header, ({ flags, iid, tail }) => {
        const b = Buffer.alloc(24 + tail.length);
        b.writeUInt32LE(OBJREF_SIGNATURE, 0);
        b.writeUInt32LE(flags, 4);
        b.set(iid, 8);
        b.set(tail, 24);
        onlyFormatErrors(() => decodeObjref(b));
      }),
      { numRuns: 1000 },
    );
  });

  it('mutations of the Windows OBJREF only ever throw DcomFormatError', () => {
    fc.assert(
      fc.property(fc.nat({ max: WINDOWS_OBJREF.length - 1 }), fc.integer({ min: 0, max: 255 }), fc.nat({ max: WINDOWS_OBJREF.length }), (at, byte, cut) => {
        const b = Buffer.from(WINDOWS_OBJREF);
        b[at] = byte;
        onlyFormatErrors(() => decodeObjref(b.subarray(0, cut)));
        onlyFormatErrors(() => decodeObjref(b));
      }),
      { numRuns: 1000 },
    );
  });
});
