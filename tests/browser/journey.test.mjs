// The whole studio journey of issue #5 in a real browser, as the people who use it would do it:
// an owner signs up the business, adds a trainer, imports clients from CSV (dry run, then commit),
// opens a client file, schedules a recurring series and sees a conflict, schedules a class of one place;
// two clients sign up from the public booking page, one books, the other is waitlisted and sees her
// position, and is promoted when the first cancels; the owner checks her in and downloads her GDPR
// export. Every step is screenshotted on a desktop and a phone (target/screenshots/journey-*), axe-core
// checks the app's main screens, and no page may log a console error or a CSP violation.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
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

const XSS = '<script>alert(1)</script>';
const id = randomUUID().slice(0, 8);
const owner = {
  organization: `Journey Studio ${id}`,
  name: 'Olivia Owner',
  email: `olivia.${id}@example.com`,
  password: `owner passphrase ${id}`,
};

/** A day ahead of today in Europe/Berlin as YYYY-MM-DD. */
function berlinDay(daysAhead) {
  const d = new Date(Date.now() + daysAhead * 86_400_000);
  return d.toLocaleDateString('sv-SE', { timeZone: 'Europe/Berlin' });
}

let browser;
let desktop;
let page;
let watcher;
const watchers = [];
let dialogs = 0;

before(async () => {
  browser = await launch();
  desktop = await desktopContext(browser);
  ({ page, watcher } = await watchedPage(desktop));
  watchers.push(['owner', watcher]);
  page.on('dialog', async (d) => {
    // Confirmations (data-confirm) are accepted; an alert would mean injected script ran.
    if (d.type() === 'alert') dialogs += 1;
    await d.accept();
  });
});
after(async () => {
  await browser?.close();
});

/** The desktop screenshot of the page as it is, and a phone screenshot of the same address. */
async function both(p, name) {
  await shot(p, `journey-${name}`);
  const phone = await phoneContext(browser, { storageState: await p.context().storageState() });
  const { page: small, watcher: w } = await watchedPage(phone);
  await small.goto(p.url(), { waitUntil: 'load' });
  await shot(small, `journey-${name}`);
  w.assertClean(`phone ${name}`);
  await phone.close();
}

/**
 * Runs axe-core on these paths as the logged-in user of `context`, in the light colour scheme and
 * (contrast differs) in the dark one, keeping a dark screenshot of each page.
 */
async function axe(context, paths) {
  for (const colorScheme of ['light', 'dark']) {
    const checking = await browser.newContext({
      viewport: { width: 1280, height: 800 },
      bypassCSP: true,
      colorScheme,
      storageState: await context.storageState(),
    });
    const p = await checking.newPage();
    for (const path of paths) {
      await goto(p, path);
      await checkA11y(p, `${path} (${colorScheme})`);
      if (colorScheme === 'dark') {
        const name = path.replace(/\?.*$/, '').replace(/[0-9a-f-]{36}/g, 'id').replace(/\W+/g, '-');
        await p.screenshot({ path: `${process.env.SCREENSHOT_DIR || 'target/screenshots'}/dark${name}.png` });
      }
    }
    await checking.close();
  }
}

/** Clicks a submit button (by its accessible name: a string, exact, or a regular expression) and waits for the next page. */
async function submit(p, name) {
  const button = typeof name === 'string' ? p.getByRole('button', { name, exact: true }) : p.getByRole('button', { name });
  await Promise.all([p.waitForNavigation({ waitUntil: 'load' }), button.first().click()]);
}

/** The messages a refused form shows, for assertion messages. */
async function messages(p) {
  return (await p.locator('.alert, .error, .conflicts, .flash').allInnerTexts()).join(' | ');
}

