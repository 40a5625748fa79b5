// Browser journeys against a real `pledgeflow serve` on SQLite, in Debian's Chromium.
// Every page visited is looked at 1280 px and 390 px wide: axe-core (no serious or critical
// violation), no sideways scrolling, and a screenshot of each width in e2e/screenshots/.
// Officer pages in French, Spanish and Portuguese are compared with the English catalogue:
// no English interface text may be left. Run with `npm test --prefix e2e` after `cargo build`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');
const BIN = process.env.PLEDGEFLOW_BIN ?? path.join(ROOT, 'target', 'debug', 'pledgeflow');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const SHOTS = path.join(HERE, 'screenshots');
const AXE_SOURCE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const PASSWORD = 'e2e correct horse battery';
const REVIEWER = 'rita@secretariat.example.org';

let server;
let browser;
let base;
let work;
let env;

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function cli(args, extra = {}) {
  return execFileSync(BIN, args, { env: { ...env, ...extra }, encoding: 'utf8' });
}

async function waitFor(check, what, ms = 20000) {
  const until = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Decoded text of every .eml the service wrote (quoted-printable undone). */
function mails() {
  const dir = path.join(work, 'mail');
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.eml'))
    .map((f) => {
      const raw = fs.readFileSync(path.join(dir, f), 'latin1');
      const decoded = raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
      return { file: f, text: Buffer.from(decoded, 'latin1').toString('utf8'), at: fs.statSync(path.join(dir, f)).mtimeMs };
    })
    .sort((a, b) => a.at - b.at);
}

/** The personal link in the newest mail that mentions `reference` (and `subject`, if given). */
async function linkFor(reference, subject = '') {
  return waitFor(() => {
    const mail = mails()
      .reverse()
      .find((m) => m.text.includes(reference) && m.text.includes(subject));
    const match = mail && mail.text.match(/http:\/\/127\.0\.0\.1:\d+\/u\/[0-9a-f]+/);
    return match && match[0];
  }, `a mail about ${reference} ${subject}`);
}

const launchArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

before(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'pledgeflow-e2e-'));
  fs.mkdirSync(SHOTS, { recursive: true });
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  env = {
    ...process.env,
    PLEDGEFLOW__DATABASE__URL: `sqlite://${path.join(work, 'e2e.db')}`,
    PLEDGEFLOW__MAIL__FILE_DIR: path.join(work, 'mail'),
    PLEDGEFLOW__MAIL__POLL_INTERVAL_MS: '200',
    PLEDGEFLOW__SERVER__BIND: `127.0.0.1:${port}`,
    PLEDGEFLOW__SERVER__BASE_URL: base,
    PLEDGEFLOW__ATTACHMENTS__DIR: path.join(work, 'files'),
    RUST_LOG: 'warn',
  };
  server = spawn(BIN, ['serve'], { env, stdio: ['ignore', 'inherit', 'inherit'] });
  await waitFor(async () => {
    try {
      return (await fetch(`${base}/readyz`)).ok;
    } catch {
      return false;
    }
  }, 'the server');
  cli(['staff', 'add', REVIEWER, '--name', 'Rita Reviewer', '--role', 'admin'], { PLEDGEFLOW_STAFF_PASSWORD: PASSWORD });
  cli(['campaign', 'open', '--name', 'E2E round', '--deadline', '2099-01-15',
    '--pledge', 'CLA-2022-0032', '--pledge', 'CLA-2023-0031', '--pledge', 'CLA-2023-0026',
    '--pledge', 'CLA-2022-0044', '--pledge', 'CLA-2022-0010', '--pledge', 'CLA-2022-0054']);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: launchArgs });
});

after(async () => {
  await browser?.close();
  server?.kill();
});

const WIDTHS = [1280, 390];

/** At each width: a screenshot, no sideways scrolling, and axe-core finds no serious or
 * critical violation. The page is left at desktop width. */
