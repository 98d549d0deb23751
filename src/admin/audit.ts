/**
 * What an admin audit line says about a change: small enough for a log line, whole enough
 * to tell what changed. Long strings (documents' XML) become their length; what the change
 * made or deleted is named by its ids.
 */

/** Strings longer than this are shown as their length. */
const MAX_STRING = 160;
/** Array elements shown before the rest are counted. */
const MAX_ITEMS = 16;
const MAX_DEPTH = 4;

function shorten(v: unknown, depth = 0): unknown {
  if (typeof v === 'string') return v.length > MAX_STRING ? `<${v.length} characters>` : v;
  if (typeof v === 'bigint') return v.toString();
  if (v === null || typeof v !== 'object') return v;
  if (depth >= MAX_DEPTH) return Array.isArray(v) ? `<${v.length} items>` : '<…>';
  if (Array.isArray(v)) {
    const shown = v.slice(0, MAX_ITEMS).map((x) => shorten(x, depth + 1));
    return v.length > MAX_ITEMS ? [...shown, `<${v.length - MAX_ITEMS} more>`] : shown;
  }
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, shorten(x, depth + 1)]));
}

/** The route's parameters (session id, step, document name) and the request's body. */
export function auditChange(params: string[], body: unknown): Record<string, unknown> {
  const given = body !== null && typeof body === 'object' && !Array.isArray(body) && Object.keys(body).length === 0 ? undefined : shorten(body);
  return { ...(params.length > 0 ? { params } : {}), ...(given !== undefined ? { body: given } : {}) };
}

const idOf = (x: unknown): unknown => (x !== null && typeof x === 'object' && 'id' in x ? (x as { id: unknown }).id : shorten(x));

/** What a successful change answered, by ids: made, deleted, the session and its state. */
export function auditResult(result: unknown): unknown {
  if (result === undefined || result === null) return null;
  if (Array.isArray(result)) return result.map(idOf);
  if (typeof result !== 'object') return shorten(result);
  const r = result as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of ['id', 'name', 'snapshotId', 'snapshotSetId', 'state', 'volume', 'diffAreaVolume', 'maximumBytes']) if (k in r) out[k] = shorten(r[k]);
  if (Array.isArray(r.deleted)) out.deleted = r.deleted.map(idOf);
  if (r.session !== null && typeof r.session === 'object') out.session = auditResult(r.session);
  if ('result' in r) out.result = auditResult(r.result);
  // A whole host (reboot): its shadow copies are what a reboot changes.
  if (Array.isArray(r.snapshots) && Array.isArray(r.volumes)) out.snapshots = r.snapshots.length;
  return out;
}
