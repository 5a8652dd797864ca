// The /ui dashboard of stratum-relay: plain ES module, no framework, no build step, nothing from
// the internet. Data comes from /api/* on this origin; every string from the network reaches the
// page as text (textContent), never as markup.
import { createTraceView } from './trace-view/trace-view.js';

const TOKEN_KEY = 'stratum-relay-metrics-token';
/** Workers are refetched at most this often (the farm event arrives every 2 s). */
const WORKERS_REFRESH_MS = 2000;
const TRACE_LIMIT = 400;

const $ = (id) => document.getElementById(id);

let token = localStorage.getItem(TOKEN_KEY);
let connections = [];
let sort = { key: 'hashrate', dir: -1 };
let selected = null;
let stream = null;
let lastWorkersFetch = 0;
const traceView = createTraceView($('trace'), { maxRows: 2000 });

// --- HTTP --------------------------------------------------------------------------------

class Unauthorized extends Error {}

/** fetch with the metrics token as a Bearer header (when one was given). */
function authFetch(path, init = {}) {
  const headers = new Headers(init.headers);
  if (token) headers.set('Authorization', `Bearer ${token}`);
  return fetch(path, { ...init, headers });
}

async function api(path) {
  const res = await authFetch(path);
  if (res.status === 401) throw new Unauthorized();
  if (!res.ok) throw new Error(`${path}: ${res.status}`);
  return res.json();
}

function askToken(message) {
  $('token-form').hidden = false;
  $('token-error').textContent = message ?? '';
  $('token').focus();
}

$('token-form').addEventListener('submit', (event) => {
  event.preventDefault();
  token = $('token').value.trim();
  localStorage.setItem(TOKEN_KEY, token);
  $('token-form').hidden = true;
  restartStream();
});

// --- formatting --------------------------------------------------------------------------

