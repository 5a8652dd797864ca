import type * as net from 'node:net';
import type { ProxyEvent } from '@stratum-relay/shared-types';
import type { ProxyEventBus } from '../../src/event-bus';
import type { HandoverResult } from '../../src/handover/connection-export';
import type { ProxyServer } from '../../src/proxy-server';
import { seededBytes } from './prng';
import { sleep } from './wait';

/**
 * `count` Stratum requests `{"id":N,"method":…,"params":["<hex>"]}` with ids 1..count, random
 * lengths (40 B to ~1.2 KiB), LF or CRLF endings, fixed by `seed`.
 */
export function seededLines(seed: number, count: number, method: string, rand: () => number): Buffer {
  const hex = seededBytes(seed, 600 * count).toString('hex');
  const lines: string[] = [];
  let at = 0;
  for (let id = 1; id <= count; id++) {
    const n = Math.floor(rand() * 1200);
    lines.push(`{"id":${id},"method":"${method}","params":["${hex.slice(at, at + n)}"]}${rand() < 0.3 ? '\r\n' : '\n'}`);
    at += n;
  }
  return Buffer.from(lines.join(''), 'latin1');
}

/**
 * Writes `data` in random cuts of 1 B to 4 KiB (most lines end up split across writes), yielding
 * to the event loop between writes so the stream lasts while the test moves connections, and
 * waiting for 'drain' when asked.
 */
export async function streamInRandomCuts(socket: net.Socket, data: Buffer, rand: () => number): Promise<void> {
  let offset = 0;
  while (offset < data.length && !socket.destroyed) {
    const n = 1 + Math.floor(rand() * rand() * 4096);
    const ok = socket.write(data.subarray(offset, offset + n));
    offset += n;
    if (!ok) await new Promise<void>((resolve) => socket.once('drain', resolve));
    else if (rand() < 0.2) await sleep(1);
    else await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** Moves every connection of `from` that can move to `to`, as a worker upgrade does, in one process. */
export async function handOverAll(from: ProxyServer, to: ProxyServer, flushTimeoutMs?: number): Promise<HandoverResult> {
  const result = await from.exportConnections(flushTimeoutMs === undefined ? {} : { flushTimeoutMs });
  for (const { state, miner, pool } of result.handedOver) {
    // Through JSON, as over IPC: nothing but the sockets may travel as objects.
    to.adoptConnection(JSON.parse(JSON.stringify(state)) as typeof state, miner, pool);
  }
  return result;
}

/** Counts the Stratum requests each bus parsed, per direction and id, and every parse error. */
export class ParsedLines {
  readonly counts = new Map<string, number>();
  parseErrors = 0;
  oversized = 0;

  listen(bus: ProxyEventBus): () => void {
    return bus.subscribe((event: ProxyEvent) => {
      if (event.type === 'stratum.request') {
        const key = `${event.connectionId}:${event.direction}:${String(event.id)}`;
        this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
      } else if (event.type === 'parse.error') this.parseErrors++;
      else if (event.type === 'line.oversized') this.oversized++;
    });
  }

  /** Ids parsed other than exactly once, for one connection and direction, out of 1..count. */
  notOnce(connectionId: number, direction: string, count: number): string[] {
    const bad: string[] = [];
    for (let id = 1; id <= count; id++) {
      const n = this.counts.get(`${connectionId}:${direction}:${id}`) ?? 0;
      if (n !== 1) bad.push(`${id}×${n}`);
    }
    return bad;
  }
}
