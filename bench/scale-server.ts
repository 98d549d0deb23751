import { startScmp } from '../src/app.js';
import { createLogger } from '../src/log.js';
import type { RpcSettings } from '../src/dcerpc/settings.js';

/**
 * scmpd's server over the default host, in memory, with some RPC limits given as JSON
 * (scmpd has no flags for them): the scale benchmark holds 10,000 connections, past the
 * default maxConnections of 4096. Listens on ADDRESS, port 0; prints "ready PORT".
 */
const address = process.argv[2] ?? '127.0.0.1';
const rpc = JSON.parse(process.argv[3] ?? '{}') as Partial<RpcSettings>;
const server = await startScmp({ listen: [address], port: 0, log: createLogger('error'), rpc });
process.stdout.write(`ready ${server.main.port}\n`);
// A benchmark's server needs no graceful stop: nothing it holds outlives it.
process.on('SIGTERM', () => process.exit(0));
