import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TRACE_VIEW_ASSETS_DIR, TRACE_VIEW_ASSET_FILES } from '../src';
import {
  MAX_METHOD_CHOICES,
  MethodChoices,
  TraceBuffer,
  directionArrow,
  formatTime,
  matchesFilter,
  methodOfLine,
  normalizeEntry,
  normalizeFilter,
  prettyLine,
  type TraceEntry,
} from '../assets/trace-model.js';

const submit = '{"id":4,"method":"mining.submit","params":["w1","j1","00000001","65a1b2c3","deadbeef"]}';

function entry(over: Partial<TraceEntry> = {}): TraceEntry {
  return { t: 1_700_000_000_000, direction: 'miner_to_pool', line: submit, method: 'mining.submit', ...over };
}

describe('trace-view entries', () => {
  it('keeps a well-formed entry and fills the method from the line when the producer gave none', () => {
    expect(normalizeEntry({ t: 5, direction: 'pool_to_miner', line: '{"id":4,"result":true,"error":null}' })).toEqual({
      t: 5,
      direction: 'pool_to_miner',
      line: '{"id":4,"result":true,"error":null}',
      method: 'reply',
    });
    expect(normalizeEntry({ t: 5, direction: 'miner_to_pool', line: submit, session: 7 })).toEqual({
      t: 5,
      direction: 'miner_to_pool',
      line: submit,
      method: 'mining.submit',
      session: 7,
    });
  });

  it.each([
    ['null', null],
    ['a string', 'line'],
    ['no time', { direction: 'miner_to_pool', line: 'x' }],
    ['a time that is not finite', { t: Number.NaN, direction: 'miner_to_pool', line: 'x' }],
    ['an unknown direction', { t: 1, direction: 'sideways', line: 'x' }],
    ['a line that is not a string', { t: 1, direction: 'miner_to_pool', line: { method: 'x' } }],
  ])('drops an entry with %s', (_name, raw) => {
    expect(normalizeEntry(raw)).toBeNull();
  });

  it('ignores a session that is neither a string nor a finite number', () => {
    expect(normalizeEntry({ t: 1, direction: 'miner_to_pool', line: 'x', session: { a: 1 } })).not.toHaveProperty('session');
  });

  it('names the method of requests and notifications, "reply" for answers, nothing for other text', () => {
    expect(methodOfLine('{"id":null,"method":"mining.notify","params":[]}')).toBe('mining.notify');
    expect(methodOfLine('{"id":1,"result":null,"error":[21,"Job not found",null]}')).toBe('reply');
    expect(methodOfLine('not json')).toBe('');
    expect(methodOfLine('[1,2]')).toBe('');
    expect(methodOfLine('{"id":1,"method":5}')).toBe('');
  });
});

describe('trace-view filter', () => {
  it('treats missing or invalid fields as "any"', () => {
    expect(normalizeFilter(undefined)).toEqual({ direction: '', method: '', text: '' });
    expect(normalizeFilter({ direction: 'up', method: 3, text: null })).toEqual({ direction: '', method: '', text: '' });
    expect(normalizeFilter({ direction: 'pool_to_miner', method: 'mining.notify', text: 'ab' })).toEqual({
      direction: 'pool_to_miner',
      method: 'mining.notify',
      text: 'ab',
    });
  });

  it('matches on direction, exact method and case-insensitive text, all at once', () => {
    const e = entry();
    expect(matchesFilter(e, normalizeFilter({}))).toBe(true);
    expect(matchesFilter(e, normalizeFilter({ direction: 'miner_to_pool' }))).toBe(true);
    expect(matchesFilter(e, normalizeFilter({ direction: 'pool_to_miner' }))).toBe(false);
    expect(matchesFilter(e, normalizeFilter({ method: 'mining.submit' }))).toBe(true);
    expect(matchesFilter(e, normalizeFilter({ method: 'mining.sub' }))).toBe(false);
    expect(matchesFilter(e, normalizeFilter({ text: 'DEADBEEF' }))).toBe(true);
    expect(matchesFilter(e, normalizeFilter({ text: 'cafe' }))).toBe(false);
    expect(matchesFilter(e, normalizeFilter({ direction: 'miner_to_pool', method: 'mining.submit', text: 'cafe' }))).toBe(false);
  });
});

describe('trace-view formatting', () => {
  it('formats the time as local HH:MM:SS.mmm', () => {
    expect(formatTime(new Date(2024, 0, 2, 3, 4, 5, 6).getTime())).toBe('03:04:05.006');
    expect(formatTime(Number.NaN)).toBe('');
  });

  it('shows miner -> pool as a right arrow and pool -> miner as a left arrow', () => {
    expect(directionArrow('miner_to_pool')).toBe('\u2192');
    expect(directionArrow('pool_to_miner')).toBe('\u2190');
    expect(directionArrow('other')).toBe('?');
  });

  it('indents JSON lines and leaves other text as it is', () => {
    expect(prettyLine('{"id":1,"result":true}')).toBe('{\n  "id": 1,\n  "result": true\n}');
    expect(prettyLine('<script>x</script>')).toBe('<script>x</script>');
  });
});

describe('trace-view buffer', () => {
  it('keeps the last maxRows entries oldest first and returns each entry it pushes out', () => {
    const b = new TraceBuffer<number>(3);
    expect([1, 2, 3].map((n) => b.push(n))).toEqual([undefined, undefined, undefined]);
    expect(b.push(4)).toBe(1);
    expect(b.push(5)).toBe(2);
    expect(b.toArray()).toEqual([3, 4, 5]);
    expect(b.size).toBe(3);
    b.clear();
    expect(b.toArray()).toEqual([]);
    b.push(6);
    expect(b.toArray()).toEqual([6]);
  });

  it('stays bounded over many pushes', () => {
    const b = new TraceBuffer<number>(7);
    for (let i = 0; i < 10_000; i += 1) b.push(i);
    expect(b.toArray()).toEqual([9993, 9994, 9995, 9996, 9997, 9998, 9999]);
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses maxRows %p', (max) => {
    expect(() => new TraceBuffer(max)).toThrow(RangeError);
  });
});

describe('trace-view method choices', () => {
  it('lists distinct names sorted, says when the list changed, and stops at its cap', () => {
    const m = new MethodChoices(2);
    expect(m.add('mining.submit')).toBe(true);
    expect(m.add('mining.submit')).toBe(false);
    expect(m.add('')).toBe(false);
    expect(m.add('mining.notify')).toBe(true);
    expect(m.add('mining.extra')).toBe(false);
    expect(m.list()).toEqual(['mining.notify', 'mining.submit']);
    expect(new MethodChoices().limit).toBe(MAX_METHOD_CHOICES);
  });
});

describe('trace-view assets', () => {
  it('exposes an assets directory holding every listed file, and the view imports only listed files', () => {
    const names = TRACE_VIEW_ASSET_FILES.map((f) => f.name);
    for (const name of names) expect(readFileSync(join(TRACE_VIEW_ASSETS_DIR, name), 'utf8').length).toBeGreaterThan(0);
    const view = readFileSync(join(TRACE_VIEW_ASSETS_DIR, 'trace-view.js'), 'utf8');
    const imports = [...view.matchAll(/from '\.\/([^']+)'/g)].map((m) => m[1]);
    expect(imports.length).toBeGreaterThan(0);
    for (const name of imports) expect(names).toContain(name);
  });

  it('never writes markup into the page (lines reach it as text only)', () => {
    const view = readFileSync(join(TRACE_VIEW_ASSETS_DIR, 'trace-view.js'), 'utf8');
    expect(view).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
  });
});
