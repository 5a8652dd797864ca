// The pure half of the trace view: entry validation, the bounded buffer, filtering and
// formatting. No DOM here, so node tests import it as is (jest maps this file through swc)
// and the browser loads it as a plain ES module next to trace-view.js.

/** The two directions a line can travel, named from the relay's point of view. */
export const DIRECTIONS = Object.freeze(['miner_to_pool', 'pool_to_miner']);

/**
 * Distinct method names the method filter offers. Names come from the network, so a peer
 * inventing a new one per line must not grow the list without bound.
 */
export const MAX_METHOD_CHOICES = 64;

const ARROWS = Object.freeze({ miner_to_pool: '\u2192', pool_to_miner: '\u2190' });
const DIRECTION_LABELS = Object.freeze({ miner_to_pool: 'miner \u2192 pool', pool_to_miner: 'pool \u2192 miner' });

/**
 * The entry as the view keeps it, or null when the input is not an entry. Entries arrive as
 * JSON from an HTTP API; a malformed one is dropped (and counted by the view), never thrown.
 */
export function normalizeEntry(raw) {
  if (raw === null || typeof raw !== 'object') return null;
  const { t, direction, line, method, session } = raw;
  if (typeof t !== 'number' || !Number.isFinite(t)) return null;
  if (direction !== 'miner_to_pool' && direction !== 'pool_to_miner') return null;
  if (typeof line !== 'string') return null;
  const entry = { t, direction, line, method: typeof method === 'string' && method !== '' ? method : methodOfLine(line) };
  if (typeof session === 'string' || (typeof session === 'number' && Number.isFinite(session))) entry.session = session;
  return entry;
}

/**
 * The method a line names, for lines whose producer did not say: the `method` of a request
 * or notification, `reply` for an answer (a JSON-RPC response carries no method), '' when
 * the line is not a JSON object.
 */
export function methodOfLine(line) {
  let parsed;
  try {
    parsed = JSON.parse(line);
  } catch {
    return '';
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return '';
  if (typeof parsed.method === 'string') return parsed.method;
  if ('result' in parsed || 'error' in parsed) return 'reply';
  return '';
}

/** A filter with every field present: '' means "any". */
export function normalizeFilter(filter) {
  const f = filter !== null && typeof filter === 'object' ? filter : {};
  const direction = f.direction === 'miner_to_pool' || f.direction === 'pool_to_miner' ? f.direction : '';
  const method = typeof f.method === 'string' ? f.method : '';
  const text = typeof f.text === 'string' ? f.text : '';
  return { direction, method, text };
}

/** Whether a normalized entry passes a normalized filter; text matches without case. */
export function matchesFilter(entry, filter) {
  if (filter.direction !== '' && entry.direction !== filter.direction) return false;
  if (filter.method !== '' && entry.method !== filter.method) return false;
  if (filter.text !== '' && !entry.line.toLowerCase().includes(filter.text.toLowerCase())) return false;
  return true;
}

function pad(n, width) {
  return String(n).padStart(width, '0');
}

/** `HH:MM:SS.mmm` in the browser's local time: the operator compares it with a wall clock. */
export function formatTime(t) {
  const d = new Date(t);
  if (Number.isNaN(d.getTime())) return '';
  return `${pad(d.getHours(), 2)}:${pad(d.getMinutes(), 2)}:${pad(d.getSeconds(), 2)}.${pad(d.getMilliseconds(), 3)}`;
}

/** The arrow shown for a direction (miner on the left, pool on the right). */
export function directionArrow(direction) {
  return ARROWS[direction] ?? '?';
}

/** The words behind the arrow, for its tooltip and the direction filter. */
export function directionLabel(direction) {
  return DIRECTION_LABELS[direction] ?? String(direction);
}

/** The line indented as JSON when it is JSON, else the line itself. */
export function prettyLine(line) {
  try {
    return JSON.stringify(JSON.parse(line), null, 2);
  } catch {
    return line;
  }
}

/**
 * The last `maxRows` entries in arrival order. A ring over a fixed array, so appending to
 * a full buffer costs the same as appending to an empty one.
 */
export class TraceBuffer {
  constructor(maxRows) {
    if (!Number.isInteger(maxRows) || maxRows < 1) throw new RangeError(`maxRows must be an integer >= 1, got ${String(maxRows)}`);
    this.capacity = maxRows;
    this.slots = new Array(maxRows);
    this.start = 0;
    this.size = 0;
  }

  /** Adds an entry; returns the entry it pushed out, or undefined while there is room. */
  push(entry) {
    if (this.size < this.capacity) {
      this.slots[(this.start + this.size) % this.capacity] = entry;
      this.size += 1;
      return undefined;
    }
    const evicted = this.slots[this.start];
    this.slots[this.start] = entry;
    this.start = (this.start + 1) % this.capacity;
    return evicted;
  }

  /** Oldest first. */
  toArray() {
    const out = new Array(this.size);
    for (let i = 0; i < this.size; i += 1) out[i] = this.slots[(this.start + i) % this.capacity];
    return out;
  }

  clear() {
    this.slots = new Array(this.capacity);
    this.start = 0;
    this.size = 0;
  }
}

/**
 * The method names seen so far, sorted, capped at MAX_METHOD_CHOICES. `add` says whether the
 * list changed, so the view rebuilds its <select> only then.
 */
export class MethodChoices {
  constructor(limit = MAX_METHOD_CHOICES) {
    this.limit = limit;
    this.names = new Set();
  }

  add(method) {
    if (method === '' || this.names.has(method) || this.names.size >= this.limit) return false;
    this.names.add(method);
    return true;
  }

  list() {
    return [...this.names].sort();
  }

  clear() {
    this.names.clear();
  }
}