describe('a studio from sign-up to check-in', { concurrency: false }, () => {
  let slug;
  let classId;
  let clientFile;

  it('the owner signs up the business and lands on the dashboard', async () => {
    await goto(page, '/signup');
    await page.getByLabel('Business name').fill(owner.organization);
    await page.getByLabel('Your name').fill(owner.name);
    await page.getByLabel('Email').fill(owner.email);
    await page.getByLabel('Password', { exact: true }).fill(owner.password);
    await page.getByLabel('Time zone').fill('Europe/Berlin');
    await submit(page, 'Create my account');
    assert.equal(new URL(page.url()).pathname, '/app');
    await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
    await both(page, '01-dashboard');
    const settings = await goto(page, '/app/settings');
    assert.ok(settings.ok());
    const link = await page.locator('a[href^="/book/"]').first().getAttribute('href');
    slug = link.split('/')[2];
    assert.ok(slug, 'the settings page links the public booking page');
    await both(page, '02-settings');
  });

  it('adds a trainer', async () => {
    await goto(page, '/app/trainers');
    await page.getByLabel('First name').fill('Tom');
    await page.getByLabel('Last name').fill('Trainer');
    await page.getByLabel('Email').fill(`tom.${id}@example.com`);
    await submit(page, 'Add trainer');
    await page.getByText('Tom Trainer').first().waitFor();
    await goto(page, '/app/trainers');
    await both(page, '03-trainers');
  });

  it('imports clients from CSV: a dry run first, then the commit', async () => {
    await goto(page, '/app/clients/import');
    const csv = [
      'first_name,last_name,email,phone,status',
      `Anna,Archer,anna.${id}@example.com,+49 151 1000001,active`,
      `Ben,Baker,ben.${id}@example.com,+49 151 1000002,lead`,
      `"${XSS}",Mallory,mallory.${id}@example.com,,lead`,
      `Nina,Nobody,not-an-email,,active`,
    ].join('\n');
    await page.getByLabel('CSV file').setInputFiles({ name: 'clients.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await submit(page, 'Check the file');
    // The dry run reports the bad row and offers no commit.
    await page.getByText('not-an-email').first().waitFor();
    assert.equal(await page.getByRole('button', { name: 'Commit import' }).count(), 0);
    await both(page, '04-import-errors');
    // Fixed file: dry run, then commit.
    await goto(page, '/app/clients/import');
    const fixed = csv.replace('Nina,Nobody,not-an-email', `Nina,Nobody,nina.${id}@example.com`);
    await page.getByLabel('CSV file').setInputFiles({ name: 'clients.csv', mimeType: 'text/csv', buffer: Buffer.from(fixed) });
    await submit(page, 'Check the file');
    await page.getByRole('button', { name: 'Commit import' }).waitFor();
    await both(page, '05-import-dry-run');
    const other = await desktop.newPage();
    await goto(other, '/app/clients');
    assert.equal(await other.getByText('Anna Archer').count(), 0, 'the dry run wrote nothing');
    await other.close();
    await submit(page, 'Commit import');
    assert.equal(new URL(page.url()).pathname, '/app/clients');
    await page.getByText('Anna Archer').first().waitFor();
    // The hostile name is shown as text, never run.
    await page.getByText(XSS).first().waitFor();
    await both(page, '06-clients');
  });

  it('searches as you type and opens a client file', async () => {
    await page.getByLabel('Search').fill('Ann');
    await page.waitForFunction(() => !document.querySelector('#results')?.textContent.includes('Ben Baker'));
    await Promise.all([page.waitForNavigation(), page.getByRole('link', { name: 'Anna Archer' }).click()]);
    clientFile = new URL(page.url()).pathname;
    await page.getByRole('heading', { level: 1 }).filter({ hasText: 'Anna Archer' }).waitFor();
    await both(page, '07-client-file');
  });

  it('schedules a weekly series and sees the conflict of a clashing booking', async () => {
    await goto(page, '/app/sessions/new');
    await page.getByLabel('Trainer').selectOption({ label: 'Tom Trainer' });
    await page.getByLabel('Client').selectOption({ label: 'Anna Archer' });
    await page.getByLabel('Start', { exact: true }).fill(`${berlinDay(1)}T09:00`);
    await page.getByLabel('Length (minutes)').fill('60');
    await page.getByLabel('Repeat weekly').check();
    await page.getByLabel('Number of sessions').fill('6');
    await submit(page, 'Book');
    assert.match(new URL(page.url()).pathname, /^\/app\/sessions\/[0-9a-f-]{36}$/, await messages(page));
    await both(page, '08-series');
    // Ben at 09:30 the same day with the same trainer: refused, the clash listed, the input kept.
    await goto(page, '/app/sessions/new');
    await page.getByLabel('Trainer').selectOption({ label: 'Tom Trainer' });
    await page.getByLabel('Client').selectOption({ label: 'Ben Baker' });
    await page.getByLabel('Start', { exact: true }).fill(`${berlinDay(1)}T09:30`);
    await page.getByLabel('Length (minutes)').fill('60');
    await submit(page, 'Book');
    const conflicts = page.locator('.conflicts');
    await conflicts.waitFor();
    assert.match(await conflicts.innerText(), /Anna Archer/);
    assert.equal(await page.getByLabel('Start', { exact: true }).inputValue(), `${berlinDay(1)}T09:30`);
    await shot(page, 'journey-09-conflict');
    await goto(page, `/app/calendar?view=week&date=${berlinDay(1)}`);
    await page.getByText('Anna Archer').first().waitFor();
    await both(page, '10-calendar-week');
  });

  it('schedules a class with one place', async () => {
    await goto(page, '/app/classes');
    await page.getByLabel('Name').fill('Sunrise Yoga');
    await page.locator('#f-trainer_id').selectOption({ label: 'Tom Trainer' });
    await page.getByLabel('Start', { exact: true }).fill(`${berlinDay(2)}T07:00`);
    await page.getByLabel('Length (minutes)').fill('60');
    await page.getByLabel('Places', { exact: true }).fill('1');
    await page.getByLabel('Waitlist places').fill('5');
    await submit(page, 'Schedule');
    classId = new URL(page.url()).pathname.split('/')[3];
    assert.match(classId, /^[0-9a-f-]{36}$/);
  });

  /** A client signs up from the public booking page (on a phone) and lands on the class. */
  async function clientSignsUp(first, last) {
    const ctx = await phoneContext(browser);
    const { page: p, watcher: w } = await watchedPage(ctx);
    watchers.push([first, w]);
    p.on('dialog', (d) => d.accept());
    await goto(p, `/book/${slug}`);
    await p.getByText('Sunrise Yoga').first().waitFor();
    await Promise.all([p.waitForNavigation(), p.locator(`a[href="/book/${slug}/signup?class=${classId}"]`).click()]);
    await p.getByLabel('First name').fill(first);
    await p.getByLabel('Last name').fill(last);
    await p.getByLabel('Email', { exact: true }).fill(`${first.toLowerCase()}.${id}@example.com`);
    await p.getByLabel('Password', { exact: true }).fill(`client passphrase ${id}`);
    await submit(p, 'Create my account');
    assert.equal(new URL(p.url()).pathname, `/portal/classes/${classId}`);
    return { ctx, p };
  }

  let carla;
  let dora;

  it('a client books the class; the next one is waitlisted and sees her position', async () => {
    carla = await clientSignsUp('Carla', 'Client');
    await shot(carla.p, 'journey-11-public-booking');
    await submit(carla.p, /^Book\b/);
    await carla.p.getByText('Booked').first().waitFor();

    dora = await clientSignsUp('Dora', 'Waiting');
    await submit(dora.p, /^Join waitlist/);
    await goto(dora.p, '/portal');
    await dora.p.getByText('Waitlisted — position 1 of 1').waitFor();
    await shot(dora.p, 'journey-12-portal-waitlisted');
  });

  it('the booked client cancels and the waitlisted one is promoted', async () => {
    await goto(carla.p, '/portal');
    await submit(carla.p, /^Cancel booking/);
    await goto(dora.p, '/portal');
    await dora.p.getByText('Booked').first().waitFor();
    assert.equal(await dora.p.getByText('Waitlisted').count(), 0);
    await shot(dora.p, 'journey-13-portal-promoted');
    await goto(dora.p, '/portal/data');
    const [download] = await Promise.all([dora.p.waitForEvent('download'), dora.p.getByRole('link', { name: 'Download my data' }).click()]);
    const own = JSON.parse(readFileSync(await download.path(), 'utf8'));
    assert.match(JSON.stringify(own), /Dora/);
    assert.doesNotMatch(JSON.stringify(own), /Carla/);
  });

  it('the owner checks the promoted client in from the roster', async () => {
    await goto(page, `/app/classes/${classId}`);
    await submit(page, 'Check in Dora Waiting');
    await page.getByText('Checked in').first().waitFor();
    await both(page, '14-roster-checked-in');
  });

  it('downloads a client’s GDPR export from the client file', async () => {
    await goto(page, clientFile);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Download data export' }).click(),
    ]);
    const data = JSON.parse(readFileSync(await download.path(), 'utf8'));
    assert.match(JSON.stringify(data), /Anna/);
    assert.match(download.suggestedFilename(), /\.json$/);
  });

  it('passes axe-core on the app’s main screens and the portal', async () => {
    await axe(desktop, [
      '/app',
      '/app/clients',
      clientFile,
      '/app/clients/import',
      `/app/calendar?view=week&date=${berlinDay(1)}`,
      '/app/classes',
      `/app/classes/${classId}`,
      '/app/trainers',
      '/app/users',
      '/app/settings',
      '/app/audit',
      '/app/api-keys',
    ]);
    await axe(dora.ctx, ['/portal', '/portal/classes', '/portal/profile', '/portal/data']);
    await axe(carla.ctx, [`/book/${slug}`]);
  });

  it('no page logged an error, broke the CSP, or ran injected script', async () => {
    assert.equal(dialogs, 0, 'an alert() ran');
    // Refused forms answer 409 or 422 on purpose; the browser logs those as failed loads.
    const expected = [/status of (409|422)/];
    for (const [who, w] of watchers) w.assertClean(who, expected);
  });
});
