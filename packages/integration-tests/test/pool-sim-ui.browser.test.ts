/**
 * pool-sim's page in a real browser (Debian's Chromium through playwright-core): two miner-sim
 * miners mine against a pool-sim process; the page shows them, its trace grows, filters,
 * expands a line, follows one session, downloads that session's debug bundle and switches
 * the pool's profile. Saves docs/screenshots/pool-sim-ui.png.
 */
import { readFileSync } from 'node:fs';
import { MinerFarm } from '@stratum-relay/miner-sim';
import { startPoolSimProcess, type PoolSimProcess } from '../src';
import { openBrowser, type BrowserSession } from './helpers/browser';

/**
 * The little of the DOM the page-side predicates use. Tests are type-checked without the DOM
 * library, and predicates must be functions, not strings: the page's content policy forbids
 * eval, which is how Playwright runs a string.
 */
interface PageNode {
  readonly textContent: string | null;
  readonly value?: string;
}
declare const document: {
  querySelectorAll(selector: string): ArrayLike<PageNode>;
  getElementById(id: string): PageNode | null;
};

const PASSWORD = 'hunter2-never-shown';
/** Playwright waits: generous, the machine is shared; a pass takes a few seconds. */
const WAIT = { timeout: 15_000 };

describe("pool-sim's page in Chromium", () => {
  let pool: PoolSimProcess | undefined;
  let farm: MinerFarm | undefined;
  let browser: BrowserSession | undefined;

  afterAll(async () => {
    await browser?.close();
    await farm?.stop();
    await pool?.stop();
  }, 60_000);

  it('shows the miners, a live and filterable trace, a session bundle, and switches the profile', async () => {
    pool = await startPoolSimProcess(['--profile', 'easy', '--difficulty', '0.00001', '--job-interval', '1s', '--name', 'rack-a']);
    farm = new MinerFarm({ url: `stratum+tcp://127.0.0.1:${pool.port}`, miners: 2, user: 'rack', password: PASSWORD, hashrate: 40_000, seed: 12 });
    await farm.start();

    browser = await openBrowser();
    const { page } = browser;
    await page.goto(`http://127.0.0.1:${pool.controlPort}/ui`);

    // The miners and their shares.
    await page.waitForFunction(() => document.querySelectorAll('#sessions-table tbody tr').length === 2, undefined, WAIT);
    await page.waitForFunction(() => Number(document.getElementById('accepted')?.textContent) > 0, undefined, WAIT);
    expect(await page.textContent('#pool-name')).toBe('rack-a');
    expect(await page.textContent('#profile')).toBe('easy');

    // The trace grows without a reload (the pool sends a job every second).
    await page.waitForFunction(() => document.querySelectorAll('.trace-view tbody tr').length > 0, undefined, WAIT);
    const before = await page.locator('.trace-view tbody tr').count();
    await page.waitForFunction((n) => document.querySelectorAll('.trace-view tbody tr').length > n, before, WAIT);

    // Filter by direction, then by method: every row left matches.
    await page.selectOption('.tv-filter-direction', 'pool_to_miner');
    const directions = await page.locator('.trace-view tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-direction')));
    expect(directions.length).toBeGreaterThan(0);
    expect(new Set(directions)).toEqual(new Set(['pool_to_miner']));
    await page.selectOption('.tv-filter-direction', '');
    await page.waitForFunction(() => Array.from(document.querySelectorAll('.tv-filter-method option')).some((o) => o.value === 'mining.submit'), undefined, WAIT);
    await page.selectOption('.tv-filter-method', 'mining.submit');
    const methods = await page.locator('.trace-view tbody .tv-method').allTextContents();
    expect(methods.length).toBeGreaterThan(0);
    expect(new Set(methods)).toEqual(new Set(['mining.submit']));
    await page.fill('.tv-filter-text', '"result":true');
    await page.waitForFunction(() => document.querySelectorAll('.trace-view tbody tr').length > 0, undefined, WAIT);
    const answers = await page.locator('.trace-view tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-direction')));
    expect(new Set(answers)).toEqual(new Set(['pool_to_miner']));

    // A click shows the line as indented JSON.
    await page.click('.trace-view tbody tr:first-child .tv-line');
    expect(await page.textContent('.trace-view tbody tr:first-child .tv-pretty')).toContain('"result": true');
    await page.fill('.tv-filter-text', '');
    await page.selectOption('.tv-filter-method', '');
    // Every session's lines, one answer shown as JSON.
    await browser.screenshot('pool-sim-ui');

    // Follow one session: the trace shows only its lines.
    await page.click('#sessions-table tbody tr:first-child td:first-child');
    const followed = await page.inputValue('#trace-session');
    expect(followed).not.toBe('');
    await page.waitForFunction(
      (id) => {
        const cells = Array.from(document.querySelectorAll('.trace-view tbody .tv-session'));
        return cells.length > 0 && cells.every((td) => td.textContent === id);
      },
      followed,
      WAIT,
    );

    // Its debug bundle downloads as JSON.
    const [download] = await Promise.all([page.waitForEvent('download', WAIT), page.click('#sessions-table tbody tr:first-child a')]);
    const bundle = JSON.parse(readFileSync(await download.path(), 'utf8')) as { kind: string; session: { id: number }; trace: { entries: unknown[] } };
    expect(bundle.kind).toBe('pool-sim-debug-bundle');
    expect(String(bundle.session.id)).toBe(followed);
    expect(bundle.trace.entries.length).toBeGreaterThan(0);

    // Switch the profile: the page and the sessions follow.
    await page.selectOption('#profile-select', 'realistic');
    await page.click('#profile-apply');
    await page.waitForFunction(() => document.getElementById('profile')?.textContent === 'realistic', undefined, WAIT);
    await page.waitForFunction(
      () => Array.from(document.querySelectorAll('#sessions-table tbody tr td:nth-child(4)')).every((td) => td.textContent === '0.001'),
      undefined,
      WAIT,
    );
    expect((await pool.stats<{ name: string }>()).name).toBe('rack-a');

    // The password the miners sent is nowhere on the page, and the page threw nothing.
    expect(await page.content()).not.toContain(PASSWORD);
    expect(browser.errors()).toEqual([]);
  }, 60_000);
});
