/**
 * Thrown by an ORPC method to fail with an HRESULT: the dispatcher answers with the
 * method's refusal (its out-parameters zeroed, `hr` the failure), exactly as when one of its
 * own checks fails. A method may as well return a failing `hr` itself.
 */
export class OrpcRefusal extends Error {
  constructor(readonly hr: number) {
    super(`refused with HRESULT 0x${(hr >>> 0).toString(16).padStart(8, '0')}`);
    this.name = 'OrpcRefusal';
  }
}

export function refuse(hr: number): never {
  throw new OrpcRefusal(hr);
}
