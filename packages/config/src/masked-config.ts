import type { Config } from './schema';
import { OPTIONS } from './options';
import { redactPoolUrl } from './pool-url';
import { HIDDEN } from './show-value';

/**
 * The config as plain data fit to print (`stratum-proxy check-config`): secrets as "(hidden)",
 * a password inside any URL (a pool's, a postgres:// journal's) as ***. Derived from the option
 * table's kinds, so a secret option added later is hidden without another list.
 */
export function maskedConfig(config: Config): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { key, kind } of OPTIONS) {
    const value = config[key];
    if (value === undefined) continue;
    if (kind === 'secret' && value !== null) out[key] = HIDDEN;
    else if (key === 'pools') out[key] = config.pools.map((p) => ({ ...p, password: p.password === null ? null : HIDDEN }));
    else if (typeof value === 'string') out[key] = redactPoolUrl(value);
    else out[key] = value;
  }
  return out;
}
