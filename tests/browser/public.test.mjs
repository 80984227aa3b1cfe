// The public pages and the account flow, as a person uses them: landing, pricing, sign-up of a business,
// the dashboard, logging out and in again, a form error shown next to its field; on a phone and on a
// desktop, with no console error or CSP violation, and axe-core on every page.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  checkA11y,
  desktopContext,
  goto,
  launch,
  phoneContext,
  shot,
  url,
  watchedPage,
} from './lib.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const DEVICES = [
  ['phone', phoneContext],
  ['desktop', desktopContext],
];

/** A fresh business to sign up. */
function business(tag) {
  const id = randomUUID().slice(0, 8);
  return {
    organization: `Browser ${tag} Studio ${id}`,
    name: `Robin ${tag}`,
    email: `robin.${tag}.${id}@example.com`,
    password: `a long browser passphrase ${id}`,
    timezone: 'Europe/Berlin',
  };
}

/** Fills the sign-up form through its labels and submits it. */
async function fillSignup(page, b) {
  await page.getByLabel('Business name').fill(b.organization);
  await page.getByLabel('Your name').fill(b.name);
  await page.getByLabel('Email').fill(b.email);
  await page.getByLabel('Password', { exact: true }).fill(b.password);
  await page.getByLabel('Time zone').fill(b.timezone);
  await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    page.getByRole('button', { name: 'Create my account' }).click(),
  ]);
}

async function signup(page, b) {
  await goto(page, '/signup');
  await fillSignup(page, b);
}

/** Asserts the page is the staff dashboard of the business. */
async function assertDashboard(page, b) {
  assert.equal(new URL(page.url()).pathname, '/app');
  await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
  assert.ok(await page.getByText(b.organization).first().isVisible(), 'the organization name is shown');
  assert.ok(await page.getByRole('navigation', { name: 'Main' }).isVisible(), 'the main navigation is shown');
}

