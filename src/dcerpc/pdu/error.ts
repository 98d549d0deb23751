/**
 * A PDU that cannot be read as C706 defines it. The connection answers it according to
 * where it happened: a bind_nak before the association exists, a fault
 * nca_s_proto_error and a close afterwards.
 */
export class PduError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PduError';
  }
}