async function check(page, name) {
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: path.join(SHOTS, `${name}-${width}.png`), fullPage: true });
    const overflow = await page.evaluate(() => {
      const limit = document.documentElement.clientWidth;
      if (document.documentElement.scrollWidth <= limit) return [];
      return [...document.querySelectorAll('body *')]
        .filter((el) => el.getBoundingClientRect().right > limit + 1)
        .filter((el) => !el.parentElement.closest('.table-scroll, .scroll'))
        .slice(0, 5)
        .map((el) => `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}.${[...el.classList].join('.')} (right ${Math.round(el.getBoundingClientRect().right)})`);
    });
    assert.deepEqual(overflow, [], `${name} scrolls sideways at ${width} px (${page.url()})`);
    await page.evaluate(AXE_SOURCE);
    const result = await page.evaluate(() =>
      // eslint-disable-next-line no-undef
      axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] } }),
    );
    const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    assert.deepEqual(
      bad.map((v) => `${v.id}: ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`),
      [],
      `accessibility of ${name} at ${width} px (${page.url()})`,
    );
  }
  await page.setViewportSize({ width: WIDTHS[0], height: 900 });
}

/** A flat `"key" = "text"` locale file of the service. */
function catalogue(lang) {
  const entries = {};
  for (const line of fs.readFileSync(path.join(ROOT, 'locales', `${lang}.toml`), 'utf8').split('\n')) {
    const m = line.match(/^"([^"]+)" = (".*")$/);
    if (m) entries[m[1]] = JSON.parse(m[2]);
  }
  return entries;
}

/** The English interface phrases (pieces between placeholders) a `lang` page must not show:
 * every English text the language translates differently, at least four letters long. */
