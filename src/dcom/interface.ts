import { method, rpcInterface, type InterfaceDecl, type MethodDecl } from '../dcerpc/interface.js';
import type { Guid } from '../ndr/guid.js';
import type { Fields, StructOf } from '../ndr/type.js';
import { ORPCTHAT, ORPCTHIS } from './orpc.js';

/**
 * A DCOM interface, declared from its IDL: every method's first [in] is ORPCTHIS and its
 * first [out] is ORPCTHAT, added here once; opnums 0-2 (IUnknown) never travel, so
 * methods start at 3. Interfaces are always version 0.0 on the wire.
 */
export function orpcMethod<IF extends Fields, OF extends Fields>(
  opnum: number,
  name: string,
  inArgs: IF,
  outArgs: OF,
): MethodDecl<StructOf<{ ORPCthis: typeof ORPCTHIS } & IF>, StructOf<{ ORPCthat: typeof ORPCTHAT } & OF>> {
  if (opnum < 3) throw new Error(`${name}: opnums 0-2 belong to IUnknown and never travel`);
  return method(opnum, name, { ORPCthis: ORPCTHIS, ...inArgs }, { ORPCthat: ORPCTHAT, ...outArgs });
}

export function dcomInterface<M extends Record<string, MethodDecl>>(def: { name: string; iid: Guid; methods: M }): InterfaceDecl<M> {
  return rpcInterface({ name: def.name, uuid: def.iid, version: [0, 0], methods: def.methods });
}
