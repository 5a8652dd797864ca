import * as net from 'node:net';
import { performance } from 'node:perf_hooks';
import type { ProxyServerOptions } from '../src/proxy-server';
import { Cleanup } from './helpers/cleanup';
import { admission, startEdgeProxy } from './helpers/edge-proxy';
import { startPool } from './helpers/pool-server';
import { waitUntil } from './helpers/wait';

/**
 * A connection burst against listenBacklog 4096: every one of 2,000 connections opened as fast as
 * the test can is accepted and relayed within 10 s (nothing dropped by a full accept queue).
 * Prints the accept rate measured.
 */
const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const CONNECTIONS = 2_000;
const BATCH = 500;
const BUDGET_MS = 10_000;
const ANSWER = '{"id":1,"result":[[],"08000002",4],"error":null}\n';

/** Opens `count` connections in batches of `BATCH` (each batch all at once); each sends its own line on connect. */
async function burst(port: number, count: number, sockets: net.Socket[], answered: () => void): Promise<void> {
  for (let start = 0; start < count; start += BATCH) {
    const batch: Array<Promise<void>> = [];
    for (let i = start; i < Math.min(count, start + BATCH); i++) {
      batch.push(
        new Promise<void>((resolve, reject) => {
          const socket = net.connect({ host: '127.0.0.1', port });
          sockets.push(socket);
          let got = '';
          socket.setEncoding('latin1');
          socket.on('data', (text: string) => {
            got += text;
            if (got === ANSWER) answered();
          });
          socket.once('connect', () => {
            socket.write(`{"id":1,"method":"mining.subscribe","params":["miner-${i}"]}\n`);
            resolve();
          });
          socket.once('error', reject);
        }),
      );
    }
    await Promise.all(batch);
  }
}

describe('listen backlog', () => {
  it.each<[string, Partial<ProxyServerOptions>]>([
    ['straight to the relay', {}],
    ['through the admission gate', { admission: admission({ allowFrom: ['127.0.0.0/8'], maxConnectionsPerIp: 5_000, firstByteTimeoutMs: 5_000 }) }],
  ])(
    'accepts and relays 2,000 connections opened as fast as possible within 10 s with listenBacklog 4096 (%s)',
    async (name, overrides) => {
      const pool = await startPool(cleanup, (socket) => socket.once('data', () => socket.write(ANSWER)));
      const { port, proxy, recorder } = await startEdgeProxy(cleanup, pool.port, { listenBacklog: 4096, maxConnections: 5_000, ...overrides });
      const sockets: net.Socket[] = [];
      cleanup.add(() => {
        for (const socket of sockets) socket.destroy();
      });
      let answers = 0;

      const started = performance.now();
      await burst(port, CONNECTIONS, sockets, () => answers++);
      await waitUntil(() => recorder.ofType('connection.opened').length >= CONNECTIONS, `${CONNECTIONS} connections accepted`, BUDGET_MS);
      const acceptedMs = performance.now() - started;
      await waitUntil(() => answers >= CONNECTIONS, `${CONNECTIONS} answers relayed to the miners`, BUDGET_MS);
      const relayedMs = performance.now() - started;

      console.log(
        `edges.backlog (${name}): ${CONNECTIONS} connections accepted in ${acceptedMs.toFixed(0)} ms = ` +
          `${Math.round((CONNECTIONS * 1000) / acceptedMs)} accepts/s; all relayed both ways in ${relayedMs.toFixed(0)} ms`,
      );
      expect(relayedMs).toBeLessThan(BUDGET_MS);
      expect(recorder.ofType('connection.rejected')).toEqual([]);
      expect(proxy.connectionCount).toBe(CONNECTIONS);
      expect(proxy.acceptErrors).toBe(0);
      // Each miner's own line reached the pool, once.
      const lines = new Set(pool.captures.map((c) => c.text()));
      expect(pool.captures).toHaveLength(CONNECTIONS);
      for (let i = 0; i < CONNECTIONS; i += 1) expect(lines.has(`{"id":1,"method":"mining.subscribe","params":["miner-${i}"]}\n`)).toBe(true);
    },
    30_000,
  );
});