function si(value, unit) {
  if (!Number.isFinite(value)) return '–';
  // Test pools and small miners use share difficulties far below 1.
  if (value !== 0 && Math.abs(value) < 1) return `${Number(value.toPrecision(3))}${unit ? ` ${unit}` : ''}`;
  const prefixes = ['', 'k', 'M', 'G', 'T', 'P', 'E', 'Z'];
  let i = 0;
  let v = value;
  while (Math.abs(v) >= 1000 && i < prefixes.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toFixed(v >= 100 || i === 0 ? 0 : v >= 10 ? 1 : 2)} ${prefixes[i]}${unit}`;
}
const hashrate = (h) => si(h, 'H/s');
const count = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–');
const num = (n) => (n === null || n === undefined ? '–' : si(n, ''));

function age(seconds) {
  if (!Number.isFinite(seconds)) return '–';
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

function since(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '–' : d.toLocaleString();
}

function reasons(map) {
  return Object.entries(map ?? {})
    .map(([k, v]) => `${k} ${count(v)}`)
    .join(', ');
}

function cell(tr, text, className) {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  tr.append(td);
  return td;
}

// --- farm --------------------------------------------------------------------------------

function renderFarm(farm) {
  $('hashrate-1m').textContent = hashrate(farm.hashrate1m);
  $('hashrate-10m').textContent = hashrate(farm.hashrate10m);
  $('accepted').textContent = count(farm.accepted);
  $('rejected').textContent = count(farm.rejected);
  $('rejected-reasons').textContent = reasons(farm.rejectedByReason);
  $('reject-ratio').textContent = `${(farm.rejectRatio * 100).toFixed(2)} %`;
  $('blocks').textContent = count(farm.blockCandidates);
  $('best-share').textContent = num(farm.bestShare);
  $('connections').textContent = count(farm.connections);
  const refused = reasons(farm.refusals);
  $('refusals').textContent = refused ? `refused: ${refused}` : '';
  $('failover').hidden = !farm.failover;
  const body = $('pools').tBodies[0];
  body.replaceChildren();
  for (const p of farm.pools) {
    const tr = document.createElement('tr');
    cell(tr, p.name);
    cell(tr, p.priority === 0 ? '0 (primary)' : String(p.priority));
    cell(tr, p.state, `state-${p.state}`);
    cell(tr, count(p.miners), 'num');
    cell(tr, count(p.failovers), 'num');
    body.append(tr);
  }
  renderChart(farm.history ?? []);
}

const SVG = 'http://www.w3.org/2000/svg';

/** Hashrate as a line and rejects as bars over the last hour, hand-drawn in the 600x120 viewBox. */
function renderChart(points) {
  const svg = $('chart');
  svg.replaceChildren();
  if (points.length === 0) return;
  const end = points[points.length - 1].t;
  const start = end - 3600_000;
  const x = (t) => ((t - start) / 3600_000) * 600;
  const maxH = Math.max(...points.map((p) => p.hashrate), 1);
  const maxR = Math.max(...points.map((p) => p.rejects), 1);
  for (const p of points) {
    if (p.rejects === 0) continue;
    const bar = document.createElementNS(SVG, 'rect');
    const h = (p.rejects / maxR) * 40;
    bar.setAttribute('class', 'rej');
    bar.setAttribute('x', String(x(p.t) - 1));
    bar.setAttribute('y', String(120 - h));
    bar.setAttribute('width', '2');
    bar.setAttribute('height', String(h));
    svg.append(bar);
  }
  const line = document.createElementNS(SVG, 'polyline');
  line.setAttribute('class', 'hash');
  line.setAttribute('points', points.map((p) => `${x(p.t).toFixed(1)},${(115 - (p.hashrate / maxH) * 105).toFixed(1)}`).join(' '));
  const title = document.createElementNS(SVG, 'title');
  title.textContent = `peak ${hashrate(maxH)}, most rejects in 10 s: ${maxR}`;
  svg.append(line, title);
}

// --- workers -----------------------------------------------------------------------------

function sortValue(c, key) {
  if (key === 'validRejected') return c.auditVerdicts?.valid_rejected ?? 0;
  if (key === 'since') return Date.parse(c.since);
  const v = c[key];
  return v === null || v === undefined ? -Infinity : v;
}

function visibleConnections() {
  const f = $('filter').value.trim().toLowerCase();
  const rows = f
    ? connections.filter((c) => [c.worker, c.pool, c.remoteAddress, String(c.connectionId)].some((v) => v && String(v).toLowerCase().includes(f)))
    : connections.slice();
  rows.sort((a, b) => {
    const va = sortValue(a, sort.key);
    const vb = sortValue(b, sort.key);
    const order = typeof va === 'string' || typeof vb === 'string' ? String(va ?? '').localeCompare(String(vb ?? '')) : va - vb;
    return order * sort.dir || a.connectionId - b.connectionId;
  });
  return rows;
}

function renderWorkers() {
  const body = $('workers').tBodies[0];
  const fragment = document.createDocumentFragment();
  for (const c of visibleConnections()) {
    const tr = document.createElement('tr');
    tr.dataset.connection = String(c.connectionId);
    if (c.stale) tr.classList.add('stale');
    if (c.closedAt) tr.classList.add('closed');
    if (c.connectionId === selected) tr.classList.add('selected');
    tr.title = c.closedAt ? `closed ${since(c.closedAt)}: ${c.closeReason}` : c.stale ? 'stale: no share for 5x its expected interval' : '';
    cell(tr, c.worker ?? `(connection ${c.connectionId})`);
    cell(tr, c.pool ?? '–');
    cell(tr, c.remoteAddress);
    cell(tr, since(c.since));
    cell(tr, hashrate(c.hashrate), 'num');
    cell(tr, c.lastShareAt ? age(c.lastShareAgeSeconds) : 'none', 'num');
    cell(tr, num(c.difficulty), 'num');
    cell(tr, count(c.accepted), 'num');
    cell(tr, count(c.rejected), 'num').title = reasons(c.rejectedByReason);
    const vr = c.auditVerdicts?.valid_rejected ?? 0;
    cell(tr, count(vr), vr > 0 ? 'num bad' : 'num');
    cell(tr, num(c.bestShare), 'num');
    fragment.append(tr);
  }
  body.replaceChildren(fragment);
  for (const th of $('workers').tHead.rows[0].cells) {
    if (th.dataset.sort === sort.key) th.setAttribute('aria-sort', sort.dir > 0 ? 'ascending' : 'descending');
    else th.removeAttribute('aria-sort');
  }
  if (selected !== null) renderDetails(connections.find((c) => c.connectionId === selected));
}

async function refreshWorkers(force = false) {
  const now = Date.now();
  if (!force && now - lastWorkersFetch < WORKERS_REFRESH_MS) return;
  lastWorkersFetch = now;
  const answer = await api('/api/connections');
  connections = answer.connections;
  // WORKERS > 1: a worker process that did not answer in time; its connections are not listed.
  const missing = answer.missingWorkers ?? [];
  $('missing-workers').hidden = missing.length === 0;
  $('missing-workers').textContent = missing.length === 0 ? '' : `worker process ${missing.join(', ')} did not answer: its connections are missing`;
  renderWorkers();
}

$('workers').tHead.addEventListener('click', (event) => {
  const th = event.target.closest('th[data-sort]');
  if (!th) return;
  const key = th.dataset.sort;
  sort = sort.key === key ? { key, dir: -sort.dir } : { key, dir: key === 'worker' || key === 'pool' || key === 'remoteAddress' ? 1 : -1 };
  renderWorkers();
});
$('filter').addEventListener('input', renderWorkers);
$('workers').tBodies[0].addEventListener('click', (event) => {
  const tr = event.target.closest('tr[data-connection]');
  if (tr) void select(Number(tr.dataset.connection));
});

// --- one connection ----------------------------------------------------------------------

function renderDetails(c) {
  const dl = $('conn-details');
  dl.replaceChildren();
  if (!c) return;
  $('conn-title').textContent = `#${c.connectionId} ${c.worker ?? ''}${c.closedAt ? ' (closed)' : ''}`;
  const rows = [
    ['worker', c.worker ?? '–'],
    ['pool', c.pool ?? '–'],
    ['address', `${c.remoteAddress}:${c.remotePort}`],
    ...(c.workerId === undefined ? [] : [['worker process', String(c.workerId)]]),
    ['since', since(c.since)],
    ['closed', c.closedAt ? `${since(c.closedAt)} (${c.closeReason})` : 'open'],
    ['hashrate', hashrate(c.hashrate)],
    ['difficulty', num(c.difficulty)],
    ['expected share interval', c.expectedShareIntervalSeconds === null ? '–' : age(c.expectedShareIntervalSeconds)],
    ['last share', c.lastShareAt ? `${age(c.lastShareAgeSeconds)} ago` : 'none'],
    ['submits', count(c.submits)],
    ['accepted', count(c.accepted)],
    ['rejected', `${count(c.rejected)} ${reasons(c.rejectedByReason)}`],
    ['audit', reasons(c.auditVerdicts) || '–'],
    ['best share', num(c.bestShare)],
    ['block candidates', count(c.blockCandidates)],
    ['bytes sent / received', `${si(c.bytesSent, 'B')} / ${si(c.bytesReceived, 'B')}`],
  ];
  for (const [k, v] of rows) {
    const div = document.createElement('div');
    const dt = document.createElement('dt');
    const dd = document.createElement('dd');
    dt.textContent = k;
    dd.textContent = v;
    div.append(dt, dd);
    dl.append(div);
  }
}

