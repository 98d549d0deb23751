import { implement, type ServedInterface } from '../../dcerpc/registry.js';
import type { RpcStats } from '../../dcerpc/connection.js';
import { RPC_C_STATS, mgmt } from './idl.js';
import { RpcFault } from '../../dcerpc/fault.js';
import { FAULT } from '../../dcerpc/constants.js';

import { ERROR_INSUFFICIENT_BUFFER, RPC_S_ACCESS_DENIED, RPC_S_OK, RPC_S_UNKNOWN_AUTHN_SERVICE } from '../../status/codes.js';

export interface MgmtOptions {
  stats: RpcStats;
  /** The principal name reported for an authentication service, or undefined when unknown. */
  principalName(authnProto: number): string | undefined;
}

/**
 * The management interface on every endpoint: it reports the interfaces of the endpoint
 * it was called on, the server's counters and its listening state.
 */
export function serveMgmt(opts: MgmtOptions): ServedInterface {
  return implement(
    mgmt,
    {
      inq_if_ids(_args, call) {
        // Windows lists the endpoint's interfaces but not mgmt itself.
        const ids = call.conn.endpoint.registry
          .list()
          .filter((s) => s.decl.uuid !== mgmt.uuid)
          .map((s) => ({ uuid: s.decl.uuid, vers_major: s.decl.major, vers_minor: s.decl.minor }));
        return { if_id_vector: { count: ids.length, if_id: ids }, status: RPC_S_OK };
      },
      inq_stats(args) {
        const s = opts.stats;
        const all = [s.callsIn, s.callsOut, s.pktsIn, s.pktsOut].map((v) => v >>> 0);
        const n = Math.min(args.count, RPC_C_STATS.ARRAY_SIZE);
        return { count: n, statistics: all.slice(0, n), status: RPC_S_OK };
      },
      is_server_listening: () => ({ status: RPC_S_OK, result: 1 }),
      stop_server_listening: () => ({ status: RPC_S_ACCESS_DENIED }),
      inq_princ_name(args) {
        // Not even the terminating NUL fits in a zero-sized buffer.
        if (args.princ_name_size === 0) throw new RpcFault(FAULT.rpc_x_bad_stub_data);
        const name = opts.principalName(args.authn_proto);
        if (name === undefined) return { princ_name: '', status: RPC_S_UNKNOWN_AUTHN_SERVICE };
        if (name.length + 1 > args.princ_name_size) return { princ_name: '', status: ERROR_INSUFFICIENT_BUFFER };
        return { princ_name: name, status: RPC_S_OK };
      },
    },
    'Remote Management',
  );
}
