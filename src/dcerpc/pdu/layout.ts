import { inlineArray } from '../../ndr/array.js';
import { NdrError } from '../../ndr/error.js';
import { u16, u32, u8 } from '../../ndr/primitives.js';
import type { NdrReader } from '../../ndr/reader.js';
import type { NdrType } from '../../ndr/type.js';
import type { NdrWriter } from '../../ndr/writer.js';
import { compileRead, compileShell, compileWrite } from './compile.js';
import { PduError } from './error.js';

/**
 * The vocabulary in which every PDU layout of C706 chapter 12 and MS-RPCE 2.2.2 is declared
 * once (layouts.ts): a layout is a list of fields, and each field says how it is read from
 * an NdrReader and written to an NdrWriter, so both directions come from the one
 * declaration, as in Samba's dcerpc.idl. Each field aligns itself as NDR does, relative to
 * the start of the PDU (the reader and writer start there), which is what C706 means by the
 * natural alignment of PDU fields.
 *
 * PDUs differ from NDR in a few ways, which is why this is more than `struct`: the values
 * the code sees leave out what only the wire needs (reserved octets, the counts of lists,
 * padding), a list's count sits apart from the list, and the stub runs to where the auth
 * padding starts. A count is read into a slot of the one read and never shown; written, it
 * is the length of its list.
 *
 * A layout is compiled into one reading and one writing function (compile.ts), so each
 * field gives its steps as source: statements over `r` (the reader), `o` (the object read
 * into) and `s` (the slots) for reading, over `w` (the writer) and `v` (the value) for
 * writing; `self` is the expression naming the field object, through which the statements
 * reach its members.
 */

/** The hidden values of one read of one layout (list counts), by slot. */
export type Slots = number[];

export interface Field {
  /** The field's name in the spec, for error messages. */
  readonly name: string;
  /** The fewest octets it occupies: bounds a list's count before anything is allocated. */
  readonly minSize: number;
  /** The keys of the value it reads and writes. */
  readonly keys: readonly string[];
  /** A trailing field is not read: only the last field of a layout may be one. */
  readonly trailing?: boolean;
  readCode(self: string): string;
  writeCode(self: string): string;
}

/** A PDU layout or a part of one. It is also an NdrType, so lists of it are NDR arrays. */
export interface Layout<T> extends NdrType<T> {
  readonly fields: readonly Field[];
  /** Reads the fields into `into` (for a body: the PDU object, holding header and verifier). */
  readInto(r: NdrReader, into: object): void;
  /** Reads a fresh value. */
  read(r: NdrReader): T;
  writeFrom(w: NdrWriter, v: T): void;
}

type Key<T> = keyof T & string;
type ListKey<T> = { [K in Key<T>]: T[K] extends readonly unknown[] ? K : never }[Key<T>];
type BufferKey<T> = { [K in Key<T>]: T[K] extends Buffer ? K : never }[Key<T>];
type Elem<A> = A extends readonly (infer E)[] ? E : never;

/** The fields that carry a value of T, typed by T's keys. */
export interface FieldKit<T> {
  /** A value the code sees, under `key`. */
  field<K extends Key<T>>(spec: string, key: K, type: NdrType<T[K]>): Field;
  /**
   * A value present only when `present(into)` says so on reading (for a PDU: a header flag);
   * written when the value is defined. Absent, it reads as undefined.
   */
  optional<K extends Key<T>>(spec: string, key: K, type: NdrType<Exclude<T[K], undefined>>, present: (into: any) => boolean): Field;
  /**
   * The count of the list under `key`, hidden from the value: written as the list's length
   * (a RangeError if `type` cannot hold it). With `absentAtEnd`, a body that ends before
   * the count reads as zero (bind_nak may stop after its reason).
   */
  count<K extends ListKey<T>>(spec: string, key: K, type: NdrType<number>, opts?: { absentAtEnd?: boolean }): Field;
  /** The list counted by the `count` of the same key declared before it: elements only. */
  list<K extends ListKey<T>>(spec: string, key: K, elem: NdrType<Elem<T[K]>>): Field;
  /** The octets from here to the end of what the reader holds, as a view. */
  rest<K extends BufferKey<T>>(spec: string, key: K): Field;
  /**
   * The stub: from here to where the auth padding starts (auth_pad_length octets before the
   * sec_trailer, read from `into.auth`). A pad longer than the stub is an error, or with
   * `padOverrun: 'empty'` an empty stub.
   */
  stub<K extends BufferKey<T>>(spec: string, key: K, opts?: { padOverrun: 'error' | 'empty' }): Field;
}

