/**
 * Code of its own for each constructed NDR type, made when the type is declared. Why: a
 * structure's loop over its fields (or an array's over its elements) is one function for
 * every type, so its call `types[i].writeScalars(...)` sees every NDR type of the program
 * and V8 cannot optimise it (a megamorphic site); the marshalling of an enumeration's
 * hundreds of structures went through such loops. A function made by `new Function` has
 * call sites of its own, each seeing one field's type, and V8 inlines them.
 *
 * The same choice as the PDU layouts (src/dcerpc/pdu/compile.ts). The source is built from
 * our own declarations only: field names go in as JSON string literals (`v["m_Id"]`), the
 * types as bound constants; nothing from the wire reaches it.
 */
export function specialize<T>(source: string, bindings: Record<string, unknown>): T {
  const names = Object.keys(bindings);
  return new Function(...names, source)(...names.map((n) => bindings[n])) as T;
}

/** A property access for a declared field name: `v["name"]`. */
export function prop(object: string, key: string): string {
  return `${object}[${JSON.stringify(key)}]`;
}
