import type { z } from 'zod';
import type { PoolSpec } from '@stratum-relay/shared-types';
import { configSchema, type Config } from './schema';
import { makePoolSpec } from './pool-list';
import { defaultPoolName } from './pool-url';
import { HIDDEN } from './show-value';
import { ConfigError } from './errors';

export const POOL_REQUIRED =
  'a pool is required: set --pools, POOLS or "pools" in the config file, or the one-pool shortcut --pool-host, POOL_HOST or "poolHost"';
const INSPECT = Symbol.for('nodejs.util.inspect.custom');

function withoutToken(this: Config): Config {
  return { ...this, metricsToken: this.metricsToken === null ? null : HIDDEN };
}

/**
 * The frozen Config for values the schema accepted: `pools` from POOLS or else the one PoolSpec
 * the POOL_HOST/POOL_PORT shortcut stands for. Undefined when neither is set.
 */
export function resolveConfig(data: z.infer<typeof configSchema>): Config | undefined {
  const { pools, poolHost, poolPort } = data;
  let resolved: readonly PoolSpec[];
  if (pools) resolved = Object.freeze(pools.map(makePoolSpec));
  else if (poolHost !== undefined) {
    const shortcut = { name: defaultPoolName(poolHost, poolPort), scheme: 'tcp', host: poolHost, port: poolPort, account: null, password: null } as const;
    resolved = Object.freeze([makePoolSpec(shortcut)]);
  } else return undefined;
  const config: Config = { ...data, pools: resolved };
  // Not enumerable: a logged or printed config shows the token as hidden (pool passwords hide themselves).
  Object.defineProperty(config, 'toJSON', { value: withoutToken });
  Object.defineProperty(config, INSPECT, { value: withoutToken });
  return Object.freeze(config);
}

/**
 * A Config from values written in code (tests, tools), the way loadConfig would resolve them:
 * defaults filled in, `pools` resolved (give `pools` or `poolHost`), everything frozen. Reads no
 * environment and no file, so the files named are not checked.
 *
 * @throws ConfigError listing every value the schema rejects.
 */
export function configFromValues(values: Partial<Config>): Config {
  const result = configSchema.safeParse(values);
  if (!result.success) throw new ConfigError(result.error.issues.map((issue) => `${issue.path.join('.') || 'config'}: ${issue.message}`));
  if (result.data.pools && result.data.poolHost !== undefined) throw new ConfigError(['give pools or poolHost, not both']);
  const config = resolveConfig(result.data);
  if (!config) throw new ConfigError([POOL_REQUIRED]);
  return config;
}