/** A failure inside a layout, as a PduError naming the layout and the field. */
function located(e: unknown, layout: string, field: string): unknown {
  if (e instanceof NdrError) return new PduError(`${layout}: ${field} runs past the end of the PDU (${e.message})`);
  if (e instanceof PduError) return new PduError(`${layout}: ${field}: ${e.message}`);
  return e;
}

/** The reader's and writer's own methods for the integer primitives, called in line. */
const DIRECT = new Map<NdrType<any>, string>([
  [u8, 'u8'],
  [u16, 'u16'],
  [u32, 'u32'],
]);

/** A key the compiled source names as a property: it must be an identifier. */
function prop(key: string): string {
  if (!/^[A-Za-z_$][\w$]*$/.test(key)) throw new Error(`${key} is not usable as a field key`);
  return key;
}

/** Source that reads one value of `type` (a field object's member `type` when not a primitive). */
function readValue(type: NdrType<any>, self: string): string {
  const direct = DIRECT.get(type);
  return direct ? `r.${direct}()` : `${self}.type.readScalars(r, undefined, undefined)`;
}

function writeValue(type: NdrType<any>, self: string, value: string): string {
  const direct = DIRECT.get(type);
  return direct ? `w.${direct}(${value});` : `${self}.type.writeScalars(w, ${value}, undefined, false);`;
}

/**
 * A field with steps of its own, for what the kit does not say (a value split over bits,
 * a checked constant). `keys` are the keys `read` sets on `into`.
 */
export function custom(f: {
  name: string;
  minSize: number;
  keys?: readonly string[];
  read(r: NdrReader, into: Record<string, unknown>): void;
  write(w: NdrWriter, v: any): void;
}): Field {
  return {
    name: f.name,
    minSize: f.minSize,
    keys: f.keys ?? [],
    read: f.read,
    write: f.write,
    readCode: (self) => `${self}.read(r, o);`,
    writeCode: (self) => `${self}.write(w, v);`,
  } as Field;
}

