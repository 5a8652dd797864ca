import type { ProxyEvent } from '@stratum-relay/shared-types';
import { classifyStratumMessage, createClassifiedMessage } from '../../src/stratum-message';

// Seeded generator of single Stratum lines for the fast path's differential tests: canonical
// lines as pools and miners write them, the same with other key orders, whitespace, escapes,
// unicode, invalid UTF-8, duplicate keys and numbers in every form, and mutated copies (cut,
// bytes dropped, inserted or swapped). Lines never hold a `\n` (the splitter's job).

type Rand = () => number;

const pick = <T>(rand: Rand, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
const chance = (rand: Rand, p: number): boolean => rand() < p;

function hex(rand: Rand, bytes: number): string {
  let s = '';
  for (let i = 0; i < bytes * 2; i++) s += '0123456789abcdef'[Math.floor(rand() * 16)];
  return s;
}

/** JSON texts of numbers, valid and not (JSON.parse is the judge). */
const NUMBERS = [
  '0', '4', '7', '42', '1024', '65536', '-1', '-0', '1.5', '4.0', '1e3', '1E+2', '2e-3', '-2.5e-3', '0.001', '1e-10',
  '123456789012345', '1234567890123456', '9007199254740993', '1e400', '-1e400',
  // invalid
  '007', '1.', '.5', '-', '+1', '0x10', '1e', '1e+', '--1', 'NaN', 'Infinity', '01',
];

/** JSON string texts (with quotes), valid and not, some as raw bytes. */
function stringText(rand: Rand): string | Buffer {
  const r = rand();
  if (r < 0.35) return `"${hex(rand, 1 + Math.floor(rand() * 8))}"`;
  if (r < 0.5) return `"${pick(rand, ['bc1qnp980s5fpp8l94p5cvttntdqy8rvrq74qly2yr.rig01', 'slush.miner1', 'farm.worker-00042', 'x', '', 'donate', 'braiins.worker0'])}"`;
  if (r < 0.6) return `"${pick(rand, ['wörker.€1', 'pä😀', 'ünï\u2028cödé', '日本語', '\u00ff\u0100'])}"`;
  if (r < 0.7) return `"${pick(rand, ['a\\"b', '\\n', '\\u0041', '\\ud83d\\ude00', 'mining.sub\\u006dit', 'x\\\\', '\\/', '\\t'])}"`;
  if (r < 0.78) {
    // Raw invalid UTF-8 and stray multi-byte heads inside a string.
    const bad = pick(rand, [[0xff], [0xc3], [0xe2, 0x82], [0xf0, 0x9f, 0x98], [0x80], [0xed, 0xa0, 0x80], [0xc0, 0xaf]]);
    return Buffer.concat([Buffer.from('"ab'), Buffer.from(bad), Buffer.from('cd"')]);
  }
  if (r < 0.84) return Buffer.concat([Buffer.from('"a'), Buffer.from([pick(rand, [0x00, 0x01, 0x09, 0x0d, 0x1f, 0x7f])]), Buffer.from('b"')]);
  return `"${pick(rand, ['mining.submit', 'mining.notify', 'mining.set_difficulty', 'mining.authorize', 'client.reconnect', 'mining.unknown', 'mining.submit ', 'Mining.submit'])}"`;
}

function valueText(rand: Rand, depth: number): string | Buffer {
  const r = rand();
  if (r < 0.3) return stringText(rand);
  if (r < 0.5) return pick(rand, NUMBERS);
  if (r < 0.62) return pick(rand, ['true', 'false', 'null', 'tru', 'nul', 'True', 'nulls']);
  if (r < 0.82 && depth < 4) return arrayText(rand, depth + 1, Math.floor(rand() * 5));
  if (depth < 4) return objectText(rand, depth + 1);
  return '0';
}

function join(parts: readonly (string | Buffer)[]): Buffer {
  return Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p)));
}

/** Whitespace between tokens, usually none (as pools write), sometimes Python-style or odd. */
function ws(rand: Rand, p: number): string {
  if (!chance(rand, p)) return '';
  return pick(rand, [' ', ' ', '  ', '\t', '\r', ' \r\t ', '\f', '\u00a0']);
}

function arrayText(rand: Rand, depth: number, n: number, item: (rand: Rand) => string | Buffer = (r) => valueText(r, depth), p = 0.05): Buffer {
  const parts: (string | Buffer)[] = ['[', ws(rand, p)];
  for (let i = 0; i < n; i++) {
    if (i > 0) parts.push(ws(rand, p), ',', ws(rand, p));
    parts.push(item(rand));
  }
  if (chance(rand, 0.01)) parts.push(',');
  parts.push(ws(rand, p), ']');
  return join(parts);
}

