import * as net from 'node:net';

/**
 * The ceiling: a raw node:net server that answers every 16+ byte request PDU with a fixed
 * response of `replySize` bytes carrying the request's call_id, doing no RPC work at all.
 * With `sized` instead of a size, each answer is as long as the request's alloc_hint says
 * (at least 24 octets): the enumeration's round trips replayed with their own octet counts
 * (bench/round-trips.ts).
 * It reads frag_length to cut the stream, as any RPC peer must. A bind gets a bind_ack that
 * accepts its first context with NDR20 (no checks), so that clients that bind (the C load
 * generator's connect, bind, call, close loop) measure the same round trips against it.
 */
const sized = process.argv[2] === 'sized';
const replySize = sized ? 24 : Number(process.argv[2] ?? 32);
const template = Buffer.alloc(replySize);
template[0] = 5;
template[2] = 2; // response
template[3] = 3; // first | last
template[4] = 0x10;
template.writeUInt16LE(replySize, 8);
template.writeUInt32LE(replySize - 24, 16);

// bind_ack: no secondary address, one result (acceptance), the transfer syntax NDR20 v2.
const bindAck = Buffer.alloc(56);
bindAck[0] = 5;
bindAck[2] = 12; // bind_ack
bindAck[3] = 3;
bindAck[4] = 0x10;
bindAck.writeUInt16LE(56, 8);
bindAck.writeUInt16LE(5840, 16);
bindAck.writeUInt16LE(5840, 18);
bindAck.writeUInt32LE(0x1234, 20);
bindAck[28] = 1; // n_results; the result and reason at 32 stay 0 (acceptance)
Buffer.from('045d888aeb1cc9119fe808002b10486002000000', 'hex').copy(bindAck, 36);

/** A response of `size` octets (its frag_length saturating at 65535: the octet count is what matters). */
function sizedReply(size: number): Buffer {
  const b = Buffer.alloc(Math.max(24, size));
  template.copy(b, 0, 0, 24);
  b.writeUInt16LE(Math.min(0xffff, b.length), 8);
  return b;
}

const server = net.createServer({ noDelay: true }, (s) => {
  let pending = Buffer.alloc(0);
  s.on('data', (d) => {
    pending = pending.length ? Buffer.concat([pending, d]) : d;
    const out: Buffer[] = [];
    while (pending.length >= 16) {
      const len = pending.readUInt16LE(8);
      if (pending.length < len) break;
      const reply = pending[2] === 11 ? Buffer.from(bindAck) : sized ? sizedReply(pending.readUInt32LE(16)) : Buffer.from(template);
      reply.writeUInt32LE(pending.readUInt32LE(12), 12);
      out.push(reply);
      pending = pending.subarray(len);
    }
    if (out.length) s.write(out.length === 1 ? out[0]! : Buffer.concat(out));
  });
  s.on('error', () => {});
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`ready ${(server.address() as net.AddressInfo).port}\n`);
});
