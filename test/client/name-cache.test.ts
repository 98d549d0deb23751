import { expect, test } from 'vitest';
import * as net from 'node:net';
import type { LookupAddress } from 'node:dns';
import { cachedLookup } from '../../src/client/name-cache.js';

/** cachedLookup as a promise: the arguments its callback was given. */
function look(host: string, all: boolean): Promise<{ err: NodeJS.ErrnoException | null; address: string | LookupAddress[]; family?: number }> {
  return new Promise((resolve) => cachedLookup(host, { all }, (err, address, family) => resolve({ err, address, family })));
}

test('a name is looked up once: concurrent and later callers share the answer, in either form', async () => {
  const [a, b] = await Promise.all([look('localhost', true), look('localhost', true)]);
  expect(a.err).toBeNull();
  expect(Array.isArray(a.address) && a.address.length).toBeGreaterThan(0);
  // One lookup answered both: the same array.
  expect(b.address).toBe(a.address);
  const one = await look('localhost', false);
  expect(one.err).toBeNull();
  expect(one.address).toBe((a.address as LookupAddress[])[0]!.address);
  expect(one.family).toBe((a.address as LookupAddress[])[0]!.family);
});

test('a name that does not resolve fails every caller, each with an error of its own', async () => {
  // .invalid never resolves (RFC 2606); the failure is remembered like an answer.
  const [a, b] = await Promise.all([look('no-such-host.invalid', true), look('no-such-host.invalid', false)]);
  expect(a.err?.code).toMatch(/ENOTFOUND|EAI_AGAIN/);
  expect(b.err?.code).toBe(a.err?.code);
  expect(b.err).not.toBe(a.err);
}, 30_000); // a resolver that does not answer takes its own timeout (5 s per try)

test('net.connect takes it as its lookup: a connection by name reaches the listener', async () => {
  const srv = net.createServer((s) => s.end('hi'));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as net.AddressInfo;
  try {
    const got = await new Promise<string>((resolve, reject) => {
      const s = net.connect({ host: 'localhost', port, family: 4, lookup: cachedLookup });
      let data = '';
      s.on('data', (d) => (data += d));
      s.on('end', () => resolve(data));
      s.on('error', reject);
    });
    expect(got).toBe('hi');
  } finally {
    srv.close();
  }
});
