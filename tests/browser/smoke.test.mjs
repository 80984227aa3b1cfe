// Smoke test of the harness until the web UI lands: the Swagger UI at /api/docs loads in a phone and a
// desktop browser, without console errors, and is screenshotted.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { desktopContext, goto, launch, phoneContext, shot, watchedPage } from './lib.mjs';

describe('smoke: /api/docs', () => {
  let browser;
  before(async () => {
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });

  for (const [kind, makeContext] of [
    ['phone', phoneContext],
    ['desktop', desktopContext],
  ]) {
    it(`renders the API documentation on a ${kind}`, async () => {
      const context = await makeContext(browser);
      try {
        const { page, watcher } = await watchedPage(context);
        await goto(page, '/api/docs/');
        await page.locator('.swagger-ui .info .title').waitFor();
        assert.match(await page.locator('.swagger-ui .info .title').innerText(), /\S/);
        await shot(page, 'api-docs');
        watcher.assertClean('/api/docs/');
      } finally {
        await context.close();
      }
    });
  }
});
