import { randomFillSync } from 'node:crypto';

/**
 * Random octets for identifiers and challenges (association group ids, GUIDs, OXIDs and
 * OIDs, NTLM challenges and session keys), drawn from a pool that node's CSPRNG refills
 * 4 KiB at a time — as node's own randomUUID does. An activation wants about ten such
 * values; a call into OpenSSL for each cost more than all of them together.
 *
 * Each value is copied out into a Buffer of its own, so nothing kept (a connection's
 * challenge, say) holds on to the pool, and the octets handed out are never handed out
 * again: the pool is refilled only once all of it is spent.
 */
const POOL_SIZE = 4096;
const pool = Buffer.allocUnsafeSlow(POOL_SIZE);
let used = POOL_SIZE;

export function randomOctets(n: number): Buffer {
  const out = Buffer.allocUnsafeSlow(n);
  if (n > POOL_SIZE / 4) return randomFillSync(out);
  if (used + n > POOL_SIZE) {
    randomFillSync(pool);
    used = 0;
  }
  pool.copy(out, 0, used, used + n);
  // Spent octets are overwritten, so the pool never holds a value already handed out.
  pool.fill(0, used, used + n);
  used += n;
  return out;
}