function englishPhrases(lang) {
  const english = catalogue('en');
  const local = catalogue(lang);
  // A single word that the language itself uses ("Complete" is Spanish too) proves nothing.
  const localWords = new Set(Object.values(local).flatMap((text) => text.match(/\p{L}+/gu) ?? []));
  const phrases = new Map();
  for (const [key, text] of Object.entries(english)) {
    if (local[key] === text) continue;
    for (const piece of text.split(/\{[a-z_]+\}/)) {
      const phrase = piece.replace(/^[\s.,:;()“”"'«»—–…-]+|[\s.,:;()“”"'«»—–…-]+$/gu, '');
      if ((phrase.match(/\p{L}/gu) ?? []).length < 4) continue;
      if (/^\p{L}+$/u.test(phrase) && localWords.has(phrase)) continue;
      phrases.set(phrase, key);
    }
  }
  return phrases;
}

/** Asserts that no English interface text is left on a page in `lang`: the visible text
 * (and the options of every list) outside what people typed (`translate="no"`). */
async function noEnglishLeft(page, lang, name) {
  assert.equal(await page.getAttribute('html', 'lang'), lang);
  const texts = await page.evaluate(() => {
    const out = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const el = node.parentElement;
      if (!el || el.closest('script, style, textarea, [translate="no"], [hidden]')) continue;
      if (!el.closest('option') && el.getClientRects().length === 0 && !el.closest('.skip')) continue;
      const text = node.textContent.replace(/\s+/g, ' ').trim();
      if (text) out.push(text);
    }
    for (const el of document.querySelectorAll('[aria-label], [placeholder], [title]')) {
      for (const a of ['aria-label', 'placeholder', 'title']) if (el.getAttribute(a)) out.push(el.getAttribute(a));
    }
    return out;
  });
  const left = [];
  for (const [phrase, key] of englishPhrases(lang)) {
    const pattern = new RegExp(`(^|[^\\p{L}])${phrase.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^\\p{L}])`, 'u');
    const hit = texts.find((t) => pattern.test(t));
    if (hit) left.push(`${key}: “${phrase}” in “${hit.slice(0, 80)}”`);
  }
  assert.deepEqual(left, [], `English left on ${name} (${lang})`);
}

/** Moves the focus with Tab only until `selector` has it; every element the focus lands
 * on must be in view and not under the sticky Save/Submit bar (WCAG 2.4.11). */
async function tabTo(page, selector) {
  for (let i = 0; i < 900; i++) {
    const [done, hidden] = await page.evaluate((s) => {
      const el = document.activeElement;
      const bar = document.querySelector('.form-actions');
      let hidden = null;
      if (el && el !== document.body && bar && !bar.contains(el)) {
        const box = el.getBoundingClientRect();
        const top = bar.getBoundingClientRect().top;
        if (box.height > 0 && (box.bottom > top || box.bottom <= 0)) {
          hidden = `${el.tagName.toLowerCase()}#${el.id || el.name} at ${Math.round(box.top)}–${Math.round(box.bottom)}, bar at ${Math.round(top)}`;
        }
      }
      return [el?.matches(s) ?? false, hidden];
    }, selector);
    assert.equal(hidden, null, 'the focused element is hidden');
    if (done) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`Tab never reached ${selector}`);
}

/** Sets a field with the keyboard alone: type into text, arrow through selects, Space on boxes. */
async function key(page, selector, value) {
  await tabTo(page, selector);
  const kind = await page.evaluate(() => {
    const el = document.activeElement;
    return el.tagName === 'SELECT' ? 'select' : el.type === 'checkbox' ? 'checkbox' : 'text';
  });
  if (kind === 'text') {
    await page.keyboard.press('Control+A');
    await page.keyboard.type(value);
  } else if (kind === 'checkbox') {
    const checked = await page.evaluate(() => document.activeElement.checked);
    if (checked !== value) await page.keyboard.press('Space');
  } else {
    for (let i = 0; i < 60; i++) {
      const [current, index, target] = await page.evaluate((v) => {
        const el = document.activeElement;
        return [el.value, el.selectedIndex, [...el.options].findIndex((o) => o.value === v)];
      }, value);
      if (current === value) break;
      assert.notEqual(target, -1, `${selector} has no option ${value}`);
      await page.keyboard.press(target > index ? 'ArrowDown' : 'ArrowUp');
    }
  }
}

const box = (name, value) => `input[type=checkbox][name="${name}"][value="${value}"]`;

/** The answers of a complete update, as (selector, value) pairs. */
function completeAnswers({ scope, groups, breakdown2 = '2000' }) {
  return [
    ['#f-implementation_stage', 'in_progress'],
    ['#f-stage_narrative', 'Running in three districts.'],
    ['#f-reporting_cycle', '2027_grf'],
    ['#f-compact_scope', scope],
    ...groups.map((g) => [box('beneficiary_groups', g), true]),
    ['#f-timeline_start', '2023'],
    ['#f-timeline_end', '2027-06-30'],
    ['#f-description', 'The city runs a one-stop welcome centre for every newcomer, with interpreters and legal advice on site. '.repeat(4).trim()],
    ['#f-results_summary', 'A welcome centre opened and serves newcomers.'],
    ['#f-achievement-1', 'Welcome centre opened'],
    ['#f-beneficiaries_total', '5000'],
    ['#f-beneficiaries_qualifier', 'approx'],
    ['#f-breakdown-1-group', 'migrants'],
    ['#f-breakdown-1-count', '3000'],
    ['#f-breakdown-2-group', 'refugees'],
    ['#f-breakdown-2-count', breakdown2],
    ['#f-refugee_participation', 'Refugee-led organizations co-designed the services.'],
    ['#f-funding-1-amount', '600000'],
    ['#f-funding-1-currency', 'USD'],
    ['#f-funding-1-source', 'donor'],
    [box('priorities', '1'), true],
    [box('gcm_objectives', '23'), true],
    [box('gcr_objectives', '1'), true],
    [box('gcr_focus_areas', 'responsibility_sharing'), true],
    [box('challenges', 'funding_gaps'), true],
    ['#f-lessons_learned', 'Work with refugee-led organizations from day one.'],
    ['#f-national_engagement', 'ad_hoc'],
    ['#f-consent_to_publish', true],
  ];
}

/** Writes a justification for every warning the page asks to confirm. */
async function justifyAll(page, byKeyboard) {
  const ids = await page.$$eval('textarea[name^="justification."]', (els) => els.filter((e) => !e.value).map((e) => e.id));
  for (const id of ids) {
    const selector = `[id="${id}"]`;
    if (byKeyboard) await key(page, selector, 'Ten children were counted twice.');
    else await page.fill(selector, 'Ten children were counted twice.');
  }
  return ids;
}

test('(a) an officer fills the update over two sittings, by keyboard alone, and submits', async () => {
  const link = await linkFor('CLA-2022-0032');

  // Sitting 1: a first answer and a count that is not a number.
  let context = await browser.newContext({ bypassCSP: true });
  let page = await context.newPage();
  let transferred = 0;
  page.on('requestfinished', async (request) => {
    const sizes = await request.sizes();
    transferred += sizes.responseBodySize + sizes.responseHeadersSize;
  });
  await page.goto(link);
  await page.waitForLoadState('networkidle');
  assert.match(page.url(), /\/updates\/\d+$/, 'the token leaves the address bar');
  assert.ok(transferred < 20_000, `the form page with its CSS and JS weighs ${transferred} bytes (compressed)`);
  console.log(`officer form page: ${transferred} bytes transferred`);
  await check(page, 'a-1-form-first-sitting');
  await key(page, '#f-results_summary', 'A welcome centre opened and serves newcomers.');
  await key(page, '#f-beneficiaries_total', 'lots');
  await tabTo(page, 'button[value=save]');
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  const error = page.locator('#f-beneficiaries_total-msg .msg.error');
  await error.waitFor();
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'errors', 'the focus moves to the error summary');
  assert.ok((await error.textContent()).length > 5, 'the error is shown next to the field');
  assert.equal(await page.inputValue('#f-results_summary'), 'A welcome centre opened and serves newcomers.', 'nothing typed is lost');
  await check(page, 'a-2-error-inline');
  // Corrected and saved; then the browser closes.
  await key(page, '#f-beneficiaries_total', '5000');
  await tabTo(page, 'button[value=save]');
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  assert.match(page.url(), /saved=1/);
  await context.close();

  // Sitting 2: a new browser session; the draft is there.
  context = await browser.newContext({ bypassCSP: true });
  page = await context.newPage();
  await page.goto(link);
  assert.equal(await page.inputValue('#f-results_summary'), 'A welcome centre opened and serves newcomers.');
  assert.equal(await page.inputValue('#f-beneficiaries_total'), '5000');
  for (const [selector, value] of completeAnswers({ scope: 'MIRROR', groups: ['migrants', 'refugees'], breakdown2: '1990' })) {
    await key(page, selector, value);
  }
  await tabTo(page, 'button[value=submit]');
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  // The breakdown does not add up: a warning to confirm, inline.
  const warning = page.locator('textarea[name="justification.base.breakdown.sum"]');
  await warning.waitFor();
  await check(page, 'a-3-warning-to-justify');
  const justified = await justifyAll(page, true);
  assert.ok(justified.includes('j-base.breakdown.sum'), `justified ${justified}`);
  await tabTo(page, 'button[value=submit]');
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  const refused = await page.$$eval('.summary, .msg.error', (els) => els.map((e) => e.textContent.trim()).join(' | '));
  assert.doesNotMatch(page.url(), /\/updates\/\d+$/, `still on the form: ${refused}`);
  await page.getByRole('heading', { name: 'Your update was submitted' }).waitFor();
  await check(page, 'a-4-submitted');
  await context.close();
});

