import { MASK, maskTraceLine } from '../src/trace-mask';

function mask(text: string): ReturnType<typeof maskTraceLine> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return maskTraceLine(text, parsed);
}

describe('masking secrets before a line is traced', () => {
  it('keeps the user of mining.authorize and masks the password and anything after it', () => {
    const r = mask('{"id":2,"method":"mining.authorize","params":["alice.rig1","hunter2","extra"]}');
    expect(r.masked).toBe(true);
    expect(JSON.parse(r.line)).toEqual({ id: 2, method: 'mining.authorize', params: ['alice.rig1', MASK, MASK] });
    expect(r.line).not.toContain('hunter2');
    expect(r.line).not.toContain('extra');
  });

  it('masks a password of any type and params that are not an array', () => {
    expect(JSON.parse(mask('{"id":2,"method":"mining.authorize","params":["u",12345]}').line).params).toEqual(['u', MASK]);
    const notArray = mask('{"id":2,"method":"mining.authorize","params":{"user":"u","pass":"hunter2"}}');
    expect(notArray.line).not.toContain('hunter2');
    expect(JSON.parse(notArray.line).params).toBe(MASK);
  });

  it('withholds a broken line that mentions authorize, since it cannot be masked field by field', () => {
    for (const text of ['{"id":2,"method":"mining.authorize","params":["u","hunter2"', '["mining.authorize","u","hunter2"]', 'AUTHORIZE u hunter2']) {
      const r = mask(text);
      expect(r.masked).toBe(true);
      expect(r.line).not.toContain('hunter2');
      expect(r.line).toContain(`${Buffer.byteLength(text)} bytes`);
    }
  });

  it('keeps every other line exactly as received', () => {
    for (const text of [
      '{"id":4,"method":"mining.submit","params":["alice.rig1","j1","00000001","65a1b2c3","deadbeef"]}',
      '{"id":1,"method":"mining.subscribe","params":["cgminer/4.12"]}',
      '{"id":7,"result":true,"error":null}',
      'not json at all',
      '{"id":3,"method":"mining.submit","params":["worker.authorized","j","1","2","3"]}',
    ]) {
      expect(mask(text)).toEqual({ line: text, masked: false });
    }
  });
});
