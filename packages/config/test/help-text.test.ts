import { configSchema, helpText, OPTIONS } from '@stratum-relay/config';

describe('helpText', () => {
  const text = helpText();

  it.each(OPTIONS.map((o) => [o.flag, o]))('lists %s with its env name, default and description', (_flag, option) => {
    const line = text.split('\n').find((l) => l.trimStart().startsWith(`${option.flag} `));
    expect(line).toBeDefined();
    expect(line).toContain(option.env);
    const field = configSchema.shape[option.key];
    if (option.key === 'poolHost') expect(line).toMatch(/required$/);
    else {
      const value = field.parse(undefined);
      expect(line).toMatch(new RegExp(`default ${value === null ? 'none' : String(value).replace(/\./g, '\\.')}$`));
    }
    expect(text).toContain(option.description);
  });

  it('documents --config, CONFIG_FILE and --help', () => {
    expect(text).toMatch(/^ {2}--config <file> +CONFIG_FILE$/m);
    expect(text).toMatch(/^ {2}-h, --help$/m);
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
