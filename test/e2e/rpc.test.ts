import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BindNakError, RpcClient, RpcFaultError, syntaxOf } from '../../src/client/rpc-client.js';
import { FAULT, NDR20_SYNTAX, NDR64_SYNTAX, PFC, PTYPE, RESULT, PROVIDER_REASON } from '../../src/dcerpc/constants.js';
import { encodeBind, encodeRequest } from '../../src/dcerpc/pdu/serializer.js';
import { epm } from '../../src/interfaces/epm/idl.js';
import { mgmt } from '../../src/interfaces/mgmt/idl.js';
import { GUID_NULL } from '../../src/ndr/guid.js';
import { ndrEncode } from '../../src/ndr/index.js';
import { echo, echoServer } from '../helpers/echo.js';
import { RawRpcClient } from '../helpers/raw-client.js';

const BTFN = { uuid: '6cb71c2c-9812-4540-0300-000000000000', major: 1, minor: 0 };
const UNKNOWN = { uuid: '12345678-1234-abcd-ef00-0123456789ab', major: 1, minor: 0 };

let server: Awaited<ReturnType<typeof echoServer>>;
beforeAll(async () => {
  server = await echoServer();
});
afterAll(() => server.close());

const open = () => RawRpcClient.connect(server.host, server.port);

describe('bind and presentation contexts', () => {
  test('a bind with several contexts gets one result per item, as Windows answers them', async () => {
    const c = await open();
    const results = await c.bind([
      { contextId: 0, abstractSyntax: syntaxOf(epm) },
      { contextId: 1, abstractSyntax: syntaxOf(mgmt) },
      { contextId: 2, abstractSyntax: UNKNOWN },
      { contextId: 3, abstractSyntax: syntaxOf(echo), transferSyntaxes: [{ ...NDR64_SYNTAX }] },
      { contextId: 4, abstractSyntax: syntaxOf(echo), transferSyntaxes: [BTFN] },
    ]);
    const zero = { uuid: GUID_NULL, major: 0, minor: 0 };
    expect(results).toEqual([
      { result: RESULT.acceptance, reason: 0, transferSyntax: { ...NDR20_SYNTAX } },
      // One new context per PDU: the second acceptable one is refused.
      { result: RESULT.provider_rejection, reason: PROVIDER_REASON.proposed_transfer_syntaxes_not_supported, transferSyntax: zero },
      { result: RESULT.provider_rejection, reason: PROVIDER_REASON.abstract_syntax_not_supported, transferSyntax: zero },
      { result: RESULT.provider_rejection, reason: PROVIDER_REASON.proposed_transfer_syntaxes_not_supported, transferSyntax: zero },
      { result: RESULT.negotiate_ack, reason: 0x3, transferSyntax: zero },
    ]);
    // Context 1 was refused: calling on it is an unknown interface.
    await expect(c.call(1, mgmt.methods.is_server_listening, {})).rejects.toMatchObject({ status: FAULT.nca_s_unk_if });
    // alter_context adds it.
    const alt = await c.alterContext([{ contextId: 1, abstractSyntax: syntaxOf(mgmt) }]);
    expect(alt[0]!.result).toBe(RESULT.acceptance);
    expect(await c.call(1, mgmt.methods.is_server_listening, {})).toEqual({ status: 0, result: 1 });
    expect((await c.call(0, epm.methods.ept_inq_object, {})).status).toBe(0);
    await c.close();
  });

  test('NDR64 beside NDR20 in one item: NDR20 is chosen; NDR64 alone is refused', async () => {
    const c = await open();
    const [a] = await c.bind([{ contextId: 0, abstractSyntax: syntaxOf(echo), transferSyntaxes: [{ ...NDR64_SYNTAX }, { ...NDR20_SYNTAX }] }]);
    expect(a).toMatchObject({ result: RESULT.acceptance, transferSyntax: { uuid: NDR20_SYNTAX.uuid, major: 2 } });
    const [b] = await c.alterContext([{ contextId: 1, abstractSyntax: syntaxOf(mgmt), transferSyntaxes: [{ ...NDR64_SYNTAX }] }]);
    expect(b).toMatchObject({ result: RESULT.provider_rejection, reason: PROVIDER_REASON.proposed_transfer_syntaxes_not_supported });
    await c.close();
  });

  test('an unknown interface version is an unsupported abstract syntax', async () => {
    const c = await open();
    const [r] = await c.bind([{ contextId: 0, abstractSyntax: { ...syntaxOf(epm), major: 4 } }]);
    expect(r).toMatchObject({ result: RESULT.provider_rejection, reason: PROVIDER_REASON.abstract_syntax_not_supported });
    await c.close();
  });

  test('fragment sizes are negotiated as Windows does: min of both, floor 2048, cap 5840, multiple of 8', async () => {
    for (const [xmit, recv, want] of [
      [1024, 1024, 2048],
      [0xffff, 0xffff, 5840],
      [3199, 0xffff, 3192],
      [4280, 4280, 4280],
    ]) {
      const c = await open();
      await c.bindInterface(echo, { maxXmitFrag: xmit, maxRecvFrag: recv });
      expect([c.maxXmitFrag, c.maxRecvFrag]).toEqual([want, want]);
      await c.close();
    }
  });

  test('association groups: a second connection joins by id; an unknown id gets bind_nak', async () => {
    const a = await open();
    await a.bindInterface(epm);
    const b = await open();
    await b.bindInterface(epm, { assocGroupId: a.assocGroupId });
    expect(b.assocGroupId).toBe(a.assocGroupId);
    // A context handle from one connection of the group works on the other.
    const first = await a.call(0, epm.methods.ept_lookup, {
      inquiry_type: 0,
      object: null,
      interface_id: null,
      vers_option: 1,
      entry_handle: { context_handle_attributes: 0, context_handle_uuid: GUID_NULL },
      max_ents: 1,
    });
    expect(first.num_ents).toBe(1);
    expect(first.entry_handle.context_handle_uuid).not.toBe(GUID_NULL);
    const next = await b.call(0, epm.methods.ept_lookup, {
      inquiry_type: 0,
      object: null,
      interface_id: null,
      vers_option: 1,
      entry_handle: first.entry_handle,
      max_ents: 1,
    });
    expect(next.num_ents).toBe(1);
    expect(next.entries[0]!.annotation).not.toBe(first.entries[0]!.annotation);
    const c = await open();
    await expect(c.bindInterface(epm, { assocGroupId: 0x7654321 })).rejects.toBeInstanceOf(BindNakError);
    await Promise.all([a.close(), b.close(), c.close()]);
  });
});

