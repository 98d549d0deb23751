import { startScmp, type ScmpOptions, type ScmpServer } from '../../src/app.js';
import { silentLogger } from '../../src/log.js';
import { RpcClient } from '../../src/client/rpc-client.js';

/** A server on an ephemeral loopback port, silent unless SCMP_TEST_LOG is set. */
export async function testServer(opts: ScmpOptions = {}): Promise<ScmpServer & { port: number; host: string }> {
  const s = await startScmp({ listen: ['127.0.0.1'], port: 0, log: silentLogger, ...opts });
  return Object.assign(s, { port: s.main.port, host: '127.0.0.1' });
}

export function connect(s: { host: string; port: number }): Promise<RpcClient> {
  return RpcClient.connect(s.host, s.port);
}
