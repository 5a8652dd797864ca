import { writeFileSync } from 'node:fs';
import { CONFIG_FILE_FORMATS, configFileFormat, exampleConfig, flagProblems, flagValues, readFlags, type ConfigFileFormat, type FlagSpecs } from '@stratum-relay/config';
import { COMMAND_EXIT, usageErrorText, type CommandIo } from './command-io';

export const INIT_HELP = `Usage: stratum-proxy init [--format yaml|json|toml] [-o FILE] [--force]

Write an example config with every option, its environment variable, flag and default (YAML and
TOML commented, one option per paragraph; JSON, which has no comments, with every default set).
Generated from the option table, so it always matches what this version accepts.

Options:
  --format FORMAT   yaml (default), json or toml; with -o, the file's extension decides when
                    --format is not given
  -o, --output FILE write it to FILE instead of stdout (an existing file is kept unless --force)
  --force           replace FILE if it exists
  -h, --help        show this help

Then: edit the pools, and check it with \`stratum-proxy check-config FILE\`.
`;

const FLAGS = {
  format: { type: 'string', expected: CONFIG_FILE_FORMATS.join(', ') },
  output: { type: 'string', short: 'o', expected: 'the path of the file to write' },
  force: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies FlagSpecs;

const isFormat = (text: string): text is ConfigFileFormat => (CONFIG_FILE_FORMATS as readonly string[]).includes(text);

/** `stratum-proxy init …`; resolves with the exit code. */
export function runInitCommand(argv: readonly string[], io: CommandIo): number {
  const read = readFlags(argv, FLAGS);
  const problems = flagProblems(read, 'init writes to stdout, or to a file with -o FILE');
  const v = flagValues(read, FLAGS);
  if (v.help === true) {
    io.out(INIT_HELP);
    return COMMAND_EXIT.OK;
  }
  const output = v.output;
  let format: ConfigFileFormat = output === undefined ? 'yaml' : configFileFormat(output);
  if (v.format !== undefined) {
    const wanted = v.format.toLowerCase() === 'yml' ? 'yaml' : v.format.toLowerCase();
    if (!isFormat(wanted)) problems.push(`--format: ${JSON.stringify(v.format)} is not valid: expected one of ${CONFIG_FILE_FORMATS.join(', ')}`);
    else if (output !== undefined && configFileFormat(output) !== wanted) {
      // The loader picks the format by extension: a TOML file named x.yaml would not load.
      problems.push(`-o ${output}: a ${wanted} config must be named ${wanted === 'yaml' ? '.yaml or .yml' : `.${wanted}`} (the format is chosen by extension when it is loaded)`);
    } else format = wanted;
  }
  if (output === '') problems.push('--output: "" is not valid: expected the path of the file to write');
  if (problems.length > 0) {
    io.err(usageErrorText('init', problems));
    return COMMAND_EXIT.USAGE;
  }

  const text = exampleConfig(format);
  if (output === undefined) {
    io.out(text);
    return COMMAND_EXIT.OK;
  }
  try {
    // 0o600: the operator is about to put a pool password or a token in it.
    writeFileSync(output, text, { flag: v.force === true ? 'w' : 'wx', mode: 0o600 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    io.err(`stratum-proxy init: cannot write ${output}: ${code === 'EEXIST' ? 'it exists (use --force to replace it)' : (code ?? String(error))}\n`);
    return COMMAND_EXIT.FAILED;
  }
  io.err(`wrote ${output} (${format}); edit the pools, then: stratum-proxy check-config ${output}\n`);
  return COMMAND_EXIT.OK;
}
