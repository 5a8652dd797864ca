import { extname } from 'node:path';
import { parseDocument } from 'yaml';
import { parse as parseToml, TomlError } from 'smol-toml';
import { describeJsonSyntaxError, lineColumn } from './json-position';

/** The config file formats, chosen by the file's extension. */
export const CONFIG_FILE_FORMATS = ['json', 'yaml', 'toml'] as const;
export type ConfigFileFormat = (typeof CONFIG_FILE_FORMATS)[number];

/** How --help, messages and docs name what --config takes. */
export const CONFIG_FILE_EXPECTED = 'the path of a config file (.json, .yaml, .yml or .toml)';

/**
 * `.yaml`/`.yml` is YAML, `.toml` TOML, anything else JSON: every file that loaded before YAML
 * and TOML existed (`proxy.conf`, no extension) still loads the same way.
 */
export function configFileFormat(path: string): ConfigFileFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.yaml' || ext === '.yml') return 'yaml';
  if (ext === '.toml') return 'toml';
  return 'json';
}

const FORMAT_NAME: Readonly<Record<ConfigFileFormat, string>> = { json: 'JSON', yaml: 'YAML', toml: 'TOML' };

/** The parsed document, or the one problem (with line and column) that stops it. */
export type ConfigFileData = { readonly ok: true; readonly data: unknown } | { readonly ok: false; readonly problem: string };

/**
 * Parse a config file's text in the format its name says. `where` starts each problem
 * ("config file /etc/x.yaml"). A syntax error is one problem naming line and column, 1-based,
 * the same way for the three formats.
 */
export function parseConfigFileText(path: string, text: string, where: string): ConfigFileData {
  const format = configFileFormat(path);
  const bad = (line: number, column: number, reason: string): ConfigFileData => {
    // A YAML or TOML file given another extension fails as JSON at its first line: say why.
    const hint = format === 'json' && extname(path).toLowerCase() !== '.json' ? ' (files are read as JSON unless named .yaml, .yml or .toml)' : '';
    return { ok: false, problem: `${where} is not valid ${FORMAT_NAME[format]} at line ${line} column ${column}: ${reason}${hint}` };
  };
  switch (format) {
    case 'json':
      try {
        return { ok: true, data: JSON.parse(text) as unknown };
      } catch (error) {
        const { line, column, reason } = describeJsonSyntaxError(text, error as Error);
        return bad(line, column, reason);
      }
    case 'yaml': {
      // YAML 1.2 core schema (the yaml package's default): `yes`/`on` stay strings, not booleans,
      // so a mistyped boolean is reported instead of guessed. Duplicate keys are errors.
      const doc = parseDocument(text, { prettyErrors: false });
      const error = doc.errors[0];
      if (error !== undefined) {
        const { line, column } = lineColumn(text, error.pos[0]);
        return bad(line, column, error.message);
      }
      return { ok: true, data: doc.toJS() as unknown };
    }
    case 'toml':
      try {
        return { ok: true, data: parseToml(text) };
      } catch (error) {
        if (!(error instanceof TomlError)) throw error;
        // smol-toml's message is "Invalid TOML document: <reason>" followed by a code excerpt.
        const reason = (error.message.split('\n')[0] ?? '').replace(/^Invalid TOML document: /, '');
        return bad(error.line, error.column, reason || 'invalid TOML');
      }
  }
}

/**
 * The top level must be a table of options: the problem when it is not ("expected a JSON object
 * of options at the top level, got an array"), or undefined. TOML's top level is always a table.
 */
export function topLevelProblem(path: string, data: unknown): string | undefined {
  if (typeof data === 'object' && data !== null && !Array.isArray(data)) return undefined;
  const yaml = configFileFormat(path) === 'yaml';
  // An empty YAML file is a document holding null: say so in its terms.
  const got = data === null || data === undefined ? (yaml ? 'an empty document' : 'null') : Array.isArray(data) ? 'an array' : `a ${typeof data}`;
  return `expected ${yaml ? 'a YAML mapping' : 'a JSON object'} of options at the top level, got ${got}`;
}
