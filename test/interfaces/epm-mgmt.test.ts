import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { RpcClient, RpcFaultError, syntaxOf } from '../../src/client/rpc-client.js';
import { FAULT, NDR20_SYNTAX, NDR64_SYNTAX } from '../../src/dcerpc/constants.js';
import { EPT_S, RPC_C_EP, RPC_C_VERS, epm } from '../../src/interfaces/epm/idl.js';
import { DEFAULT_EPM_SETTINGS } from '../../src/interfaces/epm/settings.js';
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

// Stubs smbtorture (Samba 4.17) sent in rpc.epmapper's Map_full and Insert_noreplace, from a capture.
const SAMBA = {
  /** ept_insert: object nil, annotation "SMBTORTURE", ncacn_ip_tcp:216.83.154.106[41768] for 8a885d04-…/2.0, replace 0. */
  insertTcp:
    '01000000010000000000000000000000000000000000000001000000000000000b000000534d42544f525455524500004b0000004b000000050013000d045d888aeb1cc9119fe808002b10486002000200000013000d045d888aeb1cc9119fe808002b10486002000200000001000b020000000100070200a3280100090400d8539a6a0000000000',
  /** ept_map: object nil, ncacn_ip_tcp:[135] for the same interface, a null handle, max_towers 10. */
  mapTcp:
    '0100000000000000000000000000000000000000020000004b0000004b000000050013000d045d888aeb1cc9119fe808002b10486002000200000013000d045d888aeb1cc9119fe808002b10486002000200000001000b02000000010007020000870100090400000000000000000000000000000000000000000000000000000a000000',
  /** ept_delete of the entry inserted by insertTcp. */
  deleteTcp:
    '01000000010000000000000000000000000000000000000001000000000000000b000000534d42544f525455524500004b0000004b000000050013000d045d888aeb1cc9119fe808002b10486002000200000013000d045d888aeb1cc9119fe808002b10486002000200000001000b020000000100070200a3280100090400d8539a6a',
  /** ept_insert: annotation "smbtorture endpoint", ncalrpc:[SMBTORTURE] for the nil interface, replace 0. */
  insertLrpc:
    '010000000100000000000000000000000000000000000000010000000000000014000000736d62746f727475726520656e64706f696e74004b0000004b000000040013000d0000000000000000000000000000000000000200000013000d045d888aeb1cc9119fe808002b10486002000200000001000c020000000100100b00534d42544f5254555245000000000000',
  /** ept_delete of that entry with annotation "smbtorture": annotations are not compared. */
  deleteLrpc:
    '01000000010000000000000000000000000000000000000001000000000000000b000000736d62746f727475726500004b0000004b000000040013000d0000000000000000000000000000000000000200000013000d045d888aeb1cc9119fe808002b10486002000200000001000c020000000100100b00534d42544f525455524500',
};
/** The tower insertTcp carries, as it must come back. */
const SAMBA_TCP_TOWER =
  '050013000d045d888aeb1cc9119fe808002b10486002000200000013000d045d888aeb1cc9119fe808002b10486002000200000001000b020000000100070200a3280100090400d8539a6a';