describe('calls', () => {
  test('a 1 MiB stub each way with 1024-byte fragments', async () => {
    const small = await echoServer({ minFragmentSize: 1024 });
    const c = await RawRpcClient.connect(small.host, small.port);
    await c.bindInterface(echo, { maxXmitFrag: 1024, maxRecvFrag: 1024 });
    expect(c.maxXmitFrag).toBe(1024);
    const data = randomBytes(1024 * 1024);
    const r = await c.call(0, echo.methods.echo, { len: data.length, data });
    expect(r.len).toBe(data.length);
    expect(r.data.equals(data)).toBe(true);
    expect(c.stats.largestFragment).toBe(1024);
    expect(c.stats.fragments).toBeGreaterThan(1024);
    await c.close();
    await small.close();
  });

  test('several calls in flight on one connection are each answered', async () => {
    const c = await open();
    await c.bindInterface(echo);
    const slow = [30, 10, 20, 0].map((ms, tag) => c.call(0, echo.methods.slow, { ms, tag }));
    const fast = Array.from({ length: 200 }, (_, i) => c.call(0, echo.methods.add, { a: i, b: 1000 }));
    expect((await Promise.all(fast)).map((r) => r.sum)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1000));
    expect((await Promise.all(slow)).map((r) => r.tag)).toEqual([0, 1, 2, 3]);
    await c.close();
  });

  test('many connections at once', async () => {
    const clients = await Promise.all(Array.from({ length: 64 }, () => open()));
    await Promise.all(clients.map((c) => c.bindInterface(echo)));
    const sums = await Promise.all(clients.flatMap((c, i) => Array.from({ length: 20 }, (_, j) => c.call(0, echo.methods.add, { a: i, b: j }))));
    expect(sums.length).toBe(64 * 20);
    expect(sums[21 * 20 + 7]!.sum).toBe(21 + 7);
    await Promise.all(clients.map((c) => c.close()));
  });

  test('a big-endian request decodes', async () => {
    const c = await open();
    await c.bindInterface(echo);
    const stub = Buffer.alloc(8);
    stub.writeUInt32BE(0x01020304, 0);
    stub.writeUInt32BE(0x10, 4);
    const r = await c.requestRaw(0, echo.methods.add.opnum, stub, { bigEndian: true });
    expect(r.littleEndian).toBe(true);
    expect(r.stub.readUInt32LE(0)).toBe(0x01020314);
    // A big-endian request with an object UUID, to the management interface.
    await c.alterContext([{ contextId: 1, abstractSyntax: syntaxOf(mgmt) }]);
    const count = Buffer.alloc(4);
    count.writeUInt32BE(2, 0);
    const st = await c.requestRaw(1, mgmt.methods.inq_stats.opnum, count, { bigEndian: true, object: '11223344-5566-7788-99aa-bbccddeeff00' });
    expect(st.stub.readUInt32LE(0)).toBe(2);
    await c.close();
  });

  test('the object UUID of a request reaches the method', async () => {
    const c = await open();
    await c.bindInterface(echo);
    const object = 'a1b2c3d4-e5f6-4718-9a0b-c1d2e3f4a5b6';
    expect(await c.call(0, echo.methods.whoami, {}, { object })).toEqual({ object });
    expect(await c.call(0, echo.methods.whoami, {})).toEqual({ object: GUID_NULL });
    // Big-endian: the GUID's first three fields arrive byte-swapped and still decode.
    const r = await c.requestRaw(0, echo.methods.whoami.opnum, Buffer.alloc(0), { object, bigEndian: true });
    expect(r.stub.subarray(0, 4).toString('hex')).toBe('d4c3b2a1');
    await c.close();
  });

  test('faults: unknown opnum, unknown context, bad stub data', async () => {
    const c = await open();
    await c.bindInterface(echo);
    const opnum = await c.request(0, 77, Buffer.alloc(0)).catch((e) => e);
    expect(opnum).toBeInstanceOf(RpcFaultError);
    expect(opnum).toMatchObject({ status: FAULT.nca_s_op_rng_error, flags: PFC.FIRST_FRAG | PFC.LAST_FRAG | PFC.DID_NOT_EXECUTE });
    const ctx = await c.request(9, 0, Buffer.alloc(0)).catch((e) => e);
    expect(ctx).toMatchObject({ status: FAULT.nca_s_unk_if, flags: 0x23 });
    // A stub that claims a megabyte but carries four bytes.
    const lying = Buffer.from('00001000000010000102030400000000', 'hex');
    const bad = await c.request(0, echo.methods.echo.opnum, lying).catch((e) => e);
    expect(bad).toMatchObject({ status: FAULT.rpc_x_bad_stub_data });
    const truncated = await c.request(0, echo.methods.add.opnum, Buffer.alloc(6)).catch((e) => e);
    expect(truncated).toMatchObject({ status: 0x6f7 });
    // The connection survives all of these.
    expect((await c.call(0, echo.methods.add, { a: 1, b: 2 })).sum).toBe(3);
    await c.close();
  });

  test('protocol error: a fragment of an unknown call gets nca_s_proto_error and a close', async () => {
    const c = await open();
    await c.bindInterface(echo);
    c.sendRaw(encodeRequest({ callId: 99, flags: PFC.LAST_FRAG, allocHint: 0, contextId: 0, opnum: 1, stub: Buffer.alloc(8) }));
    const f = await c.nextPdu();
    expect(f).toMatchObject({ type: 'fault', status: FAULT.nca_s_proto_error, contextId: 0 });
    await c.closedPromise;
  });

  test('without PFC_CONC_MPX, a new call while another is still arriving is a protocol error', async () => {
    const c = await open();
    await c.bindInterface(echo);
    c.sendRaw(encodeRequest({ callId: 50, flags: PFC.FIRST_FRAG, allocHint: 0, contextId: 0, opnum: 1, stub: Buffer.alloc(4) }));
    c.sendRaw(encodeRequest({ callId: 51, flags: PFC.FIRST_FRAG | PFC.LAST_FRAG, allocHint: 0, contextId: 0, opnum: 1, stub: Buffer.alloc(8) }));
    expect(await c.nextPdu()).toMatchObject({ type: 'fault', status: FAULT.nca_s_proto_error });
    await c.closedPromise;
  });

  test('with PFC_CONC_MPX, fragments of two calls may interleave', async () => {
    const c = await open();
    c.sendRaw(
      encodeBind('bind', {
        callId: 1,
        flags: PFC.FIRST_FRAG | PFC.LAST_FRAG | PFC.CONC_MPX,
        maxXmitFrag: 5840,
        maxRecvFrag: 5840,
        assocGroupId: 0,
        contexts: [{ contextId: 0, abstractSyntax: syntaxOf(echo), transferSyntaxes: [{ ...NDR20_SYNTAX }] }],
      }),
    );
    const ack = await c.nextPdu();
    expect(ack).toMatchObject({ type: 'bind_ack' });
    expect(ack!.header.flags & PFC.CONC_MPX).toBe(PFC.CONC_MPX);
    const args = (a: number, b: number) => ndrEncode(echo.methods.add.request, { a, b });
    const s1 = args(1, 2);
    const s2 = args(10, 20);
    c.sendRaw(encodeRequest({ callId: 2, flags: PFC.FIRST_FRAG, allocHint: 8, contextId: 0, opnum: 1, stub: s1.subarray(0, 4) }));
    c.sendRaw(encodeRequest({ callId: 3, flags: PFC.FIRST_FRAG, allocHint: 8, contextId: 0, opnum: 1, stub: s2.subarray(0, 4) }));
    c.sendRaw(encodeRequest({ callId: 3, flags: PFC.LAST_FRAG, allocHint: 4, contextId: 0, opnum: 1, stub: s2.subarray(4) }));
    c.sendRaw(encodeRequest({ callId: 2, flags: PFC.LAST_FRAG, allocHint: 4, contextId: 0, opnum: 1, stub: s1.subarray(4) }));
    const r1 = await c.nextPdu();
    const r2 = await c.nextPdu();
    expect(r1).toMatchObject({ type: 'response', header: { callId: 3 } });
    expect((r1 as any).stub.readUInt32LE(0)).toBe(30);
    expect(r2).toMatchObject({ type: 'response', header: { callId: 2 } });
    expect((r2 as any).stub.readUInt32LE(0)).toBe(3);
    await c.close();
  });

  test('a request larger than maxRequestSize gets access denied and a close', async () => {
    const small = await echoServer({ maxRequestSize: 64 * 1024 });
    const c = await RawRpcClient.connect(small.host, small.port);
    await c.bindInterface(echo);
    const data = Buffer.alloc(100 * 1024);
    const e = await c.call(0, echo.methods.echo, { len: data.length, data }).catch((x) => x);
    expect(e).toMatchObject({ status: FAULT.access_denied });
    await c.closedPromise;
    await small.close();
  });

  test('graceful stop answers the call in flight, then closes', async () => {
    const s = await echoServer();
    const c = await RawRpcClient.connect(s.host, s.port);
    await c.bindInterface(echo);
    const pending = c.call(0, echo.methods.slow, { ms: 150, tag: 7 });
    await new Promise((r) => setTimeout(r, 20));
    const closing = s.close();
    expect((await pending).tag).toBe(7);
    await closing;
    await c.closedPromise;
    expect(c.isClosed).toBe(true);
  });
});

