import { createHash, type Hash } from 'node:crypto';
import type { Socket } from 'node:net';

/** Records everything a socket receives, plus whether it saw FIN, an error and close. */
export class ByteCapture {
  readonly chunks: Buffer[] = [];
  length = 0;
  ended = false;
  closed = false;
  error: NodeJS.ErrnoException | undefined;
  /** `length` at the moment 'end' arrived: proves the FIN came after the data. */
  lengthAtEnd = -1;

  constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.length += chunk.length;
    });
    socket.on('end', () => {
      this.ended = true;
      this.lengthAtEnd = this.length;
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      this.error = err;
    });
    socket.on('close', () => {
      this.closed = true;
    });
  }

  /**
   * The peer is gone: FIN, error or close. A half-open capable test socket only sees 'end' when
   * the proxy destroys its side, so 'closed' alone would wait forever.
   */
  get gone(): boolean {
    return this.ended || this.closed || this.error !== undefined;
  }

  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }

  text(): string {
    return this.bytes().toString('latin1');
  }
}

/** Counts and hashes what a socket receives without keeping it (for hundreds of MB). */
export class HashCapture {
  length = 0;
  ended = false;
  closed = false;
  private readonly hash: Hash = createHash('sha256');

  constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.length += chunk.length;
      this.hash.update(chunk);
    });
    socket.on('end', () => {
      this.ended = true;
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
    });
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}
