import { method, rpcInterface } from '../../dcerpc/interface.js';
import {
  GUID,
  conformantBytes,
  conformantArray,
  conformantVaryingArray,
  error_status_t,
  full,
  range,
  struct,
  u16,
  u32,
  varyingString,
} from '../../ndr/index.js';
import { EPT_S_CANT_CREATE, EPT_S_CANT_PERFORM_OP, EPT_S_INVALID_ENTRY, RPC_S_OK, ept_s_not_registered } from '../../status/codes.js';

/** The endpoint mapper, ept (C706 appendix O; Windows' epmp.idl), v3.0. */

/** twr_t: a conformant structure, the tower's octets sized by tower_length. */
export const twr_t = struct('twr_t', {
  tower_length: u32,
  tower_octet_string: conformantBytes({ sizeIs: (s) => s.tower_length }),
});
export const twr_p_t = full(twr_t);

export const rpc_if_id_t = struct('rpc_if_id_t', {
  uuid: GUID,
  vers_major: u16,
  vers_minor: u16,
});

export const ept_entry_t = struct('ept_entry_t', {
  object: GUID,
  tower: twr_p_t,
  annotation: varyingString(1, 64),
});

/** A context handle on the wire: attributes and a UUID; all zeros is the null handle. */
export const ept_lookup_handle_t = struct('ept_lookup_handle_t', {
  context_handle_attributes: u32,
  context_handle_uuid: GUID,
});

export const RPC_C_EP = { ALL_ELTS: 0, MATCH_BY_IF: 1, MATCH_BY_OBJ: 2, MATCH_BY_BOTH: 3 } as const;
export const RPC_C_VERS = { ALL: 1, COMPATIBLE: 2, EXACT: 3, MAJOR_ONLY: 4, UPTO: 5 } as const;

/**
 * Statuses in the endpoint mapper's `status` out-parameter (MS-RPCE 2.2.1.2.1): Windows
 * reports an empty result in its DCE form, other failures as Win32 codes.
 */
export const EPT_S = {
  ok: RPC_S_OK,
  invalid_entry: EPT_S_INVALID_ENTRY,
  cant_perform_op: EPT_S_CANT_PERFORM_OP,
  /** EPT_S_CANT_CREATE: an entry could not be added (here: the association holds its limit). */
  cant_create: EPT_S_CANT_CREATE,
  not_registered: ept_s_not_registered,
} as const;

export const epm = rpcInterface({
  name: 'epm',
  uuid: 'e1af8308-5d1f-11c9-91a4-08002b14a0fa',
  version: [3, 0],
  methods: {
    ept_insert: method(
      0,
      'ept_insert',
      { num_ents: u32, entries: conformantArray(ept_entry_t, { sizeIs: (s) => s.num_ents }), replace: u32 },
      { status: error_status_t },
    ),
    ept_delete: method(
      1,
      'ept_delete',
      { num_ents: u32, entries: conformantArray(ept_entry_t, { sizeIs: (s) => s.num_ents }) },
      { status: error_status_t },
    ),
    ept_lookup: method(
      2,
      'ept_lookup',
      {
        inquiry_type: u32,
        object: full(GUID),
        interface_id: full(rpc_if_id_t),
        vers_option: u32,
        entry_handle: ept_lookup_handle_t,
        max_ents: u32,
      },
      {
        entry_handle: ept_lookup_handle_t,
        num_ents: u32,
        entries: conformantVaryingArray(ept_entry_t, { sizeIs: (s) => s.max_ents, lengthIs: (s) => s.num_ents }),
        status: error_status_t,
      },
    ),
    ept_map: method(
      3,
      'ept_map',
      {
        object: full(GUID),
        map_tower: twr_p_t,
        entry_handle: ept_lookup_handle_t,
        max_towers: range(u32, 0, 500),
      },
      {
        entry_handle: ept_lookup_handle_t,
        num_towers: u32,
        towers: conformantVaryingArray(twr_p_t, { sizeIs: (s) => s.max_towers, lengthIs: (s) => s.num_towers }),
        status: error_status_t,
      },
    ),
    ept_lookup_handle_free: method(
      4,
      'ept_lookup_handle_free',
      { entry_handle: ept_lookup_handle_t },
      { entry_handle: ept_lookup_handle_t, status: error_status_t },
    ),
    ept_inq_object: method(5, 'ept_inq_object', {}, { ept_object: GUID, status: error_status_t }),
    ept_mgmt_delete: method(
      6,
      'ept_mgmt_delete',
      { object_speced: u32, object: full(GUID), tower: twr_p_t },
      { status: error_status_t },
    ),
  },
});
