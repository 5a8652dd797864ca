export type ConfigErrorCode = 'SRL_ERR_CONFIG';

/**
 * The configuration could not be loaded. `problems` lists every problem found, one sentence
 * each, naming where the value came from (flag, env name or file key), what was given and what
 * is expected, so an operator fixes everything in one go. Tests assert on `.code`.
 */
export class ConfigError extends Error {
  readonly code: ConfigErrorCode = 'SRL_ERR_CONFIG';
  readonly problems: readonly string[];
  constructor(problems: readonly string[], options?: { cause?: unknown }) {
    super(
      problems.length === 1 ? `invalid configuration: ${problems[0]}` : `invalid configuration (${problems.length} problems):\n  ${problems.join('\n  ')}`,
      options,
    );
    this.name = 'ConfigError';
    this.problems = Object.freeze([...problems]);
  }
}
