import { implement, type CallContext, type ServedInterface } from '../../dcerpc/registry.js';
import { NDR20_SYNTAX } from '../../dcerpc/constants.js';
import { RpcFault } from '../../dcerpc/fault.js';
import { FAULT } from '../../dcerpc/constants.js';
import type { SyntaxId } from '../../dcerpc/pdu/types.js';
import { GUID_NULL, type Guid } from '../../ndr/guid.js';
import { NdrError } from '../../ndr/error.js';
import type { TypeOf } from '../../ndr/type.js';
import { EPT_S, RPC_C_EP, RPC_C_VERS, epm, type ept_entry_t, type ept_lookup_handle_t } from './idl.js';
import { PROTOCOL_ID, decodeTowerQuery, encodeTcpTower } from './tower.js';

/** One registration in the endpoint map: an interface reachable over TCP on a port. */
export interface EndpointEntry {
  iface: SyntaxId;
  port: number;
  annotation: string;
  object?: Guid;
}

type Handle = TypeOf<typeof ept_lookup_handle_t>;
type Entry = TypeOf<typeof ept_entry_t>;

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

/**
 * The endpoint mapper as Windows' RPCSS serves it to the network: lookups and maps over
 * the interfaces this server serves; the database is not writable remotely.
 */
export function serveEpm(entries: () => EndpointEntry[]): ServedInterface {
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
    // As Windows (and the DCE reference database): the last batch comes with status 0 and a
    // null handle; ept_s_not_registered only when a call yields nothing at all.
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
      ept_insert: () => ({ status: EPT_S.cant_perform_op }),
      ept_delete: () => ({ status: EPT_S.cant_perform_op }),
      ept_mgmt_delete: () => ({ status: EPT_S.cant_perform_op }),

      ept_lookup(args, call) {
        const { inquiry_type: type, object, interface_id: ifId, vers_option: vers } = args;
        if (type > RPC_C_EP.MATCH_BY_BOTH) return { entry_handle: NULL_HANDLE, num_ents: 0, entries: [], status: EPT_S.cant_perform_op };
        const byIf = type === RPC_C_EP.MATCH_BY_IF || type === RPC_C_EP.MATCH_BY_BOTH;
        const byObj = type === RPC_C_EP.MATCH_BY_OBJ || type === RPC_C_EP.MATCH_BY_BOTH;
        const address = call.conn.localAddress;
        const r = page<Entry>(call, 'lookup', args.entry_handle, args.max_ents, () =>
          entries()
            .filter((e) => !byIf || (ifId && e.iface.uuid === ifId.uuid && versionMatches(vers, e.iface, { major: ifId.vers_major, minor: ifId.vers_minor })))
            .filter((e) => !byObj || (e.object ?? GUID_NULL) === (object ?? GUID_NULL))
            .map((e) => ({
              object: e.object ?? GUID_NULL,
              tower: (() => {
                const t = encodeTcpTower({ iface: e.iface, transfer: { ...NDR20_SYNTAX }, port: e.port, address });
                return { tower_length: t.length, tower_octet_string: t };
              })(),
              annotation: e.annotation.slice(0, 63),
            })),
        );
        return { entry_handle: r.handle, num_ents: r.items.length, entries: r.items, status: r.status };
      },

      ept_map(args, call) {
        const empty = { entry_handle: NULL_HANDLE, num_towers: 0, towers: [], status: EPT_S.not_registered };
        if (!args.map_tower) return empty;
        let q;
        try {
          q = decodeTowerQuery(args.map_tower.tower_octet_string);
        } catch (e) {
          if (e instanceof NdrError) return { ...empty, status: EPT_S.invalid_entry };
          throw e;
        }
        if (!q) return { ...empty, status: EPT_S.invalid_entry };
        // Only connection-oriented RPC over TCP is served here, in NDR20.
        if (q.protocols[0] !== PROTOCOL_ID.ncacn || q.protocols[1] !== PROTOCOL_ID.tcp) return empty;
        if (q.transfer.uuid !== NDR20_SYNTAX.uuid || q.transfer.major !== NDR20_SYNTAX.major) return empty;
        const address = call.conn.localAddress;
        const r = page<{ tower_length: number; tower_octet_string: Buffer }>(call, 'map', args.entry_handle, args.max_towers, () =>
          entries()
            .filter((e) => e.iface.uuid === q.iface.uuid && e.iface.major === q.iface.major && e.iface.minor >= q.iface.minor)
            .filter((e) => !args.object || args.object === GUID_NULL || (e.object ?? GUID_NULL) === args.object || !e.object)
            .map((e) => {
              const t = encodeTcpTower({ iface: e.iface, transfer: q.transfer, port: e.port, address });
              return { tower_length: t.length, tower_octet_string: t };
            }),
        );
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
