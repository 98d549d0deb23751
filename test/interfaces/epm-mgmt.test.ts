import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { RpcClient, RpcFaultError, syntaxOf } from '../../src/client/rpc-client.js';
import { FAULT, NDR20_SYNTAX, NDR64_SYNTAX } from '../../src/dcerpc/constants.js';
import { EPT_S, RPC_C_EP, RPC_C_VERS, epm } from '../../src/interfaces/epm/idl.js';
import { encodeFloors, encodeTcpTower, decodeFloors, PROTOCOL_ID, uuidFloor } from '../../src/interfaces/epm/tower.js';
import { mgmt } from '../../src/interfaces/mgmt/idl.js';
import { GUID_NULL } from '../../src/ndr/guid.js';
import { echo, echoServer } from '../helpers/echo.js';

let server: Awaited<ReturnType<typeof echoServer>>;
let c: RpcClient;
beforeAll(async () => {
  server = await echoServer();
  c = await RpcClient.connect(server.host, server.port);
  await c.bindInterface(epm);
  await c.alterContext([{ contextId: 1, abstractSyntax: syntaxOf(mgmt) }]);
});
afterAll(async () => {
  await c.close();
  await server.close();
});

const NULL_HANDLE = { context_handle_attributes: 0, context_handle_uuid: GUID_NULL };
const lookup = (over: Partial<Parameters<typeof c.call<typeof epm.methods.ept_lookup>>[2]> = {}) =>
  c.call(0, epm.methods.ept_lookup, {
    inquiry_type: RPC_C_EP.ALL_ELTS,
    object: null,
    interface_id: null,
    vers_option: RPC_C_VERS.ALL,
    entry_handle: NULL_HANDLE,
    max_ents: 500,
    ...over,
  });

const towerUuid = (t: Buffer) => decodeFloors(t)[0]!.lhs.subarray(1, 17);

describe('ept_lookup', () => {
  test('all elements: every interface of the endpoint with its port, then a null handle', async () => {
    const r = await lookup();
    expect(r.status).toBe(0);
    expect(r.num_ents).toBe(3);
    expect(r.entry_handle).toEqual(NULL_HANDLE);
    const names = r.entries.map((e) => e.annotation).sort();
    expect(names).toEqual(['', 'Endpoint Mapper', 'Remote Management']);
    for (const e of r.entries) {
      const floors = decodeFloors(e.tower!.tower_octet_string);
      expect(floors[3]!.rhs.readUInt16BE(0)).toBe(server.port);
      expect([...floors[4]!.rhs]).toEqual([127, 0, 0, 1]);
    }
  });

  test('paging with max_ents 1 continues through the context handle until a null handle', async () => {
    const seen: string[] = [];
    let handle = NULL_HANDLE;
    for (let i = 0; i < 3; i++) {
      const r = await lookup({ entry_handle: handle, max_ents: 1 });
      expect(r.status).toBe(0);
      expect(r.num_ents).toBe(1);
      seen.push(r.entries[0]!.annotation);
      handle = r.entry_handle;
      if (i < 2) expect(handle.context_handle_uuid).not.toBe(GUID_NULL);
    }
    expect(handle).toEqual(NULL_HANDLE);
    expect(new Set(seen).size).toBe(3);
  });

  test('ept_lookup_handle_free releases a handle; reusing it is a context mismatch', async () => {
    const r = await lookup({ max_ents: 1 });
    const freed = await c.call(0, epm.methods.ept_lookup_handle_free, { entry_handle: r.entry_handle });
    expect(freed).toEqual({ entry_handle: NULL_HANDLE, status: 0 });
    const e = await lookup({ entry_handle: r.entry_handle, max_ents: 1 }).catch((x) => x);
    expect(e).toBeInstanceOf(RpcFaultError);
    expect(e.status).toBe(FAULT.nca_s_fault_context_mismatch);
  });

  test('match by interface with each version option', async () => {
    const id = (major: number, minor: number) => ({ uuid: mgmt.uuid, vers_major: major, vers_minor: minor });
    const count = async (vers: number, major: number, minor: number) =>
      (await lookup({ inquiry_type: RPC_C_EP.MATCH_BY_IF, interface_id: id(major, minor), vers_option: vers })).num_ents;
    expect(await count(RPC_C_VERS.ALL, 9, 9)).toBe(1);
    expect(await count(RPC_C_VERS.COMPATIBLE, 1, 0)).toBe(1);
    expect(await count(RPC_C_VERS.COMPATIBLE, 1, 1)).toBe(0);
    expect(await count(RPC_C_VERS.EXACT, 1, 0)).toBe(1);
    expect(await count(RPC_C_VERS.EXACT, 1, 1)).toBe(0);
    expect(await count(RPC_C_VERS.MAJOR_ONLY, 1, 7)).toBe(1);
    expect(await count(RPC_C_VERS.MAJOR_ONLY, 2, 0)).toBe(0);
    expect(await count(RPC_C_VERS.UPTO, 1, 0)).toBe(1);
    expect(await count(RPC_C_VERS.UPTO, 0, 9)).toBe(0);
    const none = await lookup({ inquiry_type: RPC_C_EP.MATCH_BY_IF, interface_id: id(2, 0), vers_option: RPC_C_VERS.EXACT });
    expect(none).toMatchObject({ num_ents: 0, status: EPT_S.not_registered, entry_handle: NULL_HANDLE });
  });

  test('match by object: our registrations carry the nil object', async () => {
    expect((await lookup({ inquiry_type: RPC_C_EP.MATCH_BY_OBJ, object: GUID_NULL })).num_ents).toBe(3);
    expect((await lookup({ inquiry_type: RPC_C_EP.MATCH_BY_OBJ, object: '11111111-2222-3333-4444-555555555555' })).status).toBe(EPT_S.not_registered);
  });
});