function objectText(rand: Rand, depth: number): Buffer {
  const n = Math.floor(rand() * 4);
  const members: [string | Buffer, string | Buffer][] = [];
  for (let i = 0; i < n; i++) members.push([stringText(rand), valueText(rand, depth)]);
  return memberText(rand, members, 0.05);
}

function memberText(rand: Rand, members: readonly (readonly [string | Buffer, string | Buffer])[], p: number): Buffer {
  const parts: (string | Buffer)[] = [ws(rand, p), '{', ws(rand, p)];
  members.forEach(([k, v], i) => {
    if (i > 0) parts.push(ws(rand, p), ',', ws(rand, p));
    parts.push(k, ws(rand, p), ':', ws(rand, p), v);
  });
  parts.push(ws(rand, p), '}', ws(rand, p));
  return join(parts);
}

const idText = (rand: Rand): string =>
  chance(rand, 0.8) ? String(Math.floor(rand() * (chance(rand, 0.5) ? 100 : 1e9))) : pick(rand, [...NUMBERS, 'null', '"4"', '"abc"', 'true', '[1]', '{}']);

/** Members of a Stratum-shaped object (key texts with quotes, value texts). */
function stratumMembers(rand: Rand): [string | Buffer, string | Buffer][] {
  const r = rand();
  const worker = (): string | Buffer => (chance(rand, 0.9) ? `"bench-farm.worker-${String(Math.floor(rand() * 500)).padStart(5, '0')}"` : stringText(rand));
  const hexArg = (bytes: number) => (): string | Buffer => (chance(rand, 0.95) ? `"${hex(rand, bytes)}"` : stringText(rand));
  if (r < 0.3) {
    // mining.submit, 5 or 6 params (version bits), as miners write it.
    const params = [worker, hexArg(2), hexArg(4), hexArg(4), hexArg(4)];
    if (chance(rand, 0.4)) params.push(hexArg(4));
    let k = 0;
    return [
      ['"id"', idText(rand)],
      ['"method"', '"mining.submit"'],
      ['"params"', arrayText(rand, 1, params.length, () => (params[k++] as () => string | Buffer)())],
    ];
  }
  if (r < 0.55) {
    // Answers: accepted, rejected as the pools do it.
    const error = pick(rand, ['null', 'null', 'null', '[23,"Low difficulty share",null]', '[21,"Job not found",""]', '{"code":22,"message":"duplicate share","data":null}', '"Stale"']);
    const result = error === 'null' ? pick(rand, ['true', 'true', 'true', 'false', 'null']) : pick(rand, ['null', 'false']);
    const m: [string, string | Buffer][] = [
      ['"id"', idText(rand)],
      ['"result"', chance(rand, 0.05) ? valueText(rand, 1) : result],
      ['"error"', error],
    ];
    if (chance(rand, 0.1)) m.push(['"reject-reason"', '"Above target"']);
    return m;
  }
  if (r < 0.7) {
    // mining.notify with a merkle branch up to mainnet depth.
    const branch = arrayText(rand, 2, Math.floor(rand() * 14), () => `"${hex(rand, 32)}"`);
    const strs = [hex(rand, 4), hex(rand, 32), hex(rand, 40 + Math.floor(rand() * 30)), hex(rand, 30 + Math.floor(rand() * 30))];
    const params = arrayText(rand, 1, 9, (() => {
      let k = 0;
      const items: (() => string | Buffer)[] = [...strs.map((s) => () => `"${s}"`), () => branch, () => '"20000000"', () => '"1703a30c"', () => '"6553f2a1"', () => pick(rand, ['true', 'false'])];
      return () => (items[k++] as () => string | Buffer)();
    })());
    return [
      ['"id"', 'null'],
      ['"method"', '"mining.notify"'],
      ['"params"', params],
    ];
  }
  if (r < 0.8) {
    return [
      ['"id"', chance(rand, 0.8) ? 'null' : idText(rand)],
      ['"method"', '"mining.set_difficulty"'],
      ['"params"', `[${pick(rand, NUMBERS)}]`],
    ];
  }
  if (r < 0.9) {
    // Any method, any params, maybe without id or params.
    const m: [string | Buffer, string | Buffer][] = [['"method"', stringText(rand)]];
    if (chance(rand, 0.8)) m.push(['"id"', idText(rand)]);
    if (chance(rand, 0.8)) m.push(['"params"', chance(rand, 0.9) ? arrayText(rand, 1, Math.floor(rand() * 4)) : valueText(rand, 1)]);
    return m;
  }
  // Anything with some of the keys.
  const keys = ['"id"', '"method"', '"params"', '"result"', '"error"', '"jsonrpc"', '"__proto__"', '"ID"', '"id "', '"m\\u0065thod"', '"\\u0069d"'];
  const m: [string | Buffer, string | Buffer][] = [];
  for (let i = Math.floor(rand() * 5); i > 0; i--) m.push([pick(rand, keys), valueText(rand, 1)]);
  return m;
}

