import { startScmp, type ScmpOptions, type ScmpServer } from '../../src/app.js';
import { createLogger, isLogLevel, silentLogger } from '../../src/log.js';
import { RpcClient } from '../../src/client/rpc-client.js';

/**
 * A server on an ephemeral loopback port, silent unless SCMP_TEST_LOG names a log level
 * (error, warn, info, debug): then its log goes to stderr. Its host is
 * in memory unless the test passes an `emulated` host with a state directory of its own:
 * no test writes into scmpd's default state directory.
 */
export async function testServer(opts: ScmpOptions = {}): Promise<ScmpServer & { port: number; host: string }> {
  const level = process.env.SCMP_TEST_LOG;
  const log = level !== undefined && isLogLevel(level) ? createLogger(level) : silentLogger;
  const s = await startScmp({ listen: ['127.0.0.1'], port: 0, log, ...opts });
  return Object.assign(s, { port: s.main.port, host: '127.0.0.1' });
}

export function connect(s: { host: string; port: number }): Promise<RpcClient> {
  return RpcClient.connect(s.host, s.port);
}
