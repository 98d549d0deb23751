/**
 * The stub of one call as its fragments arrive (C706 12.6.3.7), for the server's requests
 * and the client's responses alike. Fragments are kept as they came and joined once, at
 * the last fragment; a call of one fragment is never copied.
 */
export class StubAssembly {
  private chunks: Buffer[] = [];
  /** Octets received so far. */
  size = 0;

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  /** The whole stub; the assembly is empty afterwards. */
  take(): Buffer {
    const out = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.size);
    this.clear();
    return out;
  }

  /** Drops what was received (a refused call whose remaining fragments are ignored). */
  clear(): void {
    this.chunks = [];
    this.size = 0;
  }
}
