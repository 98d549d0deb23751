import { method, rpcInterface } from '../../dcerpc/interface.js';
import { conformantArray, conformantString, error_status_t, struct, u32, unique } from '../../ndr/index.js';
import { rpc_if_id_t } from '../epm/idl.js';

/** The remote management interface, mgmt (C706 appendix Q), v1.0. */

export const rpc_if_id_vector_t = struct('rpc_if_id_vector_t', {
  count: u32,
  if_id: conformantArray(unique(rpc_if_id_t), { sizeIs: (s) => s.count }),
});

/** Indexes of inq_stats' vector (rpc_c_stats_*). */
export const RPC_C_STATS = { CALLS_IN: 0, CALLS_OUT: 1, PKTS_IN: 2, PKTS_OUT: 3, ARRAY_SIZE: 4 } as const;

export const mgmt = rpcInterface({
  name: 'mgmt',
  uuid: 'afa8bd80-7d8a-11c9-bef4-08002b102989',
  version: [1, 0],
  methods: {
    inq_if_ids: method(0, 'rpc__mgmt_inq_if_ids', {}, { if_id_vector: unique(rpc_if_id_vector_t), status: error_status_t }),
    inq_stats: method(
      1,
      'rpc__mgmt_inq_stats',
      { count: u32 },
      { count: u32, statistics: conformantArray(u32, { sizeIs: (s) => s.count }), status: error_status_t },
    ),
    is_server_listening: method(2, 'rpc__mgmt_is_server_listening', {}, { status: error_status_t, result: u32 }),
    stop_server_listening: method(3, 'rpc__mgmt_stop_server_listening', {}, { status: error_status_t }),
    inq_princ_name: method(
      4,
      'rpc__mgmt_inq_princ_name',
      { authn_proto: u32, princ_name_size: u32 },
      { princ_name: conformantString(1, { sizeIs: (s) => s.princ_name_size }), status: error_status_t },
    ),
  },
});
