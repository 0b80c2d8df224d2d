import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { REPO_ROOT } from '../../scripts/lib/workers.ts';
import {
  consoleSeed,
  HOSTILE,
  SEED_EXT,
  SEED_FP_HOSTILE,
  SEED_ROLLOUT_ID,
} from '../fixtures/console/console-seed.ts';
import { type InProcessStack, startInProcessStack } from '../support/in-process-stack.ts';

/**
 * The console in a real browser (issue 12, item 1): Debian's Chromium renders every page of the
 * local stack's triage Worker from a seeded database with hostile error text. No console error,
 * no CSP violation, a keyboard reaches everything, filters work with and without JS. Screenshots
 * go to test/artifacts/console/ (README, "Console").
 */

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = path.join(REPO_ROOT, 'test/artifacts/console');

const PAGES: [name: string, path: string][] = [
  ['problems', '/console'],
  ['problem', `/console/problems/${SEED_EXT}/${SEED_FP_HOSTILE}`],
  ['fixes', '/console/fixes'],
  ['releases', '/console/releases'],
  ['release', `/console/releases/${SEED_ROLLOUT_ID}`],
  ['outbox', '/console/outbox'],
  ['settings', '/console/settings'],
];

let stack: InProcessStack;
let browser: Browser;
let base: string;

beforeAll(async () => {
  [stack, browser] = await Promise.all([
    startInProcessStack(),
    chromium.launch({ executablePath: CHROMIUM, headless: true }),
  ]);
  base = stack.urls.triage.replace(/\/$/, '');
  for (const s of consoleSeed(Date.now())) await stack.query(s.sql, ...s.params);
  await mkdir(SHOTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await stack?.dispose();
});

/** Everything a page complains about: console errors, uncaught errors, CSP violations. */
async function watched(page: Page) {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('dialog', (d) => {
    problems.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  // Injected by the browser, not the page, so the CSP does not apply to this listener itself.
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  return problems;
}

describe('console in Chromium (issue 12, item 1)', () => {
  test('every page renders without console errors or CSP violations; screenshots', async ({
    expect,
  }) => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems = await watched(page);
    for (const [name, p] of PAGES) {
      const res = await page.goto(`${base}${p}`);
      expect(res?.status(), p).toBe(200);
      expect(await page.locator('h1').count(), p).toBe(1);
      await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
    }
    // Hostile text reached the pages as text: no alert fired, no element was injected.
    await page.goto(`${base}/console/problems/${SEED_EXT}/${SEED_FP_HOSTILE}`);
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.getByText(HOSTILE.script).count()).toBeGreaterThan(0);
    expect(await page.locator('a[href^="javascript:"]').count()).toBe(0);
    expect(problems).toEqual([]);
    await page.close();
  });

  test('a keyboard reaches the navigation and a problem, and Enter follows it', async ({
    expect,
  }) => {
    const page = await browser.newPage();
    const problems = await watched(page);
    await page.goto(`${base}/console`);
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    const nav: string[] = [];
    for (let i = 0; i < 5; i++) {
      await page.keyboard.press('Tab');
      nav.push((await page.evaluate(() => document.activeElement?.textContent)) ?? '');
    }
    expect(nav).toEqual(['Problems', 'Fixes', 'Releases', 'Outbox', 'Settings']);
    // On to the first problem's link, past the filter form's five fields and its button.
    let reached = false;
    for (let i = 0; i < 12 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate(
        () =>
          document.activeElement?.getAttribute('href')?.startsWith('/console/problems/') ?? false,
      );
    }
    expect(reached).toBe(true);
    await Promise.all([page.waitForURL(/\/console\/problems\//), page.keyboard.press('Enter')]);
    expect(await page.locator('h1').textContent()).toBe('Problem');
    expect(problems).toEqual([]);
    await page.close();
  });

  test('filters apply on change with JS and with the Apply button without it', async ({
    expect,
  }) => {
    const page = await browser.newPage();
    const problems = await watched(page);
    await page.goto(`${base}/console`);
    await Promise.all([
      page.waitForURL(/state=fixed/),
      page.selectOption('select[name="state"]', 'fixed'),
    ]);
    expect(await page.getByText('Unexpected token').count()).toBe(1);
    expect(problems).toEqual([]);
    await page.close();

    const noJs = await browser.newContext({ javaScriptEnabled: false });
    const plain = await noJs.newPage();
    await plain.goto(`${base}/console`);
    await plain.selectOption('select[name="state"]', 'open');
    await Promise.all([plain.waitForURL(/state=open/), plain.click('button[type="submit"]')]);
    expect(await plain.getByText('Unexpected token').count()).toBe(0);
    expect(await plain.locator('svg.spark').count()).toBeGreaterThan(0);
    await noJs.close();
  });
});
