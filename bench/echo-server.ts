import * as net from 'node:net';

/**
 * The ceiling: a raw node:net server that answers every 16+ byte request PDU with a fixed
 * response of `replySize` bytes carrying the request's call_id, doing no RPC work at all.
 * It reads frag_length to cut the stream, as any RPC peer must.
 */
const replySize = Number(process.argv[2] ?? 32);
const template = Buffer.alloc(replySize);
template[0] = 5;
template[2] = 2; // response
template[3] = 3; // first | last
template[4] = 0x10;
template.writeUInt16LE(replySize, 8);
template.writeUInt32LE(replySize - 24, 16);

const server = net.createServer({ noDelay: true }, (s) => {
  let pending = Buffer.alloc(0);
  s.on('data', (d) => {
    pending = pending.length ? Buffer.concat([pending, d]) : d;
    const out: Buffer[] = [];
    while (pending.length >= 16) {
      const len = pending.readUInt16LE(8);
      if (pending.length < len) break;
      const reply = Buffer.from(template);
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