async function signIn(context) {
  const page = await context.newPage();
  await page.goto(`${base}/login`);
  await check(page, 'b-0-login');
  await page.fill('#email', REVIEWER);
  await page.fill('#password', PASSWORD);
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  return page;
}

async function submitAsOfficer(link, scope, groups) {
  const context = await browser.newContext({ bypassCSP: true });
  const page = await context.newPage();
  await page.goto(link);
  for (const [selector, value] of completeAnswers({ scope, groups })) {
    if (!(await page.isVisible(selector))) continue; // a question this scope does not ask
    if (typeof value === 'boolean') await page.setChecked(selector, value);
    else if (await page.$eval(selector, (e) => e.tagName === 'SELECT')) await page.selectOption(selector, value);
    else await page.fill(selector, value);
  }
  for (let round = 0; round < 2; round++) {
    await Promise.all([page.waitForNavigation(), page.click('button[value=submit]')]);
    if ((await justifyAll(page, false)).length === 0) break;
  }
  await page.locator('h1, h2').filter({ hasText: /submitted|envoyée/ }).first().waitFor();
  return { context, page };
}

test('(b) a reviewer asks for a change, interviews the officer, approves and publishes', async () => {
  const officer = await submitAsOfficer(await linkFor('CLA-2023-0031'), 'GCR', ['refugees']);
  await officer.context.close();

  const staff = await browser.newContext({ bypassCSP: true });
  const page = await signIn(staff);
  await check(page, 'b-1-queue');
  await page.click('a:has-text("Campaigns")');
  await check(page, 'b-2-campaigns');
  await page.click('a:has-text("E2E round")');
  await page.locator('svg.bars').first().waitFor();
  await check(page, 'b-3-dashboard');
  // At desktop width the request table fits without scrolling, and the panel says what to do next.
  const [tableWidth, tableRoom] = await page.$eval('#request-table', (e) => [e.scrollWidth, e.clientWidth]);
  assert.ok(tableWidth <= tableRoom, `the request table is ${tableWidth} px wide in ${tableRoom} px`);
  await page.getByRole('heading', { name: 'Needs you' }).waitFor();
  await page.click('a:has-text("CLA-2023-0031")');
  await check(page, 'b-4-review');

  // Changes on one field.
  await page.selectOption('#cr-field-1', 'lessons_learned');
  await page.fill('#cr-message-1', 'One concrete lesson, please.');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Send back for changes")')]);
  await page.locator('.notice.ok').waitFor();

  // The officer revises through the link in the new mail.
  const revise = await browser.newContext({ bypassCSP: true });
  const form = await revise.newPage();
  await form.goto(await linkFor('CLA-2023-0031', 'One concrete lesson'));
  await form.locator('#change-requests').waitFor();
  await check(form, 'b-5-officer-revises');
  await form.fill('#f-lessons_learned', 'Hire refugee liaisons first.');
  await Promise.all([form.waitForNavigation(), form.click('button[value=submit]')]);
  await form.getByRole('heading', { name: 'Your update was submitted' }).waitFor();
  await revise.close();

  // Interview: requested, scheduled, held, validated.
  await page.reload();
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Ask for an interview")')]);
  await page.fill('input[name=date]', '2099-01-06');
  await page.fill('input[name=time]', '10:00');
  await page.selectOption('select[name=mode]', 'phone');
  await page.fill('input[name=interviewer]', 'Rita Reviewer');
  await check(page, 'b-6-schedule-interview');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Send the invitation")')]);
  // The officer's invitation carries the calendar file.
  await waitFor(
    () => mails().some((m) => m.text.includes('Quezon City pledge (2023)') && m.text.includes('filename="interview.ics"')),
    'the interview invitation with its .ics',
  );
  await page.goto(`${base}/review/interviews`);
  await check(page, 'b-7-interviews');
  await page.click('a:has-text("CLA-2023-0031")');
  await page.fill('textarea[name=notes]', 'Figures confirmed by phone.');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Mark held")')]);
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("validate")')]);
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Approve")')]);
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Publish")')]);
  await page.locator('.state-published').first().waitFor();
  await check(page, 'b-8-published');

  const visitor = await browser.newContext({ bypassCSP: true });
  const pub = await visitor.newPage();
  await pub.goto(`${base}/public/updates`);
  assert.ok((await pub.content()).includes('CLA-2023-0031'), 'on the public list');
  await check(pub, 'b-9-public-list');
  await visitor.close();

  // The admin's staff page, and an API token shown once.
  await page.click('nav a:has-text("Staff")');
  await check(page, 'b-10-staff');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("New API token")')]);
  assert.ok((await page.inputValue('#new-token')).startsWith('pf_'), 'the new token is shown');
  await check(page, 'b-11-staff-token');
  await staff.close();
});