describe('raw PDUs', () => {
  test('bind_ack bytes for one accepted context: sec_addr is the port, then pad to 4', async () => {
    const c = await open();
    c.sendRaw(
      encodeBind('bind', {
        callId: 7,
        maxXmitFrag: 4280,
        maxRecvFrag: 4280,
        assocGroupId: 0,
        contexts: [{ contextId: 0, abstractSyntax: syntaxOf(echo), transferSyntaxes: [{ ...NDR20_SYNTAX }] }],
      }),
    );
    const ack = await c.nextPdu();
    const raw = ack!.raw;
    const port = String(server.port);
    expect(raw[2]).toBe(PTYPE.bind_ack);
    expect(raw.readUInt16LE(16)).toBe(4280);
    expect(raw.readUInt16LE(24)).toBe(port.length + 1);
    expect(raw.toString('latin1', 26, 26 + port.length + 1)).toBe(port + '\0');
    const resultsAt = (26 + port.length + 1 + 3) & ~3;
    expect(raw.subarray(resultsAt, resultsAt + 4).toString('hex')).toBe('01000000');
    expect(raw.subarray(resultsAt + 4, resultsAt + 28).toString('hex')).toBe('00000000045d888aeb1cc9119fe808002b10486002000000');
    expect(raw.length).toBe(resultsAt + 28);
    await c.close();
  });
});
