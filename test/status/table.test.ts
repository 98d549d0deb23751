import { expect, test } from 'vitest';
import * as codes from '../../src/status/codes.js';
import { ALIASES, formatStatus, statusHex, statusName, statusTable } from '../../src/status/index.js';
import { createLogger } from '../../src/log.js';

const entries = Object.entries(codes) as [string, number][];

test('every constant is in the table: under its own name, or under the name it is an alias of', () => {
  for (const [name, value] of entries) expect([name, statusName(value)]).toEqual([name, ALIASES[name] ?? name]);
});

test('every name in the table is unique, and every number has one preferred name', () => {
  const names = [...statusTable().values()];
  expect(new Set(names).size).toBe(names.length);
  expect(statusTable().size).toBe(entries.length - Object.keys(ALIASES).length);
});

test('an alias names a constant of the same number', () => {
  for (const [alias, preferred] of Object.entries(ALIASES)) {
    expect(alias in codes && preferred in codes).toBe(true);
    expect((codes as Record<string, number>)[alias]).toBe((codes as Record<string, number>)[preferred]);
  }
});

test('every constant is a 32-bit unsigned number, as MS-ERREF prints it', () => {
  for (const [name, value] of entries) expect([name, Number.isInteger(value) && value >= 0 && value <= 0xffffffff]).toEqual([name, true]);
});

// Values as the specs print them: MS-ERREF 2.1 (HRESULT) and 2.2 (Win32), MS-SCMP 3.1.4
// (vsserror.h), C706 appendix E, MS-RPCE 2.2.1.2.1 (the endpoint mapper's DCE status).
test.each([
  ['E_NOTIMPL', 0x80004001],
  ['E_NOINTERFACE', 0x80004002],
  ['E_ACCESSDENIED', 0x80070005],
  ['E_OUTOFMEMORY', 0x8007000e],
  ['E_INVALIDARG', 0x80070057],
  ['REGDB_E_CLASSNOTREG', 0x80040154],
  ['CO_E_OBJNOTREG', 0x800401fb],
  ['RPC_E_DISCONNECTED', 0x80010108],
  ['RPC_E_INVALID_OBJREF', 0x8001011d],
  ['SEC_E_INVALID_TOKEN', 0x80090308],
  ['VSS_E_BAD_STATE', 0x80042301],
  ['VSS_E_PROVIDER_NOT_REGISTERED', 0x80042304],
  ['VSS_E_OBJECT_NOT_FOUND', 0x80042308],
  ['VSS_E_VOLUME_NOT_SUPPORTED', 0x8004230c],
  ['VSS_E_OBJECT_ALREADY_EXISTS', 0x8004230d],
  ['VSS_E_VOLUME_IN_USE', 0x8004231d],
  ['VSS_E_MAXIMUM_DIFFAREA_ASSOCIATIONS_REACHED', 0x8004231e],
  ['VSS_E_INSUFFICIENT_STORAGE', 0x8004231f],
  ['VSS_E_WRITERERROR_RETRYABLE', 0x800423f3],
  ['ERROR_ACCESS_DENIED', 5],
  ['ERROR_INSUFFICIENT_BUFFER', 122],
  ['RPC_S_INVALID_BINDING', 1702],
  ['RPC_S_PROTSEQ_NOT_FOUND', 1744],
  ['RPC_S_UNKNOWN_AUTHN_SERVICE', 1747],
  ['EPT_S_INVALID_ENTRY', 1751],
  ['EPT_S_CANT_PERFORM_OP', 1752],
  ['RPC_X_BAD_STUB_DATA', 1783],
  ['RPC_S_CALL_CANCELLED', 1818],
  ['RPC_S_UNSUPPORTED_AUTHN_LEVEL', 1821],
  ['EPT_S_CANT_CREATE', 1899],
  ['ept_s_not_registered', 0x16c9a0d6],
  ['nca_s_fault_int_div_by_zero', 0x1c000001],
  ['nca_s_fault_context_mismatch', 0x1c00001a],
  ['nca_s_fault_remote_no_memory', 0x1c00001b],
  ['nca_s_op_rng_error', 0x1c010002],
  ['nca_s_unk_if', 0x1c010003],
  ['nca_s_proto_error', 0x1c01000b],
  ['nca_s_server_too_busy', 0x1c010014],
])('%s', (name, value) => {
  expect((codes as Record<string, number>)[name]).toBe(value);
  expect(statusName(value)).toBe(name);
});

test('a status prints as its number and its name; an unknown one as its number', () => {
  expect(formatStatus(0x80042308)).toBe('0x80042308 VSS_E_OBJECT_NOT_FOUND');
  expect(formatStatus(0)).toBe('0x00000000 S_OK');
  expect(formatStatus(5)).toBe('0x00000005 ERROR_ACCESS_DENIED');
  expect(formatStatus(0x8004ffff)).toBe('0x8004ffff');
  expect(statusName(0x8004ffff)).toBeUndefined();
  // An HRESULT read as a signed LONG is the same status.
  expect(statusName(0x80070005 | 0)).toBe('E_ACCESSDENIED');
  expect(statusHex(-2147024891)).toBe('0x80070005');
});

test('the logger writes a numeric status field with its name', () => {
  const lines: string[] = [];
  const log = createLogger('info', (l) => lines.push(l));
  log.info('call failed', { hresult: 0x8007000e, fault: 0x1c010003, hr: 0x12345678, status: 409 });
  log.info('plain', { hresult: '0x80042301' });
  expect(JSON.parse(lines[0]!)).toMatchObject({ hresult: '0x8007000e E_OUTOFMEMORY', fault: '0x1c010003 nca_s_unk_if', hr: '0x12345678', status: 409 });
  expect(JSON.parse(lines[1]!)).toMatchObject({ hresult: '0x80042301' });
});
