import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONFIG_FILE_FORMATS, EXAMPLE_POOL, exampleConfig, loadConfig, OPTIONS, type ConfigFileFormat } from '@stratum-relay/config';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'srl-example-config-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function load(name: string, text: string): ReturnType<typeof loadConfig> {
  const path = join(dir, name);
  writeFileSync(path, text);
  return loadConfig({ argv: ['--config', path], env: {} });
}

/** The config every example stands for: the defaults with the example pool. */
const defaults = (): ReturnType<typeof loadConfig> => loadConfig({ argv: ['--pools', EXAMPLE_POOL], env: {} });

describe.each(CONFIG_FILE_FORMATS.map((f) => [f]))('exampleConfig(%s)', (format: ConfigFileFormat) => {
  const text = exampleConfig(format);

  it('loads back as the defaults with the example pool', () => {
    expect(load(`as-written.${format}`, text)).toEqual(defaults());
  });

  it('names every option of the table', () => {
    for (const o of OPTIONS) {
      if (format === 'json' && (o.key === 'poolHost' || o.key === 'poolPort')) continue; // the shortcut cannot stand beside pools
      expect(text).toMatch(new RegExp(`^ *#?"?${o.key}"?[:= ]`, 'm'));
    }
  });

  if (format !== 'json') {
    it('documents each option with its description, environment variable and flag', () => {
      const flat = text.replace(/\n# /g, ' ');
      for (const o of OPTIONS) {
        expect(flat).toContain(o.description.split(/\s+/).join(' '));
        expect(text).toContain(`(${o.env} / ${o.flag}`);
      }
    });

    it('shows defaults the loader accepts: with every option uncommented it is the same config', () => {
      // The one-pool shortcut stays commented: it cannot be set beside pools.
      const uncommented = text.replace(/^#(?!poolHost|poolPort)([a-zA-Z]+[:= ])/gm, '$1');
      expect(uncommented).not.toBe(text);
      expect(uncommented.match(/^#[a-zA-Z]/gm)).toHaveLength(2);
      expect(load(`uncommented.${format}`, uncommented)).toEqual(defaults());
    });
  }
});
