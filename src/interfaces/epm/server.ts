import { implement, type CallContext, type ServedInterface } from '../../dcerpc/registry.js';
import { NDR20_SYNTAX } from '../../dcerpc/constants.js';
import { RpcFault } from '../../dcerpc/fault.js';
import { FAULT } from '../../dcerpc/constants.js';
import type { SyntaxId } from '../../dcerpc/pdu/types.js';
import { GUID_NULL, type Guid } from '../../ndr/guid.js';
import { NdrError } from '../../ndr/error.js';
import type { TypeOf } from '../../ndr/type.js';
import { EPT_S, RPC_C_EP, RPC_C_VERS, epm, type ept_entry_t, type ept_lookup_handle_t, type twr_t } from './idl.js';
import { InsertedEntries, type InsertedEntry } from './inserted.js';
import { DEFAULT_EPM_SETTINGS, type EpmSettings } from './settings.js';
import { PROTOCOL_ID, decodeTowerQuery, encodeTcpTower, type TowerQuery } from './tower.js';

/** One registration in the endpoint map: an interface reachable over TCP on a port. */
export interface EndpointEntry {
  iface: SyntaxId;
  port: number;
  annotation: string;
  object?: Guid;
}

type Handle = TypeOf<typeof ept_lookup_handle_t>;
type Entry = TypeOf<typeof ept_entry_t>;
type Tower = TypeOf<typeof twr_t>;

const NULL_HANDLE: Handle = { context_handle_attributes: 0, context_handle_uuid: GUID_NULL };

/** A lookup or map in progress, behind its context handle. */
interface Cursor {
  kind: 'lookup' | 'map';
  results: unknown[];
  next: number;
}

function versionMatches(option: number, have: SyntaxId, want: { major: number; minor: number }): boolean {
  switch (option) {
    case RPC_C_VERS.ALL:
      return true;
    case RPC_C_VERS.COMPATIBLE:
      return have.major === want.major && have.minor >= want.minor;
    case RPC_C_VERS.EXACT:
      return have.major === want.major && have.minor === want.minor;
    case RPC_C_VERS.MAJOR_ONLY:
      return have.major === want.major;
    case RPC_C_VERS.UPTO:
      return have.major < want.major || (have.major === want.major && have.minor <= want.minor);
    default:
      return false;
  }
}

/** What a tower names, or undefined when it is not a well-formed tower with interface and transfer floors. */
function readTower(tower: Buffer): TowerQuery | undefined {
  try {
    return decodeTowerQuery(tower);
  } catch (e) {
    if (e instanceof NdrError) return undefined;
    throw e;
  }
}

const towerOf = (octets: Buffer): Tower => ({ tower_length: octets.length, tower_octet_string: octets });

/**
 * The endpoint mapper: lookups and maps over the interfaces this server serves, listed
 * first, then over the entries the calling association inserted itself (inserted.ts). The
 * server's own registrations cannot be replaced or deleted from the network.
 */
