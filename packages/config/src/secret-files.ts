import { readFileSync } from 'node:fs';
import type { Config, ConfigKey } from './schema';
import { optionSources } from './options';
import { describeReadError } from './readable-file';
import { tokenFromFileText } from './token-file';
import { showValue } from './show-value';
import { ConfigError } from './errors';

/** What the files named by the config hold. */
export interface SecretFiles {
  /** The TLS listener's certificate chain and key (PEM, not parsed here); null when TLS_PORT is none. */
  readonly tls: { readonly cert: Buffer; readonly key: Buffer } | null;
  /** CA certificates for TLS pools (PEM); null = Node's built-in list. */
  readonly poolCa: Buffer | null;
  /** METRICS_TOKEN, or the trimmed content of METRICS_TOKEN_FILE; null = no token required. */
  readonly metricsToken: string | null;
}

export type SecretFileConfig = Pick<Config, 'tlsPort' | 'tlsCertFile' | 'tlsKeyFile' | 'poolCaFile' | 'metricsToken' | 'metricsTokenFile'>;

/**
 * Read the certificate, key, CA and token files the config names. At start and again on each
 * SIGHUP, so renewed certificates and a rotated token take effect without a restart. loadConfig
 * has checked the files already; this reports what changed since (a file removed mid-rotation).
 * Contents are never part of a message.
 *
 * @throws ConfigError listing every file that cannot be read.
 */
export function readSecretFiles(config: SecretFileConfig): SecretFiles {
  const problems: string[] = [];
  const read = (key: ConfigKey, path: string | null): Buffer | null => {
    if (path === null) {
      problems.push(`${optionSources(key)} is required when TLS_PORT is set`);
      return null;
    }
    try {
      return readFileSync(path);
    } catch (error) {
      problems.push(`${optionSources(key)}: ${showValue(path)} ${describeReadError(error)}`);
      return null;
    }
  };

  let tls: SecretFiles['tls'] = null;
  if (config.tlsPort !== null) {
    const cert = read('tlsCertFile', config.tlsCertFile);
    const key = read('tlsKeyFile', config.tlsKeyFile);
    if (cert && key) tls = Object.freeze({ cert, key });
  }
  const poolCa = config.poolCaFile === null ? null : read('poolCaFile', config.poolCaFile);

  let metricsToken = config.metricsToken;
  if (config.metricsTokenFile !== null) {
    const content = read('metricsTokenFile', config.metricsTokenFile);
    if (content) {
      const token = tokenFromFileText(content.toString('utf8'));
      if ('token' in token) metricsToken = token.token;
      else problems.push(`${optionSources('metricsTokenFile')}: ${showValue(config.metricsTokenFile)} ${token.problem}`);
    }
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze({ tls, poolCa, metricsToken });
}
