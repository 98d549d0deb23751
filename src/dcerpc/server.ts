import * as net from 'node:net';
import { createLogger, RateLimitedLog, type Logger } from '../log.js';
import { AssociationGroups, clientMachine } from './association.js';
import { ReassemblyBudget } from './reassembly.js';
import type { Authorizer, SecurityProvider } from './auth.js';
import { ServerConnection, peersOf, type LocalEnd } from './connection.js';
import type { ConnectionTap } from './tap.js';
import type { ConnectionHost, ConnectionState, RpcStats, ServerAssociation } from './server-association.js';
import type { CallInterceptor, EndpointInfo, InterfaceRegistry } from './registry.js';
import { DEFAULT_RPC_SETTINGS, type RpcSettings } from './settings.js';

/** A listening TCP endpoint (ncacn_ip_tcp) and the interfaces it serves. */
export class Endpoint implements EndpointInfo {
  port = 0;
  readonly listeners: net.Server[] = [];
  /** "address:port" for every socket bound, IPv6 in brackets. */
  readonly bound: string[] = [];

  constructor(
    readonly name: string,
    readonly registry: InterfaceRegistry,
  ) {}
}

export class ListenError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = 'ListenError';
  }
}

export interface RpcServerOptions {
  settings?: Partial<RpcSettings>;
  log?: Logger;
  security?: SecurityProvider;
  authorize?: Authorizer;
  /** Scripted faults: consulted before the opnum is looked up and before each method (CallInterceptor). */
  intercept?: CallInterceptor;
  /** Told of every connection and its bytes (scmpd --capture); never waited on. */
  tap?: ConnectionTap;
}

/**
 * The connection-oriented RPC server: endpoints, connections, association groups and the
 * counters the management interface reports. It knows nothing of DCOM or MS-SCMP: the
 * interfaces it serves are the registries handed to its endpoints.
 */
export class RpcServer implements ConnectionHost {
  readonly settings: RpcSettings;
  readonly log: Logger;
  readonly groups: AssociationGroups;
  readonly stats: RpcStats = { callsIn: 0, callsOut: 0, pktsIn: 0, pktsOut: 0 };
  readonly endpoints: Endpoint[] = [];
  readonly security: SecurityProvider | undefined;
  readonly authorize: Authorizer | undefined;
  readonly intercept: CallInterceptor | undefined;
  readonly tap: ConnectionTap | undefined;
  /** Request octets in reassembly on all connections (maxReassemblyBytesTotal). */
  readonly reassembly: ReassemblyBudget;
  /** Lines caused by unauthenticated peers, limited per message and source address. */
  readonly peerLog: RateLimitedLog;
  /** Open connections, by the association each carries. */
  private readonly connections = new Map<ServerAssociation, ServerConnection>();
  /** Open connections by client machine (maxConnectionsPerSource, maxCallsInFlightPerSource). */
  private readonly bySource = new Map<string, Set<ServerAssociation>>();
  private stopping = false;