for (const [kind, makeContext] of DEVICES) {
  describe(`public pages on a ${kind}`, () => {
    let context;
    before(async () => {
      context = await makeContext(browser);
    });
    after(async () => {
      await context?.close();
    });

    it('landing page: a heading and the ways in', async () => {
      const { page, watcher } = await watchedPage(context);
      await goto(page, '/');
      await page.getByRole('heading', { level: 1 }).waitFor();
      assert.match(await page.getByRole('heading', { level: 1 }).innerText(), /\S/);
      for (const href of ['/pricing', '/signup', '/login']) {
        assert.ok((await page.locator(`a[href="${href}"]`).count()) > 0, `a link to ${href}`);
      }
      // On a phone the page must not scroll sideways.
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `the page is ${overflow}px wider than the viewport`);
      await shot(page, 'landing');
      watcher.assertClean('/');
      await page.close();
    });

    it('API documentation: the operations render under its Content-Security-Policy', async () => {
      const { page, watcher } = await watchedPage(context);
      await goto(page, '/api/docs/');
      await page.locator('.opblock').first().waitFor();
      assert.ok((await page.locator('.opblock').count()) > 20, 'the operations are listed');
      watcher.assertClean('/api/docs/');
      await page.close();
    });

    it('pricing: three plans, each with a price and a way to start', async () => {
      const { page, watcher } = await watchedPage(context);
      await goto(page, '/pricing');
      await page.getByRole('heading', { level: 1, name: 'Pricing' }).waitFor();
      const plans = page.getByRole('article');
      assert.equal(await plans.count(), 3);
      for (let i = 0; i < 3; i++) {
        const plan = plans.nth(i);
        assert.match(await plan.getByRole('heading', { level: 2 }).innerText(), /\S/);
        assert.match(await plan.locator('.price').innerText(), /\d/);
        assert.equal(await plan.getByRole('link', { name: /^Start with/ }).getAttribute('href'), '/signup');
      }
      await shot(page, 'pricing');
      watcher.assertClean('/pricing');
      await page.close();
    });

    it('sign-up with an invalid email: the error is next to the field and the input is kept', async () => {
      const { page, watcher } = await watchedPage(context);
      const b = { ...business(`invalid${kind}`), email: 'not-an-email' };
      await goto(page, '/signup');
      await fillSignup(page, b);
      assert.equal(new URL(page.url()).pathname, '/signup', 'stays on the sign-up page');
      const email = page.getByLabel('Email');
      assert.equal(await email.getAttribute('aria-invalid'), 'true');
      const describedBy = await email.getAttribute('aria-describedby');
      assert.ok(describedBy, 'the email input points at its error');
      const error = page.locator(`#${describedBy}`);
      assert.ok(await error.isVisible(), 'the error is shown');
      assert.match(await error.innerText(), /\S/);
      // The error sits in the email field's own box, right after the input.
      assert.equal(
        await error.evaluate((e) => e.closest('.field')?.querySelector('input')?.name),
        'email',
        'the error is inside the email field',
      );
      assert.ok(await page.getByRole('alert').isVisible(), 'a summary says something is wrong');
      assert.equal(await email.inputValue(), 'not-an-email');
      assert.equal(await page.getByLabel('Business name').inputValue(), b.organization);
      assert.equal(await page.getByLabel('Your name').inputValue(), b.name);
      assert.equal(await page.getByLabel('Time zone').inputValue(), b.timezone);
      await shot(page, 'signup-invalid-email');
      // The refused form answers 422, which Chromium reports as a failed resource load.
      watcher.assertClean('/signup (invalid email)', [/status of 422/]);
      await page.close();
    });

    it('sign up a business, land on the dashboard, log out, log in again', async () => {
      const { page, watcher } = await watchedPage(context);
      const b = business(kind);
      await goto(page, '/signup');
      await page.getByRole('heading', { level: 1 }).waitFor();
      await shot(page, 'signup');
      await fillSignup(page, b);
      await assertDashboard(page, b);
      await shot(page, 'dashboard');

      await Promise.all([
        page.waitForNavigation({ waitUntil: 'load' }),
        page.getByRole('button', { name: 'Log out' }).click(),
      ]);
      assert.equal(new URL(page.url()).pathname, '/');
      // Logged out: the dashboard sends you to the login page.
      await page.goto(url('/app'));
      assert.equal(new URL(page.url()).pathname, '/login');
      await page.getByRole('heading', { level: 1, name: 'Log in' }).waitFor();
      await shot(page, 'login');

      await page.getByLabel('Email').fill(b.email);
      await page.getByLabel('Password').fill(b.password);
      await Promise.all([
        page.waitForNavigation({ waitUntil: 'load' }),
        page.getByRole('button', { name: 'Log in' }).click(),
      ]);
      await assertDashboard(page, b);
      watcher.assertClean('sign-up, logout and login');
      await page.close();
    });

    it('login with a wrong password: refused, the email kept', async () => {
      const { page, watcher } = await watchedPage(context);
      await context.clearCookies();
      await goto(page, '/login');
      await page.getByLabel('Email').fill('nobody@example.com');
      await page.getByLabel('Password').fill('not the password at all');
      await Promise.all([
        page.waitForNavigation({ waitUntil: 'load' }),
        page.getByRole('button', { name: 'Log in' }).click(),
      ]);
      assert.equal(new URL(page.url()).pathname, '/login');
      assert.ok(await page.getByRole('alert').isVisible(), 'the refusal is announced');
      assert.equal(await page.getByLabel('Email').inputValue(), 'nobody@example.com');
      assert.equal(await page.getByLabel('Password').inputValue(), '', 'the password is not sent back');
      watcher.assertClean('/login (wrong password)', [/status of 4(01|22)/]);
      await page.close();
    });
  });
}

describe('accessibility (axe-core: no serious or critical violation)', () => {
  for (const [kind, makeContext] of DEVICES) {
    it(`public pages and the dashboard on a ${kind}`, async () => {
      // axe-core is injected, which the app's CSP forbids: this context alone bypasses CSP.
      const context = await makeContext(browser, { bypassCSP: true });
      try {
        const page = await context.newPage();
        for (const path of ['/', '/pricing', '/login', '/signup']) {
          await goto(page, path);
          await checkA11y(page, `${path} (${kind})`);
        }
        const b = business(`axe${kind}`);
        await signup(page, b);
        await assertDashboard(page, b);
        await checkA11y(page, `/app (${kind})`);
      } finally {
        await context.close();
      }
    });
  }
});
