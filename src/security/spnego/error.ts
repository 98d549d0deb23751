/**
 * Every defect found in a SPNEGO token, or in a value handed to its encoder, is a
 * SpnegoError and nothing else, so the authentication layer can answer any malformed
 * token the same way (as Windows' AcceptSecurityContext does, with SEC_E_INVALID_TOKEN)
 * without a stray exception from deep inside the parser costing more than that one
 * exchange.
 */
import { SEC_E_INVALID_TOKEN } from '../../status/index.js';

export { SEC_E_INVALID_TOKEN };

export class SpnegoError extends Error {
  readonly status = SEC_E_INVALID_TOKEN;
  constructor(message: string) {
    super(message);
    this.name = 'SpnegoError';
  }
}
