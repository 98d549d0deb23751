/**
 * Every failure to decode a hand-packed DCOM structure (an OBJREF, a DUALSTRINGARRAY) is a
 * DcomFormatError, so a caller can tell malformed input from a defect of its own. What such
 * bytes cost the caller is its decision; for an interface pointer Windows answers
 * RPC_E_INVALID_OBJREF (MS-DCOM 3.2.4.1.2), which the error carries for convenience.
 */
import { RPC_E_INVALID_OBJREF } from '../status/codes.js';

export { RPC_E_INVALID_OBJREF };

export class DcomFormatError extends Error {
  readonly hresult = RPC_E_INVALID_OBJREF;
  constructor(message: string) {
    super(message);
    this.name = 'DcomFormatError';
  }
}
