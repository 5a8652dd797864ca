import { configSchema, helpText, OPTIONS, RESTART_ONLY_KEYS } from '@stratum-relay/config';

describe('helpText', () => {
  const text = helpText();

  it.each(OPTIONS.map((o) => [o.flag, o]))('lists %s with its env name, default and description', (_flag, option) => {
    const line = text.split('\n').find((l) => l.trimStart().startsWith(`${option.flag} `));
    expect(line).toBeDefined();
    expect(line).toContain(option.env);
    const value: unknown = configSchema.shape[option.key].parse(undefined);
    if (value === undefined) expect(line).toMatch(/required unless --[a-z-]+$/);
    else expect(line).toMatch(new RegExp(`default ${value === null ? 'none' : String(value).replace(/\./g, '\\.')}$`));
    expect(text).toContain(option.description);
  });

  it('lists the environment name of every option the pools and secure-edges issues added', () => {
    const added = [
      'POOLS',
      'POOL_PROBE_INTERVAL_MS',
      'FAILBACK_DELAY_MS',
      'FAILBACK_RATE',
      'POOL_CA_FILE',
      'POOL_TLS_INSECURE',
      'TLS_HOST',
      'TLS_PORT',
      'TLS_CERT_FILE',
      'TLS_KEY_FILE',
      'PROXY_PROTOCOL',
      'PROXY_PROTOCOL_FROM',
      'ALLOW_FROM',
      'MAX_CONNECTIONS_PER_IP',
      'CONNECTIONS_PER_SECOND_PER_IP',
      'FIRST_BYTE_TIMEOUT_MS',
      'AUTHORIZE_TIMEOUT_MS',
      'LISTEN_BACKLOG',
      'METRICS_TOKEN',
      'METRICS_TOKEN_FILE',
    ];
    const listed = text.split('\n').flatMap((line) => /^ {2}--[a-z-]+ \S+ +([A-Z_]+) /.exec(line)?.[1] ?? []);
    expect(listed).toEqual(expect.arrayContaining([...added, ...OPTIONS.map((o) => o.env)]));
    expect(listed).toHaveLength(OPTIONS.length);
  });

  it('names every option a reload cannot change', () => {
    const sighup = text.slice(text.indexOf('On SIGHUP'));
    for (const key of RESTART_ONLY_KEYS) expect(sighup).toContain(OPTIONS.find((o) => o.key === key)?.flag);
  });

  it('documents --config, CONFIG_FILE, --help and --version', () => {
    expect(text).toMatch(/^ {2}--config <file> +CONFIG_FILE$/m);
    expect(text).toMatch(/^ {2}-h, --help$/m);
    expect(text).toMatch(/^ {2}-V, --version$/m);
  });

  it('lists the commands it is given, and says durations and the three file formats are accepted', () => {
    expect(text).not.toContain('Commands:');
    const withCommands = helpText('stratum-proxy', [
      { usage: 'status [--url URL]', description: 'ask a running instance' },
      { usage: 'init', description: 'write an example config' },
    ]);
    expect(withCommands).toMatch(/^Usage: stratum-proxy \[command\] \[options\]$/m);
    expect(withCommands).toMatch(/^Commands:\n {2}status \[--url URL\] {2}ask a running instance\n {2}init {16}write an example config\n/m);
    expect(text).toContain('(JSON, YAML or TOML)');
    expect(text).toContain('500ms, 30s, 10m, 1h');
  });
});

describe('OPTIONS', () => {
  it('describes every schema key exactly once', () => {
    expect(OPTIONS.map((o) => o.key).sort()).toEqual(Object.keys(configSchema.shape).sort());
  });

  it('names each flag as the kebab-case key and each env var as its SCREAMING_SNAKE_CASE', () => {
    for (const option of OPTIONS) {
      const words = option.key.replace(/([A-Z])/g, ' $1').toLowerCase().split(' ');
      expect(option.flag).toBe(`--${words.join('-')}`);
      expect(option.env).toBe(words.join('_').toUpperCase());
    }
  });
});
