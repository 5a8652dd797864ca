import { flagProblems, flagValues, readFlags, type FlagSpecs, type FlagsRead } from '@stratum-relay/config';

const SPECS: FlagSpecs = {
  port: { type: 'string', expected: 'a port' },
  host: { type: 'string' },
  fault: { type: 'string', multiple: true },
  tls: { type: 'boolean', negatable: true, boolWords: true },
  audit: { type: 'boolean', negatable: true, optionalValue: true },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

/** The reader's messages alone. */
const messages = (read: FlagsRead): string[] => read.problems.map((p) => p.message);

describe('readFlags', () => {
  it('reads --name value, --name=value, bare booleans and short flags in order', () => {
    const read = readFlags(['--port', '3333', '--host=::1', '--json', '-h'], SPECS);
    expect(read.problems).toEqual([]);
    expect(read.flags).toEqual([
      { at: 0, flag: '--port', name: 'port', value: '3333' },
      { at: 2, flag: '--host', name: 'host', value: '::1' },
      { at: 3, flag: '--json', name: 'json', value: true },
      { at: 4, flag: '-h', name: 'help', value: true },
    ]);
  });

  it('reports every unknown flag with the closest known one, and does not call its value a stray word', () => {
    const read = readFlags(['--pourt', '1', '--hostt=x', '--zzzzzz'], SPECS);
    expect(messages(read)).toEqual(['unknown option "--pourt" (did you mean --port?)', 'unknown option "--hostt" (did you mean --host?)', 'unknown option "--zzzzzz"']);
    expect(read.positionals).toEqual([]);
  });

  it('calls a flag followed by another flag missing its value, and still reads the other one', () => {
    const read = readFlags(['--host', '--port', '1'], SPECS);
    expect(messages(read)).toEqual(['--host: missing value']);
    expect(read.withoutValue).toEqual([{ at: 0, flag: '--host', name: 'host' }]);
    expect(read.flags).toEqual([{ at: 1, flag: '--port', name: 'port', value: '1' }]);
    expect(messages(readFlags(['--port'], SPECS))).toEqual(['--port: missing value: expected a port']);
  });

  it('takes a value starting with one dash (a negative number) as the value', () => {
    expect(readFlags(['--port', '-5'], SPECS).flags).toEqual([{ at: 0, flag: '--port', name: 'port', value: '-5' }]);
  });

  it('reads --no-<flag> as false where allowed, and a following bool word or any word where the spec says', () => {
    const read = readFlags(['--no-tls', '--tls', 'false', '--audit', 'rejected', '--json', 'yes'], SPECS);
    expect(read.flags.map(({ flag, value }) => [flag, value])).toEqual([
      ['--no-tls', false],
      ['--tls', 'false'],
      ['--audit', 'rejected'],
      ['--json', true],
    ]);
    expect(read.positionals).toEqual([{ at: 6, value: 'yes', afterTerminator: false }]);
    expect(messages(readFlags(['--no-json'], SPECS))).toEqual(['unknown option "--no-json" (did you mean --json?)']);
    expect(messages(readFlags(['--no-tls=1'], SPECS))).toEqual(['--no-tls: takes no value (got "1")']);
    expect(messages(readFlags(['--json=yes'], SPECS))).toEqual(['--json: takes no value (got "yes")']);
    expect(readFlags(['--tls=no'], SPECS).flags).toEqual([{ at: 0, flag: '--tls', name: 'tls', value: 'no' }]);
  });

  it('returns words after -- as positionals even when they look like flags', () => {
    expect(readFlags(['a', '--', '--port', 'b'], SPECS).positionals).toEqual([
      { at: 0, value: 'a', afterTerminator: false },
      { at: 2, value: '--port', afterTerminator: true },
      { at: 3, value: 'b', afterTerminator: true },
    ]);
  });

  it('lists problems and stray words in command-line order', () => {
    expect(flagProblems(readFlags(['stray', '--bogus', '--port'], SPECS), 'takes only --options')).toEqual([
      'unexpected argument "stray": takes only --options',
      'unknown option "--bogus"',
      '--port: missing value: expected a port',
    ]);
  });

  it('gives the last value of a flag, and every value of a multiple one, as a record', () => {
    const read = readFlags(['--port', '1', '--port', '2', '--fault', 'a', '--fault', 'b'], SPECS);
    expect(flagValues(read, SPECS)).toEqual({ port: '2', fault: ['a', 'b'] });
  });
});