  constructor(opts: RpcServerOptions = {}) {
    this.settings = { ...DEFAULT_RPC_SETTINGS, ...opts.settings };
    this.log = opts.log ?? createLogger('info');
    this.groups = new AssociationGroups(this.settings.maxContextHandlesPerAssociation);
    this.security = opts.security;
    this.authorize = opts.authorize;
    this.intercept = opts.intercept;
    this.tap = opts.tap;
    this.reassembly = new ReassemblyBudget(this.settings.maxReassemblyBytesTotal);
    this.peerLog = new RateLimitedLog(this.log, this.settings);
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** What each open connection holds now (for tests, the benchmark and diagnostics). */
  connectionStates(): ConnectionState[] {
    return [...this.connections.keys()].map((a) => a.snapshot());
  }

  /**
   * Listens on every address given, all on one port; port 0 picks an ephemeral port
   * (the first address's) and binds the rest to the same one.
   */
  async listen(name: string, registry: InterfaceRegistry, addresses: string[], port: number): Promise<Endpoint> {
    const ep = new Endpoint(name, registry);
    ep.port = port;
    try {
      for (const address of addresses) {
        // A listener on one address knows every connection's local end: no getsockname per
        // connection (a system call's worth of each connect, bind, call, close cycle).
        let local: LocalEnd | undefined;
        const srv = net.createServer({ noDelay: true }, (s) => this.accept(s, ep, local));
        await new Promise<void>((resolve, reject) => {
          srv.once('error', reject);
          srv.listen({ host: address, port: ep.port, ipv6Only: address.includes(':') }, () => {
            srv.off('error', reject);
            resolve();
          });
        });
        srv.on('error', (e) => this.log.error('listener error', { endpoint: name, error: e.message }));
        const a = srv.address() as net.AddressInfo;
        if (a.address !== '0.0.0.0' && a.address !== '::') local = { address: a.address, port: a.port };
        ep.port = a.port;
        ep.listeners.push(srv);
        ep.bound.push(a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`);
      }
    } catch (e) {
      for (const l of ep.listeners) l.close();
      const err = e as NodeJS.ErrnoException;
      throw new ListenError(`cannot listen on port ${ep.port} for ${name}: ${err.message}`, err.code);
    }
    this.endpoints.push(ep);
    return ep;
  }

  /** Calls arriving or running on every connection from the machine at `address`. */
  callsFrom(address: string): number {
    let n = 0;
    for (const a of this.bySource.get(clientMachine(address)) ?? []) n += a.callsHeld;
    return n;
  }

  private accept(socket: net.Socket, ep: Endpoint, local: LocalEnd | undefined): void {
    const source = clientMachine(socket.remoteAddress ?? '');
    const fromSource = this.bySource.get(source)?.size ?? 0;
    const reason = this.stopping
      ? 'stopping'
      : this.connections.size >= this.settings.maxConnections
        ? 'maxConnections'
        : fromSource >= this.settings.maxConnectionsPerSource
          ? 'maxConnectionsPerSource'
          : undefined;
    if (reason) {
      // One line per source and window, however many sockets it opens.
      this.peerLog.line('warn', 'connection refused', source, { reason, peer: `${socket.remoteAddress}:${socket.remotePort}` });
      // A capture shows the refusal as Windows' would: accepted, then reset.
      this.tap?.opened(ep.name, peersOf(socket, local)).closed('reset');
      socket.destroy();
      return;
    }
    const conn = new ServerConnection(socket, this, ep, this.tap, local);
    this.connections.set(conn.association, conn);
    let set = this.bySource.get(source);
    if (!set) this.bySource.set(source, (set = new Set()));
    set.add(conn.association);
  }

  connectionClosed(association: ServerAssociation): void {
    this.connections.delete(association);
    const source = clientMachine(association.remoteAddress);
    const set = this.bySource.get(source);
    if (set?.delete(association) && set.size === 0) this.bySource.delete(source);
  }

  /**
   * Graceful stop: no new connections; calls in flight are answered, then every
   * connection is closed; after shutdownGraceMs the rest are destroyed.
   */
  async close(): Promise<void> {
    this.stopping = true;
    const closed = Promise.all(
      this.endpoints.flatMap((ep) => ep.listeners.map((l) => new Promise<void>((resolve) => l.close(() => resolve())))),
    );
    for (const c of this.connections.values()) c.drain();
    const deadline = Date.now() + this.settings.shutdownGraceMs;
    while (this.connections.size > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    for (const c of this.connections.values()) c.destroy();
    // A destroyed socket reports its close on a later tick: wait for each, so that everything
    // told of connections (a capture's tap, above all) has seen every one end before we return.
    for (let i = 0; this.connections.size > 0 && i < 100; i++) await new Promise((r) => setImmediate(r));
    await closed;
    this.peerLog.flush();
  }
}
