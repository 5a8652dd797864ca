import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { ConfigError, loadConfig, type LoadConfigInput } from '@stratum-relay/config';
import type { PoolSpec } from '@stratum-relay/shared-types';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'srl-config-pools-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

let files = 0;
function writeJson(data: unknown): string {
  const path = join(dir, `config-${++files}.json`);
  writeFileSync(path, JSON.stringify(data));
  return path;
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

function poolsOf(text: string): readonly PoolSpec[] {
  return loadConfig({ argv: [], env: { POOLS: text } }).pools;
}

function spec(fields: Partial<PoolSpec> & Pick<PoolSpec, 'host' | 'port'>): PoolSpec {
  return { name: `${fields.host}:${fields.port}`, scheme: 'tcp', account: null, password: null, ...fields };
}

const FORM = 'stratum+tcp://[account[:password]@]host:port';

describe('POOLS', () => {
  it('reads stratum+tcp, stratum+ssl and stratum+tls URLs in priority order', () => {
    expect(poolsOf('stratum+tcp://primary.example:3333,stratum+ssl://backup.example:443,stratum+tls://last.example:4443')).toEqual([
      spec({ host: 'primary.example', port: 3333 }),
      spec({ host: 'backup.example', port: 443, scheme: 'tls' }),
      spec({ host: 'last.example', port: 4443, scheme: 'tls' }),
    ]);
  });

  it('allows spaces around the commas and any case in the scheme', () => {
    expect(poolsOf(' stratum+tcp://a.example:1 ,  STRATUM+SSL://b.example:2 ')).toEqual([
      spec({ host: 'a.example', port: 1 }),
      spec({ host: 'b.example', port: 2, scheme: 'tls' }),
    ]);
  });

  it('stores an IPv6 host without its brackets and names it with them', () => {
    expect(poolsOf('stratum+tcp://[::1]:3333,stratum+ssl://[2001:db8::7]:443')).toEqual([
      spec({ host: '::1', port: 3333, name: '[::1]:3333' }),
      spec({ host: '2001:db8::7', port: 443, name: '[2001:db8::7]:443', scheme: 'tls' }),
    ]);
  });

  it('reads an account alone, or an account and a password, percent-decoded', () => {
    expect(poolsOf('stratum+tcp://bc1qwallet.rig1@pool.example:3333')).toEqual([spec({ host: 'pool.example', port: 3333, account: 'bc1qwallet.rig1' })]);
    expect(poolsOf('stratum+tcp://my%20farm%2Frig:p%40ss%3Aw%2Cord@pool.example:3333')).toEqual([
      spec({ host: 'pool.example', port: 3333, account: 'my farm/rig', password: 'p@ss:w,ord' }),
    ]);
  });

  it('splits the user part at its first colon and at the last @, so a raw colon or @ in a password still parses', () => {
    expect(poolsOf('stratum+tcp://acct:a:b@c@pool.example:1')).toEqual([spec({ host: 'pool.example', port: 1, account: 'acct', password: 'a:b@c' })]);
  });

  it('keeps an empty password apart from no password', () => {
    expect(poolsOf('stratum+tcp://acct:@pool.example:1')[0]?.password).toBe('');
    expect(poolsOf('stratum+tcp://acct@pool.example:1')[0]?.password).toBeNull();
  });

  it('reads the same list from --pools', () => {
    expect(loadConfig({ argv: ['--pools', 'stratum+tcp://a.example:1,stratum+tcp://b.example:2'], env: {} }).pools).toEqual([
      spec({ host: 'a.example', port: 1 }),
      spec({ host: 'b.example', port: 2 }),
    ]);
  });

  it.each([
    ['pool.example:3333', `a URL starting with stratum+tcp://, or stratum+ssl:// or stratum+tls:// for TLS (${FORM})`],
    ['stratum+udp://pool.example:3333', `a URL starting with stratum+tcp://, or stratum+ssl:// or stratum+tls:// for TLS (${FORM})`],
    ['stratum+tcp://pool.example', `a port after the host (${FORM})`],
    ['stratum+tcp://pool.example:', `a port after the host (${FORM})`],
    ['stratum+tcp://pool.example:0', `a port from 1 to 65535 (${FORM})`],
    ['stratum+tcp://pool.example:65536', `a port from 1 to 65535 (${FORM})`],
    ['stratum+tcp://pool.example:33x', `a port from 1 to 65535 (${FORM})`],
    ['stratum+tcp://:3333', `a host name or IP address before the port (${FORM})`],
    ['stratum+tcp://pool example:3333', `a host name or IP address (${FORM})`],
    ['stratum+tcp://::1:3333', 'an IPv6 address in brackets, e.g. stratum+tcp://[2001:db8::1]:3333'],
    ['stratum+tcp://[pool.example]:3333', `an IPv6 address between the brackets (${FORM})`],
    ['stratum+tcp://[::1]', `a port after the host (${FORM})`],
    ['stratum+tcp://pool.example:3333/path', `nothing after host:port (${FORM})`],
    ['stratum+tcp://@pool.example:3333', `an account before the ":" and "@" (${FORM})`],
    ['stratum+tcp://acct%zz@pool.example:3333', `valid %-escapes in the account and password (${FORM})`],
  ])('rejects %j naming the entry, the value and what is expected', (url, expected) => {
    expect(problemsOf({ argv: [], env: { POOLS: `stratum+tcp://ok.example:1,${url}` } })).toEqual([`POOLS entry 2: ${JSON.stringify(url)} is not valid: expected ${expected}`]);
  });

  it('reports every malformed entry, an empty one included', () => {
    expect(problemsOf({ argv: ['--pools', 'stratum+tcp://a:1,,stratum+tcp://b'], env: {} })).toEqual([
      '--pools entry 2: "" is not valid: expected a pool URL, not an empty entry',
      `--pools entry 3: "stratum+tcp://b" is not valid: expected a port after the host (${FORM})`,
    ]);
  });

  it('rejects an empty list', () => {
    expect(problemsOf({ argv: [], env: { POOLS: '' } })).toEqual([
      `POOLS: "" is not valid: expected a comma-separated list of pool URLs, primary first: ${FORM} (stratum+ssl:// or stratum+tls:// for TLS)`,
    ]);
  });

  it('rejects two entries with the same name, naming both', () => {
    expect(problemsOf({ argv: [], env: { POOLS: 'stratum+tcp://a.example:1,stratum+tcp://b.example:2,stratum+ssl://u@a.example:1' } })).toEqual([
      'POOLS entry 1 and entry 3 are both named "a.example:1": each pool needs its own name, and here the name is host:port; ' +
        'to list one host:port twice (e.g. with two accounts), name the entries in the config file: {"url": "...", "name": "..."}',
    ]);
  });

  it('checks POOLS even when --pools overrides it', () => {
    expect(problemsOf({ argv: ['--pools', 'stratum+tcp://a.example:1'], env: { POOLS: 'stratum+tcp://a.example' } })).toEqual([
      `POOLS entry 1: "stratum+tcp://a.example" is not valid: expected a port after the host (${FORM})`,
    ]);
  });
});

describe('pools in the config file', () => {
  it('takes URL strings and {url, name} objects, the name defaulting to host:port', () => {
    const file = writeJson({
      pools: ['stratum+tcp://a.example:1', { url: 'stratum+ssl://acct:pw@b.example:2', name: 'backup' }, { url: 'stratum+tcp://[::1]:3' }],
    });
    expect(loadConfig({ argv: ['--config', file], env: {} }).pools).toEqual([
      spec({ host: 'a.example', port: 1 }),
      spec({ host: 'b.example', port: 2, scheme: 'tls', account: 'acct', password: 'pw', name: 'backup' }),
      spec({ host: '::1', port: 3, name: '[::1]:3' }),
    ]);
  });

  it('lets names tell apart two entries for one host:port', () => {
    const file = writeJson({ pools: [{ url: 'stratum+tcp://a@p.example:1', name: 'a' }, { url: 'stratum+tcp://b@p.example:1', name: 'b' }] });
    expect(loadConfig({ argv: ['--config', file], env: {} }).pools.map((p) => p.name)).toEqual(['a', 'b']);
  });

  it('names each bad entry by its index and says what is wrong', () => {
    const file = writeJson({
      pools: [
        'stratum+tcp://ok.example:1',
        'stratum+tcp://no-port.example',
        { url: 'stratum+tcp://a.example:2', nmae: 'x', uri: 'y' },
        { name: 'no-url' },
        { url: 3333 },
        { url: 'stratum+tcp://b.example:3', name: '' },
        42,
        ['stratum+tcp://nested.example:4'],
      ],
    });
    const where = `config file ${file}: pools`;
    expect(problemsOf({ argv: ['--config', file], env: {} })).toEqual([
      `${where}[1]: "stratum+tcp://no-port.example" is not valid: expected a port after the host (${FORM})`,
      `${where}[2]: unknown key "nmae": expected only "url" and "name"`,
      `${where}[2]: unknown key "uri" (did you mean "url"?): expected only "url" and "name"`,
      `${where}[3]: "url" is missing: expected a pool URL ${FORM}`,
      `${where}[4].url: 3333 is not valid: expected a pool URL string ${FORM}`,
      `${where}[5].name: "" is not valid: expected a non-empty string`,
      `${where}[6]: 42 is not valid: expected a pool URL string ${FORM} or an object {"url": "...", "name": "..."}`,
      `${where}[7]: an array is not valid: expected a pool URL string ${FORM} or an object {"url": "...", "name": "..."}`,
    ]);
  });

  it('rejects two entries with the same name, naming both', () => {
    const file = writeJson({ pools: [{ url: 'stratum+tcp://a.example:1', name: 'main' }, 'stratum+tcp://b.example:2', { url: 'stratum+tcp://c.example:3', name: 'main' }] });
    expect(problemsOf({ argv: ['--config', file], env: {} })).toEqual([
      `config file ${file}: pools[0] and pools[2] are both named "main": give each pool a unique "name"`,
    ]);
  });

  it('counts a given name that equals another entry’s default name as a duplicate', () => {
    const file = writeJson({ pools: ['stratum+tcp://a.example:1', { url: 'stratum+tcp://b.example:2', name: 'a.example:1' }] });
    expect(problemsOf({ argv: ['--config', file], env: {} })).toEqual([
      `config file ${file}: pools[0] and pools[1] are both named "a.example:1": give each pool a unique "name"`,
    ]);
  });

  it.each([
    [[], '[]'],
    ['stratum+tcp://a.example:1', '"stratum+tcp://a.example:1"'],
    [{ url: 'stratum+tcp://a.example:1' }, 'an object'],
  ])('rejects pools = %j: it must be a non-empty array', (pools, shown) => {
    const file = writeJson({ pools });
    expect(problemsOf({ argv: ['--config', file], env: {} })).toEqual([
      `config file ${file}: pools: ${shown} is not valid: expected a non-empty array of pool URLs, primary first: strings ${FORM} ` +
        '(stratum+ssl:// or stratum+tls:// for TLS) or objects {"url": "...", "name": "..."}',
    ]);
  });
});

describe('pool passwords', () => {
  const PASSWORD = 'hunter2-secret';

  it.each([
    ['no port', `stratum+tcp://acct:${PASSWORD}@pool.example`],
    ['bad scheme', `stratum+udp://acct:${PASSWORD}@pool.example:1`],
    ['no scheme', `acct:${PASSWORD}@pool.example:1`],
    ['a broken scheme separator', `stratum+tcp:/acct:${PASSWORD}@pool.example:1`],
    ['bad escape', `stratum+tcp://acct:${PASSWORD}%zz@pool.example:1`],
    ['an @ in the password', `stratum+tcp://acct:${PASSWORD}@x@pool.example`],
  ])('never appear in the message for a URL with %s: *** stands in', (_what, url) => {
    const file = writeJson({ pools: [url, { url }] });
    const problems = [
      ...problemsOf({ argv: [], env: { POOLS: url } }),
      ...problemsOf({ argv: ['--pools', url], env: {} }),
      ...problemsOf({ argv: ['--config', file], env: {} }),
      ...problemsOf({ argv: ['--config', writeJson({ pools: url })], env: {} }),
    ];
    expect(problems).toHaveLength(5);
    for (const problem of problems) {
      expect(problem).not.toContain(PASSWORD.slice(0, 6));
      expect(problem).toContain(':***@');
    }
  });

  it('never appear when a URL is passed as a stray argument', () => {
    const [problem] = problemsOf({ argv: ['--pools', 'stratum+tcp://a.example:1', `stratum+tcp://acct:${PASSWORD}@b.example:2`], env: {} });
    expect(problem).toBe('unexpected argument "stratum+tcp://acct:***@b.example:2": this program takes only --options (see --help)');
  });

  it('stay out of a config that is logged (JSON) or printed (util.inspect), and in the PoolSpec itself', () => {
    const config = loadConfig({ argv: [], env: { POOLS: `stratum+tcp://acct:${PASSWORD}@pool.example:1` } });
    expect(config.pools[0]?.password).toBe(PASSWORD);
    expect(JSON.stringify(config)).not.toContain(PASSWORD);
    expect(JSON.parse(JSON.stringify(config.pools))).toEqual([spec({ host: 'pool.example', port: 1, account: 'acct', password: '***' })]);
    expect(inspect(config, { depth: 5 })).not.toContain(PASSWORD);
    expect(Object.keys(config.pools[0] as object)).toEqual(['name', 'scheme', 'host', 'port', 'account', 'password']);
  });
});

describe('the POOL_HOST/POOL_PORT shortcut', () => {
  it('stands for one plain-TCP PoolSpec named host:port, without an account', () => {
    const config = loadConfig({ argv: [], env: { POOL_HOST: 'pool.example', POOL_PORT: '3334' } });
    expect(config.pools).toEqual([spec({ host: 'pool.example', port: 3334 })]);
    expect(config).toMatchObject({ poolHost: 'pool.example', poolPort: 3334 });
  });

  it('names an IPv6 pool host with brackets', () => {
    expect(loadConfig({ argv: ['--pool-host', '::1'], env: {} }).pools).toEqual([spec({ host: '::1', port: 3333, name: '[::1]:3333' })]);
  });

  it('leaves poolHost unset when POOLS is used', () => {
    const config = loadConfig({ argv: [], env: { POOLS: 'stratum+tcp://a.example:1' } });
    expect(config.poolHost).toBeUndefined();
    expect(config.pools).toHaveLength(1);
  });

  type Origin = 'flag' | 'env' | 'file';
  const ORIGINS: readonly Origin[] = ['flag', 'env', 'file'];
  const pairs = ORIGINS.flatMap((pools) => ORIGINS.map((host) => [pools, host] as const));

  it.each(pairs)('cannot be combined with POOLS: pools from %s, POOL_HOST from %s, one problem', (poolsOrigin, hostOrigin) => {
    const argv: string[] = [];
    const env: Record<string, string> = {};
    const file: Record<string, unknown> = {};
    const names: Record<Origin, { pools: string; host: string }> = {
      flag: { pools: '--pools', host: '--pool-host' },
      env: { pools: 'POOLS', host: 'POOL_HOST' },
      file: { pools: '"pools" in config file FILE', host: '"poolHost" in config file FILE' },
    };
    if (poolsOrigin === 'flag') argv.push('--pools', 'stratum+tcp://a.example:1');
    if (poolsOrigin === 'env') env.POOLS = 'stratum+tcp://a.example:1';
    if (poolsOrigin === 'file') file.pools = ['stratum+tcp://a.example:1'];
    if (hostOrigin === 'flag') argv.push('--pool-host', 'b.example');
    if (hostOrigin === 'env') env.POOL_HOST = 'b.example';
    if (hostOrigin === 'file') file.poolHost = 'b.example';
    const path = writeJson(file);
    argv.push('--config', path);
    const named = (s: string): string => s.replace('FILE', path);
    expect(problemsOf({ argv, env })).toEqual([
      `POOLS and POOL_HOST/POOL_PORT cannot be used together (POOLS from ${named(names[poolsOrigin].pools)}; ` +
        `POOL_HOST/POOL_PORT from ${named(names[hostOrigin].host)}): list every pool, primary first, in POOLS, or give only the one-pool shortcut POOL_HOST/POOL_PORT`,
    ]);
  });

  it('cannot be combined with POOLS through POOL_PORT alone either, wherever each is set', () => {
    const file = writeJson({ poolPort: 3334 });
    expect(problemsOf({ argv: ['--config', file], env: { POOLS: 'stratum+tcp://a.example:1' } })).toEqual([
      `POOLS and POOL_HOST/POOL_PORT cannot be used together (POOLS from POOLS; POOL_HOST/POOL_PORT from "poolPort" in config file ${file}): ` +
        'list every pool, primary first, in POOLS, or give only the one-pool shortcut POOL_HOST/POOL_PORT',
    ]);
  });

  it('is in conflict with POOLS even when the value given is invalid, in one more problem', () => {
    expect(problemsOf({ argv: ['--pool-port', 'x'], env: { POOLS: 'stratum+tcp://a.example:1' } })).toEqual([
      '--pool-port: "x" is not valid: expected an integer from 1 to 65535',
      'POOLS and POOL_HOST/POOL_PORT cannot be used together (POOLS from POOLS; POOL_HOST/POOL_PORT from --pool-port): ' +
        'list every pool, primary first, in POOLS, or give only the one-pool shortcut POOL_HOST/POOL_PORT',
    ]);
  });
});

describe('the resolved pools', () => {
  it('are a frozen, non-empty array of frozen PoolSpecs', () => {
    for (const config of [loadConfig({ argv: ['--pool-host', 'h'], env: {} }), loadConfig({ argv: [], env: { POOLS: 'stratum+tcp://a:1,stratum+tcp://b:2' } })]) {
      expect(config.pools.length).toBeGreaterThan(0);
      expect(Object.isFrozen(config.pools)).toBe(true);
      for (const pool of config.pools) expect(Object.isFrozen(pool)).toBe(true);
    }
  });
});

describe('probe and failback options', () => {
  it('default to a 5 s probe, a 60 s failback delay and 20 miners per second', () => {
    expect(loadConfig({ argv: ['--pool-host', 'h'], env: {} })).toMatchObject({ poolProbeIntervalMs: 5000, failbackDelayMs: 60_000, failbackRate: 20 });
  });

  it('read FAILBACK_DELAY_MS=none as never (null), from env, flag and file; 0 is allowed', () => {
    expect(loadConfig({ argv: ['--pool-host', 'h'], env: { FAILBACK_DELAY_MS: 'none' } }).failbackDelayMs).toBeNull();
    expect(loadConfig({ argv: ['--pool-host', 'h', '--failback-delay-ms', 'NONE'], env: {} }).failbackDelayMs).toBeNull();
    expect(loadConfig({ argv: ['--config', writeJson({ poolHost: 'h', failbackDelayMs: null })], env: {} }).failbackDelayMs).toBeNull();
    expect(loadConfig({ argv: ['--config', writeJson({ poolHost: 'h', failbackDelayMs: 'none' })], env: {} }).failbackDelayMs).toBeNull();
    expect(loadConfig({ argv: ['--pool-host', 'h', '--failback-delay-ms', '0'], env: {} }).failbackDelayMs).toBe(0);
  });

  it.each([
    ['POOL_PROBE_INTERVAL_MS', '99', 'a duration of at least 100ms (milliseconds, or with a unit: 500ms, 30s, 10m, 1h)'],
    ['FAILBACK_DELAY_MS', '-1', 'a duration of at least 0ms (milliseconds, or with a unit: 500ms, 30s, 10m, 1h), or none to never move miners back'],
    ['FAILBACK_DELAY_MS', 'never', 'a duration of at least 0ms (milliseconds, or with a unit: 500ms, 30s, 10m, 1h), or none to never move miners back'],
    ['FAILBACK_RATE', '0', 'a number greater than 0 (decimals allowed)'],
    ['FAILBACK_RATE', '-2', 'a number greater than 0 (decimals allowed)'],
    ['FAILBACK_RATE', '1e3', 'a number greater than 0 (decimals allowed)'],
    ['FAILBACK_RATE', '.5', 'a number greater than 0 (decimals allowed)'],
    ['FAILBACK_RATE', 'none', 'a number greater than 0 (decimals allowed)'],
  ])('say what %s expects when given %j', (env, text, expected) => {
    expect(problemsOf({ argv: ['--pool-host', 'h'], env: { [env]: text } })).toEqual([`${env}: "${text}" is not valid: expected ${expected}`]);
  });

  it('take a fractional failback rate', () => {
    expect(loadConfig({ argv: ['--pool-host', 'h', '--failback-rate', '0.25'], env: {} }).failbackRate).toBe(0.25);
  });
});
