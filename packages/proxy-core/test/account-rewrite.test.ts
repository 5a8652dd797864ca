import { rewriteAccountLine, type AccountRewriteOptions, type AccountRewriteStats } from '../src/upstream/account-rewrite';

const NO_PASSWORD: AccountRewriteOptions = { account: 'acctB', password: null, maxLineBytes: 4096 };
const WITH_PASSWORD: AccountRewriteOptions = { account: 'acctB', password: 'secret', maxLineBytes: 4096 };

function run(text: string, options: AccountRewriteOptions = NO_PASSWORD): { out: string; stats: AccountRewriteStats; same: boolean } {
  const line = Buffer.from(text, 'utf8');
  const stats = { rewritten: 0, unsafe: 0 };
  const out = rewriteAccountLine(line, options, stats);
  return { out: out.toString('utf8'), stats, same: out === line };
}

/** The line was forwarded as the same Buffer and counted as unsafe. */
function expectUnsafe(text: string, options: AccountRewriteOptions = NO_PASSWORD): void {
  const r = run(text, options);
  expect(r).toEqual({ out: text, stats: { rewritten: 0, unsafe: 1 }, same: true });
}

/** The line was forwarded as the same Buffer and not counted at all. */
function expectUntouched(text: string, options: AccountRewriteOptions = NO_PASSWORD): void {
  const r = run(text, options);
  expect(r).toEqual({ out: text, stats: { rewritten: 0, unsafe: 0 }, same: true });
}

function expectRewritten(text: string, expected: string, options: AccountRewriteOptions = NO_PASSWORD): void {
  const r = run(text, options);
  expect(r.out).toBe(expected);
  expect(r.stats).toEqual({ rewritten: 1, unsafe: 0 });
}

