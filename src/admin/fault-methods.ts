/**
 * The interfaces and methods a scripted fault may name: every interface scmpd serves, with
 * the method names of its IDL, so a misspelt rule is refused (400 naming the field) instead
 * of never firing. The engine (src/store/faults.ts) matches plain strings and knows no IDL.
 */
import type { InterfaceDecl } from '../dcerpc/interface.js';
import { ndrZeroAnswer } from '../dcerpc/zero-answer.js';
import { epm } from '../interfaces/epm/idl.js';
import { mgmt } from '../interfaces/mgmt/idl.js';
import { IObjectExporter } from '../interfaces/oxid/idl.js';
import { IRemUnknown, IRemUnknown2 } from '../interfaces/remunknown/idl.js';
import { IActivation, IRemoteSCMActivator } from '../interfaces/scm/idl.js';
import { IVssDifferentialSoftwareSnapshotMgmt, IVssEnumMgmtObject, IVssEnumObject, IVssSnapshotMgmt } from '../interfaces/scmp/idl.js';
import { FieldError, fieldName } from '../store/json-fields.js';
import type { FaultRuleSpec } from '../store/faults.js';

const SERVED: readonly InterfaceDecl[] = [
  IVssSnapshotMgmt,
  IVssDifferentialSoftwareSnapshotMgmt,
  IVssEnumObject,
  IVssEnumMgmtObject,
  IRemUnknown,
  IRemUnknown2,
  IRemoteSCMActivator,
  IActivation,
  IObjectExporter,
  epm,
  mgmt,
];

/** The DCOM interfaces: their hresult answer is the dispatcher's refusal, which every method has. */
const DCOM = new Set<InterfaceDecl>([IVssSnapshotMgmt, IVssDifferentialSoftwareSnapshotMgmt, IVssEnumObject, IVssEnumMgmtObject, IRemUnknown, IRemUnknown2]);

/** The method names of each interface, by the interface's name. */
export const FAULT_METHODS: ReadonlyMap<string, readonly string[]> = new Map(SERVED.map((d) => [d.name, d.opnums.flatMap((m) => (m ? [m.name] : []))]));

/** The rule with the interface and method spelt as the IDL does; a FieldError naming the one not served. */
export function servedRule(rule: FaultRuleSpec, at = ''): FaultRuleSpec {
  const iface = [...FAULT_METHODS.keys()].find((n) => n.toLowerCase() === rule.interface.toLowerCase());
  if (!iface) throw new FieldError(fieldName(at, 'interface'), `not an interface this host serves (one of ${[...FAULT_METHODS.keys()].join(', ')})`);
  // By opnum: any opnum of a served interface, those it lacks included (that is what such a rule is for).
  if (rule.opnum !== undefined) return { ...rule, interface: iface };
  const names = FAULT_METHODS.get(iface)!;
  const method = names.find((n) => n.toLowerCase() === (rule.method ?? '').toLowerCase());
  if (!method) throw new FieldError(fieldName(at, 'method'), `not a method of ${iface} (one of ${names.join(', ')})`);
  const decl = SERVED.find((d) => d.name === iface)!;
  if (rule.action === 'hresult' && !DCOM.has(decl) && !hasZeroAnswer(decl, method)) {
    // Its out-parameters have no zeroed form (mgmt's princ_name, sized by the caller): the runtime could only fault.
    throw new FieldError(fieldName(at, 'action'), `${iface}.${method} has no zeroed answer to carry a return value; use action fault`);
  }
  return { ...rule, interface: iface, method };
}

function hasZeroAnswer(decl: InterfaceDecl, name: string): boolean {
  try {
    ndrZeroAnswer(decl.opnums.find((m) => m?.name === name)!, 0);
    return true;
  } catch {
    return false;
  }
}
