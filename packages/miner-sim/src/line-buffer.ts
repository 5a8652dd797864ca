/**
 * Splits a byte stream into newline-terminated lines without copying complete lines
 * (`indexOf(0x0a)` + `subarray`). An unfinished line longer than `maxLineBytes` is dropped up
 * to its newline and counted, so a misbehaving pool cannot make us buffer without bound.
 */
export class LineBuffer {
  private tail: Buffer | null = null;
  private skipping = false;
  /** Lines dropped for exceeding `maxLineBytes`. */
  oversized = 0;

  constructor(private readonly maxLineBytes: number) {}

  push(chunk: Buffer, onLine: (line: Buffer) => void): void {
    let buf = chunk;
    if (this.tail !== null) {
      buf = Buffer.concat([this.tail, chunk]);
      this.tail = null;
    }
    let from = 0;
    for (;;) {
      const nl = buf.indexOf(0x0a, from);
      if (nl === -1) break;
      if (this.skipping) this.skipping = false;
      else if (nl - from <= this.maxLineBytes) onLine(buf.subarray(from, nl));
      else this.oversized++;
      from = nl + 1;
    }
    if (this.skipping || from === buf.length) return;
    if (buf.length - from > this.maxLineBytes) {
      this.skipping = true;
      this.oversized++;
      return;
    }
    this.tail = buf.subarray(from);
  }

  reset(): void {
    this.tail = null;
    this.skipping = false;
  }
}
