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
  try {
    const limit = Math.max(DEFAULT_RPC_SETTINGS.maxContextsPerConnection, DEFAULT_RPC_SETTINGS.maxAuthContextsPerConnection);
    // Context ids cycle over a range wider than the limits, so the client's own table (which
    // remembers each id) stops growing too, and what grows is the server's, if anything.
    const idRange = 2 * limit;
    const base = heap();
    const c = await RpcClient.connect('127.0.0.1', server.main.port);
    await c.bindInterface(mgmt, { auth: { ctx: new NtlmRpcClientContext(CREDS), level: AUTH_LEVEL.pkt_privacy, contextId: 1 } });
    const ifaces = [mgmt, epm];
    let i = 0;
    const run = async (n: number) => {
      for (const end = i + n; i < end; ) {
        i++;
        const id = i % idRange;
        // Even ids are always the management interface, odd ones the endpoint mapper: an id
        // that comes round again names the interface it had.
        const iface = ifaces[id % 2]!;
        await c.alterContext([{ contextId: id, abstractSyntax: syntaxOf(iface) }], {
          auth: { ctx: new NtlmRpcClientContext(CREDS), level: AUTH_LEVEL.pkt_privacy, contextId: 2 + i },
        });
        if (iface === mgmt) await c.call(id, mgmt.methods.is_server_listening, {});
      }
    };
    await run(idRange);
    const atLimit = heap();
    const started = performance.now();
    await run(switches);
    const seconds = (performance.now() - started) / 1000;
    const after = heap();
    const [state] = server.rpc.connectionStates();
    await c.close();
    return {
      what: 'one connection, NTLM at privacy; each switch: alter_context with a new presentation context and a new NTLM context, then a call on half of them',
      switches: switches + idRange,
      switchesPerSecond: Math.round(switches / seconds),
      held: { presentationContexts: state!.presentationContexts, securityContexts: state!.securityContexts },
      limits: { presentationContexts: DEFAULT_RPC_SETTINGS.maxContextsPerConnection, securityContexts: DEFAULT_RPC_SETTINGS.maxAuthContextsPerConnection },
      bytesPerConnectionAtLimits: atLimit - base,
      bytesAddedPerFurtherSwitch: Math.round((after - atLimit) / switches),
      peer: { what: 'bytes the connection held once its limits were reached, after the further switches', bytes: after - base },
    };
  } finally {
    await server.close();
  }
}