export function serveEpm(entries: () => EndpointEntry[], options: Partial<EpmSettings> = {}): ServedInterface {
  const settings: EpmSettings = { ...DEFAULT_EPM_SETTINGS, ...options };
  const inserted = new InsertedEntries();

  /** An ept_entry_t to insert, checked; undefined when it is not one a server could register. */
  function insertable(e: Entry): InsertedEntry | undefined {
    if (!e.tower || e.tower.tower_octet_string.length > settings.maxInsertedTowerLength) return undefined;
    const q = readTower(e.tower.tower_octet_string);
    return q && { ...q, object: e.object, tower: e.tower.tower_octet_string, annotation: e.annotation };
  }

  const servesInterface = (tower: Buffer) => {
    const q = readTower(tower);
    return q !== undefined && entries().some((e) => e.iface.uuid === q.iface.uuid);
  };

  /** Pages through `results`, keeping the position behind a context handle between calls. */
  function page<T>(call: CallContext, kind: Cursor['kind'], handle: Handle, max: number, compute: () => T[]) {
    const group = call.conn.assocGroup;
    let cursor: Cursor;
    let uuid = handle.context_handle_uuid;
    if (uuid === GUID_NULL) {
      cursor = { kind, results: compute(), next: 0 };
    } else {
      const c = group.getHandle(uuid) as Cursor | undefined;
      if (!c || c.kind !== kind) throw new RpcFault(FAULT.nca_s_fault_context_mismatch);
      cursor = c;
    }
    const items = cursor.results.slice(cursor.next, cursor.next + max) as T[];
    cursor.next += items.length;
    // As Windows: the last batch comes with status 0 and a null handle; ept_s_not_registered
    // only when a call yields nothing at all. (Samba puts it on the last lookup batch too,
    // which impacket's hept_lookup, and so rpcdump.py, takes for a failure: docs/decisions.md.)
    if (cursor.next >= cursor.results.length) {
      if (uuid !== GUID_NULL) group.closeHandle(uuid);
      return { items, handle: NULL_HANDLE, status: items.length === 0 ? EPT_S.not_registered : EPT_S.ok };
    }
    if (uuid === GUID_NULL) {
      const created = group.createHandle(cursor);
      if (!created) throw new RpcFault(FAULT.nca_s_fault_remote_no_memory);
      uuid = created;
    }
    return { items, handle: { context_handle_attributes: 0, context_handle_uuid: uuid }, status: EPT_S.ok };
  }

  return implement(
    epm,
    {
      ept_insert(args, call) {
        const checked: InsertedEntry[] = [];
        for (const e of args.entries) {
          const c = insertable(e);
          if (!c) return { status: EPT_S.invalid_entry };
          checked.push(c);
        }
        const ok = inserted.insert(call.conn.assocGroup, checked, args.replace !== 0, settings.maxInsertedEntriesPerAssociation);
        return { status: ok ? EPT_S.ok : EPT_S.cant_create };
      },

      ept_delete(args, call) {
        const keys: { object: Guid; tower: Buffer }[] = [];
        for (const e of args.entries) {
          if (!e.tower) return { status: EPT_S.invalid_entry };
          keys.push({ object: e.object, tower: e.tower.tower_octet_string });
        }
        const missing = inserted.delete(call.conn.assocGroup, keys);
        if (missing < 0) return { status: EPT_S.ok };
        // One of the server's own registrations is refused as a remote change to the
        // database is on Windows; anything else is simply not there.
        return { status: servesInterface(keys[missing]!.tower) ? EPT_S.cant_perform_op : EPT_S.not_registered };
      },

      ept_mgmt_delete: () => ({ status: EPT_S.cant_perform_op }),

      ept_lookup(args, call) {
        const { inquiry_type: type, object, interface_id: ifId, vers_option: vers } = args;
        if (type > RPC_C_EP.MATCH_BY_BOTH) return { entry_handle: NULL_HANDLE, num_ents: 0, entries: [], status: EPT_S.cant_perform_op };
        const byIf = type === RPC_C_EP.MATCH_BY_IF || type === RPC_C_EP.MATCH_BY_BOTH;
        const byObj = type === RPC_C_EP.MATCH_BY_OBJ || type === RPC_C_EP.MATCH_BY_BOTH;
        const address = call.conn.localAddress;
        const wanted = (iface: SyntaxId, obj: Guid) =>
          (!byIf || (ifId !== null && iface.uuid === ifId.uuid && versionMatches(vers, iface, { major: ifId.vers_major, minor: ifId.vers_minor }))) &&
          (!byObj || obj === (object ?? GUID_NULL));
        const r = page<Entry>(call, 'lookup', args.entry_handle, args.max_ents, () => [
          ...entries()
            .filter((e) => wanted(e.iface, e.object ?? GUID_NULL))
            .map((e) => ({
              object: e.object ?? GUID_NULL,
              tower: towerOf(encodeTcpTower({ iface: e.iface, transfer: { ...NDR20_SYNTAX }, port: e.port, address })),
              annotation: e.annotation.slice(0, 63),
            })),
          ...inserted
            .list(call.conn.assocGroup)
            .filter((e) => wanted(e.iface, e.object))
            .map((e) => ({ object: e.object, tower: towerOf(e.tower), annotation: e.annotation })),
        ]);
        return { entry_handle: r.handle, num_ents: r.items.length, entries: r.items, status: r.status };
      },

      ept_map(args, call) {
        const empty = { entry_handle: NULL_HANDLE, num_towers: 0, towers: [], status: EPT_S.not_registered };
        if (!args.map_tower) return empty;
        const q = readTower(args.map_tower.tower_octet_string);
        if (!q) return { ...empty, status: EPT_S.invalid_entry };
        const objectMatches = (o: Guid | undefined) => !args.object || args.object === GUID_NULL || !o || o === GUID_NULL || o === args.object;
        const address = call.conn.localAddress;
        // The server's own interfaces: connection-oriented RPC over TCP, in NDR20.
        const servedHere =
          q.protocols[0] === PROTOCOL_ID.ncacn && q.protocols[1] === PROTOCOL_ID.tcp && q.transfer.uuid === NDR20_SYNTAX.uuid && q.transfer.major === NDR20_SYNTAX.major;
        const r = page<Tower>(call, 'map', args.entry_handle, args.max_towers, () => [
          ...(servedHere ? entries() : [])
            .filter((e) => e.iface.uuid === q.iface.uuid && e.iface.major === q.iface.major && e.iface.minor >= q.iface.minor && objectMatches(e.object))
            .map((e) => towerOf(encodeTcpTower({ iface: e.iface, transfer: q.transfer, port: e.port, address }))),
          // Inserted entries answer with their towers as inserted, for the same protocol floors.
          ...inserted
            .list(call.conn.assocGroup)
            .filter(
              (e) =>
                e.iface.uuid === q.iface.uuid &&
                e.iface.major === q.iface.major &&
                e.iface.minor >= q.iface.minor &&
                e.transfer.uuid === q.transfer.uuid &&
                e.transfer.major === q.transfer.major &&
                e.protocols.length === q.protocols.length &&
                e.protocols.every((p, i) => p === q.protocols[i]) &&
                objectMatches(e.object),
            )
            .map((e) => towerOf(e.tower)),
        ]);
        return { entry_handle: r.handle, num_towers: r.items.length, towers: r.items, status: r.status };
      },

      ept_lookup_handle_free(args, call) {
        const uuid = args.entry_handle.context_handle_uuid;
        if (uuid !== GUID_NULL && !call.conn.assocGroup.closeHandle(uuid)) {
          throw new RpcFault(FAULT.nca_s_fault_context_mismatch);
        }
        return { entry_handle: NULL_HANDLE, status: EPT_S.ok };
      },

      ept_inq_object: () => ({ ept_object: GUID_NULL, status: EPT_S.ok }),
    },
    'Endpoint Mapper',
  );
}
