/**
 * A scripted `hresult` on an interface that is not DCOM's is answered with every
 * out-parameter zeroed and the return value (the last one) set: every method of every
 * port-135 interface has that answer, and it encodes and reads back.
 */
import { expect, test } from 'vitest';
import { ndrZeroAnswer } from '../../src/dcerpc/zero-answer.js';
import { ndrDecode, ndrEncode } from '../../src/ndr/index.js';
import { epm } from '../../src/interfaces/epm/idl.js';
import { mgmt } from '../../src/interfaces/mgmt/idl.js';
import { IObjectExporter } from '../../src/interfaces/oxid/idl.js';
import { IActivation, IRemoteSCMActivator } from '../../src/interfaces/scm/idl.js';
import { FAULT_METHODS, servedRule } from '../../src/admin/fault-methods.js';
import type { MethodDecl } from '../../src/dcerpc/interface.js';

const PORT_135 = [epm, mgmt, IObjectExporter, IActivation, IRemoteSCMActivator];

/** The one method whose out-parameters have no zeroed form: its string is sized by the caller. */
const NO_ZERO_FORM = 'mgmt.rpc__mgmt_inq_princ_name';
const methods = PORT_135.flatMap((d) => d.opnums.flatMap((m) => (m ? [[`${d.name}.${m.name}`, m] as [string, MethodDecl]] : [])));

test.each(methods.filter(([n]) => n !== NO_ZERO_FORM))('%s', (_name, m) => {
  const out = ndrZeroAnswer(m, 0x8007000e);
  const keys = Object.keys(out);
  const last = keys[keys.length - 1]!;
  expect(out[last]).toBe(0x8007000e);
  const bytes = ndrEncode(m.response, out, out);
  const back = ndrDecode(m.response, bytes, true) as Record<string, unknown>;
  expect(back[last]).toBe(0x8007000e);
});

test('every interface a rule may name is covered here or by the DCOM dispatcher', () => {
  const dcom = ['IVssSnapshotMgmt', 'IVssDifferentialSoftwareSnapshotMgmt', 'IVssEnumObject', 'IVssEnumMgmtObject', 'IRemUnknown', 'IRemUnknown2'];
  expect([...FAULT_METHODS.keys()].sort()).toEqual([...dcom, ...PORT_135.map((d) => d.name)].sort());
});

test('a hresult rule on the method without a zeroed answer is refused, naming the action; a fault rule is taken', () => {
  const [iface, method] = NO_ZERO_FORM.split('.') as [string, string];
  expect(() => ndrZeroAnswer(methods.find(([n]) => n === NO_ZERO_FORM)![1], 5)).toThrow();
  expect(() => servedRule({ interface: iface, method, action: 'hresult', status: 5 })).toThrow(/^action: mgmt\.rpc__mgmt_inq_princ_name has no zeroed answer/);
  expect(servedRule({ interface: iface, method, action: 'fault', status: 5 }).method).toBe(method);
  expect(servedRule({ interface: 'IVssEnumObject', method: 'next', action: 'hresult', status: 5 }).method).toBe('Next');
});
