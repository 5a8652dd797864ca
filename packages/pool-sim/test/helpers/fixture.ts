import { PoolSim, type PoolSimOptions } from '../../src';
import { StratumTestClient } from './stratum-test-client';

/** Registers cleanup at once: every pool and client made through it is closed after each test. */
export function useFixture(): {
  pool(opts?: Partial<PoolSimOptions>): Promise<{ pool: PoolSim; port: number }>;
  client(port: number): Promise<StratumTestClient>;
} {
  const pools: PoolSim[] = [];
  const clients: StratumTestClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await Promise.all(pools.splice(0).map((p) => p.close()));
  });
  return {
    async pool(opts = {}) {
      // No job timer unless a test asks: jobs change only when the test says so.
      const pool = new PoolSim({ jobIntervalMs: 0, difficulty: 0.00001, ...opts });
      pools.push(pool);
      const { port } = await pool.listen();
      return { pool, port };
    },
    async client(port) {
      const c = await StratumTestClient.connect(port);
      clients.push(c);
      return c;
    },
  };
}