describe('rewriteAccountLine on mining.authorize', () => {
  it('replaces the account part of the user and keeps the worker suffix and the password', () => {
    expectRewritten('{"id":1,"method":"mining.authorize","params":["farm.rig1","x"]}', '{"id":1,"method":"mining.authorize","params":["acctB.rig1","x"]}');
  });

  it('replaces a user without a worker suffix by the account alone', () => {
    expectRewritten('{"id":1,"method":"mining.authorize","params":["farm","x"]}', '{"id":1,"method":"mining.authorize","params":["acctB","x"]}');
    expectRewritten('{"id":1,"method":"mining.authorize","params":["","x"]}', '{"id":1,"method":"mining.authorize","params":["acctB","x"]}');
  });

  it('cuts at the first dot only, and keeps a suffix that starts the user', () => {
    expectRewritten('{"id":1,"method":"mining.authorize","params":["farm.rig.1"]}', '{"id":1,"method":"mining.authorize","params":["acctB.rig.1"]}');
    expectRewritten('{"id":1,"method":"mining.authorize","params":[".rig"]}', '{"id":1,"method":"mining.authorize","params":["acctB.rig"]}');
  });

  it('replaces the password too when one is configured', () => {
    expectRewritten(
      '{"id":1,"method":"mining.authorize","params":["farm.rig1","x"]}',
      '{"id":1,"method":"mining.authorize","params":["acctB.rig1","secret"]}',
      WITH_PASSWORD,
    );
    expectRewritten('{"id":1,"method":"mining.authorize","params":["farm",""]}', '{"id":1,"method":"mining.authorize","params":["acctB","secret"]}', WITH_PASSWORD);
  });

  it('keeps params after the password byte for byte', () => {
    expectRewritten(
      '{"id":1,"method":"mining.authorize","params":["farm.rig1","x", {"a" : [1, "b"]}, 2.50]}',
      '{"id":1,"method":"mining.authorize","params":["acctB.rig1","secret", {"a" : [1, "b"]}, 2.50]}',
      WITH_PASSWORD,
    );
  });

  it('rewrites the jsonrpc 2.0 form', () => {
    expectRewritten(
      '{"jsonrpc":"2.0","id":"a1","method":"mining.authorize","params":["farm.rig1","x"]}',
      '{"jsonrpc":"2.0","id":"a1","method":"mining.authorize","params":["acctB.rig1","secret"]}',
      WITH_PASSWORD,
    );
  });

  it('finds the keys in any order (params before method, id last)', () => {
    expectRewritten(
      '{"params": ["slush.miner1", "password"], "id": 2, "method": "mining.authorize"}',
      '{"params": ["acctB.miner1", "secret"], "id": 2, "method": "mining.authorize"}',
      WITH_PASSWORD,
    );
    expectRewritten(
      '{"method":"mining.authorize","params":["farm.rig1","x"],"id":3}',
      '{"method":"mining.authorize","params":["acctB.rig1","x"],"id":3}',
    );
  });

  it('keeps extra spaces, tabs and newlines inside the object', () => {
    expectRewritten(
      ' { "id" : 1 ,\n\t"method" :\t"mining.authorize" ,\r\n "params" : [ "farm.rig1" ,\n "x" ] } ',
      ' { "id" : 1 ,\n\t"method" :\t"mining.authorize" ,\r\n "params" : [ "acctB.rig1" ,\n "secret" ] } ',
      WITH_PASSWORD,
    );
  });

  it('keeps a trailing \\r (CRLF line)', () => {
    expectRewritten('{"id":1,"method":"mining.authorize","params":["farm.rig1","x"]}\r', '{"id":1,"method":"mining.authorize","params":["acctB.rig1","x"]}\r');
  });

  it('understands escaped key names, as a pool would', () => {
    expectRewritten('{"id":1,"m\\u0065thod":"mining.authorize","p\\u0061rams":["farm.rig1","x"]}', '{"id":1,"m\\u0065thod":"mining.authorize","p\\u0061rams":["acctB.rig1","x"]}');
  });

  it('keeps unicode in the worker byte for byte and replaces unicode in the account part', () => {
    expectRewritten(
      '{"id":1,"method":"mining.authorize","params":["fërm😀.rïg-€\u2028","x"]}',
      '{"id":1,"method":"mining.authorize","params":["acctB.rïg-€\u2028","x"]}',
    );
  });

  it('returns the same Buffer, counted as rewritten, when the line already has the account and password', () => {
    const r = run('{"id":1,"method":"mining.authorize","params":["acctB.rig1","secret"]}', WITH_PASSWORD);
    expect(r).toEqual({ out: '{"id":1,"method":"mining.authorize","params":["acctB.rig1","secret"]}', stats: { rewritten: 1, unsafe: 0 }, same: true });
  });

  it('writes an account and password that need escaping as valid JSON with those values', () => {
    const account = 'ac"c\\t /é😀\u0001\n\u2028';
    const password = 'p"w\\\ud800';
    const options = { account, password, maxLineBytes: 4096 };
    const r = run('{"id":1,"method":"mining.authorize","params":["farm.rig1","x"]}', options);
    expect(r.stats).toEqual({ rewritten: 1, unsafe: 0 });
    expect(JSON.parse(r.out)).toEqual({ id: 1, method: 'mining.authorize', params: [`${account}.rig1`, password] });
    expect(r.out).toBe(`{"id":1,"method":"mining.authorize","params":[${JSON.stringify(`${account}.rig1`)},${JSON.stringify(password)}]}`);
  });

  it('keeps the miner password, whatever its type, when none is configured', () => {
    expectRewritten('{"id":1,"method":"mining.authorize","params":["farm.rig1",null]}', '{"id":1,"method":"mining.authorize","params":["acctB.rig1",null]}');
    expectRewritten('{"id":1,"method":"mining.authorize","params":["farm.rig1","a\\"b"]}', '{"id":1,"method":"mining.authorize","params":["acctB.rig1","a\\"b"]}');
    expectRewritten('{"id":1,"method":"mining.authorize","params":["farm.rig1"]}', '{"id":1,"method":"mining.authorize","params":["acctB.rig1"]}');
  });

  it('rewrites a line whose other strings hold escapes (only the spliced tokens must be plain)', () => {
    expectRewritten(
      '{"id":"a\\"b","method":"mining.authorize","params":["farm.rig1","x","\\u00e9"],"note":"\\\\"}',
      '{"id":"a\\"b","method":"mining.authorize","params":["acctB.rig1","secret","\\u00e9"],"note":"\\\\"}',
      WITH_PASSWORD,
    );
  });
});

