/**
 * Splits a byte stream into newline-terminated lines without copying complete lines.
 * A line longer than `maxLineBytes` is skipped up to its next newline and reported once
 * through `onOversized`, so a peer that never sends `\n` cannot grow our memory.
 */
export class LineSplitter {
  private tail: Buffer | null = null;
  private skipping = false;
  private skippedBytes = 0;

  constructor(
    private readonly maxLineBytes: number,
    private readonly onLine: (line: Buffer) => void,
    private readonly onOversized: (bytes: number) => void,
  ) {}

  push(chunk: Buffer): void {
    let buf = chunk;
    if (this.tail !== null) {
      buf = Buffer.concat([this.tail, chunk]);
      this.tail = null;
    }
    let from = 0;
    while (from < buf.length) {
      const nl = buf.indexOf(0x0a, from);
      if (this.skipping) {
        if (nl === -1) {
          this.skippedBytes += buf.length - from;
          return;
        }
        this.skippedBytes += nl - from;
        this.skipping = false;
        this.onOversized(this.skippedBytes);
        this.skippedBytes = 0;
        from = nl + 1;
        continue;
      }
      if (nl === -1) {
        const rest = buf.length - from;
        if (rest > this.maxLineBytes) {
          this.skipping = true;
          this.skippedBytes = rest;
        } else {
          // Copy the tail so we do not pin the (possibly large) socket chunk.
          this.tail = Buffer.from(buf.subarray(from));
        }
        return;
      }
      const end = nl > from && buf[nl - 1] === 0x0d ? nl - 1 : nl;
      if (nl - from > this.maxLineBytes) {
        this.onOversized(nl - from);
      } else if (end > from) {
        this.onLine(buf.subarray(from, end));
      }
      from = nl + 1;
    }
  }

  /** Bytes held for an unfinished line. */
  get pendingBytes(): number {
    return this.tail === null ? 0 : this.tail.length;
  }
}
