/**
 * A client of the admin HTTP API: what `scmp admin`, the benchmark and the tests send.
 * Bodies go as JSON (or as given, for callers that test the server with malformed text).
 */
export interface AdminAnswer {
  status: number;
  /** The parsed JSON answer, or the text when it was not JSON. */
  body: unknown;
}

/** The error part of a refusal: `field` for a 400, `hresult` (and its name) for a 409. */
export interface AdminError {
  field?: string;
  hresult?: string;
  hresultName?: string;
  message?: string;
}

export class AdminClient {
  constructor(
    readonly url: string,
    private readonly token: string | undefined,
  ) {}

  /** One request; `body` is sent as JSON, a string as it is. Network failures throw. */
  async request(method: string, path: string, body?: unknown): Promise<AdminAnswer> {
    const res = await fetch(new URL(path, this.url), {
      method,
      headers: { ...(this.token !== undefined ? { authorization: `Bearer ${this.token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    try {
      return { status: res.status, body: JSON.parse(text) };
    } catch {
      return { status: res.status, body: text };
    }
  }

  /** A request that must succeed: answers its body, or throws with the status and the error. */
  async ok<T = any>(method: string, path: string, body?: unknown): Promise<T> {
    const a = await this.request(method, path, body);
    if (a.status !== 200) throw new Error(`${method} ${path}: ${a.status} ${JSON.stringify(a.body)}`);
    return a.body as T;
  }
}
