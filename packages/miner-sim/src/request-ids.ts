/**
 * How a miner numbers its JSON-RPC requests. Real firmware differs and a relay must cope:
 * - `increment`: 1, 2, 3, … (cgminer, bfgminer)
 * - `reuse`: the same id on every request (cpuminer sends its submits with id 4)
 * - `string`: "1", "2", … (some ASIC firmware; a relay must not confuse "1" with 1)
 */
export const ID_STYLES = ['increment', 'reuse', 'string'] as const;
export type IdStyle = (typeof ID_STYLES)[number];

/** The id every request carries in `reuse` style, as cpuminer does for mining.submit. */
export const REUSED_ID = 4;

export function isIdStyle(value: string): value is IdStyle {
  return (ID_STYLES as readonly string[]).includes(value);
}

/** Returns a generator of request ids; the counter is per miner (per generator). */
export function createIdGenerator(style: IdStyle): () => number | string {
  let next = 1;
  switch (style) {
    case 'increment':
      return () => next++;
    case 'reuse':
      return () => REUSED_ID;
    case 'string':
      return () => String(next++);
  }
}
