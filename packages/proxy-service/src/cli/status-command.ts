import { readFileSync } from 'node:fs';
import { flagProblems, flagValues, parseMillisecondsText, readFlags, type FlagSpecs } from '@stratum-relay/config';
import { COMMAND_EXIT, usageErrorText, type CommandIo } from './command-io';
import { parsePrometheusText, type PromSample } from './prometheus-text';
import { buildStatusReport, formatStatusReport } from './status-report';

export const STATUS_HELP = `Usage: stratum-proxy status [--url URL] [--token TOKEN | --token-file FILE] [--sample DURATION] [--json]

A summary of a running stratum-proxy from its /status and /metrics: pools, miners, hashrate,
shares, rejects by reason and the workers with the most rejects.

Options:
  --url URL           the instance's HTTP server (default http://127.0.0.1:9333)
  --token TOKEN       its METRICS_TOKEN, sent as "Authorization: Bearer"; flags show in ps, so
                      prefer --token-file, or METRICS_TOKEN / METRICS_TOKEN_FILE in the environment
  --token-file FILE   file holding the token (surrounding whitespace ignored)
  --sample DURATION   read /metrics twice this far apart for the current hashrate (e.g. 10s);
                      without it the hashrate is the average since the instance started
  --timeout DURATION  give up a request after this long (default 5s)
  --json              print the summary as JSON
  -h, --help          show this help

Exit status: 0 ok, 1 the instance did not answer (or refused the token), 2 bad flags.
`;

const FLAGS = {
  url: { type: 'string', expected: 'an http:// or https:// URL' },
  token: { type: 'string', expected: 'the metrics token' },
  'token-file': { type: 'string', expected: 'the path of a file holding the token' },
  sample: { type: 'string', expected: 'a duration such as 10s' },
  timeout: { type: 'string', expected: 'a duration such as 5s' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies FlagSpecs;

export const DEFAULT_STATUS_URL = 'http://127.0.0.1:9333';
const DEFAULT_TIMEOUT_MS = 5_000;

/** A request the instance did not answer as expected: one line for the operator. */
class FetchProblem extends Error {}

interface StatusOptions {
  readonly url: string;
  readonly token: string | undefined;
  readonly sampleMs: number;
  readonly timeoutMs: number;
  readonly json: boolean;
}

/** The options, or the problems with the flags given. */
function readOptions(argv: readonly string[], env: CommandIo['env']): StatusOptions | { problems: string[] } | 'help' {
  const read = readFlags(argv, FLAGS);
  const problems = flagProblems(read, 'status takes only --options');
  const v = flagValues(read, FLAGS);
  if (v.help === true) return 'help';

  // `host:9333` is taken as http://host:9333, as curl does.
  const given = v.url ?? DEFAULT_STATUS_URL;
  const url = (/^[a-z][a-z0-9+.-]*:\/\//i.test(given) ? given : `http://${given}`).replace(/\/+$/, '');
  let protocol: string | undefined;
  try {
    protocol = new URL(url).protocol;
  } catch {
    protocol = undefined;
  }
  if (protocol !== 'http:' && protocol !== 'https:') problems.push(`--url: ${JSON.stringify(given)} is not valid: expected an http:// or https:// URL such as ${DEFAULT_STATUS_URL}`);

  let token = v.token;
  const tokenFile = v['token-file'] ?? (token === undefined ? env['METRICS_TOKEN_FILE'] : undefined);
  if (v.token !== undefined && v['token-file'] !== undefined) problems.push('--token and --token-file cannot be used together');
  else if (tokenFile !== undefined && tokenFile !== '') {
    try {
      token = readFileSync(tokenFile, 'utf8').trim();
    } catch (error) {
      const from = v['token-file'] === undefined ? 'METRICS_TOKEN_FILE' : '--token-file';
      problems.push(`${from}: cannot read ${JSON.stringify(tokenFile)}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
  } else token ??= env['METRICS_TOKEN'] || undefined;

  const sampleMs = v.sample === undefined ? 0 : parseMillisecondsText(v.sample);
  if (sampleMs === undefined || sampleMs > 3_600_000) problems.push(`--sample: ${JSON.stringify(v.sample)} is not valid: expected a duration up to 1h such as 10s`);
  const timeoutMs = v.timeout === undefined ? DEFAULT_TIMEOUT_MS : parseMillisecondsText(v.timeout);
  if (timeoutMs === undefined || timeoutMs < 1) problems.push(`--timeout: ${JSON.stringify(v.timeout)} is not valid: expected a duration such as 5s`);
  if (problems.length > 0) return { problems };
  return { url, token, sampleMs: sampleMs ?? 0, timeoutMs: timeoutMs ?? DEFAULT_TIMEOUT_MS, json: v.json === true };
}

async function get(options: StatusOptions, path: string): Promise<string> {
  const target = `${options.url}${path}`;
  let response: Response;
  try {
    response = await fetch(target, {
      headers: options.token === undefined ? {} : { authorization: `Bearer ${options.token}` },
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
    throw new FetchProblem(`${target}: no answer (${cause === 'TimeoutError' ? `nothing within ${options.timeoutMs} ms` : cause}); is stratum-proxy running with its HTTP server there?`);
  }
  const body = await response.text();
  if (response.status === 401) {
    throw new FetchProblem(
      `${target}: 401 unauthorized: ${options.token === undefined ? 'the instance has a METRICS_TOKEN; give it with --token-file or --token' : 'the token given is not the one the instance has'}`,
    );
  }
  if (!response.ok) throw new FetchProblem(`${target}: HTTP ${response.status} ${response.statusText}`);
  return body;
}

async function scrape(options: StatusOptions): Promise<readonly PromSample[]> {
  return parsePrometheusText(await get(options, '/metrics'));
}

/** `stratum-proxy status …`; resolves with the exit code. */
export async function runStatusCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  const options = readOptions(argv, io.env);
  if (options === 'help') {
    io.out(STATUS_HELP);
    return COMMAND_EXIT.OK;
  }
  if ('problems' in options) {
    io.err(usageErrorText('status', options.problems));
    return COMMAND_EXIT.USAGE;
  }
  try {
    const statusText = await get(options, '/status');
    let status: unknown;
    try {
      status = JSON.parse(statusText);
    } catch {
      throw new FetchProblem(`${options.url}/status: the answer is not JSON; is this a stratum-proxy?`);
    }
    let earlier: { metrics: readonly PromSample[]; spanMs: number } | undefined;
    let metrics = await scrape(options);
    if (options.sampleMs > 0) {
      const first = metrics;
      const started = Date.now();
      await new Promise((resolve) => setTimeout(resolve, options.sampleMs));
      metrics = await scrape(options);
      earlier = { metrics: first, spanMs: Date.now() - started };
    }
    const report = buildStatusReport({ url: options.url, status, metrics, ...(earlier === undefined ? {} : { earlier }) });
    io.out(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatStatusReport(report));
    return COMMAND_EXIT.OK;
  } catch (error) {
    if (!(error instanceof FetchProblem)) throw error;
    io.err(`stratum-proxy status: ${error.message}\n`);
    return COMMAND_EXIT.FAILED;
  }
}
