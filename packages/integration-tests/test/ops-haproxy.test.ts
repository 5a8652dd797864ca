/**
 * The shipped HAProxy example (examples/haproxy.cfg) in front of two stratum-relay instances with
 * PROXY_PROTOCOL on, run by a real HAProxy (Debian's package, installed by scripts/test.sh):
 * miners reach both relays (leastconn), each relay sees the miner's own address (send-proxy-v2),
 * shares flow to the pool, and HAProxy's /readyz health checks keep a relay with no pool out.
 */
import { execFileSync } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { resolve } from 'node:path';
import { PoolSim } from '@stratum-relay/pool-sim';
import { REPO_ROOT, freePort, getJson, scrapeMetrics, spawnTracked, startProxyProcess, waitFor, type ProxyProcess, type TrackedProcess } from '../src';

const CONFIG = resolve(REPO_ROOT, 'examples/haproxy.cfg');
const HAPROXY = '/usr/sbin/haproxy';

interface StatusBody {
  connections: Array<{ remoteAddress: string; worker: string | null }>;
}

/** A Stratum client bound to `localAddress`, so every miner has its own source address. */
function minerFrom(localAddress: string, port: number): Promise<{ socket: Socket; lines: string[] }> {
  return new Promise((resolveMiner, reject) => {
    const lines: string[] = [];
    let tail = '';
    const socket = connect({ host: '127.0.0.1', port, localAddress });
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      const parts = (tail + text).split('\n');
      tail = parts.pop() ?? '';
      lines.push(...parts);
    });
    socket.once('connect', () => resolveMiner({ socket, lines }));
    socket.once('error', reject);
  });
}

describe('ops: the HAProxy example with send-proxy-v2 in front of two relays', () => {
  let pool: PoolSim;
  const relays: ProxyProcess[] = [];
  let haproxy: TrackedProcess | undefined;
  let haproxyPort = 0;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    pool = new PoolSim({ profile: 'easy', difficulty: 0.000002, seed: 11 });
    const { port } = await pool.listen();
    for (let i = 0; i < 2; i++) {
      relays.push(
        await startProxyProcess({
          poolHost: '127.0.0.1',
          poolPort: port,
          env: { PROXY_PROTOCOL: 'true', PROXY_PROTOCOL_FROM: '127.0.0.1/32', POOL_PROBE_INTERVAL_MS: '200' },
        }),
      );
    }
    haproxyPort = await freePort();
    const env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      STRATUM_BIND: `127.0.0.1:${haproxyPort}`,
      RELAY1: `127.0.0.1:${relays[0]?.proxyPort ?? 0}`,
      RELAY2: `127.0.0.1:${relays[1]?.proxyPort ?? 0}`,
      RELAY1_METRICS_PORT: String(relays[0]?.metricsPort ?? 0),
      RELAY2_METRICS_PORT: String(relays[1]?.metricsPort ?? 0),
    };
    // The example must be valid as shipped (haproxy -c), then it runs in the foreground.
    execFileSync(HAPROXY, ['-c', '-f', CONFIG], { env, stdio: 'pipe' });
    haproxy = spawnTracked(HAPROXY, ['-db', '-f', CONFIG], { env });
    // Both relays are up in HAProxy's eyes once their /readyz checks passed (rise 2 × inter 2 s).
    await new Promise((r) => setTimeout(r, 4_500));
  }, 60_000);

  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await haproxy?.stop({ graceMs: 5_000 });
    for (const relay of relays) await relay.stop();
    await pool?.close();
  }, 60_000);

  it('spreads miners over both relays and each relay sees the miner’s own address', async () => {
    const sources = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'];
    const miners: Array<Awaited<ReturnType<typeof minerFrom>>> = [];
    for (const [i, source] of sources.entries()) {
      const miner = await minerFrom(source, haproxyPort);
      sockets.push(miner.socket);
      miner.socket.write(`{"id":1,"method":"mining.subscribe","params":["ha/${i}"]}\n{"id":2,"method":"mining.authorize","params":["ha.${i}","x"]}\n`);
      miners.push(miner);
    }
    await waitFor(() => miners.every((m) => m.lines.some((l) => l.includes('"id":2'))), {
      timeoutMs: 15_000,
      what: 'every miner authorized through HAProxy and a relay',
      context: () => `${haproxy?.logs() ?? ''}\n${relays.map((r) => r.logs()).join('\n')}`,
    });
    const statuses = await Promise.all(relays.map((r) => getJson<StatusBody>(r.metricsPort, '/status')));
    const seen = statuses.flatMap((s) => s.connections.map((c) => c.remoteAddress)).sort();
    // The PROXY header's source, not HAProxy's 127.0.0.1.
    expect(seen).toEqual(sources);
    // leastconn: both relays carry miners.
    for (const s of statuses) expect(s.connections.length).toBeGreaterThan(0);
    for (const relay of relays) {
      const m = await scrapeMetrics(relay.metricsPort);
      expect(m.get('stratum_connections_rejected_total', { reason: 'proxy_protocol' })).toBe(0);
    }
  }, 40_000);

  it('refuses a miner that bypasses HAProxy and talks to a relay without the header', async () => {
    const relay = relays[0] as ProxyProcess;
    const miner = await minerFrom('127.0.0.1', relay.proxyPort);
    sockets.push(miner.socket);
    miner.socket.write('{"id":1,"method":"mining.subscribe","params":[]}\n');
    await new Promise<void>((r) => miner.socket.once('close', () => r()));
    const m = await scrapeMetrics(relay.metricsPort);
    expect(m.get('stratum_connections_rejected_total', { reason: 'proxy_protocol' })).toBe(1);
  }, 20_000);
});
