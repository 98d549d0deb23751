import { expect, test } from 'vitest';
import { RpcClient, syntaxOf } from '../../src/client/rpc-client.js';
import { NDR20_SYNTAX } from '../../src/dcerpc/constants.js';
import { encodeBind } from '../../src/dcerpc/pdu/serializer.js';
import { epm } from '../../src/interfaces/epm/idl.js';
import { testServer } from '../helpers/server.js';
import { dissect, startCapture } from '../helpers/tshark.js';
import { RawRpcClient } from '../helpers/raw-client.js';

/** The capture check must be able to fail: a PDU that lies about its contexts is flagged. */
test('control: tshark flags a malformed bind in a capture', async () => {
  const s = await testServer();
  const cap = await startCapture([s.port]);
  const c = await RawRpcClient.connect(s.host, s.port);
  const bind = encodeBind('bind', {
    callId: 1,
    maxXmitFrag: 5840,
    maxRecvFrag: 5840,
    assocGroupId: 0,
    contexts: [{ contextId: 0, abstractSyntax: syntaxOf(epm), transferSyntaxes: [{ ...NDR20_SYNTAX }] }],
  });
  bind[24] = 5; // n_context_elem: five claimed, one present
  c.sendRaw(bind);
  expect(await c.nextPdu()).toMatchObject({ type: 'bind_nak' });
  await c.closedPromise;
  await cap.stop();
  const d = await dissect(cap.file, [s.port]);
  expect(d.malformed).toBeGreaterThan(0);
  expect(d.errors).toBeGreaterThan(0);
  await s.close();
}, 60_000);
