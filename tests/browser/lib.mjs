// Shared helpers of the browser tests: Debian's Chromium driven by playwright-core, phone and desktop
// contexts, screenshots, axe-core accessibility checks and a console/CSP watcher.
//
// Run through scripts/test-browser, which starts a server and sets BASE_URL.

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);

/** The server under test, without a trailing slash. */
export const BASE_URL = (process.env.BASE_URL || '').replace(/\/+$/, '');
if (!BASE_URL) {
  throw new Error('BASE_URL is not set: run the browser tests through scripts/test-browser');
}

/** Where screenshots go; scripts/test-browser keeps target/screenshots. */
export const SCREENSHOT_DIR = path.resolve(process.env.SCREENSHOT_DIR || 'target/screenshots');

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** An absolute URL on the server under test. */
export function url(pathname = '/') {
  return BASE_URL + (pathname.startsWith('/') ? pathname : `/${pathname}`);
}

/**
 * Launches headless Chromium. playwright-core gives it a fresh temporary profile and removes it on
 * close. Fails with an install hint when Chromium is missing.
 */
export async function launch() {
  try {
    return await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      timeout: 30_000,
    });
  } catch (e) {
    throw new Error(
      `cannot start Chromium at ${CHROMIUM}: ${e.message}\n` +
        'install it with: apt-get update && apt-get install -y chromium',
    );
  }
}

// Which kind ("phone" or "desktop") each context is, for screenshot names.
const kinds = new WeakMap();

async function newContext(browser, kind, options, extra) {
  const context = await browser.newContext({ ...options, ...extra });
  context.setDefaultTimeout(10_000);
  context.setDefaultNavigationTimeout(15_000);
  kinds.set(context, kind);
  return context;
}

/**
 * A phone: 360x740, touch, device scale factor 2. Pass `{ bypassCSP: true }` only for a context that
 * injects axe-core (the app's Content-Security-Policy blocks injected scripts).
 */
export function phoneContext(browser, extra = {}) {
  return newContext(
    browser,
    'phone',
    {
      viewport: { width: 360, height: 740 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
      locale: 'en-US',
      timezoneId: 'Europe/Berlin',
    },
    extra,
  );
}

/** A desktop browser window of 1280x800. */
export function desktopContext(browser, extra = {}) {
  return newContext(
    browser,
    'desktop',
    { viewport: { width: 1280, height: 800 }, locale: 'en-US', timezoneId: 'Europe/Berlin' },
    extra,
  );
}

/** A full-page screenshot as SCREENSHOT_DIR/<name>-phone.png or <name>-desktop.png; returns the path. */
export async function shot(page, name) {
  const kind = kinds.get(page.context()) || 'desktop';
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}-${kind}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/**
 * Records console errors, uncaught page errors and Content-Security-Policy violations (Chromium reports
 * those as console errors) from the moment it is attached. Use it in contexts without bypassCSP, so a
 * page that breaks its own CSP fails the test. Call `assertClean(label)` at the end.
 */
export function watchConsole(page) {
  const problems = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') {
      const loc = msg.location();
      const where = loc && loc.url ? ` (${loc.url}${loc.lineNumber ? `:${loc.lineNumber}` : ''})` : '';
      problems.push(`console error: ${msg.text()}${where}`);
    }
  });
  page.on('pageerror', (err) => problems.push(`uncaught: ${err.message}`));
  page.on('crash', () => problems.push('the page crashed'));
  return {
    problems,
    /** Fails on any problem recorded so far, except those matching one of `allowed` (regular expressions). */
    assertClean(label = page.url(), allowed = []) {
      const left = problems.filter((p) => !allowed.some((re) => re.test(p)));
      assert.deepEqual(left, [], `${label}: console errors or CSP violations:\n  ${left.join('\n  ')}`);
    },
  };
}

/** A new page with a console watcher attached: `const { page, watcher } = await watchedPage(ctx)`. */
export async function watchedPage(context) {
  const page = await context.newPage();
  return { page, watcher: watchConsole(page) };
}

const AXE_PATH = require.resolve('axe-core/axe.min.js');

/**
 * Runs axe-core on the page as it is and fails on any violation of impact serious or critical,
 * listing each with its rule, help link and offending elements. The page's context must have been
 * created with `{ bypassCSP: true }`. Returns all violations (minor and moderate ones included).
 */
export async function checkA11y(page, label = page.url()) {
  await page.addScriptTag({ path: AXE_PATH });
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
      resultTypes: ['violations'],
    });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      helpUrl: v.helpUrl,
      nodes: v.nodes.map((n) => ({ target: n.target.join(' '), summary: n.failureSummary })),
    }));
  });
  const bad = result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const others = result.filter((v) => !bad.includes(v));
  if (others.length) {
    console.log(`${label}: axe (not failing): ${others.map((v) => `${v.id} [${v.impact}]`).join(', ')}`);
  }
  if (bad.length) {
    const text = bad
      .map(
        (v) =>
          `- ${v.id} [${v.impact}]: ${v.help}\n  ${v.helpUrl}\n` +
          v.nodes
            .slice(0, 8)
            .map((n) => `    at ${n.target}\n      ${(n.summary || '').replace(/\n/g, '\n      ')}`)
            .join('\n') +
          (v.nodes.length > 8 ? `\n    ... and ${v.nodes.length - 8} more` : ''),
      )
      .join('\n');
    assert.fail(`${label}: ${bad.length} serious/critical accessibility violation(s):\n${text}`);
  }
  return result;
}

/** Navigates and asserts a 2xx answer. */
export async function goto(page, pathname) {
  const res = await page.goto(url(pathname), { waitUntil: 'load' });
  assert.ok(res, `no response for ${pathname}`);
  assert.ok(res.ok(), `GET ${pathname}: status ${res.status()}`);
  return res;
}
