/**
 * The conformance catalogue's shapes: a check states one requirement a client can observe,
 * cites where it comes from, says what it needs, probes the host, and names the server
 * setting or scripted fault under which it must fail (the suite proves itself with it).
 */
import type { Probe } from './context.js';

/** Where a requirement comes from: a specification and its section, or Windows' behaviour. */
export interface SpecRef {
  spec: 'MS-SCMP' | 'MS-DCOM' | 'MS-RPCE' | 'C706' | 'MS-NLMP' | 'MS-SPNG' | 'MS-ERREF';
  section: string;
}

/** What a check needs beyond an administrator's logon. */
export type Need =
  /** It changes the host (and restores it): runs only with --allow-changes. */
  | 'changes'
  /** A second account that is not an administrator of the host (--user-account). */
  | 'user-account';

/**
 * What makes a correct server fail the check: a scripted fault (scmpd's fault rules) or a
 * server setting (scmpd's command line). The pairing test runs each.
 */
export type Breaker =
  | { fault: FaultSpec }
  | { server: string[]; note: string; /** A fault rule the server starts with besides (host model `faults`). */ fault?: FaultSpec }
  /** scmpd's embedded default host (fixtures/default-host.json) with wrong data: `edit` changes its JSON. */
  | { hostModel: string; edit(model: Record<string, any>): void };

/** A fault rule as the pairing test asks scmpd for it. */
export interface FaultSpec {
  interface: string;
  /** The method's IDL name, or instead `opnum`: the call by number, caught before the runtime's own checks. */
  method?: string;
  opnum?: number;
  /** Optional argument matchers (e.g. a volume name). */
  args?: Record<string, string>;
  action: { hresult: number } | { fault: number } | { drop: true };
}

export interface Check {
  /** Stable id: area.subject.rule, lower case, dots and dashes. */
  id: string;
  /** The requirement in one line. */
  requirement: string;
  ref: SpecRef;
  needs: readonly Need[];
  probe: Probe;
  breaker: Breaker;
}

export type Verdict = 'pass' | 'fail' | 'not-applicable';

export interface Result {
  id: string;
  requirement: string;
  ref: SpecRef;
  verdict: Verdict;
  /** fail: what the requirement wants and what the host did. */
  expected?: string;
  got?: string;
  /** not-applicable: why. */
  reason?: string;
  ms: number;
}