function fieldKit<T>(counts: Map<string, number>): FieldKit<T> {
  return {
    field(spec, key, type) {
      const p = prop(key);
      return {
        name: spec,
        minSize: type.minSize,
        keys: [key],
        type,
        readCode: (self) => `o.${p} = ${readValue(type, self)};`,
        writeCode: (self) => writeValue(type, self, `v.${p}`),
      } as Field;
    },
    optional(spec, key, type, present) {
      const p = prop(key);
      return {
        name: spec,
        minSize: 0,
        keys: [key],
        type,
        present,
        readCode: (self) => `o.${p} = ${self}.present(o) ? ${readValue(type, self)} : undefined;`,
        writeCode: (self) => `if (v.${p} !== undefined) ${writeValue(type, self, `v.${p}`)}`,
      } as Field;
    },
    count(spec, key, type, opts) {
      if (counts.has(key)) throw new Error(`${spec}: ${key} is counted twice`);
      const p = prop(key);
      const slot = counts.size;
      counts.set(key, slot);
      const max = 2 ** (8 * type.minSize) - 1;
      const absentAtEnd = opts?.absentAtEnd === true;
      return {
        name: spec,
        minSize: absentAtEnd ? 0 : type.minSize,
        keys: [],
        type,
        check(n: number): number {
          if (n > max) throw new RangeError(`${spec}: ${n} ${key} do not fit in ${type.name}`);
          return n;
        },
        readCode: (self) => `s[${slot}] = ${absentAtEnd ? 'r.remaining === 0 ? 0 : ' : ''}${readValue(type, self)};`,
        writeCode: (self) => writeValue(type, self, `${self}.check(v.${p}.length)`),
      } as Field;
    },
    list(spec, key, elem) {
      const p = prop(key);
      const slot = counts.get(key);
      if (slot === undefined) throw new Error(`${spec}: no count declared before the list ${key}`);
      return {
        name: spec,
        minSize: 0,
        keys: [key],
        // The count expression's scope is the slots of the read.
        array: inlineArray(elem, (slots: Slots) => slots?.[slot]),
        readCode: (self) => `o.${p} = ${self}.array.readScalars(r, s, undefined);`,
        writeCode: (self) => `${self}.array.writeScalars(w, v.${p}, undefined, false);`,
      } as Field;
    },
    rest(spec, key) {
      const p = prop(key);
      return {
        name: spec,
        minSize: 0,
        keys: [key],
        readCode: () => `o.${p} = r.bytes(r.remaining);`,
        writeCode: () => `w.bytes(v.${p});`,
      };
    },
    stub(spec, key, opts) {
      const p = prop(key);
      const lenient = opts?.padOverrun === 'empty';
      return {
        name: spec,
        minSize: 0,
        keys: [key],
        /** The stub's length: what is left before the trailer, less auth_pad_length. */
        length(r: NdrReader, into: { auth?: { authPadLength: number } }): number {
          const n = r.remaining - (into.auth === undefined ? 0 : into.auth.authPadLength);
          if (n >= 0) return n;
          if (lenient) return 0;
          throw new PduError('auth_pad_length exceeds the stub');
        },
        readCode: (self) => `o.${p} = r.bytes(${self}.length(r, o));`,
        writeCode: () => `w.bytes(v.${p});`,
      } as Field;
    },
  };
}

/** Octets the code never sees: written as `value`, read and dropped. */
export function reserved(spec: string, type: NdrType<number>, value = 0): Field {
  return {
    name: spec,
    minSize: type.minSize,
    keys: [],
    type,
    readCode: (self) => `${readValue(type, self)};`,
    writeCode: (self) => writeValue(type, self, String(value >>> 0)),
  } as Field;
}

/** Zero padding to an n-octet boundary, skipped on reading (whatever it holds). */
export function align(spec: string, n: number): Field {
  return { name: spec, minSize: 0, keys: [], readCode: () => `r.align(${n});`, writeCode: () => `w.align(${n});` };
}

/**
 * Trailing octets the sender may fill as it likes (MS-RPCE: "ignored on receipt"): written as
 * zeros — `octets` of them, or up to an `alignTo` boundary — and not required on reading.
 */
export function filler(spec: string, size: { octets: number } | { alignTo: number }): Field {
  return {
    name: spec,
    minSize: 0,
    keys: [],
    trailing: true,
    readCode: () => '',
    writeCode: () => ('octets' in size ? `w.zeros(${size.octets});` : `w.align(${size.alignTo});`),
  };
}

/**
 * Declares a layout. `declare` lists the fields in wire order; fields that carry values are
 * made with the kit, so their keys and types are checked against T.
 */
export function layout<T>(name: string, declare: (kit: FieldKit<T>) => Field[]): Layout<T> {
  const counts = new Map<string, number>();
  const fields = declare(fieldKit<T>(counts));
  if (fields.some((f, i) => f.trailing && i !== fields.length - 1)) throw new Error(`${name}: a filler can only end a layout`);
  const readInto = compileRead(name, fields, counts.size, located) as (r: NdrReader, into: object) => void;
  const writeFrom = compileWrite(fields) as (w: NdrWriter, v: T) => void;
  const shell = compileShell([], fields) as () => object;
  const read = (r: NdrReader): T => {
    const o = shell();
    readInto(r, o);
    return o as T;
  };
  return {
    name,
    fields,
    // Every field aligns itself; a layout adds no alignment of its own.
    align: 1,
    minSize: fields.reduce((s, f) => s + f.minSize, 0),
    conformant: false,
    deferred: false,
    readInto,
    read,
    writeFrom,
    readScalars: read,
    readBuffers: (_r, v) => v,
    writeScalars: (w, v) => writeFrom(w, v),
    writeBuffers() {},
  };
}
