import { PFC } from '../constants.js';

export interface StubFragment {
  flags: number;
  /** Stub octets from this fragment to the end of the call. */
  allocHint: number;
  chunk: Buffer;
}

/**
 * Cuts a request or response stub into the chunks of its fragments: at most `room` octets
 * each, every chunk but the last a multiple of 8, an empty stub still one fragment.
 */
export function* stubFragments(stub: Buffer, room: number): Generator<StubFragment> {
  const step = room & ~7;
  if (step <= 0) throw new RangeError(`no room for stub data in a fragment (${room})`);
  let at = 0;
  do {
    const n = Math.min(step, stub.length - at);
    let flags = 0;
    if (at === 0) flags |= PFC.FIRST_FRAG;
    if (at + n === stub.length) flags |= PFC.LAST_FRAG;
    yield { flags, allocHint: stub.length - at, chunk: stub.subarray(at, at + n) };
    at += n;
  } while (at < stub.length);
}
