/**
 * A long session as impacket makes one: every change of interface opens a new presentation
 * context and a new NTLM context at privacy on the same connection. The server keeps at
 * most its limits of each (the least recently used idle one makes room), so what one
 * connection holds stops growing once the limits are reached. Measured in this process
 * with the server embedded, the heap after garbage collection: the connection's cost at the
 * limits, and what each further switch adds (the peer figure: ~0).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startScmp } from '../src/app.js';
import { RpcClient, syntaxOf } from '../src/client/rpc-client.js';
import { AUTH_LEVEL } from '../src/dcerpc/constants.js';
import { DEFAULT_RPC_SETTINGS } from '../src/dcerpc/settings.js';
import { epm } from '../src/interfaces/epm/idl.js';
import { mgmt } from '../src/interfaces/mgmt/idl.js';
import { silentLogger } from '../src/log.js';
import { parseAccountSpec } from '../src/security/accounts.js';
import { NtlmRpcClientContext } from '../src/security/ntlm/rpc.js';

const CREDS = { user: 'bench', password: 'Bench-Pass-1', domain: '' };

export async function longSession(switches = 5000) {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const heap = () => {
    gc();
    gc();
    return process.memoryUsage().heapUsed;
  };
  const server = await startScmp({ listen: ['127.0.0.1'], port: 0, log: silentLogger, accounts: [parseAccountSpec(`${CREDS.user}:${CREDS.password}:admin`)] });
  const limit = Math.max(DEFAULT_RPC_SETTINGS.maxContextsPerConnection, DEFAULT_RPC_SETTINGS.maxAuthContextsPerConnection);
  // Context ids cycle over a range wider than the limits, so the client's own table (which
  // remembers each id) stops growing too, and what grows is the server's, if anything.
  const idRange = 2 * limit;
  const ifaces = [mgmt, epm];

  /**
   * One connection making `n` switches; returns what it held when it ended (the heap freed
   * by closing it, both ends), what it held, and how fast it switched.
   */
  const connection = async (n: number) => {
    const c = await RpcClient.connect('127.0.0.1', server.main.port);
    await c.bindInterface(mgmt, { auth: { ctx: new NtlmRpcClientContext(CREDS), level: AUTH_LEVEL.pkt_privacy, contextId: 1 } });
    const started = performance.now();
    for (let i = 1; i <= n; i++) {
      const id = i % idRange;
      // Even ids are always the management interface, odd ones the endpoint mapper: an id
      // that comes round again names the interface it had.
      const iface = ifaces[id % 2]!;
      await c.alterContext([{ contextId: id, abstractSyntax: syntaxOf(iface) }], {
        auth: { ctx: new NtlmRpcClientContext(CREDS), level: AUTH_LEVEL.pkt_privacy, contextId: 2 + i },
      });
      if (iface === mgmt) await c.call(id, mgmt.methods.is_server_listening, {});
    }
    const seconds = (performance.now() - started) / 1000;
    const [state] = server.rpc.connectionStates();
    const open = heap();
    await c.close();
    while (server.rpc.connectionStates().length > 0) await new Promise((r) => setTimeout(r, 5));
    return { held: open - heap(), state: state!, perSecond: Math.round(n / seconds) };
  };

  try {
    await connection(idRange); // warm-up: code compiled, caches filled
    const atLimits = await connection(idRange);
    const longer = await connection(idRange + switches);
    return {
      what: 'one connection, NTLM at privacy; each switch: alter_context with a new presentation context and a new NTLM context, then a call on half of them',
      switches: idRange + switches,
      switchesPerSecond: longer.perSecond,
      held: { presentationContexts: longer.state.presentationContexts, securityContexts: longer.state.securityContexts },
      limits: { presentationContexts: DEFAULT_RPC_SETTINGS.maxContextsPerConnection, securityContexts: DEFAULT_RPC_SETTINGS.maxAuthContextsPerConnection },
      bytesPerConnection: longer.held,
      peer: { what: `the same, for a connection that made only ${idRange} switches (its limits just reached)`, bytesPerConnection: atLimits.held },
      ratioToPeer: Number((longer.held / atLimits.held).toFixed(2)),
    };
  } finally {
    await server.close();
  }
}
