import { createCipheriv } from 'node:crypto';

/**
 * Single DES-ECB of one block. OpenSSL 3 keeps single DES in its legacy provider, but
 * two-key triple DES with both keys equal is single DES (E(K, D(K, E(K, x))) = E(K, x)).
 */
export function desEncryptBlock(key8: Buffer, block: Buffer): Buffer {
  const c = createCipheriv('des-ede-ecb', Buffer.concat([key8, key8]), null);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(block), c.final()]);
}

/** Spreads 7 key bytes over 8, one parity bit each (the parity itself is ignored by DES). */
export function expandDesKey(key7: Buffer): Buffer {
  const k = Buffer.alloc(8);
  k[0] = key7[0]! & 0xfe;
  k[1] = ((key7[0]! << 7) | (key7[1]! >> 1)) & 0xfe;
  k[2] = ((key7[1]! << 6) | (key7[2]! >> 2)) & 0xfe;
  k[3] = ((key7[2]! << 5) | (key7[3]! >> 3)) & 0xfe;
  k[4] = ((key7[3]! << 4) | (key7[4]! >> 4)) & 0xfe;
  k[5] = ((key7[4]! << 3) | (key7[5]! >> 5)) & 0xfe;
  k[6] = ((key7[5]! << 2) | (key7[6]! >> 6)) & 0xfe;
  k[7] = (key7[6]! << 1) & 0xfe;
  return k;
}

/** DES(K, D) with a 7-byte key, as MS-NLMP writes DES(). */
export function des7(key7: Buffer, data: Buffer): Buffer {
  return desEncryptBlock(expandDesKey(key7), data);
}