const INTERESTING_BYTES = [0x22, 0x5c, 0x7b, 0x7d, 0x5b, 0x5d, 0x2c, 0x3a, 0x20, 0x00, 0x1f, 0x7f, 0x80, 0xc3, 0xe2, 0xff, 0x30, 0x2d, 0x65, 0x2e, 0x6e, 0x74];

function mutate(rand: Rand, line: Buffer): Buffer {
  let b = line;
  for (let n = 1 + Math.floor(rand() * 3); n > 0 && b.length > 0; n--) {
    const at = Math.floor(rand() * b.length);
    const r = rand();
    if (r < 0.3) b = b.subarray(0, at);
    else if (r < 0.55) b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
    else if (r < 0.85) b = Buffer.concat([b.subarray(0, at), Buffer.from([pick(rand, INTERESTING_BYTES)]), b.subarray(at)]);
    else {
      const other = Math.floor(rand() * b.length);
      b = Buffer.from(b);
      const x = b[at] as number;
      b[at] = b[other] as number;
      b[other] = x;
    }
  }
  return b;
}

/** One line: valid, near-valid or hostile. */
export function fuzzLine(rand: Rand): Buffer {
  const r = rand();
  let line: Buffer;
  if (r < 0.04) {
    line = join([valueText(rand, 0)]);
  } else if (r < 0.07) {
    line = Buffer.alloc(1 + Math.floor(rand() * 40));
    for (let i = 0; i < line.length; i++) line[i] = Math.floor(rand() * 256);
  } else {
    const members: [string | Buffer, string | Buffer][] = stratumMembers(rand);
    if (chance(rand, 0.1)) members.unshift(['"jsonrpc"', '"2.0"']);
    if (chance(rand, 0.3)) {
      for (let i = members.length - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [members[i], members[j]] = [members[j] as [string | Buffer, string | Buffer], members[i] as [string | Buffer, string | Buffer]];
      }
    }
    if (chance(rand, 0.05) && members.length > 0) {
      // A duplicate key: JSON.parse keeps the last one.
      const [k] = pick(rand, members);
      members.splice(Math.floor(rand() * (members.length + 1)), 0, [k, valueText(rand, 1)]);
    }
    line = memberText(rand, members, chance(rand, 0.15) ? 0.5 : 0);
  }
  if (chance(rand, 0.25)) line = mutate(rand, line);
  // The splitter cuts at \n: a line never holds one.
  const out = Buffer.from(line);
  for (let i = 0; i < out.length; i++) if (out[i] === 0x0a) out[i] = 0x20;
  return out;
}

/**
 * What the general path makes of one line (the oracle): JSON.parse of the decoded text, then
 * classifyStratumMessage; as the event minus connection, direction and time.
 */
export function generalPath(line: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(line.toString('utf8'));
  } catch {
    return { type: 'parse.error', reason: 'invalid_json', bytes: line.length };
  }
  const m = createClassifiedMessage();
  switch (classifyStratumMessage(value, m)) {
    case 'request':
      return { type: 'stratum.request', id: m.id, method: m.method, params: m.params };
    case 'notification':
      return { type: 'stratum.notification', method: m.method, params: m.params };
    case 'response':
      return { type: 'stratum.response', id: m.id, result: m.result, error: m.error };
    default:
      return { type: 'parse.error', reason: 'not_stratum', bytes: line.length };
  }
}

/** Every field a listener can read, read now (for lent events: during the listener call). */
export function snapshot(e: ProxyEvent): Record<string, unknown> {
  switch (e.type) {
    case 'stratum.request':
      return { type: e.type, connectionId: e.connectionId, direction: e.direction, t: e.t, id: e.id, method: e.method, params: e.params };
    case 'stratum.notification':
      return { type: e.type, connectionId: e.connectionId, direction: e.direction, t: e.t, method: e.method, params: e.params };
    case 'stratum.response':
      return { type: e.type, connectionId: e.connectionId, direction: e.direction, t: e.t, id: e.id, result: e.result, error: e.error };
    default:
      return { ...e };
  }
}

/**
 * A value as text that tells apart what toEqual may blur: -0 from 0, undefined from absent, key
 * order, own `__proto__` keys.
 */
export function canonical(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (typeof v !== 'object' || v === null) return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  return `{${Object.keys(v)
    .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
    .join(',')}}`;
}
