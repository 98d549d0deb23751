/**
 * Every decoding failure in the NDR layer is an NdrError. The RPC layer answers it with a
 * fault carrying rpc_x_bad_stub_data, exactly as a MIDL-generated stub does, so nothing
 * from malformed input escapes a call as an ordinary exception.
 */
import { RPC_X_BAD_STUB_DATA } from '../status/index.js';

export { RPC_X_BAD_STUB_DATA };

export class NdrError extends Error {
  readonly status = RPC_X_BAD_STUB_DATA;
  constructor(message: string) {
    super(message);
    this.name = 'NdrError';
  }
}
