import { maskAuthorize } from '../src/trace/authorize-mask';

describe('maskAuthorize', () => {
  it.each([
    ['positional params', '{"id":2,"method":"mining.authorize","params":["w1","s3cret"]}', '{"id":2,"method":"mining.authorize","params":["w1","***"]}'],
    ['extra spaces', '{ "id" : 2 , "method" : "mining.authorize" , "params" : [ "w1" ,  "s3cret" ] }', '{ "id" : 2 , "method" : "mining.authorize" , "params" : [ "w1" ,  "***" ] }'],
    ['escaped quotes in the password', '{"id":2,"method":"mining.authorize","params":["w1","a\\"b\\\\c\\""]}', '{"id":2,"method":"mining.authorize","params":["w1","***"]}'],
    ['a number as password', '{"id":2,"method":"mining.authorize","params":["w1",12345]}', '{"id":2,"method":"mining.authorize","params":["w1","***"]}'],
    ['an object as password', '{"id":2,"method":"mining.authorize","params":["w1",{"p":"x"}],"x":1}', '{"id":2,"method":"mining.authorize","params":["w1","***"],"x":1}'],
    ['named params', '{"id":2,"method":"mining.authorize","params":{"user":"w1","password":"s3cret"}}', '{"id":2,"method":"mining.authorize","params":{"user":"w1","password":"***"}}'],
    ['params before method, more elements', '{"params":["w1","pw","extra"],"id":1,"method":"mining.authorize"}', '{"params":["w1","***","extra"],"id":1,"method":"mining.authorize"}'],
    ['duplicate params keys: every one', '{"method":"mining.authorize","params":["a","p1"],"params":["b","p2"],"id":1}', '{"method":"mining.authorize","params":["a","***"],"params":["b","***"],"id":1}'],
    ['no password given', '{"id":2,"method":"mining.authorize","params":["w1"]}', '{"id":2,"method":"mining.authorize","params":["w1"]}'],
  ])('masks the password with %s and keeps every other byte', (_name, line, masked) => {
    expect(maskAuthorize(line)).toBe(masked);
  });

  it('masks an authorize whose method is spelt with escapes, or given twice (a pool may read the first)', () => {
    expect(maskAuthorize('{"id":2,"method":"mining.\\u0061uthorize","params":["w1","s3cret"]}')).toBe('{"id":2,"method":"mining.\\u0061uthorize","params":["w1","***"]}');
    expect(maskAuthorize('{"id":2,"m\\u0065thod":"mining.authorize","params":["w1","s3cret"]}')).toBe('{"id":2,"m\\u0065thod":"mining.authorize","params":["w1","***"]}');
    expect(maskAuthorize('{"method":"mining.authorize","method":"x","params":["w1","s3cret"]}')).toBe('{"method":"mining.authorize","method":"x","params":["w1","***"]}');
  });

  it('keeps nothing of a batch (a JSON array) that holds an authorize', () => {
    const out = maskAuthorize('[{"id":2,"method":"mining.authoriz\\u0065","params":["w1","s3cret"]}]');
    expect(out).not.toContain('s3cret');
    expect(out).toMatch(/in a batch: not kept/);
  });

  it('keeps nothing of a line that mentions mining.authorize but is not JSON', () => {
    const out = maskAuthorize('{"method":"mining.authorize","params":["w1","s3cret"');
    expect(out).not.toContain('s3cret');
    expect(out).toMatch(/not valid JSON/);
  });

  it('leaves other lines untouched, also ones that only mention authorize in a value', () => {
    const submit = '{"id":4,"method":"mining.submit","params":["w1","j","00","5f","1a"]}';
    expect(maskAuthorize(submit)).toBe(submit);
    const other = '{"id":5,"method":"client.show_message","params":["mining.authorize","x"]}';
    expect(maskAuthorize(other)).toBe(other);
    const escaped = '{"id":6,"method":"client.show_message","params":["a\\"b"]}';
    expect(maskAuthorize(escaped)).toBe(escaped);
    const garbage = 'not json \\ at all';
    expect(maskAuthorize(garbage)).toBe(garbage);
  });
});
