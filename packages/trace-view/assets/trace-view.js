// A live table of Stratum lines: time, direction, method, session, the line (pretty JSON on
// click), a filter bar, bounded rows, and auto-scroll that pauses while the user reads
// further up. Lines come from the network: every string reaches the page through
// textContent or a text node, never parsed as markup.
import {
  DIRECTIONS,
  MethodChoices,
  TraceBuffer,
  directionArrow,
  directionLabel,
  formatTime,
  matchesFilter,
  normalizeEntry,
  normalizeFilter,
  prettyLine,
} from './trace-model.js';

/** How close to the bottom (px) still counts as "at the bottom" for auto-scroll. */
const FOLLOW_SLACK_PX = 8;

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function option(value, label) {
  const node = document.createElement('option');
  node.value = value;
  node.textContent = label;
  return node;
}

/**
 * Builds the view inside `container` (its children are replaced).
 * @param {HTMLElement} container
 * @param {{ maxRows?: number }} [options] rows kept (oldest dropped first); default 1000
 * @returns {{ setEntries(entries: object[]): void, append(entry: object): boolean,
 *   setFilter(filter: { direction?: string, method?: string, text?: string }): void, clear(): void }}
 */
export function createTraceView(container, { maxRows = 1000 } = {}) {
  const buffer = new TraceBuffer(maxRows);
  const methods = new MethodChoices();
  /** Entry -> its <tr>, for the entries that pass the filter. */
  const rows = new Map();
  /** Entries whose line is shown expanded (pretty JSON). */
  const expanded = new WeakSet();
  let filter = normalizeFilter({});
  let follow = true;
  let dropped = 0;

  // --- skeleton --------------------------------------------------------------------------
  const root = el('div', 'trace-view');
  const bar = el('div', 'tv-bar');
  const directionSelect = el('select', 'tv-filter-direction');
  directionSelect.setAttribute('aria-label', 'direction');
  directionSelect.append(option('', 'both directions'), ...DIRECTIONS.map((d) => option(d, directionLabel(d))));
  const methodSelect = el('select', 'tv-filter-method');
  methodSelect.setAttribute('aria-label', 'method');
  const textInput = el('input', 'tv-filter-text');
  textInput.type = 'search';
  textInput.placeholder = 'filter text';
  textInput.setAttribute('aria-label', 'text');
  const count = el('span', 'tv-count');
  const followButton = el('button', 'tv-follow', 'follow \u2193');
  followButton.type = 'button';
  followButton.hidden = true;
  bar.append(directionSelect, methodSelect, textInput, count, followButton);

  const scroller = el('div', 'tv-scroll');
  const table = el('table', 'tv-table');
  const head = el('thead');
  const headRow = el('tr');
  for (const name of ['time', '', 'method', 'session', 'line']) headRow.append(el('th', undefined, name));
  head.append(headRow);
  const body = el('tbody');
  table.append(head, body);
  scroller.append(table);
  root.append(bar, scroller);
  container.replaceChildren(root);

  // --- rendering -------------------------------------------------------------------------
  function renderLineCell(cell, entry) {
    if (expanded.has(entry)) {
      cell.replaceChildren(el('pre', 'tv-pretty', prettyLine(entry.line)));
      cell.classList.add('tv-expanded');
    } else {
      cell.replaceChildren(el('code', 'tv-raw', entry.line));
      cell.classList.remove('tv-expanded');
    }
  }

  function buildRow(entry) {
    const tr = el('tr', 'tv-row');
    tr.dataset.direction = entry.direction;
    const time = el('td', 'tv-time', formatTime(entry.t));
    time.title = new Date(entry.t).toISOString();
    const arrow = el('td', 'tv-dir', directionArrow(entry.direction));
    arrow.title = directionLabel(entry.direction);
    const method = el('td', 'tv-method', entry.method);
    const session = el('td', 'tv-session', entry.session === undefined ? '' : String(entry.session));
    const line = el('td', 'tv-line');
    line.tabIndex = 0;
    line.title = 'click to show as JSON';
    renderLineCell(line, entry);
    const toggle = () => {
      if (expanded.has(entry)) expanded.delete(entry);
      else expanded.add(entry);
      renderLineCell(line, entry);
    };
    line.addEventListener('click', toggle);
    line.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' || ev.key === ' ') {
        ev.preventDefault();
        toggle();
      }
    });
    tr.append(time, arrow, method, session, line);
    return tr;
  }

  function renderMethodOptions() {
    const names = methods.list();
    // A filter set from outside may name a method the capped list does not hold yet.
    if (filter.method !== '' && !names.includes(filter.method)) names.push(filter.method);
    methodSelect.replaceChildren(option('', 'all methods'), ...names.map((m) => option(m, m)));
    methodSelect.value = filter.method;
  }

  function renderCount() {
    const text = `${rows.size} of ${buffer.size} lines`;
    count.textContent = dropped > 0 ? `${text} (${dropped} malformed dropped)` : text;
  }

  function scrollToEnd() {
    scroller.scrollTop = scroller.scrollHeight;
  }

  function rebuild() {
    rows.clear();
    const fragment = document.createDocumentFragment();
    for (const entry of buffer.toArray()) {
      if (!matchesFilter(entry, filter)) continue;
      const tr = buildRow(entry);
      rows.set(entry, tr);
      fragment.append(tr);
    }
    body.replaceChildren(fragment);
    renderCount();
    if (follow) scrollToEnd();
  }

  function setFollow(on) {
    follow = on;
    followButton.hidden = on;
    root.classList.toggle('tv-paused', !on);
  }

  // --- input -----------------------------------------------------------------------------
  function readControls() {
    filter = normalizeFilter({ direction: directionSelect.value, method: methodSelect.value, text: textInput.value });
    rebuild();
  }
  directionSelect.addEventListener('change', readControls);
  methodSelect.addEventListener('change', readControls);
  textInput.addEventListener('input', readControls);
  followButton.addEventListener('click', () => {
    setFollow(true);
    scrollToEnd();
  });
  scroller.addEventListener('scroll', () => {
    const atEnd = scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight - FOLLOW_SLACK_PX;
    if (atEnd !== follow) setFollow(atEnd);
  });

  /** Adds one entry without a rebuild; returns whether a row was added to the buffer. */
  function add(raw) {
    const entry = normalizeEntry(raw);
    if (entry === null) {
      dropped += 1;
      return false;
    }
    if (methods.add(entry.method)) renderMethodOptions();
    const evicted = buffer.push(entry);
    if (evicted !== undefined) {
      const old = rows.get(evicted);
      if (old !== undefined) {
        // Keep what the reader is looking at in place while rows leave above it.
        if (!follow) scroller.scrollTop -= old.offsetHeight;
        old.remove();
        rows.delete(evicted);
      }
    }
    if (matchesFilter(entry, filter)) {
      const tr = buildRow(entry);
      rows.set(entry, tr);
      body.append(tr);
    }
    return true;
  }

  renderMethodOptions();
  renderCount();

  return {
    /** Replaces every row with `entries` (oldest first); the last `maxRows` are kept. */
    setEntries(entries) {
      buffer.clear();
      dropped = 0;
      // Method choices are kept: a page that polls with setEntries keeps a stable <select>.
      let methodsChanged = false;
      for (const raw of Array.isArray(entries) ? entries : []) {
        const entry = normalizeEntry(raw);
        if (entry === null) dropped += 1;
        else {
          if (methods.add(entry.method)) methodsChanged = true;
          buffer.push(entry);
        }
      }
      if (methodsChanged) renderMethodOptions();
      rebuild();
    },
    /** Adds one entry at the bottom; a malformed entry is counted and dropped. */
    append(raw) {
      const added = add(raw);
      renderCount();
      if (added && follow) scrollToEnd();
      return added;
    },
    /** Sets the filter (missing fields mean "any") and updates the filter bar to match. */
    setFilter(next) {
      filter = normalizeFilter(next);
      directionSelect.value = filter.direction;
      textInput.value = filter.text;
      renderMethodOptions();
      rebuild();
    },
    /** Removes every row; the filter stays. */
    clear() {
      buffer.clear();
      methods.clear();
      dropped = 0;
      renderMethodOptions();
      rebuild();
    },
  };
}