describe('ept_map', () => {
  const mapTower = (iface = syntaxOf(echo), transfer = { ...NDR20_SYNTAX }, port = 0) => {
    const t = encodeTcpTower({ iface, transfer, port, address: '0.0.0.0' });
    return { tower_length: t.length, tower_octet_string: t };
  };
  const map = (tower: ReturnType<typeof mapTower> | null, max = 4) =>
    c.call(0, epm.methods.ept_map, { object: null, map_tower: tower, entry_handle: NULL_HANDLE, max_towers: max });

  test('resolves a served interface to its TCP port at the address the client reached', async () => {
    const r = await map(mapTower());
    expect(r.status).toBe(0);
    expect(r.num_towers).toBe(1);
    const floors = decodeFloors(r.towers[0]!.tower_octet_string);
    expect(floors).toHaveLength(5);
    expect(floors[0]!.lhs.equals(uuidFloor(syntaxOf(echo)).lhs)).toBe(true);
    expect(floors[2]!.lhs[0]).toBe(PROTOCOL_ID.ncacn);
    expect(floors[3]!.rhs.readUInt16BE(0)).toBe(server.port);
    expect([...floors[4]!.rhs]).toEqual([127, 0, 0, 1]);
  });

  test('no match: an unknown interface, a newer minor version, NDR64, another protocol, no tower', async () => {
    const notRegistered = { num_towers: 0, towers: [], status: EPT_S.not_registered, entry_handle: NULL_HANDLE };
    expect(await map(mapTower({ uuid: '01234567-89ab-cdef-0123-456789abcdef', major: 1, minor: 0 }))).toMatchObject(notRegistered);
    expect(await map(mapTower({ ...syntaxOf(echo), minor: 5 }))).toMatchObject(notRegistered);
    expect(await map(mapTower(syntaxOf(echo), { ...NDR64_SYNTAX }))).toMatchObject(notRegistered);
    const np = encodeFloors([
      uuidFloor(syntaxOf(echo)),
      uuidFloor({ ...NDR20_SYNTAX }),
      { lhs: Buffer.from([PROTOCOL_ID.ncacn]), rhs: Buffer.from([0, 0]) },
      { lhs: Buffer.from([PROTOCOL_ID.namedPipe]), rhs: Buffer.from('\\pipe\\x\0') },
    ]);
    expect(await map({ tower_length: np.length, tower_octet_string: np })).toMatchObject(notRegistered);
    expect(await map(null)).toMatchObject(notRegistered);
  });

  test('a tower that lies about its floors is an invalid entry, not a crash', async () => {
    const bad = Buffer.from('0900130000', 'hex');
    expect((await map({ tower_length: bad.length, tower_octet_string: bad })).status).toBe(EPT_S.invalid_entry);
  });

  test('max_towers beyond range(0,500) is bad stub data', async () => {
    const e = await map(mapTower(), 501).catch((x) => x);
    expect(e.status).toBe(0x6f7);
  });
});

describe('the endpoint-mapper database is not writable from the network', () => {
  test('ept_insert, ept_delete and ept_mgmt_delete are refused with EPT_S_CANT_PERFORM_OP', async () => {
    const entry = { object: GUID_NULL, tower: null, annotation: 'x' };
    expect(await c.call(0, epm.methods.ept_insert, { num_ents: 1, entries: [entry], replace: 0 })).toEqual({ status: 0x6d8 });
    expect(await c.call(0, epm.methods.ept_delete, { num_ents: 1, entries: [entry] })).toEqual({ status: 0x6d8 });
    expect(await c.call(0, epm.methods.ept_mgmt_delete, { object_speced: 0, object: null, tower: null })).toEqual({ status: 0x6d8 });
    expect((await lookup()).num_ents).toBe(3);
  });
});

describe('mgmt', () => {
  test('inq_if_ids lists the endpoint interfaces but not mgmt', async () => {
    const r = await c.call(1, mgmt.methods.inq_if_ids, {});
    const ids = r.if_id_vector!.if_id.map((i) => `${i!.uuid} ${i!.vers_major}.${i!.vers_minor}`).sort();
    expect(ids).toEqual([`${echo.uuid} 1.0`, `${epm.uuid} 3.0`].sort());
  });

  test('inq_stats counts calls and packets; a smaller count gets fewer', async () => {
    const a = await c.call(1, mgmt.methods.inq_stats, { count: 40 });
    const b = await c.call(1, mgmt.methods.inq_stats, { count: 40 });
    expect(a.count).toBe(4);
    expect(b.statistics[0]).toBe(a.statistics[0]! + 1);
    expect(b.statistics[1]).toBe(0);
    expect(b.statistics[2]).toBeGreaterThan(a.statistics[2]!);
    expect(b.statistics[3]).toBeGreaterThan(a.statistics[3]!);
    expect(await c.call(1, mgmt.methods.inq_stats, { count: 2 })).toMatchObject({ count: 2, statistics: [expect.any(Number), 0] });
  });

  test('is_server_listening, stop_server_listening, inq_princ_name', async () => {
    expect(await c.call(1, mgmt.methods.is_server_listening, {})).toEqual({ status: 0, result: 1 });
    expect(await c.call(1, mgmt.methods.stop_server_listening, {})).toEqual({ status: 5 });
    expect(await c.call(1, mgmt.methods.inq_princ_name, { authn_proto: 10, princ_name_size: 64 })).toEqual({ princ_name: '', status: 0x6d3 });
    expect((await c.call(1, mgmt.methods.inq_princ_name, { authn_proto: 0, princ_name_size: 0 }).catch((x) => x)).status).toBe(0x6f7);
  });
});
