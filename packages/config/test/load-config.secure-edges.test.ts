import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { ConfigError, loadConfig, RESTART_ONLY_KEYS, type LoadConfigInput } from '@stratum-relay/config';

let dir: string;
let cert: string;
let key: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'srl-config-edges-'));
  cert = writeText('cert.pem', '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n');
  key = writeText('key.pem', '-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n');
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function writeText(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

let files = 0;
function writeJson(data: unknown): string {
  return writeText(`config-${++files}.json`, JSON.stringify(data));
}

function problemsOf(input: LoadConfigInput): readonly string[] {
  try {
    loadConfig(input);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('SRL_ERR_CONFIG');
    return (error as ConfigError).problems;
  }
  throw new Error('loadConfig did not throw');
}

const withHost = { POOL_HOST: 'h' };
/**
 * The problems loadConfig reports for `env`, as an unprivileged user would see them. Root reads
 * any file whatever its mode, so as root the check runs in a child process, against the built
 * config package (CI builds before it tests), still root but without the capabilities that
 * override file permissions (setpriv): running it as `nobody` instead failed wherever the
 * checkout sits below a directory only root may enter (a clone in `mktemp -d`).
 */
function problemsAsUser(env: Record<string, string>): readonly string[] {
  if (process.getuid?.() !== 0) return problemsOf({ argv: [], env });
  const script = `
    const { loadConfig } = require(${JSON.stringify(join(__dirname, '..', 'dist', 'index.js'))});
    try { loadConfig({ argv: [], env: JSON.parse(process.argv[1]) }); process.stdout.write('[]'); }
    catch (e) { process.stdout.write(JSON.stringify(e.problems ?? [String(e)])); }`;
  const noOverride = ['--inh-caps=-dac_override,-dac_read_search', '--bounding-set=-dac_override,-dac_read_search'];
  const out = execFileSync('setpriv', [...noOverride, '--', process.execPath, '-e', script, JSON.stringify(env)], { encoding: 'utf8' });
  return JSON.parse(out) as string[];
}

describe('CIDR lists (ALLOW_FROM, PROXY_PROTOCOL_FROM)', () => {
  it('default to none: everyone may connect, any source may send a PROXY header', () => {
    expect(loadConfig({ argv: [], env: withHost })).toMatchObject({ allowFrom: null, proxyProtocolFrom: null, proxyProtocol: false });
  });

  it('normalize IPv4, IPv6 and mapped addresses to addr/prefix, a bare address being one host', () => {
    const config = loadConfig({ argv: [], env: { ...withHost, ALLOW_FROM: '10.0.0.0/8 , 192.0.2.7,2001:DB8::/32,::1, ::ffff:198.51.100.0/120,0.0.0.0/0' } });
    expect(config.allowFrom).toEqual(['10.0.0.0/8', '192.0.2.7/32', '2001:db8::/32', '::1/128', '::ffff:198.51.100.0/120', '0.0.0.0/0']);
    expect(Object.isFrozen(config.allowFrom)).toBe(true);
  });

  it('read the same from a flag, a file array and a comma-separated file string', () => {
    const expected = ['10.1.0.0/16', 'fd00::/8'];
    expect(loadConfig({ argv: ['--proxy-protocol-from', '10.1.0.0/16,fd00::/8'], env: withHost }).proxyProtocolFrom).toEqual(expected);
    expect(loadConfig({ argv: ['--config', writeJson({ proxyProtocolFrom: ['10.1.0.0/16', 'fd00::/8'] })], env: withHost }).proxyProtocolFrom).toEqual(expected);
    expect(loadConfig({ argv: ['--config', writeJson({ proxyProtocolFrom: '10.1.0.0/16, fd00::/8' })], env: withHost }).proxyProtocolFrom).toEqual(expected);
  });

  it('take none (null in the file) to go back to no restriction', () => {
    expect(loadConfig({ argv: ['--allow-from', 'none'], env: { ...withHost, ALLOW_FROM: '10.0.0.0/8' } }).allowFrom).toBeNull();
    expect(loadConfig({ argv: ['--config', writeJson({ allowFrom: null })], env: withHost }).allowFrom).toBeNull();
  });

  it.each([
    ['10.0.0.0/33', 'a prefix length from 0 to 32 after an IPv4 address'],
    ['::/129', 'a prefix length from 0 to 128 after an IPv6 address'],
    ['10.0.0.0/', 'a prefix length from 0 to 32 after an IPv4 address'],
    ['10.0.0.0/8/8', 'a prefix length from 0 to 32 after an IPv4 address'],
    ['10.0.0.0/-1', 'a prefix length from 0 to 32 after an IPv4 address'],
    ['10.0.0.0/x', 'a prefix length from 0 to 32 after an IPv4 address'],
    ['10.0.0', 'an IPv4 or IPv6 address, optionally with /prefix (e.g. 10.0.0.0/8, 2001:db8::/32, 192.0.2.7)'],
    ['010.0.0.1', 'an IPv4 or IPv6 address, optionally with /prefix (e.g. 10.0.0.0/8, 2001:db8::/32, 192.0.2.7)'],
    ['pool.example', 'an IPv4 or IPv6 address, optionally with /prefix (e.g. 10.0.0.0/8, 2001:db8::/32, 192.0.2.7)'],
    ['[::1]', 'an IPv4 or IPv6 address, optionally with /prefix (e.g. 10.0.0.0/8, 2001:db8::/32, 192.0.2.7)'],
    ['fe80::1%eth0', 'an IPv4 or IPv6 address, optionally with /prefix (e.g. 10.0.0.0/8, 2001:db8::/32, 192.0.2.7)'],
    ['', 'an IPv4 or IPv6 address, optionally with /prefix (e.g. 10.0.0.0/8, 2001:db8::/32, 192.0.2.7)'],
  ])('reject the entry %j with its position and what is expected', (entry, expected) => {
    expect(problemsOf({ argv: [], env: { ...withHost, ALLOW_FROM: `192.0.2.0/24,${entry}` } })).toEqual([
      `ALLOW_FROM entry 2: ${JSON.stringify(entry)} is not valid: expected ${expected}`,
    ]);
  });

  it('name each bad file entry by its index', () => {
    const file = writeJson({ allowFrom: ['10.0.0.0/8', '300.0.0.1', 7], proxyProtocolFrom: '10.0.0.0/8, ::/200' });
    expect(problemsOf({ argv: ['--config', file], env: withHost })).toEqual([
      `config file ${file}: allowFrom[1]: "300.0.0.1" is not valid: expected an IPv4 or IPv6 address, optionally with /prefix (e.g. 10.0.0.0/8, 2001:db8::/32, 192.0.2.7)`,
      `config file ${file}: allowFrom[2]: 7 is not valid: expected an IPv4 or IPv6 address, optionally with /prefix (e.g. 10.0.0.0/8, 2001:db8::/32, 192.0.2.7)`,
      `config file ${file}: proxyProtocolFrom entry 2: "::/200" is not valid: expected a prefix length from 0 to 128 after an IPv6 address`,
    ]);
  });

  it('reject an empty list: it would lock everyone out or mean nothing', () => {
    expect(problemsOf({ argv: ['--allow-from='], env: withHost })).toEqual([
      '--allow-from: "" is not valid: expected a comma-separated list of IPv4/IPv6 addresses or CIDR ranges (e.g. 10.0.0.0/8, 2001:db8::/32), or none to allow every address',
    ]);
    const file = writeJson({ allowFrom: [] });
    expect(problemsOf({ argv: ['--config', file], env: withHost })).toEqual([
      `config file ${file}: allowFrom: [] is not valid: expected an array of IPv4/IPv6 addresses or CIDR ranges (e.g. ["10.0.0.0/8", "2001:db8::/32"]) ` +
        'or one comma-separated string of them, or null to allow every address',
    ]);
  });
});

describe('PROXY protocol and admission limits', () => {
  it('default to off and no limits, with 15 s / 60 s first-byte and authorize timeouts and a 4096 backlog', () => {
    expect(loadConfig({ argv: [], env: withHost })).toMatchObject({
      proxyProtocol: false,
      maxConnectionsPerIp: null,
      connectionsPerSecondPerIp: null,
      firstByteTimeoutMs: 15_000,
      authorizeTimeoutMs: 60_000,
      listenBacklog: 4096,
    });
  });

  it('take none for the per-IP limits, decimals for the per-IP rate and 0 to turn the timeouts off', () => {
    const config = loadConfig({
      argv: ['--max-connections-per-ip', 'none', '--connections-per-second-per-ip', '0.5', '--first-byte-timeout-ms', '0', '--authorize-timeout-ms', '0'],
      env: { ...withHost, MAX_CONNECTIONS_PER_IP: '4', CONNECTIONS_PER_SECOND_PER_IP: 'none' },
    });
    expect(config).toMatchObject({ maxConnectionsPerIp: null, connectionsPerSecondPerIp: 0.5, firstByteTimeoutMs: 0, authorizeTimeoutMs: 0 });
    const file = writeJson({ maxConnectionsPerIp: null, connectionsPerSecondPerIp: 1.5, proxyProtocol: true });
    expect(loadConfig({ argv: ['--config', file], env: withHost })).toMatchObject({ maxConnectionsPerIp: null, connectionsPerSecondPerIp: 1.5, proxyProtocol: true });
  });

  it.each([
    ['MAX_CONNECTIONS_PER_IP', '0', 'an integer of at least 1, or none for no limit'],
    ['CONNECTIONS_PER_SECOND_PER_IP', '0', 'a number greater than 0 (decimals allowed), or none for no limit'],
    ['CONNECTIONS_PER_SECOND_PER_IP', '1,5', 'a number greater than 0 (decimals allowed), or none for no limit'],
    ['LISTEN_BACKLOG', '0', 'an integer from 1 to 1000000'],
    ['LISTEN_BACKLOG', '1000001', 'an integer from 1 to 1000000'],
    ['FIRST_BYTE_TIMEOUT_MS', '-1', 'a duration of at least 0ms (milliseconds, or with a unit: 500ms, 30s, 10m, 1h)'],
    ['AUTHORIZE_TIMEOUT_MS', 'none', 'a duration of at least 0ms (milliseconds, or with a unit: 500ms, 30s, 10m, 1h)'],
    ['PROXY_PROTOCOL', 'v2', 'true, false, 1, 0, yes or no'],
    ['POOL_TLS_INSECURE', 'sure', 'true, false, 1, 0, yes or no'],
  ])('say what %s expects when given %j', (env, text, expected) => {
    expect(problemsOf({ argv: [], env: { ...withHost, [env]: text } })).toEqual([`${env}: "${text}" is not valid: expected ${expected}`]);
  });
});

describe('the TLS listener', () => {
  it('is off by default, and TLS_HOST none means the proxy host', () => {
    expect(loadConfig({ argv: [], env: withHost })).toMatchObject({ tlsPort: null, tlsHost: null, tlsCertFile: null, tlsKeyFile: null });
  });

  it('takes a port (0 = ephemeral), a host and the certificate and key files', () => {
    const config = loadConfig({ argv: ['--tls-port', '0', '--tls-host', '127.0.0.1', '--tls-cert-file', cert, '--tls-key-file', key], env: withHost });
    expect(config).toMatchObject({ tlsPort: 0, tlsHost: '127.0.0.1', tlsCertFile: cert, tlsKeyFile: key });
  });

  it('requires the certificate and the key when TLS_PORT is set, one problem each', () => {
    expect(problemsOf({ argv: [], env: { ...withHost, TLS_PORT: '3443' } })).toEqual([
      'TLS_PORT is set (3443 from TLS_PORT), so TLS_CERT_FILE is required: set --tls-cert-file, TLS_CERT_FILE or "tlsCertFile" in the config file',
      'TLS_PORT is set (3443 from TLS_PORT), so TLS_KEY_FILE is required: set --tls-key-file, TLS_KEY_FILE or "tlsKeyFile" in the config file',
    ]);
    const file = writeJson({ tlsPort: 3443, tlsCertFile: cert });
    expect(problemsOf({ argv: ['--config', file], env: withHost })).toEqual([
      `TLS_PORT is set (3443 from "tlsPort" in config file ${file}), so TLS_KEY_FILE is required: set --tls-key-file, TLS_KEY_FILE or "tlsKeyFile" in the config file`,
    ]);
    expect(problemsOf({ argv: ['--tls-port', '3443', '--tls-key-file', 'none'], env: { ...withHost, TLS_CERT_FILE: cert, TLS_KEY_FILE: key } })).toEqual([
      'TLS_PORT is set (3443 from --tls-port), so TLS_KEY_FILE is required: set --tls-key-file, TLS_KEY_FILE or "tlsKeyFile" in the config file',
    ]);
  });

  it('needs no files when a flag turns TLS_PORT back to none', () => {
    expect(loadConfig({ argv: ['--tls-port', 'none'], env: { ...withHost, TLS_PORT: '3443' } }).tlsPort).toBeNull();
  });

  it('does not call a file missing when the path given was rejected', () => {
    const missing = join(dir, 'missing-cert.pem');
    expect(problemsOf({ argv: ['--tls-port', '3443', '--tls-cert-file', missing, '--tls-key-file', key], env: withHost })).toEqual([
      `--tls-cert-file: ${JSON.stringify(missing)} does not exist`,
    ]);
  });
});

describe('files named by the config', () => {
  const FILE_OPTIONS = [
    ['TLS_CERT_FILE', '--tls-cert-file', 'tlsCertFile'],
    ['TLS_KEY_FILE', '--tls-key-file', 'tlsKeyFile'],
    ['POOL_CA_FILE', '--pool-ca-file', 'poolCaFile'],
    ['METRICS_TOKEN_FILE', '--metrics-token-file', 'metricsTokenFile'],
  ] as const;

  it.each(FILE_OPTIONS)('%s must exist: the message names the path and the reason, from env, flag and file', (env, flag, name) => {
    const missing = join(dir, `missing-${name}`);
    const file = writeJson({ [name]: missing });
    expect(problemsOf({ argv: [flag, missing, '--config', file], env: { ...withHost, [env]: missing } })).toEqual([
      `${flag}: ${JSON.stringify(missing)} does not exist`,
      `${env}: ${JSON.stringify(missing)} does not exist`,
      `config file ${file}: ${name}: ${JSON.stringify(missing)} does not exist`,
    ]);
  });

  it.each(FILE_OPTIONS)('%s must be a file, not a directory', (env) => {
    const sub = join(dir, `dir-${env}`);
    mkdirSync(sub, { recursive: true });
    expect(problemsOf({ argv: [], env: { ...withHost, [env]: sub } })).toEqual([`${env}: ${JSON.stringify(sub)} is a directory, not a file`]);
  });

  it.each(FILE_OPTIONS)('%s must be readable', (env) => {
    const locked = writeText(`locked-${env}`, 'x');
    chmodSync(locked, 0o000);
    // The directory must be searchable for the unprivileged reader; the file alone is locked.
    chmodSync(dir, 0o755);
    expect(problemsAsUser({ ...withHost, [env]: locked })).toEqual([`${env}: ${JSON.stringify(locked)} cannot be read: permission denied`]);
  });

  it('are checked even when a higher source overrides them', () => {
    const missing = join(dir, 'old-ca.pem');
    expect(problemsOf({ argv: ['--pool-ca-file', cert], env: { ...withHost, POOL_CA_FILE: missing } })).toEqual([
      `POOL_CA_FILE: ${JSON.stringify(missing)} does not exist`,
    ]);
  });

  it('are not parsed: any readable file is accepted', () => {
    const notPem = writeText('not-pem.txt', 'hello');
    expect(loadConfig({ argv: [], env: { ...withHost, POOL_CA_FILE: notPem, POOL_TLS_INSECURE: 'true' } })).toMatchObject({ poolCaFile: notPem, poolTlsInsecure: true });
  });
});

describe('the metrics token', () => {
  const TOKEN = 'Zm9vYmFy-s3cret';

  it('is read from METRICS_TOKEN or named by METRICS_TOKEN_FILE', () => {
    expect(loadConfig({ argv: [], env: { ...withHost, METRICS_TOKEN: TOKEN } })).toMatchObject({ metricsToken: TOKEN, metricsTokenFile: null });
    const tokenFile = writeText('token-ok', `  ${TOKEN}\n`);
    expect(loadConfig({ argv: ['--metrics-token-file', tokenFile], env: withHost })).toMatchObject({ metricsToken: null, metricsTokenFile: tokenFile });
  });

  it('cannot be given both as a token and as a file, wherever each is set', () => {
    const tokenFile = writeText('token-both', TOKEN);
    const file = writeJson({ metricsTokenFile: tokenFile });
    expect(problemsOf({ argv: ['--config', file, `--metrics-token=${TOKEN}`], env: withHost })).toEqual([
      `METRICS_TOKEN and METRICS_TOKEN_FILE cannot be used together (METRICS_TOKEN from --metrics-token; METRICS_TOKEN_FILE from "metricsTokenFile" in config file ${file}): ` +
        'give the token or the file that holds it',
    ]);
  });

  it('may be set to none beside a token file', () => {
    const tokenFile = writeText('token-none', TOKEN);
    expect(loadConfig({ argv: ['--metrics-token', 'none', '--metrics-token-file', tokenFile], env: withHost }).metricsToken).toBeNull();
  });

  it('is never echoed in a message, whatever is wrong with it', () => {
    const bad = `${TOKEN} with spaces`;
    const file = writeJson({ metricsToken: bad });
    const problems = [
      ...problemsOf({ argv: [], env: { ...withHost, METRICS_TOKEN: bad } }),
      ...problemsOf({ argv: ['--metrics-token', bad], env: withHost }),
      ...problemsOf({ argv: ['--config', file], env: withHost }),
      ...problemsOf({ argv: ['--config', writeJson({ metricsToken: 12345 })], env: withHost }),
      ...problemsOf({ argv: [`--metrics-token=${TOKEN}`], env: { ...withHost, METRICS_TOKEN_FILE: writeText('token-echo', TOKEN) } }),
    ];
    expect(problems).toEqual([
      'METRICS_TOKEN: (hidden) is not valid: expected a non-empty string of visible ASCII characters (no spaces)',
      '--metrics-token: (hidden) is not valid: expected a non-empty string of visible ASCII characters (no spaces)',
      `config file ${file}: metricsToken: (hidden) is not valid: expected a non-empty string of visible ASCII characters (no spaces)`,
      expect.stringMatching(/: metricsToken: \(hidden\) is not valid/),
      expect.stringMatching(/^METRICS_TOKEN and METRICS_TOKEN_FILE cannot be used together/),
    ]);
    for (const problem of problems) {
      expect(problem).not.toContain(TOKEN);
      expect(problem).not.toContain('12345');
    }
  });

  it('in a file must be non-empty once trimmed, and is never echoed from there either', () => {
    const empty = writeText('token-empty', ' \n\n');
    const twoWords = writeText('token-two-words', `${TOKEN} ${TOKEN}\n`);
    expect(problemsOf({ argv: [], env: { ...withHost, METRICS_TOKEN_FILE: empty } })).toEqual([
      `METRICS_TOKEN_FILE: ${JSON.stringify(empty)} holds no token: expected the token on one line (surrounding whitespace is ignored)`,
    ]);
    expect(problemsOf({ argv: [], env: { ...withHost, METRICS_TOKEN_FILE: twoWords } })).toEqual([
      `METRICS_TOKEN_FILE: ${JSON.stringify(twoWords)} does not hold a valid token: expected visible ASCII characters without spaces (surrounding whitespace is ignored)`,
    ]);
  });

  it('stays out of a config that is logged (JSON) or printed (util.inspect)', () => {
    const config = loadConfig({ argv: [], env: { ...withHost, METRICS_TOKEN: TOKEN } });
    expect(config.metricsToken).toBe(TOKEN);
    expect(JSON.parse(JSON.stringify(config)).metricsToken).toBe('(hidden)');
    expect(inspect(config)).not.toContain(TOKEN);
  });
});

describe('RESTART_ONLY_KEYS', () => {
  it('holds the listening addresses and ports, the backlog, the log format, the collector, trace and share journal settings, the number of workers and the summary timer', () => {
    expect([...RESTART_ONLY_KEYS].sort()).toEqual([
      'listenBacklog',
      'logFormat',
      'logSummaryIntervalMs',
      'maxClientIds',
      'metricsHost',
      'metricsPort',
      'proxyHost',
      'proxyPort',
      'shareAudit',
      'shareJournal',
      'shareJournalMaxQueue',
      'shareJournalRetentionDays',
      'submitTimeoutMs',
      'tlsHost',
      'tlsPort',
      'traceKeepClosedMs',
      'traceLines',
      'traceMaxBytes',
      'workers',
    ]);
  });
});
