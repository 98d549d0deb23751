import type { Field, Slots } from './layout.js';

/**
 * Turns a layout's field list into functions, as MIDL and PIDL turn IDL into stubs — here
 * when the module loads. Why: a loop calling each field's read and write makes every
 * property access and every call in it see all layouts at once, which V8 cannot optimise
 * (megamorphic sites); the parser and the response writer run on every call, and such a
 * loop made them three times slower than the hand-written code they replace. A compiled
 * function has sites of its own, with the keys written out, and objects made whole.
 *
 * The source is built from our own declarations only: each field's steps (Field.readCode /
 * writeCode, with keys checked to be identifiers when declared). Nothing from the wire
 * reaches it.
 */

type Located = (e: unknown, layout: string, field: string) => unknown;

const NO_SLOTS: Slots = [];

/** `const f0 = fields[0]; ...`: the field objects, by the names the steps use for `self`. */
function fieldConstants(fields: readonly Field[]): string {
  return fields.map((_, i) => `const f${i} = fields[${i}];`).join('\n');
}

/** (r, o) => void: reads every field into o; a failure names the layout and the field. */
export function compileRead(name: string, fields: readonly Field[], nSlots: number, located: Located): Function {
  const steps = fields.map((f, i) => `i = ${i}; ${f.readCode(`f${i}`)}`).join('\n');
  const source = `${fieldConstants(fields)}
return function read(r, o) {
  const s = ${nSlots === 0 ? 'NO_SLOTS' : `new Array(${nSlots})`};
  let i = 0;
  try {
${steps}
  } catch (e) {
    throw located(e, name, fields[i].name);
  }
};`;
  return new Function('fields', 'name', 'located', 'NO_SLOTS', source)(fields, name, located, NO_SLOTS);
}

/** (w, v) => void: writes every field of v. */
export function compileWrite(fields: readonly Field[]): Function {
  const source = `${fieldConstants(fields)}
return function write(w, v) {
${fields.map((f, i) => f.writeCode(`f${i}`)).join('\n')}
};`;
  return new Function('fields', source)(fields);
}

/**
 * (...base) => object: a new object holding `base` (given in order) and every key the fields
 * read, as undefined until they are read. Made whole by one literal, the object has all its
 * properties in place from the start instead of growing through a transition per field.
 */
export function compileShell(base: readonly string[], fields: readonly Field[]): Function {
  const keys = [...base, ...fields.flatMap((f) => f.keys.filter((k) => !base.includes(k)))];
  for (const k of keys) if (!/^[A-Za-z_$][\w$]*$/.test(k)) throw new Error(`${k} is not usable as a key`);
  const entries = keys.map((k) => (base.includes(k) ? k : `${k}: undefined`));
  return new Function(...base, `return { ${entries.join(', ')} };`);
}