describe('rewriteAccountLine on mining.submit', () => {
  const submit = (worker: string, tail = ''): string =>
    `{"id":4,"method":"mining.submit","params":[${worker},"64851638001239ef","2300000000000000","668d7796","49830298"${tail}]}`;

  it('replaces the account part of the worker name', () => {
    expectRewritten(submit('"farm.rig1"'), submit('"acctB.rig1"'));
  });

  it('replaces a worker name without a suffix by the account', () => {
    expectRewritten(submit('"donate"'), submit('"acctB"'));
  });

  it('never touches params[1] (the job id), even with a password configured', () => {
    expectRewritten(submit('"farm.rig1"', ',"0318e000"'), submit('"acctB.rig1"', ',"0318e000"'), WITH_PASSWORD);
  });

  it('keeps spacing, key order and CRLF of a real ckpool-style submit', () => {
    expectRewritten(
      '{"params": ["slush.miner1", "bf", "00000001", "504e86ed", "b2957c02"], "id": 4, "method": "mining.submit"}\r',
      '{"params": ["acctB.miner1", "bf", "00000001", "504e86ed", "b2957c02"], "id": 4, "method": "mining.submit"}\r',
    );
  });

  it('keeps unicode in the worker suffix', () => {
    expectRewritten(submit('"farm.矿机-😀"'), submit('"acctB.矿机-😀"'));
  });

  it.each([
    ['an integer', '4'],
    ['zero', '0'],
    ['a negative integer', '-17'],
    ['a float', '1.5'],
    ['a negative float in exponent form', '-2.5E-3'],
    ['a number past 2^53', '12345678901234567890'],
    ['a string', '"4"'],
    ['a string with an escape', '"a\\"b"'],
    ['an empty string', '""'],
    ['null', 'null'],
  ])('keeps an id that is %s exactly as written', (_name, id) => {
    expectRewritten(
      `{"id":${id},"method":"mining.submit","params":["farm.rig1","j","00","65a1b2c3","a1b2c3d5"]}`,
      `{"id":${id},"method":"mining.submit","params":["acctB.rig1","j","00","65a1b2c3","a1b2c3d5"]}`,
    );
  });

  it('rewrites a submit without an id (a notification)', () => {
    expectRewritten('{"method":"mining.submit","params":["farm.rig1","j"]}', '{"method":"mining.submit","params":["acctB.rig1","j"]}');
  });
});

describe('rewriteAccountLine refuses what it cannot rewrite safely (unchanged, counted)', () => {
  it.each([
    ['\\u escape', '"farm\\u002erig1"'],
    ['escaped quote', '"fa\\"rm.rig1"'],
    ['escaped backslash', '"farm.rig\\\\1"'],
    ['escaped slash', '"farm\\/x.rig1"'],
    ['escaped newline in the worker', '"farm.rig\\n1"'],
  ])('an escape (%s) inside the user', (_name, user) => {
    expectUnsafe(`{"id":1,"method":"mining.authorize","params":[${user},"x"]}`);
    expectUnsafe(`{"id":1,"method":"mining.submit","params":[${user},"j"]}`);
  });

  it('an escape inside the password when a password is configured', () => {
    expectUnsafe('{"id":1,"method":"mining.authorize","params":["farm.rig1","p\\u0077"]}', WITH_PASSWORD);
  });

  it.each([['123'], ['null'], ['true'], ['["farm.rig1"]'], ['{"user":"farm.rig1"}']])('params[0] that is not a string: %s', (p0) => {
    expectUnsafe(`{"id":1,"method":"mining.authorize","params":[${p0},"x"]}`);
    expectUnsafe(`{"id":1,"method":"mining.submit","params":[${p0},"j"]}`);
  });

  it.each([['null'], ['0'], ['["x"]'], ['false']])('a password (params[1]) that is not a string when one is configured: %s', (p1) => {
    expectUnsafe(`{"id":1,"method":"mining.authorize","params":["farm.rig1",${p1}]}`, WITH_PASSWORD);
  });

  it('an authorize without a password to replace when one is configured', () => {
    expectUnsafe('{"id":1,"method":"mining.authorize","params":["farm.rig1"]}', WITH_PASSWORD);
  });

  it.each([
    ['an object', '{"0":"farm.rig1","1":"x"}'],
    ['a string', '"farm.rig1"'],
    ['null', 'null'],
    ['an empty array', '[]'],
  ])('params that are %s', (_name, params) => {
    expectUnsafe(`{"id":1,"method":"mining.authorize","params":${params}}`);
    expectUnsafe(`{"id":1,"method":"mining.submit","params":${params}}`);
  });

  it('no params at all', () => {
    expectUnsafe('{"id":1,"method":"mining.submit"}');
  });

  it('duplicate method keys, whichever one is ours', () => {
    expectUnsafe('{"id":1,"method":"mining.authorize","method":"mining.authorize","params":["farm.rig1","x"]}');
    expectUnsafe('{"id":1,"method":"mining.notify","params":["farm.rig1","x"],"method":"mining.submit"}');
    expectUnsafe('{"id":1,"method":"mining.submit","m\\u0065thod":"mining.notify","params":["farm.rig1","x"]}');
  });

  it('duplicate params keys', () => {
    expectUnsafe('{"id":1,"method":"mining.authorize","params":["farm.rig1","x"],"params":["other.rig1","x"]}');
    expectUnsafe('{"id":1,"params":"farm","method":"mining.submit","p\\u0061rams":["farm.rig1","x"]}');
  });

  it('a method spelled with escapes (a pool decodes it to an account method)', () => {
    expectUnsafe('{"id":1,"method":"mining.\\u0061uthorize","params":["farm.rig1","x"]}');
    expectUnsafe('{"id":1,"method":"mining\\u002esubmit","params":["farm.rig1","x"]}');
  });

  it('a method that is not a string while an account method name shows', () => {
    expectUnsafe('{"id":1,"method":["mining.authorize"],"params":["farm.rig1","x"]}');
    expectUnsafe('{"id":1,"method":null,"params":["mining.submit"]}');
  });

  it.each([
    ['a trailing comma', '{"id":1,"method":"mining.authorize","params":["farm.rig1","x"],}'],
    ['a missing closing brace', '{"id":1,"method":"mining.authorize","params":["farm.rig1","x"]'],
    ['a raw tab inside the user', '{"id":1,"method":"mining.authorize","params":["farm.rig\t1","x"]}'],
    ['a bad literal', '{"id":tru,"method":"mining.submit","params":["farm.rig1","x"]}'],
    ['a bad number', '{"id":01,"method":"mining.submit","params":["farm.rig1","x"]}'],
    ['mismatched brackets', '{"id":1,"method":"mining.submit","params":["farm.rig1","x"}]'],
    ['text after the object', '{"id":1,"method":"mining.submit","params":["farm.rig1","x"]} {}'],
    ['a byte order mark', '\ufeff{"id":1,"method":"mining.submit","params":["farm.rig1","x"]}'],
    ['a batch (top-level array)', '[{"id":1,"method":"mining.authorize","params":["farm.rig1","x"]}]'],
    ['plain text', 'mining.authorize farm.rig1 x'],
    ['an unterminated string', '{"id":1,"method":"mining.submit","params":["farm.rig1'],
  ])('not a JSON object: %s', (_name, text) => {
    expectUnsafe(text);
  });

  it('a line over the cap (counted whatever it holds, since a stream cannot see it whole)', () => {
    const line = '{"id":1,"method":"mining.authorize","params":["farm.rig1","x"]}';
    expectUnsafe(line, { ...NO_PASSWORD, maxLineBytes: line.length - 1 });
    expectUnsafe(`{"id":1,"method":"mining.notify","params":["${'a'.repeat(100)}"]}`, { ...NO_PASSWORD, maxLineBytes: 64 });
  });

  it('measures the cap without a trailing \\r, as the line splitter does', () => {
    const line = '{"id":1,"method":"mining.authorize","params":["farm.rig1","x"]}';
    expectRewritten(`${line}\r`, `${line.replace('farm', 'acctB')}\r`, { ...NO_PASSWORD, maxLineBytes: line.length });
  });
});

