/**
 * pool-sim's page in a real browser (Debian's Chromium through playwright-core): two miner-sim
 * miners mine against a pool-sim process; the page shows them, its trace grows, filters,
 * expands a line, follows one session, downloads that session's debug bundle and switches
 * the pool's profile. Saves docs/screenshots/pool-sim-ui.png. Then the shared trace-view
 * component on a page of its own: row bound, auto-scroll pause, markup kept as text.
 */
import { readFileSync } from 'node:fs';
import { MinerFarm } from '@stratum-relay/miner-sim';
import { startPoolSimProcess, type PoolSimProcess } from '../src';
import { openBrowser, type BrowserSession } from './helpers/browser';

/** What the trace-view test reaches in its page. */
interface ScrollBox {
  scrollTop: number;
  readonly scrollHeight: number;
  readonly clientHeight: number;
}
interface TestTraceView {
  append(entry: unknown): boolean;
  setFilter(filter: { direction?: string; method?: string; text?: string }): void;
  clear(): void;
}
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
  querySelector(selector: string): ScrollBox | null;
  getElementById(id: string): PageNode | null;
};

declare const window: { view?: TestTraceView; owned?: unknown };

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

  it('trace-view alone: bounded rows, auto-scroll that pauses while the reader scrolls up, lines as text only', async () => {
    const ps = pool ?? (pool = await startPoolSimProcess());
    const session = browser ?? (browser = await openBrowser());
    // A page of its own on the pool's origin: the component is imported by a test module, which
    // the page's content policy (rightly) forbids, so this context bypasses it.
    const context = await session.browser.newContext({ bypassCSP: true, viewport: { width: 1000, height: 700 } });
    try {
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`http://127.0.0.1:${ps.controlPort}/healthz`);
      await page.addStyleTag({ url: '/ui/trace-view/trace-view.css' });
      await page.addScriptTag({
        type: 'module',
        content: `import { createTraceView } from '/ui/trace-view/trace-view.js';
          const box = document.createElement('div'); document.body.replaceChildren(box);
          window.view = createTraceView(box, { maxRows: 50 });`,
      });
      await page.waitForFunction(() => window.view !== undefined, undefined, WAIT);
      const rows = (): Promise<number> => page.locator('.trace-view tbody tr').count();
      const atEnd = (): Promise<boolean> =>
        page.evaluate(() => {
          const s = document.querySelector('.tv-scroll');
          return s !== null && s.scrollTop + s.clientHeight >= s.scrollHeight - 8;
        });

      await page.evaluate(() => {
        for (let i = 0; i < 200; i += 1) {
          window.view?.append({ t: 1_700_000_000_000 + i, direction: i % 2 === 0 ? 'miner_to_pool' : 'pool_to_miner', line: `{"id":${i},"method":"mining.submit","params":["line ${i}"]}`, session: 1 });
        }
      });
      expect(await rows()).toBe(50);
      expect(await page.locator('.trace-view tbody tr').first().locator('.tv-line').textContent()).toContain('line 150');
      expect(await page.textContent('.tv-count')).toBe('50 of 50 lines');
      expect(await atEnd()).toBe(true);

      // The reader scrolls up: new lines no longer pull the view down, until "follow" is clicked.
      await page.evaluate(() => {
        const s = document.querySelector('.tv-scroll');
        if (s !== null) s.scrollTop = 0;
      });
      await page.waitForSelector('.tv-follow:not([hidden])', WAIT);
      await page.evaluate(() => {
        for (let i = 200; i < 210; i += 1) window.view?.append({ t: 1_700_000_000_000 + i, direction: 'pool_to_miner', line: `{"id":${i},"result":true,"error":null}` });
      });
      expect(await rows()).toBe(50);
      expect(await atEnd()).toBe(false);
      await page.click('.tv-follow');
      expect(await atEnd()).toBe(true);
      expect(await page.isHidden('.tv-follow')).toBe(true);

      // Markup in a line stays text; a malformed entry is counted, not shown.
      const markup = '<img src=x onerror="window.owned=1"><b>bold</b>';
      expect(
        await page.evaluate((line) => [window.view?.append({ t: 1, direction: 'miner_to_pool', line }), window.view?.append({ line: 'no time' })], markup),
      ).toEqual([true, false]);
      expect(await page.locator('.trace-view img, .trace-view b').count()).toBe(0);
      expect(await page.locator('.trace-view tbody tr').last().locator('.tv-line').textContent()).toBe(markup);
      expect(await page.textContent('.tv-count')).toContain('1 malformed dropped');
      expect(await page.evaluate(() => window.owned)).toBeUndefined();

      // setFilter drives the filter bar too.
      await page.evaluate(() => window.view?.setFilter({ direction: 'pool_to_miner', text: 'result' }));
      expect(await page.inputValue('.tv-filter-direction')).toBe('pool_to_miner');
      expect(await page.inputValue('.tv-filter-text')).toBe('result');
      expect(await rows()).toBe(10);
      await page.evaluate(() => window.view?.clear());
      expect(await rows()).toBe(0);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);
});
