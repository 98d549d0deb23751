import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';

/**
 * Host names looked up once for all the connections of this process, for a while: the
 * answer (addresses or failure) is kept NAME_CACHE_TTL_MS, and lookups of a name already
 * under way are joined rather than repeated — as the DNS client cache of a Windows machine
 * serves all its processes, failures included.
 *
 * Why: an activation reply lists the exporter's host name first (FILESRV01[port]), which a
 * client tries before the addresses. node resolves names with getaddrinfo on libuv's pool
 * of four threads; 200 clients each resolving it at once queued behind those threads, and
 * the resolver answered concurrent queries after its 5 s timeout: `npm run soak` fell from
 * ~150 to ~7 sessions per second, every session waiting on a name no one could resolve.
 */
export const NAME_CACHE_TTL_MS = 30_000;
/** Names remembered at most; the oldest is forgotten first. */
export const NAME_CACHE_MAX = 256;

type Answer = { error: NodeJS.ErrnoException } | { addresses: LookupAddress[] };
interface Entry {
  /** When the answer expires (Infinity while the lookup runs). */
  until: number;
  answer: Promise<Answer>;
}
const cache = new Map<string, Entry>();

type Callback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A `lookup` for net.connect: dns.lookup's contract (one address, or all with `all`), answers shared. */
export function cachedLookup(hostname: string, options: LookupOptions, callback: Callback): void {
  const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : (options.family ?? 0);
  const key = `${family}/${options.hints ?? 0}/${hostname}`;
  const now = Date.now();
  let e = cache.get(key);
  if (!e || e.until <= now) {
    if (e) cache.delete(key);
    const entry: Entry = {
      until: Infinity,
      answer: new Promise<Answer>((resolve) =>
        dnsLookup(hostname, { all: true, family, ...(options.hints ? { hints: options.hints } : {}) }, (error, addresses) =>
          resolve(error ? { error } : { addresses }),
        ),
      ).then((a) => {
        entry.until = Date.now() + NAME_CACHE_TTL_MS;
        return a;
      }),
    };
    e = entry;
    cache.set(key, entry);
    if (cache.size > NAME_CACHE_MAX) cache.delete(cache.keys().next().value!);
  }
  void e.answer.then((a) => {
    if ('error' in a) {
      // A copy for each caller: net decorates the error it is given with its own host and port.
      const err: NodeJS.ErrnoException = Object.assign(new Error(a.error.message), { code: a.error.code, errno: a.error.errno, syscall: a.error.syscall, hostname });
      callback(err, options.all ? [] : '');
    } else if (options.all) callback(null, a.addresses);
    else if (a.addresses.length === 0) callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname }), '');
    else callback(null, a.addresses[0]!.address, a.addresses[0]!.family);
  });
}