describe('rewriteAccountLine leaves other lines alone (unchanged, not counted)', () => {
  it.each([
    ['subscribe', '{"id": 1, "method": "mining.subscribe", "params": ["bitaxe/BM1368"]}'],
    ['configure', '{"id":0,"method":"mining.configure","params":[["version-rolling"],{"version-rolling.mask":"1fffe000"}]}'],
    ['suggest_difficulty', '{"id": 3, "method": "mining.suggest_difficulty", "params": [1000]}'],
    ['extranonce.subscribe', '{"id": 5, "method": "mining.extranonce.subscribe", "params": []}'],
    ['a response', '{"id":2,"result":true,"error":null}'],
    ['a response mentioning mining.submit', '{"id":2,"result":"mining.submit","error":null}'],
    ['a response with an escape', '{"id":2,"result":null,"error":[24,"bad \\"user\\"",null]}'],
    ['a method name inside a param', '{"id":1,"method":"mining.subscribe","params":["mining.authorize"]}'],
    ['a nested method key', '{"id":5,"method":"mining.configure","params":[{"method":"mining.authorize","params":["farm.rig1"]}]}'],
    ['a method with the account name as a prefix', '{"id":5,"method":"mining.submit_hashrate","params":["farm.rig1"]}'],
    ['a longer method name', '{"id":5,"method":"mining.authorized","params":["farm.rig1"]}'],
    ['an escaped method that is not ours', '{"id":1,"method":"mining.subscrib\\u0065","params":["farm.rig1"]}'],
    ['an empty object', '{}'],
    ['an empty line', ''],
    ['a CR only', '\r'],
    ['text with a backslash', 'hello \\ world'],
    ['invalid JSON without a method name', '{"id":1,"method":"mining.notify","params":["a\\'],
    ['invalid JSON whose account method is spelled with escapes', '{"id":1,"method":"mining.\\u0061uthorize","params":["farm.rig1","x"],}'],
    ['a method that is not a string, without a method name', '{"id":1,"method":5,"params":["farm.rig1"]}'],
  ])('%s', (_name, text) => {
    expectUntouched(text);
    expectUntouched(text, WITH_PASSWORD);
  });
});
