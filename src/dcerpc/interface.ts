import type { Guid } from '../ndr/guid.js';
import { params } from '../ndr/struct.js';
import type { Fields, NdrType, StructOf } from '../ndr/type.js';

/**
 * An RPC interface declared once, straight from its IDL: the request and response of
 * each method are NDR parameter lists, from which the TypeScript shapes are inferred and
 * both the server's stubs and the client's proxies are derived.
 */
export interface MethodDecl<I = any, O = any> {
  readonly opnum: number;
  readonly name: string;
  readonly request: NdrType<I>;
  readonly response: NdrType<O>;
}

export type InOf<M> = M extends MethodDecl<infer I, any> ? I : never;
export type OutOf<M> = M extends MethodDecl<any, infer O> ? O : never;

export function method<IF extends Fields, OF extends Fields>(
  opnum: number,
  name: string,
  inArgs: IF,
  outArgs: OF,
): MethodDecl<StructOf<IF>, StructOf<OF>> {
  return {
    opnum,
    name,
    request: params(`${name} request`, inArgs),
    response: params(`${name} response`, outArgs),
  };
}

export type Methods = Record<string, MethodDecl>;

export interface InterfaceDecl<M extends Methods = Methods> {
  readonly name: string;
  readonly uuid: Guid;
  readonly major: number;
  readonly minor: number;
  readonly methods: M;
  /** Method by opnum; a hole is an opnum the interface does not serve on the wire. */
  readonly opnums: ReadonlyArray<MethodDecl | undefined>;
}

export function rpcInterface<M extends Methods>(def: { name: string; uuid: Guid; version: [number, number]; methods: M }): InterfaceDecl<M> {
  const opnums: Array<MethodDecl | undefined> = [];
  for (const m of Object.values(def.methods)) {
    if (opnums[m.opnum]) throw new Error(`${def.name}: opnum ${m.opnum} declared twice`);
    opnums[m.opnum] = m;
  }
  return { name: def.name, uuid: def.uuid.toLowerCase(), major: def.version[0], minor: def.version[1], methods: def.methods, opnums };
}
