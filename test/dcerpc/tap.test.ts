/**
 * The connection tap (src/dcerpc/tap.ts), as scmpd's --capture sees a server: every byte the
 * client wrote arrives as `received` and every byte it read was `sent`, in order; a client
 * that ends its side is a 'fin', a refused connection is opened and reset at once; a security
 * context is reported with the same exported session key the client computed.
 */
import net from 'node:net';
import { afterEach, expect, test } from 'vitest';
import { AUTH_LEVEL, AUTH_TYPE } from '../../src/dcerpc/constants.js';
import type { ConnectionTap, TappedSecurityContext } from '../../src/dcerpc/tap.js';
import { echo, echoServer, type EchoServerOptions } from '../helpers/echo.js';
import { RawRpcClient } from '../helpers/raw-client.js';
import { ntlm, testSecurity } from '../helpers/security.js';
import { RpcServer } from '../../src/dcerpc/server.js';
import { InterfaceRegistry } from '../../src/dcerpc/registry.js';
import { silentLogger } from '../../src/log.js';

interface Seen {
  endpoint: string;
  peers: { localAddress: string; localPort: number; remoteAddress: string; remotePort: number };
  received: Buffer[];
  sent: Buffer[];
  contexts: TappedSecurityContext[];
  closed: Array<'fin' | 'reset'>;
  ended: Promise<void>;
}

/** A tap that keeps everything it is told. */
function recordingTap() {
  const conns: Seen[] = [];
  const tap: ConnectionTap = {
    opened(endpoint, peers) {
      let end!: () => void;
      const s: Seen = { endpoint, peers: { ...peers }, received: [], sent: [], contexts: [], closed: [], ended: new Promise((r) => (end = r)) };
      conns.push(s);
      return {
        received: (d) => s.received.push(Buffer.from(d)),
        sent: (d) => s.sent.push(Buffer.from(d)),
        securityEstablished: (c) => s.contexts.push(c),
        closed: (how) => {
          s.closed.push(how);
          end();
        },
      };
    },
  };
  return { tap, conns };
}

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

async function serve(settings: Record<string, number> = {}) {
  const { tap, conns } = recordingTap();
  const opts: EchoServerOptions = { security: testSecurity().sec, ...{ tap } };
  const server = await echoServer(settings, opts);
  close = server.close;
  return { server, conns };
}

/** A client whose socket's traffic is kept, as the client wrote and read it. */
async function spiedClient(host: string, port: number) {
  const socket = net.connect({ host, port });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const wrote: Buffer[] = [];
  const read: Buffer[] = [];
  const write = socket.write.bind(socket) as (...a: unknown[]) => boolean;
  socket.write = ((chunk: Buffer, ...rest: unknown[]) => {
    wrote.push(Buffer.from(chunk));
    return write(chunk, ...rest);
  }) as typeof socket.write;
  socket.on('data', (d: Buffer) => read.push(Buffer.from(d)));
  return { client: new RawRpcClient(socket), wrote, read };
}

test('the tap sees exactly the bytes the client wrote and read, the NTLM key the client computed, and a FIN when the client ends', async () => {
  const { server, conns } = await serve();
  const { client, wrote, read } = await spiedClient(server.host, server.port);
  const ctx = ntlm();
  await client.bindInterface(echo, { auth: { ctx, level: AUTH_LEVEL.pkt_privacy, contextId: 7 } });
  const big = Buffer.alloc(70_000, 0x5a); // several fragments each way
  expect((await client.call(0, echo.methods.echo, { len: big.length, data: big })).data.equals(big)).toBe(true);
  expect((await client.call(0, echo.methods.add, { a: 2, b: 3 })).sum).toBe(5);
  await client.close();
  expect(conns).toHaveLength(1);
  const [c] = conns;
  await c!.ended;
  expect(c!.endpoint).toBe('test');
  expect(c!.peers).toMatchObject({ localAddress: '127.0.0.1', localPort: server.port, remoteAddress: '127.0.0.1' });
  expect(Buffer.concat(c!.received).equals(Buffer.concat(wrote))).toBe(true);
  expect(Buffer.concat(c!.sent).equals(Buffer.concat(read))).toBe(true);
  expect(Buffer.concat(wrote).length).toBeGreaterThan(big.length);
  expect(c!.contexts).toHaveLength(1);
  const k = c!.contexts[0]!;
  expect([k.authContextId, k.authType, k.authLevel]).toEqual([7, AUTH_TYPE.winnt, AUTH_LEVEL.pkt_privacy]);
  expect(k.ntlm!.exportedSessionKey.toString('hex')).toBe(ctx.ntlm.exportedSessionKey!.toString('hex'));
  expect(k.ntlm!.negotiateFlags >>> 0).toBe(ctx.ntlm.negotiatedFlags >>> 0);
  expect(c!.closed).toEqual(['fin']);
});

test('a connection refused at maxConnections is opened and reset at once, with no bytes', async () => {
  const { server, conns } = await serve({ maxConnections: 1 });
  const first = await RawRpcClient.connect(server.host, server.port);
  await first.bindInterface(echo);
  const refused = net.connect({ host: server.host, port: server.port });
  refused.on('error', () => {});
  await new Promise((r) => refused.once('close', r));
  expect(conns).toHaveLength(2);
  expect(conns[1]!.closed).toEqual(['reset']);
  expect([conns[1]!.received.length, conns[1]!.sent.length, conns[1]!.contexts.length]).toEqual([0, 0, 0]);
  expect(conns[0]!.closed).toEqual([]); // the first still serves
  expect((await first.call(0, echo.methods.add, { a: 1, b: 1 })).sum).toBe(2);
  await first.close();
  await conns[0]!.ended;
  expect(conns[0]!.closed).toEqual(['fin']);
});

test('a client that resets its connection is a reset', async () => {
  const { server, conns } = await serve();
  const { client } = await spiedClient(server.host, server.port);
  await client.bindInterface(echo);
  (client as unknown as { socket: net.Socket }).socket.resetAndDestroy();
  await conns[0]!.ended;
  expect(conns[0]!.closed).toEqual(['reset']);
});

test('a listener on one address gives each connection that address as its local end; a wildcard listener asks the socket, so the address the client reached is the one recorded', async () => {
  const { tap, conns } = recordingTap();
  const rpc = new RpcServer({ log: silentLogger, tap });
  close = () => rpc.close();
  const one = await rpc.listen('one', new InterfaceRegistry(), ['127.0.0.1'], 0);
  const any = await rpc.listen('any', new InterfaceRegistry(), ['0.0.0.0'], 0);
  for (const [host, port] of [
    ['127.0.0.1', one.port],
    ['127.0.0.3', any.port],
  ] as const) {
    const s = net.connect({ host, port });
    await new Promise<void>((resolve, reject) => s.once('connect', resolve).once('error', reject));
    const local = { localAddress: s.remoteAddress, localPort: s.remotePort, remoteAddress: s.localAddress, remotePort: s.localPort };
    s.end();
    await new Promise((r) => s.once('close', r));
    await conns.at(-1)!.ended;
    expect(conns.at(-1)!.peers).toEqual(local);
  }
  expect(conns.map((c) => [c.endpoint, c.peers.localAddress])).toEqual([
    ['one', '127.0.0.1'],
    ['any', '127.0.0.3'],
  ]);
});
