/**
 * The RC4 keystream loop as a WebAssembly module of one function, written out here octet
 * by octet with its text form beside each line (no toolchain, no file to load). Memory is
 * one 64 KiB page: S at 0..255, i at 256, j at 257, the message from 512. `rc4(n)` XORs
 * the n octets at 512 with the keystream in place and stores i and j back.
 *
 * The caller copies a handle's 258-octet state in, the message in (in chunks that fit the
 * page), runs the loop, and copies both out: the module holds nothing between calls, so
 * any number of handles share it. Where WebAssembly is missing (node --jitless) the export
 * is undefined and rc4.ts keeps to its JavaScript loop.
 */
const FUNC_BODY = [
  0x01, 0x05, 0x7f, //                              locals: 5 x i32 — $i=1 $j=2 $k=3 $si=4 $sj=5 ($n=0 is the parameter)
  0x41, 0x00, 0x2d, 0x00, 0x80, 0x02, 0x21, 0x01, // i32.const 0  i32.load8_u offset=256  local.set $i
  0x41, 0x00, 0x2d, 0x00, 0x81, 0x02, 0x21, 0x02, // i32.const 0  i32.load8_u offset=257  local.set $j
  0x41, 0x00, 0x21, 0x03, //                        i32.const 0  local.set $k
  0x02, 0x40, //                                    block
  0x20, 0x00, 0x45, 0x0d, 0x00, //                    local.get $n  i32.eqz  br_if 0        (nothing to do)
  0x03, 0x40, //                                      loop
  0x20, 0x01, 0x41, 0x01, 0x6a, 0x41, 0xff, 0x01, 0x71, 0x21, 0x01, // i = (i + 1) & 255
  0x20, 0x01, 0x2d, 0x00, 0x00, 0x21, 0x04, //            si = S[i]
  0x20, 0x02, 0x20, 0x04, 0x6a, 0x41, 0xff, 0x01, 0x71, 0x21, 0x02, // j = (j + si) & 255
  0x20, 0x02, 0x2d, 0x00, 0x00, 0x21, 0x05, //            sj = S[j]
  0x20, 0x01, 0x20, 0x05, 0x3a, 0x00, 0x00, //            S[i] = sj
  0x20, 0x02, 0x20, 0x04, 0x3a, 0x00, 0x00, //            S[j] = si
  0x20, 0x03, //                                          address k (the store below adds 512)
  0x20, 0x03, 0x2d, 0x00, 0x80, 0x04, //                  message[k]: local.get $k  i32.load8_u offset=512
  0x20, 0x04, 0x20, 0x05, 0x6a, 0x41, 0xff, 0x01, 0x71, 0x2d, 0x00, 0x00, // S[(si + sj) & 255]
  0x73, //                                                i32.xor
  0x3a, 0x00, 0x80, 0x04, //                              i32.store8 offset=512
  0x20, 0x03, 0x41, 0x01, 0x6a, 0x22, 0x03, //            k = k + 1 (local.tee leaves k)
  0x20, 0x00, 0x49, 0x0d, 0x00, //                        local.get $n  i32.lt_u  br_if 0 (loop while k < n)
  0x0b, //                                            end loop
  0x0b, //                                          end block
  0x41, 0x00, 0x20, 0x01, 0x3a, 0x00, 0x80, 0x02, // i32.const 0  local.get $i  i32.store8 offset=256
  0x41, 0x00, 0x20, 0x02, 0x3a, 0x00, 0x81, 0x02, // i32.const 0  local.get $j  i32.store8 offset=257
  0x0b, //                                          end
];

/** Unsigned LEB128, as the binary format sizes its sections. */
function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}

const CODE_ENTRY = [...leb(FUNC_BODY.length), ...FUNC_BODY];
const MODULE = Uint8Array.from([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, //    "\0asm", version 1
  0x01, 0x05, 0x01, 0x60, 0x01, 0x7f, 0x00, //          type section: one type, (func (param i32))
  0x03, 0x02, 0x01, 0x00, //                            function section: function 0 has type 0
  0x05, 0x03, 0x01, 0x00, 0x01, //                      memory section: one memory, at least 1 page
  0x07, 0x0d, 0x02, //                                  export section, two exports:
  0x03, 0x72, 0x63, 0x34, 0x00, 0x00, //                  "rc4" function 0
  0x03, 0x6d, 0x65, 0x6d, 0x02, 0x00, //                  "mem" memory 0
  0x0a, ...leb(CODE_ENTRY.length + 1), 0x01, ...CODE_ENTRY, // code section: one body
]);

const STATE = 258;
const DATA_AT = 512;
const PAGE = 65536;
const CHUNK = PAGE - DATA_AT;

/** The little of the WebAssembly API used here (the project's lib settings declare none of it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: { rc4: (n: number) => void; mem: { buffer: ArrayBuffer } } };
}

function instantiate(): ((state: Uint8Array, data: Uint8Array, out: Uint8Array) => void) | undefined {
  const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (!wasm) return undefined;
  let run: (n: number) => void;
  let mem: Uint8Array;
  try {
    const instance = new wasm.Instance(new wasm.Module(MODULE));
    run = instance.exports.rc4;
    mem = new Uint8Array(instance.exports.mem.buffer);
  } catch {
    return undefined;
  }
  return (state, data, out) => {
    mem.set(state, 0);
    for (let at = 0; at < data.length; at += CHUNK) {
      const n = Math.min(CHUNK, data.length - at);
      mem.set(data.subarray(at, at + n), DATA_AT);
      run(n);
      out.set(mem.subarray(DATA_AT, DATA_AT + n), at);
    }
    state.set(mem.subarray(0, STATE));
  };
}

/** XORs `data` into `out` with the keystream of `state` (S, i, j; updated); undefined without WebAssembly. */
export const rc4Wasm = instantiate();
