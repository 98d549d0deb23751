import * as net from 'node:net';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { RpcClient, syntaxOf } from '../../src/client/rpc-client.js';
import { BIND_NAK_REASON, FAULT, NDR20_SYNTAX, PFC } from '../../src/dcerpc/constants.js';
import { PduFramer } from '../../src/dcerpc/pdu/framer.js';
import { parsePdu } from '../../src/dcerpc/pdu/parser.js';
import { encodeBind, encodeRequest } from '../../src/dcerpc/pdu/serializer.js';
import type { Pdu } from '../../src/dcerpc/pdu/types.js';
import { mgmt } from '../../src/interfaces/mgmt/idl.js';
import { echo, echoServer } from '../helpers/echo.js';
import { RawRpcClient } from '../helpers/raw-client.js';

let server: Awaited<ReturnType<typeof echoServer>>;
/** A connection kept open across the whole file: it must keep being served. */
let witness: RpcClient;

beforeAll(async () => {
  server = await echoServer({ idleTimeoutMs: 10_000 });
  witness = await RawRpcClient.connect(server.host, server.port);
  await witness.bindInterface(echo);
});
afterAll(async () => {
  await witness.close();
  await server.close();
});

async function witnessAlive(): Promise<void> {
  expect((await witness.call(0, echo.methods.add, { a: 40, b: 2 })).sum).toBe(42);
}

const validBind = (callId = 1) =>
  encodeBind('bind', {
    callId,
    maxXmitFrag: 5840,
    maxRecvFrag: 5840,
    assocGroupId: 0,
    contexts: [{ contextId: 0, abstractSyntax: syntaxOf(echo), transferSyntaxes: [{ ...NDR20_SYNTAX }] }],
  });

/**
 * Sends `bytes` on a fresh connection (optionally bound first), half-closes, and collects
 * every PDU the server answers with until it closes. Fails on a hang.
 */
async function exchange(bytes: Buffer, bindFirst: boolean, timeoutMs = 5000): Promise<{ pdus: Pdu[]; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: server.host, port: server.port });
    const framer = new PduFramer(0xffff);
    const pdus: Pdu[] = [];
    let bound = !bindFirst;
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`server neither answered nor closed: ${bytes.subarray(0, 32).toString('hex')}`));
    }, timeoutMs);
    s.on('connect', () => {
      if (bindFirst) s.write(validBind());
      else s.end(bytes);
    });
    s.on('data', (d) => {
      for (const f of framer.push(d)) {
        const p = parsePdu(f);
        if (!bound) {
          bound = true;
          s.end(bytes);
          continue;
        }
        pdus.push(p);
      }
    });
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ pdus, closed: true });
    });
  });
}

/** What the server may answer a client PDU with. */
const ANSWERS = new Set(['bind_ack', 'bind_nak', 'alter_context_resp', 'response', 'fault']);

