/** Connection ids each worker process has for itself. */
export const CONNECTION_IDS_PER_WORKER = 1_000_000_000;

/**
 * Where a worker's connection ids start: its node:cluster id (unique for the life of the primary,
 * never reused, whatever the slot, generation or restart) times 1e9. A connection keeps its id
 * when an upgrade hands it to a worker of the next generation, so ids made by different workers
 * must never meet; 1e9 ids per worker and 9 million workers fit a safe integer. The id tells the
 * worker that accepted the connection: `Math.floor(id / 1e9)`.
 */
export function connectionIdBase(workerId: number): number {
  return workerId * CONNECTION_IDS_PER_WORKER;
}
