/**
 * Where a client dials an object exporter: the ncacn_ip_tcp string bindings of the
 * activation reply (MS-DCOM 2.2.19.3, "address[port]"), in the order the server listed
 * them, as a Windows client tries them. Bindings of other protocol sequences, and ones
 * without an endpoint (a resolver's form), are not ways to reach an exporter over TCP.
 */
import { TOWER_ID, type DualStringArray } from '../dcom/bindings.js';

export interface ExporterAddress {
  /** An IP address or a name, as the server wrote it. */
  host: string;
  port: number;
  /** The STRINGBINDING as received, for messages. */
  binding: string;
}

/** "host[port]" → {host, port}; IPv6 literals may come bracketed or bare. */
export function parseTcpBinding(networkAddr: string): ExporterAddress | undefined {
  const m = /^(.+)\[(\d{1,5})\]$/.exec(networkAddr);
  if (!m) return undefined;
  const port = Number(m[2]);
  if (port < 1 || port > 0xffff) return undefined;
  let host = m[1]!;
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return { host, port, binding: networkAddr };
}

/** The exporter addresses a client tries, in order. */
export function exporterAddresses(d: DualStringArray): ExporterAddress[] {
  const out: ExporterAddress[] = [];
  for (const b of d.stringBindings) {
    if (b.towerId !== TOWER_ID.ncacn_ip_tcp) continue;
    const a = parseTcpBinding(b.networkAddr);
    if (a) out.push(a);
  }
  return out;
}