test('(c) a French officer without JavaScript', async () => {
  const link = await linkFor('CLA-2023-0026');
  const context = await browser.newContext({ javaScriptEnabled: false, locale: 'fr-FR' });
  const page = await context.newPage();
  await page.goto(link);
  assert.equal(await page.getAttribute('html', 'lang'), 'fr');
  await page.getByRole('button', { name: 'Enregistrer le brouillon' }).waitFor();
  await page.fill('#f-beneficiaries_total', 'beaucoup');
  await Promise.all([page.waitForNavigation(), page.click('button[value=save]')]);
  await page.locator('#f-beneficiaries_total-msg .msg.error').waitFor();
  for (const [selector, value] of completeAnswers({ scope: 'GCR', groups: ['refugees'] })) {
    if (!(await page.isVisible(selector))) continue; // a question this scope does not ask
    if (typeof value === 'boolean') await page.setChecked(selector, value);
    else if (await page.$eval(selector, (e) => e.tagName === 'SELECT')) await page.selectOption(selector, value);
    else await page.fill(selector, value);
  }
  // Axe needs script: the same page, same session, in a context that runs it.
  const audit = await browser.newContext({ storageState: await context.storageState(), bypassCSP: true, locale: 'fr-FR' });
  const twin = await audit.newPage();
  await twin.goto(page.url());
  await check(twin, 'c-1-form-fr');
  for (let round = 0; round < 2; round++) {
    await Promise.all([page.waitForNavigation(), page.click('button[value=submit]')]);
    if ((await justifyAll(page, false)).length === 0) break;
  }
  await page.getByRole('heading', { name: 'Votre mise à jour a été envoyée' }).waitFor();
  await page.screenshot({ path: path.join(SHOTS, 'c-2-submitted-fr-no-js.png'), fullPage: true });
  await twin.goto(page.url());
  await check(twin, 'c-2-submitted-fr');
  await audit.close();
  await context.close();
});

