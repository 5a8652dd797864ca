// pool-sim's page: state and sessions from GET /api/state, the live trace from
// GET /api/traces, the profile switch through POST /profile. It polls (state every 2 s,
// traces every second with `since=<last seq>`): no connection is held open, and the page
// picks up where it was after the pool restarts. Everything from the pool reaches the DOM
// through textContent (worker names and lines come from miners).
import { createTraceView } from '/ui/trace-view/trace-view.js';

const STATE_EVERY_MS = 2000;
const TRACE_EVERY_MS = 1000;
/** Lines asked for per poll; also the trace view's row bound. */
const TRACE_BATCH = 1000;

const $ = (id) => document.getElementById(id);
const view = createTraceView($('trace'), { maxRows: TRACE_BATCH });

/** The trace poller's position: the last seq seen, and which session it follows ('' = all). */
let since = null;
let traceSession = '';
let profilesShown = '';

function setStatus(text, isError) {
  const status = $('status');
  status.textContent = text;
  status.classList.toggle('error', isError);
}

async function getJson(path, init) {
  const res = await fetch(path, init);
  const body = await res.json();
  if (!res.ok) throw new Error(typeof body.error === 'string' ? body.error : `HTTP ${res.status}`);
  return body;
}

function td(text, className) {
  const cell = document.createElement('td');
  cell.textContent = text;
  if (className) cell.className = className;
  return cell;
}

function sum(values) {
  return values.reduce((a, b) => a + b, 0);
}

function ageText(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  return `${Math.floor(s / 3600)}h ago`;
}

function renderProfiles(state) {
  const key = state.profiles.join(',');
  const select = $('profile-select');
  if (key !== profilesShown) {
    profilesShown = key;
    select.replaceChildren(
      ...state.profiles.map((name) => {
        const o = document.createElement('option');
        o.value = name;
        o.textContent = name;
        return o;
      }),
    );
  }
  // Follow the pool unless the user is choosing right now.
  if (document.activeElement !== select) select.value = state.profile;
}

function renderSummary(state) {
  const s = state.stats;
  $('pool-name').textContent = state.name ?? '';
  $('profile').textContent = state.profile;
  $('tip-height').textContent = String(state.tip.height);
  $('job-id').textContent = state.job === null ? '–' : state.job.id;
  $('sessions-open').textContent = `${s.sessions.open} / ${s.sessions.total}`;
  $('accepted').textContent = String(s.totals.accepted);
  const reasons = Object.entries(s.totals.rejected).filter(([, n]) => n > 0);
  $('rejected').textContent = String(sum(reasons.map(([, n]) => n)));
  $('rejected-reasons').textContent = reasons.map(([r, n]) => `${r} ${n}`).join(', ');
  $('dropped').textContent = String(s.totals.dropped);
  $('blocks').textContent = String(s.blockCandidates);
}

function renderSessions(state) {
  const now = Date.now();
  const rows = state.sessions.map((session) => {
    const tr = document.createElement('tr');
    tr.dataset.session = String(session.id);
    if (String(session.id) === traceSession) tr.className = 'selected';
    const rejected = sum(Object.values(session.shares.rejected));
    const remote = session.remote === null ? '' : `${session.remote.address}:${session.remote.port}`;
    const link = document.createElement('a');
    link.href = `/api/debug/bundle/${session.id}`;
    link.download = `pool-sim-session-${session.id}.json`;
    link.textContent = 'bundle';
    const linkCell = document.createElement('td');
    linkCell.append(link);
    tr.append(
      td(String(session.id)),
      td(session.workers.join(', '), 'workers'),
      td(remote),
      td(String(session.difficulty)),
      td(String(session.shares.accepted)),
      td(String(rejected), rejected > 0 ? 'rejected' : ''),
      td(ageText(now - session.connectedAt)),
      linkCell,
    );
    tr.addEventListener('click', (ev) => {
      if (ev.target instanceof HTMLAnchorElement) return;
      followSession(String(session.id));
    });
    return tr;
  });
  $('sessions-table').tBodies[0].replaceChildren(...rows);
  $('sessions-hint').textContent =
    state.sessionsOmitted > 0 ? `(first ${state.sessions.length}; ${state.sessionsOmitted} more open)` : 'click a row to trace it';
  renderTraceSessions(state);
}

function renderTraceSessions(state) {
  const select = $('trace-session');
  const ids = state.sessions.map((s) => String(s.id));
  // The followed session stays choosable after it closes.
  if (traceSession !== '' && !ids.includes(traceSession)) ids.push(traceSession);
  const key = ids.join(',');
  if (select.dataset.key === key) return;
  select.dataset.key = key;
  const all = document.createElement('option');
  all.value = '';
  all.textContent = 'all sessions';
  select.replaceChildren(
    all,
    ...ids.map((id) => {
      const o = document.createElement('option');
      o.value = id;
      o.textContent = `session ${id}`;
      return o;
    }),
  );
  select.value = traceSession;
}

function toEntry(r) {
  return { t: r.t, direction: r.direction, line: r.line, method: r.method ?? undefined, session: r.session };
}

function followSession(id) {
  traceSession = id;
  $('trace-session').value = id;
  for (const tr of $('sessions-table').tBodies[0].rows) tr.classList.toggle('selected', tr.dataset.session === id);
  since = null;
  void pollTraces();
}

async function pollState() {
  try {
    const state = await getJson('/api/state');
    renderProfiles(state);
    renderSummary(state);
    renderSessions(state);
    setStatus(`updated ${new Date().toLocaleTimeString()}`, false);
  } catch (err) {
    setStatus(`cannot reach pool-sim (${err.message}); retrying`, true);
  }
}

let tracePolling = false;
async function pollTraces() {
  if (tracePolling) return;
  tracePolling = true;
  try {
    const params = new URLSearchParams({ limit: String(TRACE_BATCH) });
    if (traceSession !== '') params.set('session', traceSession);
    if (since !== null) params.set('since', String(since));
    const asked = { session: traceSession, since };
    const body = await getJson(`/api/traces?${params}`);
    // The user switched sessions while this poll was out: its answer is for the old one.
    if (asked.session !== traceSession || asked.since !== since) return;
    if (!body.enabled) {
      view.clear();
      setStatus('tracing is off (pool-sim --trace-entries 0)', false);
      return;
    }
    if (since === null || body.lastSeq < since) {
      // First poll, another session, or the pool restarted (its seq began again): start over.
      view.setEntries(body.traces.map(toEntry));
    } else {
      for (const r of body.traces) view.append(toEntry(r));
    }
    since = body.lastSeq;
  } catch (err) {
    setStatus(`cannot read the trace (${err.message}); retrying`, true);
  } finally {
    tracePolling = false;
  }
}

$('profile-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const name = $('profile-select').value;
  try {
    await getJson(`/profile?name=${encodeURIComponent(name)}`, { method: 'POST' });
    setStatus(`switched to ${name}`, false);
    $('profile-select').blur();
    await pollState();
  } catch (err) {
    setStatus(`profile switch failed: ${err.message}`, true);
  }
});

$('trace-session').addEventListener('change', (ev) => followSession(ev.target.value));

void pollState();
void pollTraces();
setInterval(() => void pollState(), STATE_EVERY_MS);
setInterval(() => void pollTraces(), TRACE_EVERY_MS);