describe('malformed PDUs', () => {
  test('a truncated header is dropped with the connection', async () => {
    const r = await exchange(validBind().subarray(0, 10), false);
    expect(r.pdus).toEqual([]);
    await witnessAlive();
  });

  test('frag_length below the header size: bind_nak before bind, fault after, then close', async () => {
    const bad = Buffer.from(validBind());
    bad.writeUInt16LE(8, 8);
    const before = await exchange(bad, false);
    expect(before.pdus).toMatchObject([{ type: 'bind_nak', reason: BIND_NAK_REASON.protocol_version_not_supported }]);
    const after = await exchange(bad, true);
    expect(after.pdus).toMatchObject([{ type: 'fault', status: FAULT.nca_s_proto_error }]);
    await witnessAlive();
  });

  test('frag_length above the maximum is refused before anything is buffered', async () => {
    const bad = Buffer.from(validBind());
    bad.writeUInt16LE(0xfff0, 8);
    const before = await exchange(bad, false);
    expect(before.pdus).toMatchObject([{ type: 'bind_nak' }]);
    const hdr = encodeRequest({ callId: 3, flags: 3, allocHint: 0, contextId: 0, opnum: 1, stub: Buffer.alloc(8) });
    hdr.writeUInt16LE(5841, 8);
    const after = await exchange(hdr, true);
    expect(after.pdus).toMatchObject([{ type: 'fault', status: FAULT.nca_s_proto_error, header: { flags: PFC.FIRST_FRAG | PFC.LAST_FRAG } }]);
    await witnessAlive();
  });

  test('fragments that arrive together with a bad header are still answered, then the fault', async () => {
    const c = await RawRpcClient.connect(server.host, server.port);
    await c.bindInterface(echo);
    const good = encodeRequest({ callId: 11, flags: 3, allocHint: 8, contextId: 0, opnum: 1, stub: Buffer.from('0100000002000000', 'hex') });
    const bad = encodeRequest({ callId: 12, flags: 3, allocHint: 0, contextId: 0, opnum: 1, stub: Buffer.alloc(8) });
    bad.writeUInt16LE(4, 8);
    c.sendRaw(Buffer.concat([good, bad]));
    expect(await c.nextPdu()).toMatchObject({ type: 'response', header: { callId: 11 } });
    expect(await c.nextPdu()).toMatchObject({ type: 'fault', status: FAULT.nca_s_proto_error, header: { callId: 12 } });
    await c.closedPromise;
  });

  test('an unknown PDU type', async () => {
    const bad = Buffer.from(validBind());
    bad[2] = 99;
    expect((await exchange(bad, false)).pdus).toMatchObject([{ type: 'bind_nak' }]);
    expect((await exchange(bad, true)).pdus).toMatchObject([{ type: 'fault', status: FAULT.nca_s_proto_error }]);
    const ping = Buffer.from(validBind());
    ping[2] = 1; // a connectionless PDU type on a connection
    expect((await exchange(ping, true)).pdus).toMatchObject([{ type: 'fault', status: FAULT.nca_s_proto_error }]);
    await witnessAlive();
  });

  test('a request before any bind gets bind_nak (protocol error) and a close', async () => {
    const req = encodeRequest({ callId: 1, flags: 3, allocHint: 0, contextId: 0, opnum: 2, stub: Buffer.alloc(0) });
    expect((await exchange(req, false)).pdus).toMatchObject([{ type: 'bind_nak', reason: BIND_NAK_REASON.protocol_version_not_supported }]);
    await witnessAlive();
  });

  test('a wrong RPC version, a bind without contexts, a second bind', async () => {
    const v4 = Buffer.from(validBind());
    v4[0] = 4;
    expect((await exchange(v4, false)).pdus).toMatchObject([{ type: 'bind_nak', reason: BIND_NAK_REASON.protocol_version_not_supported }]);
    const empty = encodeBind('bind', { callId: 1, maxXmitFrag: 5840, maxRecvFrag: 5840, assocGroupId: 0, contexts: [] });
    expect((await exchange(empty, false)).pdus).toMatchObject([{ type: 'bind_nak', reason: BIND_NAK_REASON.protocol_version_not_supported }]);
    expect((await exchange(validBind(2), true)).pdus).toMatchObject([{ type: 'bind_nak', reason: BIND_NAK_REASON.reason_not_specified }]);
    await witnessAlive();
  });

  test('a bind with an auth verifier is refused until a security provider is configured', async () => {
    const contexts = [{ contextId: 0, abstractSyntax: syntaxOf(echo), transferSyntaxes: [{ ...NDR20_SYNTAX }] }];
    const b = encodeBind('bind', { callId: 1, maxXmitFrag: 5840, maxRecvFrag: 5840, assocGroupId: 0, contexts }, {
      authType: 10,
      authLevel: 2,
      authContextId: 0,
      authValue: Buffer.from('4e544c4d5353500001000000', 'hex'),
    });
    expect((await exchange(b, false)).pdus).toMatchObject([{ type: 'bind_nak', reason: BIND_NAK_REASON.authentication_type_not_recognized }]);
  });

  test('EBCDIC data representation is refused per call, the connection stays', async () => {
    const c = await RawRpcClient.connect(server.host, server.port);
    await c.bindInterface(mgmt);
    const req = encodeRequest({ callId: 9, flags: 3, allocHint: 0, contextId: 0, opnum: 2, stub: Buffer.alloc(0) });
    req[4] = 0x11; // little-endian, EBCDIC
    c.sendRaw(req);
    expect(await c.nextPdu()).toMatchObject({ type: 'fault', status: FAULT.nca_s_unsupported_type });
    expect(await c.call(0, mgmt.methods.is_server_listening, {})).toEqual({ status: 0, result: 1 });
    await c.close();
  });
});

/** A mutation of a valid PDU or plain noise, with a frag_length that usually tells the truth. */
function randomPdu(seed: Buffer): Buffer {
  const kind = seed[0]! % 4;
  const bases = [
    validBind(),
    encodeRequest({ callId: 5, flags: 3, allocHint: 16, contextId: 0, opnum: seed[1]! % 4, stub: randomBytes(seed[2]! % 64) }),
    encodeBind('alter_context', {
      callId: 6,
      maxXmitFrag: 5840,
      maxRecvFrag: 5840,
      assocGroupId: 0,
      contexts: [{ contextId: seed[3]! % 3, abstractSyntax: syntaxOf(mgmt), transferSyntaxes: [{ ...NDR20_SYNTAX }] }],
    }),
  ];
  if (kind === 3) {
    const noise = randomBytes(16 + (seed[4]! % 200));
    noise[0] = 5;
    noise[4] = 0x10;
    noise.writeUInt16LE(noise.length, 8);
    if (seed[5]! & 1) noise.writeUInt16LE(0, 10);
    return noise;
  }
  const pdu = Buffer.from(bases[kind]!);
  const flips = 1 + (seed[6]! % 6);
  for (let i = 0; i < flips; i++) {
    const at = randomBytes(2).readUInt16LE(0) % pdu.length;
    // Keep frag_length honest most of the time so the body itself is exercised.
    if ((at === 8 || at === 9) && seed[7]! % 4 !== 0) continue;
    pdu[at] = randomBytes(1)[0]!;
  }
  return pdu;
}

describe('fuzz', () => {
  test('10,000 random PDUs are each answered by a fault, a bind_nak or a close; other clients are served', async () => {
    const N = 10_000;
    const PARALLEL = 32;
    let next = 0;
    const seen = new Map<string, number>();
    const worker = async () => {
      while (next < N) {
        const i = next++;
        const seed = randomBytes(8);
        const pdu = randomPdu(seed);
        const r = await exchange(pdu, i % 2 === 1);
        expect(r.closed).toBe(true);
        for (const p of r.pdus) {
          expect(ANSWERS.has(p.type), `unexpected ${p.type}`).toBe(true);
          seen.set(p.type, (seen.get(p.type) ?? 0) + 1);
        }
        if (i % 1000 === 0) await witnessAlive();
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));
    await witnessAlive();
    // The mix reached the interesting answers, not just closes.
    expect(seen.get('fault') ?? 0).toBeGreaterThan(100);
    expect(seen.get('bind_nak') ?? 0).toBeGreaterThan(100);
    // Every connection is gone again: nothing leaked.
    await new Promise((r) => setTimeout(r, 100));
    expect(server.rpc.connectionCount).toBe(1);
  }, 120_000);
});