/** An officer who reads `lang` fills the update: first open, a word where a number goes,
 * a warning to justify, submitted. Every page at both widths, none with English left. */
async function officerJourneyIn(lang, locale, reference, words) {
  const link = await linkFor(reference);
  const context = await browser.newContext({ locale, bypassCSP: true });
  const page = await context.newPage();
  await page.goto(link);
  await noEnglishLeft(page, lang, 'the form on first open');
  await check(page, `${lang}-1-form`);
  await page.fill('#f-beneficiaries_total', words.notANumber);
  await Promise.all([page.waitForNavigation(), page.click('button[value=save]')]);
  await page.locator('#f-beneficiaries_total-msg .msg.error').waitFor();
  await noEnglishLeft(page, lang, 'the form with an error');
  await check(page, `${lang}-2-error`);
  for (const [selector, value] of completeAnswers({ scope: 'MIRROR', groups: ['migrants', 'refugees'], breakdown2: '1990' })) {
    if (typeof value === 'boolean') await page.setChecked(selector, value);
    else if (await page.$eval(selector, (e) => e.tagName === 'SELECT')) await page.selectOption(selector, value);
    else await page.fill(selector, value);
  }
  await Promise.all([page.waitForNavigation(), page.click('button[value=submit]')]);
  await page.locator('textarea[name="justification.base.breakdown.sum"]').waitFor();
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'warnings', 'the refused submit moves the focus to what is asked');
  await noEnglishLeft(page, lang, 'the form with warnings to justify');
  await check(page, `${lang}-3-warnings`);
  for (let round = 0; round < 2; round++) {
    if ((await justifyAll(page, false)).length === 0) break;
    await Promise.all([page.waitForNavigation(), page.click('button[value=submit]')]);
  }
  await page.getByRole('heading', { name: words.submitted }).waitFor();
  await noEnglishLeft(page, lang, 'the submitted update');
  await check(page, `${lang}-4-submitted`);
  await context.close();
}

test('(d) a French officer: no English left on any page, at both widths', async () => {
  await officerJourneyIn('fr', 'fr-CA', 'CLA-2022-0044', { notANumber: 'beaucoup', submitted: 'Votre mise à jour a été envoyée' });
});

test('(e) a Spanish officer: no English left on any page, at both widths', async () => {
  await officerJourneyIn('es', 'es-CO', 'CLA-2022-0010', { notANumber: 'muchos', submitted: 'Su actualización fue enviada' });
});

test('(f) a Brazilian officer: no English left on any page, at both widths', async () => {
  await officerJourneyIn('pt', 'pt-BR', 'CLA-2022-0054', { notANumber: 'muitos', submitted: 'Sua atualização foi enviada' });
});
