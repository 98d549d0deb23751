import { formatStatus } from '../status/index.js';

/**
 * Thrown by a method to answer its call with a fault PDU instead of a response.
 * `didNotExecute` sets PFC_DID_NOT_EXECUTE, telling the client no side effect happened.
 */
export class RpcFault extends Error {
  constructor(
    readonly status: number,
    message?: string,
    readonly didNotExecute = false,
  ) {
    super(message ?? `RPC fault ${formatStatus(status)}`);
    this.name = 'RpcFault';
  }
}
