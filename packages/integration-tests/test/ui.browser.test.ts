import { readFileSync } from 'node:fs';
import { startPoolSimProcess, startProxyProcess, spawnNode, type PoolSimProcess, type ProxyProcess, type TrackedProcess } from '../src';
import { BINS } from '../src/paths';
import { openBrowser, type BrowserSession } from './helpers/browser';

const TOKEN = 'ui-browser-test-token-7f3a';
const PASSWORD = 'sekrit-pass-91';

/**
 * The /ui dashboard in a real browser (Debian's Chromium) while miner-sim mines through the proxy
 * to pool-sim, with METRICS_TOKEN set: the page asks for the token, the farm's hashrate and share
 * counts move, the workers table sorts, a worker's connection shows its trace growing live, and
 * its debug bundle downloads with the trace, the password masked and no secret. Once with one
 * process (it writes the screenshots), once with WORKERS=2 (the primary merges both workers).
 */
describe.each([
  { workers: 1, screenshots: true },
  { workers: 2, screenshots: false },
])('/ui in Chromium with WORKERS=$workers', ({ workers: workerCount, screenshots }) => {
  let pool: PoolSimProcess;
  let proxy: ProxyProcess;
  let miners: TrackedProcess;
  let session: BrowserSession;

  beforeAll(async () => {
    // 4 miners at 50 kH/s against difficulty 0.00002: about one share per miner every 1.7 s.
    pool = await startPoolSimProcess(['--difficulty', '0.00002', '--job-interval', '2s']);
    proxy = await startProxyProcess({ poolHost: '127.0.0.1', poolPort: pool.port, env: { METRICS_TOKEN: TOKEN, TRACE_LINES: '200', WORKERS: String(workerCount) } });
    miners = spawnNode(BINS.minerSim, ['--url', `127.0.0.1:${proxy.proxyPort}`, '--miners', '4', '--hashrate', '50k', '--duration', '90', '--user', 'rig', '--password', PASSWORD]);
    session = await openBrowser({ width: 1280, height: 1000 });
  }, 60_000);

  afterAll(async () => {
    await session?.close();
    await miners?.stop({ signal: 'SIGTERM', graceMs: 5_000 });
    await proxy?.stop();
    await pool?.stop();
  });

  it('shows the farm live, sorts workers, follows a connection\'s trace and downloads its bundle', async () => {
    const page = session.page;
    await page.goto(`http://127.0.0.1:${proxy.metricsPort}/ui`);
    // The token is asked once; the API refuses the page without it.
    await page.locator('#token').fill(TOKEN);
    await page.locator('#token-form button').click();
    await page.locator('#live:not(.off)').waitFor({ timeout: 15_000 });

    const accepted = async (): Promise<number> => Number((await page.locator('#accepted').textContent())?.replace(/,/g, '') ?? NaN);
    // Page-side expressions as strings: this package's TypeScript has no DOM types.
    const acceptedJs = "Number(document.getElementById('accepted').textContent.replace(/,/g, ''))";
    await page.waitForFunction(`${acceptedJs} > 0`, null, { timeout: 20_000 });
    const first = await accepted();
    await page.waitForFunction(`${acceptedJs} > ${first}`, null, { timeout: 15_000 });
    expect(await accepted()).toBeGreaterThan(first);
    await page.waitForFunction("/[1-9]/.test(document.getElementById('hashrate-1m').textContent)", null, { timeout: 15_000 });
    expect(await page.locator('#hashrate-1m').textContent()).toMatch(/H\/s$/);
    await page.locator('#workers tbody tr').nth(3).waitFor({ timeout: 10_000 });
    if (screenshots) await session.screenshot('ui-farm');

    // Sort by worker, both ways.
    const workers = async (): Promise<string[]> => page.locator('#workers tbody tr td:first-child').allTextContents();
    await page.locator('#workers th[data-sort="worker"]').click();
    expect(await page.locator('#workers th[data-sort="worker"]').getAttribute('aria-sort')).toBe('ascending');
    const ascending = await workers();
    expect(ascending).toEqual([...ascending].sort());
    await page.locator('#workers th[data-sort="worker"]').click();
    expect(await page.locator('#workers th[data-sort="worker"]').getAttribute('aria-sort')).toBe('descending');
    expect(await workers()).toEqual([...ascending].reverse());

    // Open one worker's connection: its trace is there and grows as lines pass.
    await page.locator('#workers tbody tr', { hasText: 'rig.2' }).first().click();
    await page.locator('#connection').waitFor({ state: 'visible' });
    const rows = page.locator('#trace .tv-row');
    await page.waitForFunction("document.querySelectorAll('#trace .tv-row').length > 3", null, { timeout: 10_000 });
    const before = await rows.count();
    await page.waitForFunction(`document.querySelectorAll('#trace .tv-row').length > ${before}`, null, { timeout: 15_000 });
    expect(await page.locator('#trace').textContent()).toContain('mining.authorize');
    expect(await page.locator('#trace').textContent()).not.toContain(PASSWORD);
    if (screenshots) await session.screenshot('ui-connection');
    // Several workers: the details say which worker process relays the connection.
    if (workerCount > 1) expect(await page.locator('#conn-details').textContent()).toMatch(/worker process\d+/);

    // The bundle: one JSON document with the trace, the password masked, no secret.
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#bundle').click()]);
    const text = readFileSync(await download.path(), 'utf8');
    const bundle = JSON.parse(text) as { kind: string; connection: { worker: string }; trace: Array<{ line: string }>; config: Record<string, unknown>; version: string; workerId?: number };
    expect(bundle.kind).toBe('stratum-relay-debug-bundle');
    expect(bundle.connection.worker).toBe('rig.2');
    expect(bundle.trace.length).toBeGreaterThan(3);
    expect(bundle.trace.some((e) => e.line.includes('"mining.authorize"') && e.line.includes('"***"'))).toBe(true);
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain(TOKEN);
    expect(bundle.config).not.toHaveProperty('metricsToken');
    expect(typeof bundle.version).toBe('string');
    if (workerCount > 1) expect(typeof bundle.workerId).toBe('number');
    // The two 401s are the page's first requests, before the token was given: the browser logs them.
    expect(session.errors().filter((e) => !e.includes('status of 401'))).toEqual([]);
  }, 90_000);
});
