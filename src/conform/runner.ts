/**
 * Runs checks one after another against one host: each gets the check's own time limit
 * (a host that does not answer fails the check, not the run), whatever it opened is closed,
 * and its verdict is pass, fail (expected and got) or not applicable.
 */
import { HResultError, RpcFaultError } from '../client/index.js';
import { BindNakError } from '../client/rpc-client.js';
import { Ctx, Mismatch, NotApplicable, status } from './context.js';
import { ActivationRefused, type ConformTarget } from './session.js';
import type { Check, Result } from './types.js';

export interface RunOptions {
  allowChanges: boolean;
  /** Called after each check (progress). */
  onResult?: (r: Result) => void;
}

/** What an unexpected error says about the host, in one line. */
function describe(e: unknown): string {
  if (e instanceof RpcFaultError) return `fault ${status(e.status)}`;
  if (e instanceof HResultError) return status(e.hr);
  if (e instanceof ActivationRefused) return `activation refused: ${status(e.hr)}`;
  if (e instanceof BindNakError) return `bind_nak reason ${e.reason}`;
  return (e as Error)?.message ?? String(e);
}

export async function runChecks(t: ConformTarget, checks: readonly Check[], o: RunOptions): Promise<Result[]> {
  const c = new Ctx(t, o.allowChanges);
  const out: Result[] = [];
  try {
    for (const k of checks) {
      const started = Date.now();
      const base = { id: k.id, requirement: k.requirement, ref: k.ref };
      let r: Result;
      let timer: NodeJS.Timeout | undefined;
      try {
        if (k.needs.includes('changes') && !o.allowChanges) throw new NotApplicable('changes the host: run with --allow-changes');
        if (k.needs.includes('user-account') && !t.userAccount) throw new NotApplicable('needs a non-administrator account: --user-account');
        // Twice the call limit: a check makes a few calls, each bounded by the client's timeout.
        const limit = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Mismatch('an answer', `none within ${t.timeoutMs * 2} ms`)), t.timeoutMs * 2);
        });
        await Promise.race([k.probe(c), limit]);
        r = { ...base, verdict: 'pass', ms: 0 };
      } catch (e) {
        if (e instanceof NotApplicable) r = { ...base, verdict: 'not-applicable', reason: e.message, ms: 0 };
        else if (e instanceof Mismatch) r = { ...base, verdict: 'fail', expected: e.expected, got: e.got, ms: 0 };
        else r = { ...base, verdict: 'fail', expected: k.requirement, got: describe(e), ms: 0 };
        if (e instanceof Mismatch && e.got.startsWith('none within')) c.abandon();
      } finally {
        clearTimeout(timer);
      }
      await c.settle();
      r.ms = Date.now() - started;
      out.push(r);
      o.onResult?.(r);
    }
  } finally {
    await c.end().catch(() => undefined);
  }
  return out;
}

/** Exit status: every applicable check passed. */
export const allPassed = (rs: readonly Result[]) => rs.every((r) => r.verdict !== 'fail');
