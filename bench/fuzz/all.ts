/**
 * Every target `npm run fuzz` runs, by name. The network side's are in targets.ts; a
 * helper fuzzing other decoders (host-model and state files, admin bodies) adds a function
 * returning its FuzzTarget[] to ALL_TARGETS below, and its own CI test beside ours.
 */
import { networkTargets, type FuzzTarget } from './targets.js';
import { hostTargets } from './host-targets.js';

export const ALL_TARGETS: ReadonlyArray<() => FuzzTarget[]> = [networkTargets, hostTargets];

export function allTargets(): FuzzTarget[] {
  return ALL_TARGETS.flatMap((make) => make());
}