describe('ept_insert and ept_delete: entries private to the association that inserted them', () => {
  const clients: RpcClient[] = [];
  const open = async (assocGroupId?: number) => {
    const x = await RpcClient.connect(server.host, server.port);
    clients.push(x);
    await x.bindInterface(epm, assocGroupId === undefined ? {} : { assocGroupId });
    return x;
  };
  afterAll(async () => {
    for (const x of clients) await x.close();
  });
  const raw = async (x: RpcClient, opnum: number, hex: string) => (await x.request(0, opnum, Buffer.from(hex, 'hex'))).toString('hex');
  const lookupOn = (x: RpcClient, max = 500) =>
    x.call(0, epm.methods.ept_lookup, { inquiry_type: RPC_C_EP.ALL_ELTS, object: null, interface_id: null, vers_option: RPC_C_VERS.ALL, entry_handle: NULL_HANDLE, max_ents: max });
  const tcpEntry = (port: number, annotation = 'x', iface = { uuid: '8a885d04-1ceb-11c9-9fe8-08002b104860', major: 2, minor: 0 }, object = GUID_NULL) => {
    const t = encodeTcpTower({ iface, transfer: { ...NDR20_SYNTAX }, port, address: '10.0.0.1' });
    return { object, tower: { tower_length: t.length, tower_octet_string: t }, annotation };
  };
  const insert = (x: RpcClient, entries: ReturnType<typeof tcpEntry>[], replace = 0) =>
    x.call(0, epm.methods.ept_insert, { num_ents: entries.length, entries, replace });
  const del = (x: RpcClient, entries: ReturnType<typeof tcpEntry>[]) => x.call(0, epm.methods.ept_delete, { num_ents: entries.length, entries });

  test("Samba's Map_full on the wire: insert, map answers the inserted tower verbatim, delete, a second delete is not registered", async () => {
    const x = await open();
    expect(await raw(x, 0, SAMBA.insertTcp)).toBe('00000000');
    // A null handle (all towers returned), one tower of max_towers 10, the tower as inserted, status 0.
    expect(await raw(x, 3, SAMBA.mapTcp)).toBe(
      '0000000000000000000000000000000000000000' + '01000000' + '0a000000' + '00000000' + '01000000' + '00000200' + '4b0000004b000000' + SAMBA_TCP_TOWER + '00' + '00000000',
    );
    expect(await raw(x, 1, SAMBA.deleteTcp)).toBe('00000000');
    expect(await raw(x, 1, SAMBA.deleteTcp)).toBe('d6a0c916');
    const after = await raw(x, 3, SAMBA.mapTcp);
    expect(after.slice(-8)).toBe('d6a0c916');
  });

  test("Samba's Insert_noreplace: an ncalrpc entry, deleted under another annotation", async () => {
    const x = await open();
    expect(await raw(x, 0, SAMBA.insertLrpc)).toBe('00000000');
    const listed = await lookupOn(x);
    expect(listed.entries.at(-1)).toMatchObject({ object: GUID_NULL, annotation: 'smbtorture endpoint' });
    expect(decodeFloors(listed.entries.at(-1)!.tower!.tower_octet_string)[2]!.lhs[0]).toBe(0x0c);
    expect(await raw(x, 1, SAMBA.deleteLrpc)).toBe('00000000');
    expect((await lookupOn(x)).num_ents).toBe(3);
  });

  test('the server answers first; other associations never see the entry; a joined connection does', async () => {
    const x = await open();
    const ours = syntaxOf(epm);
    // An entry for the endpoint mapper itself, pointing elsewhere.
    expect(await insert(x, [tcpEntry(4444, 'decoy', ours)])).toEqual({ status: 0 });
    const listed = await lookupOn(x);
    expect(listed.entries.map((e) => e.annotation).slice(3)).toEqual(['decoy']);
    expect(listed.entries.slice(0, 3).map((e) => e.annotation).sort()).toEqual(['', 'Endpoint Mapper', 'Remote Management']);
    const map = await x.call(0, epm.methods.ept_map, {
      object: null,
      map_tower: tcpEntry(0, '', ours).tower,
      entry_handle: NULL_HANDLE,
      max_towers: 1,
    });
    expect(decodeFloors(map.towers[0]!.tower_octet_string)[3]!.rhs.readUInt16BE(0)).toBe(server.port);
    expect(map.entry_handle.context_handle_uuid).not.toBe(GUID_NULL);
    const rest = await x.call(0, epm.methods.ept_map, { object: null, map_tower: tcpEntry(0, '', ours).tower, entry_handle: map.entry_handle, max_towers: 1 });
    expect(decodeFloors(rest.towers[0]!.tower_octet_string)[3]!.rhs.readUInt16BE(0)).toBe(4444);
    expect(rest).toMatchObject({ status: 0, entry_handle: NULL_HANDLE });

    expect(await insert(x, [tcpEntry(4445, 'elsewhere')])).toEqual({ status: 0 });
    const other = await open();
    expect((await lookupOn(other)).num_ents).toBe(3);
    // From another association: an entry naming one of the server's interfaces is the
    // server's to keep; any other is not there.
    expect(await del(other, [tcpEntry(4444, 'decoy', ours)])).toEqual({ status: EPT_S.cant_perform_op });
    expect(await del(other, [tcpEntry(4445, 'elsewhere')])).toEqual({ status: EPT_S.not_registered });
    const joined = await open(x.assocGroupId);
    expect((await lookupOn(joined)).entries.slice(3).map((e) => e.annotation)).toEqual(['decoy', 'elsewhere']);
    expect(await del(joined, [tcpEntry(4444, 'decoy', ours)])).toEqual({ status: 0 });
    expect((await lookupOn(x)).entries.slice(3).map((e) => e.annotation)).toEqual(['elsewhere']);
  });

  test("the server's own registrations cannot be deleted: EPT_S_CANT_PERFORM_OP, and they stay", async () => {
    const x = await open();
    const own = (await lookupOn(x)).entries[0]!;
    expect(await x.call(0, epm.methods.ept_delete, { num_ents: 1, entries: [own] })).toEqual({ status: EPT_S.cant_perform_op });
    expect((await lookupOn(x)).num_ents).toBe(3);
    expect(await x.call(0, epm.methods.ept_mgmt_delete, { object_speced: 0, object: null, tower: own.tower })).toEqual({ status: EPT_S.cant_perform_op });
  });

  test('replace: a compatible entry is replaced; without it both are kept; an identical one is not doubled', async () => {
    const x = await open();
    await insert(x, [tcpEntry(5000, 'a')]);
    await insert(x, [tcpEntry(5001, 'b')]);
    await insert(x, [tcpEntry(5001, 'b2')]);
    expect((await lookupOn(x)).entries.slice(3).map((e) => e.annotation)).toEqual(['a', 'b2']);
    await insert(x, [tcpEntry(5002, 'c')], 1);
    expect((await lookupOn(x)).entries.slice(3).map((e) => e.annotation)).toEqual(['c']);
    // Another object, or another interface version, is not compatible.
    await insert(x, [tcpEntry(5003, 'd', undefined, '11111111-2222-3333-4444-555555555555')], 1);
    await insert(x, [tcpEntry(5004, 'e', { uuid: '8a885d04-1ceb-11c9-9fe8-08002b104860', major: 3, minor: 0 })], 1);
    expect((await lookupOn(x)).entries.slice(3).map((e) => e.annotation)).toEqual(['c', 'd', 'e']);
    const byObj = await x.call(0, epm.methods.ept_lookup, {
      inquiry_type: RPC_C_EP.MATCH_BY_OBJ,
      object: '11111111-2222-3333-4444-555555555555',
      interface_id: null,
      vers_option: RPC_C_VERS.ALL,
      entry_handle: NULL_HANDLE,
      max_ents: 10,
    });
    expect(byObj.entries.map((e) => e.annotation)).toEqual(['d']);
  });

  test(`at most ${DEFAULT_EPM_SETTINGS.maxInsertedEntriesPerAssociation} entries per association: EPT_S_CANT_CREATE, all or none`, async () => {
    const x = await open();
    const max = DEFAULT_EPM_SETTINGS.maxInsertedEntriesPerAssociation;
    const batch = Array.from({ length: max - 1 }, (_, i) => tcpEntry(6000 + i));
    expect(await insert(x, batch)).toEqual({ status: 0 });
    expect(await insert(x, [tcpEntry(7000), tcpEntry(7001)])).toEqual({ status: EPT_S.cant_create });
    expect((await lookupOn(x)).num_ents).toBe(3 + max - 1);
    expect(await insert(x, [tcpEntry(7000)])).toEqual({ status: 0 });
    // A delete naming one missing entry deletes none.
    expect(await del(x, [tcpEntry(7000), tcpEntry(9999)])).toEqual({ status: EPT_S.not_registered });
    expect((await lookupOn(x)).num_ents).toBe(3 + max);
    // Another association has its own allowance.
    expect(await insert(await open(), [tcpEntry(7000)])).toEqual({ status: 0 });
  });

  test('entries that are not towers a server could register: EPT_S_INVALID_ENTRY, nothing added', async () => {
    const x = await open();
    const bad = (octets: Buffer) => ({ object: GUID_NULL, tower: { tower_length: octets.length, tower_octet_string: octets }, annotation: 'bad' });
    expect(await insert(x, [{ object: GUID_NULL, tower: null, annotation: 'no tower' }])).toEqual({ status: EPT_S.invalid_entry });
    expect(await insert(x, [bad(Buffer.from('0900130000', 'hex'))])).toEqual({ status: EPT_S.invalid_entry });
    // Two floors only, and a first floor that is not an interface.
    expect(await insert(x, [bad(encodeFloors([uuidFloor(syntaxOf(echo)), uuidFloor({ ...NDR20_SYNTAX })]))])).toEqual({ status: EPT_S.invalid_entry });
    expect(
      await insert(x, [bad(encodeFloors([{ lhs: Buffer.from([PROTOCOL_ID.tcp]), rhs: Buffer.alloc(2) }, uuidFloor({ ...NDR20_SYNTAX }), { lhs: Buffer.from([PROTOCOL_ID.ncacn]), rhs: Buffer.alloc(2) }]))]),
    ).toEqual({ status: EPT_S.invalid_entry });
    // Longer than maxInsertedTowerLength.
    const long = encodeFloors([
      uuidFloor(syntaxOf(echo)),
      uuidFloor({ ...NDR20_SYNTAX }),
      { lhs: Buffer.from([PROTOCOL_ID.ncacn]), rhs: Buffer.alloc(2) },
      { lhs: Buffer.from([PROTOCOL_ID.namedPipe]), rhs: Buffer.alloc(DEFAULT_EPM_SETTINGS.maxInsertedTowerLength) },
    ]);
    expect(await insert(x, [tcpEntry(8000), bad(long)])).toEqual({ status: EPT_S.invalid_entry });
    expect((await lookupOn(x)).num_ents).toBe(3);
    expect(await del(x, [{ object: GUID_NULL, tower: null, annotation: '' }])).toEqual({ status: EPT_S.invalid_entry });
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
