/**
 * The stub of one call as its fragments arrive (C706 12.6.3.7), for the server's requests
 * and the client's responses alike. Fragments are kept as they came and joined once, at
 * the last fragment; a call of one fragment is never copied.
 */
export class StubAssembly {
  private chunks: Buffer[] = [];
  /** Octets received so far. */
  size = 0;

  /** `budget`: the process-wide total this assembly's octets are counted against (server side). */
  constructor(private readonly budget?: ReassemblyBudget) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  /** Keeps `chunk` if the budget has room for it; false (nothing kept) when it has not. */
  tryPush(chunk: Buffer): boolean {
    if (this.budget && !this.budget.reserve(chunk.length)) return false;
    this.push(chunk);
    return true;
  }

  /** The whole stub; the assembly is empty afterwards. */
  take(): Buffer {
    const out = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.size);
    this.clear();
    return out;
  }

  /** Drops what was received (a refused call whose remaining fragments are ignored). */
  clear(): void {
    this.budget?.release(this.size);
    this.chunks = [];
    this.size = 0;
  }
}

/**
 * The request octets all connections of a server hold in reassembly together, against
 * maxReassemblyBytesTotal: per-call and per-connection caps alone let many connections
 * times many calls hold gigabytes. `peak` and `refused` are what tests and diagnostics read.
 */
export class ReassemblyBudget {
  used = 0;
  peak = 0;
  refused = 0;

  constructor(readonly limit: number) {}

  reserve(n: number): boolean {
    if (this.used + n > this.limit) {
      this.refused++;
      return false;
    }
    this.used += n;
    if (this.used > this.peak) this.peak = this.used;
    return true;
  }

  release(n: number): void {
    this.used = Math.max(0, this.used - n);
  }
}