async function loadTrace() {
  if (selected === null) return;
  const res = await authFetch(`/api/trace?connection=${selected}&limit=${TRACE_LIMIT}`);
  if (res.status === 401) throw new Unauthorized();
  traceView.setEntries(res.ok ? (await res.json()).entries : []);
}

async function select(connectionId) {
  selected = connectionId;
  $('connection').hidden = false;
  renderWorkers();
  traceView.clear();
  // The stream follows the selected connection: reopened with ?connection=, it loads the trace first.
  restartStream();
  $('connection').scrollIntoView({ block: 'nearest' });
}

$('close-connection').addEventListener('click', () => {
  selected = null;
  $('connection').hidden = true;
  renderWorkers();
  restartStream();
});

$('bundle').addEventListener('click', async () => {
  if (selected === null) return;
  // A plain link cannot carry the token: fetch it, then save the blob.
  const res = await authFetch(`/api/debug/bundle/${selected}`);
  if (res.status === 401) return askToken('the token was refused');
  if (!res.ok) return;
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = `stratum-relay-connection-${selected}.json`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
});

// --- live: Server-Sent Events read with fetch() (EventSource cannot send the token) ---------

function setLive(on, text) {
  $('live').classList.toggle('off', !on);
  $('live').textContent = text;
}

/** Reads text/event-stream from `res` and calls onEvent(name, data) per event. */
async function readEvents(res, onEvent, signal) {
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  while (!signal.aborted) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf('\n\n')) !== -1) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let name = 'message';
      const data = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) name = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (data.length > 0) onEvent(name, JSON.parse(data.join('\n')));
    }
  }
}

function onEvent(name, data) {
  if (name === 'farm') {
    renderFarm(data);
    refreshWorkers().catch(onError);
  } else if (name === 'trace' && data.connectionId === selected) {
    for (const entry of data.entries) traceView.append({ ...entry, session: data.connectionId });
  }
}

function onError(error) {
  if (error instanceof Unauthorized) askToken(token ? 'the token was refused' : undefined);
}

/**
 * Keeps one stream open, reconnecting with a growing pause (1 s to 10 s). Each (re)connection
 * first reloads the current state — workers, and the selected connection's trace — then follows
 * the stream: nothing is missed across a drop, lines that passed meanwhile come with the reload.
 */
async function runStream(signal) {
  let pause = 1000;
  while (!signal.aborted) {
    try {
      const watch = selected === null ? '' : `?connection=${selected}`;
      const res = await authFetch(`/api/events${watch}`, { signal, headers: { Accept: 'text/event-stream' } });
      if (res.status === 401) throw new Unauthorized();
      if (!res.ok) throw new Error(`/api/events: ${res.status}`);
      await refreshWorkers(true);
      await loadTrace();
      setLive(true, 'live');
      pause = 1000;
      await readEvents(res, onEvent, signal);
    } catch (error) {
      if (signal.aborted) return;
      if (error instanceof Unauthorized) {
        setLive(false, 'token needed');
        onError(error);
        return;
      }
    }
    if (signal.aborted) return;
    setLive(false, 'reconnecting…');
    await new Promise((resolve) => setTimeout(resolve, pause));
    pause = Math.min(pause * 2, 10_000);
  }
}

function restartStream() {
  stream?.abort();
  stream = new AbortController();
  void runStream(stream.signal);
}

restartStream();
