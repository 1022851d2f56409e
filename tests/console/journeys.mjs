// The console's journeys in a real Chromium (Debian's /usr/bin/chromium driven by
// playwright-core), against the server the Rust test started (BASE_URL) with the
// demo network and the test OIDC provider. Every page a journey visits is checked
// with axe-core (WCAG 2.1 A and AA rules): any violation fails the journey. A
// failing journey leaves a screenshot in SCREENSHOT_DIR.
//
// Environment: BASE_URL, SCREENSHOT_DIR, OIDC_EMAIL (invited as a mediator, signs
// in at the provider), OTHER_VISIT (a visit of another association), MISSING_VISIT
// (a visit id that exists nowhere), LYON_AUDIT (Lyon's audit in its
// self-assessment), REVIEW_AUDIT and FINAL_AUDIT (the demo auditor's, in review and
// final with an action declared done), MISSING_AUDIT, OTHER_EMPLOYEE (an employee of Nîmes), CHROMIUM (default /usr/bin/chromium), ONLY
// (comma-separated journey names to run).
import { chromium } from 'playwright-core';
import { readFileSync, mkdirSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const BASE = process.env.BASE_URL;
const SHOTS = process.env.SCREENSHOT_DIR || '/tmp/passerelle-console-shots';
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const PASSWORD = 'correct horse';
if (!BASE) throw new Error('BASE_URL is required');
if (!existsSync(CHROMIUM)) {
  console.error(`Chromium is missing at ${CHROMIUM}: install Debian's chromium (scripts/test does it)`);
  process.exit(2);
}
mkdirSync(SHOTS, { recursive: true });

class Failure extends Error {}
function check(cond, message) {
  if (!cond) throw new Failure(message);
}

const axeCounts = [];

/** axe-core on the current page: 0 violations of WCAG 2.1 A and AA, or fail. */
async function axe(page, label) {
  // Evaluated through the DevTools protocol, which the page's CSP does not govern:
  // the page keeps its real policy while it is checked.
  await page.evaluate(AXE);
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')),
    }));
  });
  // Each page under 150 KB transferred (the document and what it loads, cache empty).
  const bytes = await page.evaluate(() => performance.getEntriesByType('navigation')
    .concat(performance.getEntriesByType('resource'))
    .reduce((n, e) => n + (e.encodedBodySize || 0), 0));
  check(bytes < 150 * 1024, `${label}: ${bytes} bytes`);
  axeCounts.push({ page: label, violations: result.length });
  check(result.length === 0, `axe on ${label}: ${JSON.stringify(result, null, 1)}`);
}

/** Screenshots at desktop width, 320 px and 200 % zoom; at the two narrow ones
 * the page must not scroll sideways. */
async function looks(page, name) {
  const sizes = [
    ['desktop', { width: 1280, height: 900 }],
    ['320px', { width: 320, height: 800 }],
    // 200 % zoom of a 1280 px window lays the page out in 640 CSS pixels.
    ['zoom200', { width: 640, height: 450 }],
  ];
  for (const [label, size] of sizes) {
    await page.setViewportSize(size);
    await page.screenshot({ path: join(SHOTS, `${name}-${label}.png`), fullPage: label !== 'zoom200' });
    if (label !== 'desktop') {
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      check(overflow <= 1, `${name} at ${label}: the page scrolls sideways by ${overflow}px`);
    }
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

async function go(page, path, label) {
  const resp = await page.goto(BASE + path);
  await axe(page, label || path);
  return resp;
}

/** Signs in from the development page as the demo account named `name`. */
async function devSignIn(page, name) {
  await go(page, '/', 'sign-in page');
  check(await page.locator('h1').innerText() === 'Connexion', 'the sign-in page shows at /');
  await page.getByRole('button', { name: `Se connecter en tant que ${name}` }).click();
  await page.waitForLoadState('load');
}

async function signOut(page) {
  await page.getByRole('button', { name: 'Se déconnecter' }).click();
  await page.waitForURL(`${BASE}/connexion`);
}

async function header(page) {
  return page.locator('header').innerText();
}

/** Tabs until the element with `id` has focus (keyboard only). */
async function tabTo(page, id, max = 80) {
  for (let i = 0; i < max; i++) {
    if (await page.evaluate(() => document.activeElement && document.activeElement.id) === id) return;
    await page.keyboard.press('Tab');
  }
  throw new Failure(`#${id} never got the focus by Tab`);
}

/** Picks an option of the focused <select> by typing the start of its label. */
async function typeOption(page, id, label) {
  await tabTo(page, id);
  await page.keyboard.type(label);
  const chosen = await page.evaluate((i) => {
    const s = document.getElementById(i);
    return s.options[s.selectedIndex].text;
  }, id);
  check(chosen.startsWith(label), `#${id}: typed "${label}", got "${chosen}"`);
}

/** The date `n` days from today (UTC), as date inputs take it. */
function day(n) {
  return new Date(Date.now() + n * 86400000).toISOString().slice(0, 10);
}

async function todayCount(page) {
  return page.locator('#today-visits tbody tr').count();
}

// ------------------------------------------------------------------ journeys

const journeys = {
  /** 1. Mediator at the front desk. */
  async frontDesk(page) {
    await devSignIn(page, 'Fatou Diallo');
    await page.waitForURL(`${BASE}/accueil`);
    await axe(page, 'front desk');
    check((await header(page)).includes('PIMMS Lyon Métropole'), 'the association is in the header');
    check((await header(page)).includes('Fatou Diallo'), 'the person is in the header');
    const before = await todayCount(page);
    const siteLabel = await page.evaluate(() => document.querySelector('#site option:nth-child(2)').text);

    const started = Date.now();
    await page.keyboard.press('Tab'); // from the top of the page, keyboard only
    await typeOption(page, 'site', siteLabel);
    await tabTo(page, 'duration');
    await page.keyboard.press('Control+A');
    await page.keyboard.type('20');
    await typeOption(page, 'r0-theme', 'Transports');
    await typeOption(page, 'r0-outcome', 'Orient');
    await tabTo(page, 'r0-act');
    await page.keyboard.press('Space');
    await typeOption(page, 'r1-theme', 'Eau');
    await typeOption(page, 'r1-kind', 'Partenaire');
    // No partner for a partner request: the API refuses, next to the field.
    await tabTo(page, 'record-submit');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#r1-partner-error');
    const err = page.locator('#r1-partner-error');
    check(await err.count() === 1, 'the partner error is shown under the partner field');
    const errText = await err.innerText();
    check(/obligatoire pour une demande partenaire/i.test(errText), `French error next to the field: "${errText}"`);
    check(await page.locator('#r1-partner').getAttribute('aria-describedby') === 'r1-partner-error', 'the field points at its error');
    await axe(page, 'front desk with an error');
    await looks(page, 'front-desk-error');
    // The values typed are kept; the partner is chosen, then the form sent.
    check(await page.inputValue('#r0-theme') === 'transport', 'the first request is kept');
    check(await page.inputValue('#duration') === '20', 'the duration is kept');
    await page.locator('#r1-partner').focus();
    await typeOption(page, 'r1-partner', 'Veolia');
    await tabTo(page, 'record-submit');
    await page.keyboard.press('Enter');
    await page.waitForURL(`${BASE}/accueil`);
    const seconds = (Date.now() - started) / 1000;
    check(seconds < 30, `recording took ${seconds}s of test time`);
    check((await page.locator('.alert-success').innerText()).includes('Visite enregistrée'), 'success message');
    check(await todayCount(page) === before + 1, 'the visit is in today\'s list');
    check((await header(page)).includes(siteLabel), 'the site is remembered in the header');
    await axe(page, 'front desk after recording');

    // A double submission of one form records once (its client key).
    await page.selectOption('#r0-theme', 'digital');
    const form = await page.evaluate(() => new URLSearchParams(new FormData(document.querySelector('form[action="/accueil"]'))).toString());
    const post = () => page.request.post(`${BASE}/accueil`, {
      data: form, headers: { 'content-type': 'application/x-www-form-urlencoded' }, maxRedirects: 0,
    });
    const [a, b] = await Promise.all([post(), post()]);
    check(a.status() === 303 && b.status() === 303, `both submissions answered (${a.status()}, ${b.status()})`);
    await page.goto(`${BASE}/accueil`);
    check(await todayCount(page) === before + 2, `two submissions of one form recorded once (${await todayCount(page)} vs ${before + 2})`);
    await looks(page, 'front-desk');
    await signOut(page);
    // The site is remembered from one session to the next (by this browser).
    await devSignIn(page, 'Fatou Diallo');
    await page.waitForURL(`${BASE}/accueil`);
    check((await header(page)).includes(siteLabel), 'the site is remembered at the next sign-in');
    check(await page.inputValue('#site') !== '', 'and chosen in the form');
    await signOut(page);
  },

  /** 2. Coordinator: journal, filters, a visit, amend, history, void. */
  async journal(page) {
    await devSignIn(page, 'Julien Morel');
    await go(page, '/journal', 'journal');
    const site = await page.evaluate(() => document.querySelector('#f-site option:nth-child(2)').value);
    await page.selectOption('#f-site', site);
    await page.selectOption('#f-theme', 'energy');
    await page.getByRole('button', { name: 'Filtrer' }).click();
    await page.waitForURL(/theme=energy/);
    await page.waitForSelector('#journal-table');
    await axe(page, 'journal filtered');
    const rows = await page.locator('#journal-table tbody tr').count();
    check(rows > 0, 'the filtered journal lists visits');
    const themes = await page.locator('#journal-table tbody tr td:nth-child(4)').allInnerTexts();
    check(themes.every((t) => t.includes('Énergie')), 'every visit listed has an energy request');
    await looks(page, 'journal');
    // Without JavaScript's help too: the same URL renders the same list.
    const url = page.url();
    await page.goto(url);
    check(await page.locator('#journal-table tbody tr').count() === rows, 'the filter URL renders the same list');
    // The theme filter reaches the whole journal: older matching visits follow.
    await go(page, '/journal?theme=energy', 'journal by theme');
    const firstPage = await page.locator('#journal-table tbody a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    check(firstPage.length === 50 && await page.locator('#journal-next').count() === 1, `a full page and a link to older visits (${firstPage.length})`);
    await page.locator('#journal-next').click();
    await page.waitForURL(/apres=/);
    await axe(page, 'journal by theme, older visits');
    const olderThemes = await page.locator('#journal-table tbody tr td:nth-child(4)').allInnerTexts();
    const older = await page.locator('#journal-table tbody a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    check(older.length > 0 && olderThemes.every((t) => t.includes('Énergie')), 'older visits, every one with an energy request');
    check(older.every((h) => !firstPage.includes(h)), 'none of the first page again');
    // The partner filter: every visit listed has a request for that partner.
    await go(page, '/journal', 'journal');
    await page.selectOption('#f-partner', { label: 'EDF' });
    await page.getByRole('button', { name: 'Filtrer' }).click();
    await page.waitForURL(/partenaire=/);
    await page.waitForSelector('#journal-table');
    await axe(page, 'journal by partner');
    const byPartner = await page.locator('#journal-table tbody tr td:nth-child(4)').allInnerTexts();
    check(byPartner.length > 0 && byPartner.every((t) => t.includes('EDF')), `every visit listed has an EDF request (${byPartner.length})`);
    await page.goto(url);

    await page.locator('#journal-table tbody tr').first().getByRole('link').click();
    await page.waitForSelector('h1');
    await axe(page, 'visit');
    const visitUrl = page.url();
    await page.fill('#duration', '25');
    await page.fill('#amend-reason', 'Durée corrigée');
    await page.getByRole('button', { name: 'Enregistrer la modification' }).click();
    await page.waitForURL(visitUrl);
    check((await page.locator('.alert-success').innerText()).includes('Visite modifiée'), 'amended');
    const history = await page.locator('#history tbody tr').allInnerTexts();
    check(history.some((h) => h.includes('Modification') && h.includes('Durée corrigée')), `history: ${history}`);
    check((await page.locator('.summary').innerText()).includes('25 min'), 'the new duration is shown');
    await axe(page, 'visit amended');
    await looks(page, 'visit');

    // Voiding needs a reason: the error is next to its field, in French.
    await page.getByRole('button', { name: 'Annuler la visite' }).click();
    await page.waitForLoadState('load');
    const err = await page.locator('#reason-error').innerText();
    check(/entre 3 et 500 caractères/i.test(err), `reason error: "${err}"`);
    await axe(page, 'void without a reason');
    await page.fill('#reason', 'Saisie en double');
    await page.getByRole('button', { name: 'Annuler la visite' }).click();
    await page.waitForURL(visitUrl);
    check((await page.locator('main').innerText()).includes('Cette visite est annulée'), 'voided');
    const after = await page.locator('#history tbody tr').allInnerTexts();
    check(after.some((h) => h.includes('Annulation') && h.includes('Saisie en double')), `history: ${after}`);

    // Another association's visit is the same 404 as a missing one.
    const other = await page.goto(`${BASE}/journal/${process.env.OTHER_VISIT}`);
    const otherBody = await page.locator('main').innerText();
    await axe(page, 'another association\'s visit');
    const missing = await page.goto(`${BASE}/journal/${process.env.MISSING_VISIT}`);
    const missingBody = await page.locator('main').innerText();
    check(other.status() === 404 && missing.status() === 404, `404 both (${other.status()}, ${missing.status()})`);
    check(otherBody === missingBody, 'the same page for another association\'s visit and a missing one');
    check((await header(page)).includes('PIMMS Lyon Métropole'), 'the error page keeps the header');
    await signOut(page);
  },

  /** 3 and 4. Dashboard, read-only for a board member; CSV download. */
  async dashboard(page) {
    await devSignIn(page, 'Hélène Rousseau');
    await page.waitForURL(`${BASE}/tableau-de-bord`);
    await axe(page, 'dashboard (viewer)');
    check(await page.locator('figure.chart svg rect').count() > 1, 'the chart is drawn');
    check(await page.locator('#chart-table tbody tr').count() > 1, 'the chart has its table');
    // Read-only: no link to pages the role is refused, no form that writes but sign-out.
    const nav = await page.locator('nav.nav').innerText();
    check(!nav.includes('Journal') && !nav.includes('Accueil du public'), `viewer nav: ${nav}`);
    const posts = await page.locator('form[method="post"]').evaluateAll((fs) => fs.map((f) => f.getAttribute('action')));
    check(posts.length === 1 && posts[0] === '/deconnexion', `viewer forms: ${posts}`);
    const journal = await page.goto(`${BASE}/journal`);
    check(journal.status() === 404, 'the journal is not a viewer\'s page');
    await page.goto(`${BASE}/tableau-de-bord`);
    await looks(page, 'dashboard');

    await page.selectOption('#d-par', 'THEME');
    await page.getByRole('button', { name: 'Afficher' }).click();
    await page.waitForURL(/par=THEME/);
    await axe(page, 'dashboard by theme');
    const cats = await page.locator('#chart-table tbody th').allInnerTexts();
    check(cats.some((c) => c.startsWith('Énergie')), `themes in the chart table: ${cats}`);

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Télécharger le tableau (CSV)' }).click(),
    ]);
    const path = await download.path();
    const csv = readFileSync(path, 'utf8');
    check(csv.charCodeAt(0) === 0xfeff && csv.includes(';'), 'a CSV with BOM and semicolons');
    await signOut(page);
  },

  /** A person on two boards picks the association; the choice is on every page. */
  async choice(page) {
    await devSignIn(page, 'Claire Dubois');
    await page.waitForURL(`${BASE}/choisir`);
    await axe(page, 'choice');
    await page.getByLabel(/PIMMS de Nîmes/).check();
    await page.getByRole('button', { name: 'Continuer' }).click();
    await page.waitForURL(`${BASE}/tableau-de-bord`);
    check((await header(page)).includes('PIMMS de Nîmes'), 'Nîmes in the header');
    await page.getByRole('link', { name: 'Changer de structure' }).click();
    await page.getByLabel(/PIMMS Lyon Métropole/).check();
    await page.getByRole('button', { name: 'Continuer' }).click();
    await page.waitForURL(`${BASE}/tableau-de-bord`);
    check((await header(page)).includes('PIMMS Lyon Métropole'), 'Lyon in the header');
    await signOut(page);
  },

  /** 3. Director: agreements with the deliverables report and its CSV; campaigns. */
  async director(page) {
    await devSignIn(page, 'Nadia Benali');
    await page.waitForURL(`${BASE}/accueil`);
    await go(page, '/conventions', 'agreements (director)');
    check(await page.locator('#agreements tbody tr').count() > 0, 'the association reads its agreements');
    await page.locator('#agreements tbody tr').first().getByRole('link').click();
    await page.waitForSelector('#report-totals');
    await axe(page, 'agreement report (director)');
    check(await page.locator('#report-totals tbody tr').count() > 0, 'deliverables listed');
    await looks(page, 'agreement-report');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Télécharger le rapport (CSV)' }).click(),
    ]);
    const csv = readFileSync(await download.path(), 'utf8');
    check(csv.includes(';'), 'the report as CSV');
    await go(page, '/campagnes', 'campaigns (director)');

    // Sites: hours, closures, labels; a closure declared (its reason is required).
    await go(page, '/sites', 'sites');
    check(await page.locator('section.card').count() > 1, 'the sites are listed');
    check((await page.locator('main').innerText()).includes('Horaires'), 'with their hours');
    await page.fill('#startsOn', '2030-08-01');
    await page.fill('#endsOn', '2030-08-15');
    await page.getByRole('button', { name: 'Déclarer la fermeture' }).click();
    await page.waitForSelector('#reason-error');
    check((await page.locator('#reason-error').innerText()) === 'Obligatoire.', 'the missing reason is shown next to its field');
    await axe(page, 'sites with an error');
    await page.fill('#reason', 'Congés d\'été');
    await page.getByRole('button', { name: 'Déclarer la fermeture' }).click();
    await page.waitForURL(`${BASE}/sites`);
    check((await page.locator('main').innerText()).includes('Congés d\'été'), 'the closure is listed');
    await looks(page, 'sites');

    // Members and invitations.
    await go(page, '/membres', 'members');
    check(await page.locator('#members tbody tr').count() > 2, 'the members are listed');
    await page.fill('#email', 'pas-une-adresse');
    await page.getByRole('button', { name: 'Envoyer l\'invitation' }).click();
    await page.waitForSelector('#email-error');
    await axe(page, 'members with an error');
    const invited = `nouvelle.mediatrice.${Date.now()}@lyon.pimms.example`;
    await page.fill('#email', invited);
    await page.selectOption('#role', 'MEDIATOR');
    await page.getByRole('button', { name: 'Envoyer l\'invitation' }).click();
    await page.waitForURL(`${BASE}/membres`);
    check((await page.locator('#invitations').innerText()).includes(invited), 'the invitation is pending');
    await page.locator('#invitations tbody tr', { hasText: invited }).getByRole('button', { name: /Retirer/ }).click();
    await page.waitForURL(`${BASE}/membres`);
    check(!(await page.locator('main').innerText()).includes(invited), 'the invitation is withdrawn');
    await looks(page, 'members');

    // Compliance: the audits, then this year's self-assessment with its evidence.
    await go(page, '/conformite', 'compliance audits (director)');
    check(await page.locator('#audits tbody tr').count() >= 2, 'the association\'s audits are listed');
    const auditUrl = `${BASE}/conformite/${process.env.LYON_AUDIT}`;
    await go(page, `/conformite/${process.env.LYON_AUDIT}`, 'self-assessment');
    const answer = page.locator('form[action$="/reponses"]').first();
    const code = await answer.locator('input[name="code"]').inputValue();
    await answer.locator('textarea').fill('Médiation sociale neutre et gratuite dans nos sites.');
    await answer.locator('input[type="file"]').setInputFiles({ name: 'bilan.pdf', mimeType: 'application/pdf', buffer: Buffer.from('MZ\x90\x00 an executable named .pdf') });
    await answer.getByRole('button').click();
    await page.waitForSelector(`[id="c-${code}-file-error"]`);
    const fileErr = await page.locator(`[id="c-${code}-file-error"]`).innerText();
    check(/type de fichier refusé/i.test(fileErr), `file error next to its field: "${fileErr}"`);
    check((await page.locator(`[id="c-${code}-declaration"]`).inputValue()).startsWith('Médiation sociale'), 'the declaration typed is kept');
    await axe(page, 'self-assessment with a refused file');
    const pdf = Buffer.from('%PDF-1.7\n% Bilan d\'activite\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
    await page.locator('form[action$="/reponses"]').first().locator('input[type="file"]').setInputFiles({ name: 'bilan.pdf', mimeType: 'application/pdf', buffer: pdf });
    await page.locator('form[action$="/reponses"]').first().getByRole('button').click();
    await page.waitForURL(auditUrl);
    check((await page.locator('.alert-success').innerText()).includes('bilan.pdf'), 'answer and file recorded');
    await axe(page, 'self-assessment answered');
    await looks(page, 'self-assessment');
    const [evidence] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'bilan.pdf' }).first().click(),
    ]);
    check(readFileSync(await evidence.path()).equals(pdf), 'the evidence downloads back byte for byte');
    await page.getByRole('button', { name: 'Soumettre l\'auto-évaluation' }).click();
    await page.waitForURL(auditUrl);
    check((await page.locator('.alert-success').innerText()).includes('soumise'), 'submitted');
    check(await page.locator('form[action$="/reponses"]').count() === 0, 'read-only once submitted');
    await axe(page, 'self-assessment submitted');

    // Last year's audit: the final report, the grade and the action plan.
    await page.goto(`${BASE}/conformite`);
    await page.locator('#audits tbody tr').filter({ has: page.locator('.badge') }).first().getByRole('link').click();
    await page.waitForSelector('#final-summary');
    await axe(page, 'final report and action plan');
    check((await page.locator('#audit-grade').innerText()).trim().length > 1, 'the grade is shown');
    check(await page.locator('#actions tbody tr').count() > 0, 'the action plan is listed');
    check(/en retard/i.test(await page.locator('#actions').innerText()), 'an overdue action is flagged');
    const finalUrl = page.url();
    const done = page.locator('form[action*="/actions/"]').first();
    const noteId = await done.locator('textarea').getAttribute('id');
    await done.getByRole('button').click();
    await page.waitForSelector(`[id="${noteId}-error"]`);
    check(/caractères/.test(await page.locator(`[id="${noteId}-error"]`).innerText()), 'a completion needs its note, said next to the field');
    await axe(page, 'action plan with an error');
    await page.locator(`[id="${noteId}"]`).fill('Permanence du samedi ouverte depuis septembre.');
    await page.locator(`[id="${noteId}"]`).locator('xpath=ancestor::form').getByRole('button').click();
    await page.waitForURL(finalUrl);
    check((await page.locator('#actions').innerText()).includes('Réalisée, en attente de validation'), 'the action is reported done');
    await looks(page, 'final-report');

    // HR pathways: employees, contracts, the 9 % ledger, exits.
    await go(page, '/salaries', 'employees');
    check(await page.locator('#employees tbody tr').count() > 0, 'employees listed');
    await looks(page, 'employees');
    await page.locator('#employees tbody tr').first().getByRole('link').click();
    await page.waitForSelector('#ledger');
    await axe(page, 'employee');
    check(await page.locator('#contracts tbody tr').count() > 0, 'contracts listed');
    check(await page.locator('#ledger tbody tr').count() > 0, 'the 9 % ledger month by month');
    await looks(page, 'employee');
    const otherEmployee = await page.goto(`${BASE}/salaries/${process.env.OTHER_EMPLOYEE}`);
    const otherEmployeeBody = await page.locator('main').innerText();
    const missingEmployee = await page.goto(`${BASE}/salaries/${process.env.MISSING_VISIT}`);
    check(otherEmployee.status() === 404 && missingEmployee.status() === 404, `another association's employee is 404 (${otherEmployee.status()})`);
    check(otherEmployeeBody === await page.locator('main').innerText(), 'the same page as a missing one');
    await signOut(page);
  },

  /** 3. Another director answers the draft report's findings; another association's audit is 404. */
  async contradictory(page) {
    await devSignIn(page, 'Sophie Martin');
    await page.waitForURL(`${BASE}/accueil`);
    await go(page, '/conformite', 'compliance audits (Nîmes)');
    await page.locator('#audits tbody tr').filter({ hasText: 'complémentaire' }).first().getByRole('link').click();
    await page.waitForSelector('#draft-summary');
    await axe(page, 'draft report');
    const url = page.url();
    check(await page.locator('.finding').count() > 0, 'the findings are listed');
    const reply = page.locator('form[action*="/constats/"]').first();
    const bodyId = await reply.locator('textarea').getAttribute('id');
    await reply.getByRole('button').click();
    await page.waitForSelector(`[id="${bodyId}-error"]`);
    check(/caractères/.test(await page.locator(`[id="${bodyId}-error"]`).innerText()), 'an empty answer is refused next to its field');
    await axe(page, 'draft report with an error');
    await page.locator(`[id="${bodyId}"]`).fill('La permanence a repris ses horaires ; planning joint au prochain envoi.');
    await page.locator(`[id="${bodyId}"]`).locator('xpath=ancestor::form').getByRole('button').click();
    await page.waitForURL(url);
    check((await page.locator('main').innerText()).includes('La permanence a repris ses horaires'), 'the answer is shown');
    await looks(page, 'draft-report');
    const other = await page.goto(`${BASE}/conformite/${process.env.LYON_AUDIT}`);
    const otherBody = await page.locator('main').innerText();
    const missing = await page.goto(`${BASE}/conformite/${process.env.MISSING_AUDIT}`);
    check(other.status() === 404 && missing.status() === 404, `another association's audit is 404 (${other.status()}, ${missing.status()})`);
    check(otherBody === await page.locator('main').innerText(), 'the same page as a missing one');
    await signOut(page);
  },

  /** HR records (Marseille's director): a hiring refused then recorded, training
   * time refused for its hours then recorded, a renewal refused without its end
   * then recorded, an exit refused for an employer with a job search then
   * recorded, and its six-month follow-up refused too early then recorded. */
  async hrRecording(page) {
    await devSignIn(page, 'Olivier Santoni');
    await page.waitForURL(`${BASE}/accueil`);
    await go(page, '/salaries', 'employees (HR records)');
    const hire = async (name, start, end) => {
      await page.fill('#h-fullName', name);
      await page.fill('#h-birthYear', '1994');
      await page.selectOption('#h-sex', 'FEMALE');
      await page.selectOption('#h-kind', 'ADULTE_RELAIS');
      await page.fill('#h-startsOn', start);
      await page.fill('#h-plannedEndOn', end);
      await page.getByRole('button', { name: 'Enregistrer l\'embauche' }).click();
      await page.waitForLoadState('load');
    };
    // An end before the start: refused next to the field, the name kept.
    await hire('Inès Durand', day(-60), day(-90));
    await page.waitForSelector('#h-plannedEndOn-error');
    check(/précède le début/.test(await page.locator('#h-plannedEndOn-error').innerText()), 'the end before the start is said next to its field');
    check(await page.locator('#h-fullName').inputValue() === 'Inès Durand', 'the name typed is kept');
    await axe(page, 'hiring refused');
    await hire('Inès Durand', day(-60), day(300));
    await page.waitForSelector('#ledger');
    check((await page.locator('.alert-success').innerText()).includes('Embauche enregistrée'), 'the hiring is recorded');
    check((await page.locator('h1').innerText()) === 'Inès Durand', 'on the new employee\'s page');
    await axe(page, 'new employee');
    const url = page.url();

    // Training time: more hours than the contract has, then a day's session.
    await page.selectOption('#t-kind', 'TRAINING');
    await page.fill('#t-title', 'Gestes et postures de la médiation');
    await page.fill('#t-startsOn', day(-37));
    await page.fill('#t-endsOn', day(-31));
    await page.fill('#t-hours', '9999');
    await page.getByRole('button', { name: 'Enregistrer la formation' }).click();
    await page.waitForSelector('#t-hours-error');
    check(/plus d'heures que le contrat/i.test(await page.locator('#t-hours-error').innerText()), 'too many hours said next to the field');
    check(await page.locator('#t-title').inputValue() === 'Gestes et postures de la médiation', 'the title typed is kept');
    await axe(page, 'training refused');
    await page.fill('#t-hours', '7,5');
    await page.getByRole('button', { name: 'Enregistrer la formation' }).click();
    await page.waitForURL(url);
    check((await page.locator('.alert-success').innerText()).includes('Formation enregistrée'), 'the training is recorded');
    check((await page.locator('#training').innerText()).includes('Gestes et postures'), 'the training is listed');

    // The renewal: its planned end is needed (not a CDI).
    await page.getByRole('button', { name: 'Renouveler le contrat' }).click();
    await page.waitForSelector('#r-plannedEndOn-error');
    check(/Obligatoire/.test(await page.locator('#r-plannedEndOn-error').innerText()), 'a renewal without its end is refused next to the field');
    await axe(page, 'renewal refused');
    await page.fill('#r-plannedEndOn', day(600));
    await page.getByRole('button', { name: 'Renouveler le contrat' }).click();
    await page.waitForURL(url);
    check((await page.locator('.alert-success').innerText()).includes('Contrat renouvelé'), 'the contract is renewed');
    check(await page.locator('#contracts tbody tr').count() === 2, 'two contracts in the pathway');
    await looks(page, 'employee-records');

    // Someone hired long ago leaves: an exit to a job search has no employer.
    await go(page, '/salaries', 'employees (second hiring)');
    await hire('Lucie Fabre', day(-400), day(100));
    await page.waitForSelector('#exit-form');
    const leaver = page.url();
    await page.fill('#x-exitOn', day(-200));
    await page.selectOption('#x-outcome', 'JOB_SEARCH');
    await page.selectOption('#x-employerPartnerId', { index: 1 });
    await page.getByRole('button', { name: 'Enregistrer la sortie' }).click();
    await page.waitForSelector('#x-employerPartnerId-error');
    check(/emploi/.test(await page.locator('#x-employerPartnerId-error').innerText()), 'an employer for a job search is refused next to the field');
    await axe(page, 'exit refused');
    await page.selectOption('#x-outcome', 'LASTING_JOB');
    await page.getByRole('button', { name: 'Enregistrer la sortie' }).click();
    await page.waitForURL(leaver);
    check((await page.locator('#exit').innerText()).includes('Emploi durable'), 'the exit is recorded');

    // The follow-up: not before six months after the exit.
    await page.fill('#s-followedUpOn', day(-150));
    await page.selectOption('#s-outcome', 'LASTING_JOB');
    await page.getByRole('button', { name: 'Enregistrer le suivi' }).click();
    await page.waitForSelector('#s-followedUpOn-error');
    check(/six mois après la sortie/.test(await page.locator('#s-followedUpOn-error').innerText()), 'a follow-up too early is refused next to the field');
    await axe(page, 'follow-up refused');
    await page.fill('#s-followedUpOn', day(0));
    await page.getByRole('button', { name: 'Enregistrer le suivi' }).click();
    await page.waitForURL(leaver);
    check((await page.locator('#exit').innerText()).includes('fait le'), 'the follow-up is recorded');
    check(await page.locator('form[action$="/suivi"]').count() === 0, 'nothing left to record');
    await axe(page, 'exit followed up');
    await signOut(page);
  },

  /** The union's auditor: their audits by step, one in review (a piece refused
   * without its reason, then accepted; indicators, a criterion scored, a finding,
   * a note, the draft report refused empty then sent, the final report refused
   * non-compliant without an action plan then issued), and an action declared
   * done reopened without a reason (refused), then accepted. */
  async auditor(page) {
    await devSignIn(page, 'Marc Petit');
    await page.waitForURL(`${BASE}/associations`);
    check(await page.getByRole('link', { name: 'Contrôles', exact: true }).count() === 1, 'the auditor has the audits in the navigation');
    await go(page, '/controles', 'auditor audits');
    const list = await page.locator('#auditor-audits').innerText();
    check(list.includes('PIMMS de Grenoble') || list.includes('Grenoble'), 'the audit of Grenoble is listed');
    await page.selectOption('#etape', 'REVIEW');
    await page.getByRole('button', { name: 'Filtrer' }).click();
    await page.waitForLoadState('load');
    await axe(page, 'auditor audits in review');
    const steps = await page.locator('#auditor-audits tbody tr td:nth-child(3)').allInnerTexts();
    check(steps.length > 0 && steps.every((t) => /Examen|revue|examen/i.test(t)), `only audits in review: ${steps}`);
    await looks(page, 'auditor-audits');

    const url = `${BASE}/controles/${process.env.REVIEW_AUDIT}`;
    await go(page, `/controles/${process.env.REVIEW_AUDIT}`, 'audit in review (auditor)');
    const [evidence] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'affichage.pdf' }).first().click(),
    ]);
    check(readFileSync(await evidence.path()).subarray(0, 5).toString() === '%PDF-', 'the piece downloads');
    await page.getByRole('button', { name: 'Refuser la pièce affichage.pdf' }).click();
    await page.waitForSelector('[id="d0x0-reason-error"]');
    check(/motive/.test(await page.locator('[id="d0x0-reason-error"]').innerText()), 'a refusal without its reason is refused next to the field');
    await axe(page, 'piece refused without a reason');
    await page.getByRole('button', { name: 'Accepter la pièce affichage.pdf' }).click();
    await page.waitForURL(url);
    check((await page.locator('.alert-success').innerText()).includes('Pièce acceptée'), 'the piece is accepted');
    check((await page.locator('#answers').locator('xpath=..').innerText()).includes('acceptée'), 'shown accepted');

    await page.getByRole('button', { name: /Pré-remplir/ }).click();
    await page.waitForURL(url);
    check((await page.locator('.alert-success').innerText()).includes('pré-remplis'), 'indicators pre-filled');
    // A criterion without a pre-filled result, scored by hand.
    const prefilled = await page.locator('#criterion-scores tbody tr td:nth-child(4)').allInnerTexts();
    const i = prefilled.findIndex((t) => t.trim() === '—');
    check(i >= 0, 'a criterion to score by hand');
    await page.selectOption(`#n${i}-result`, 'NOT_MET');
    await page.locator(`#n${i}-result`).locator('xpath=ancestor::form').getByRole('button').click();
    await page.waitForURL(url);
    check((await page.locator('.alert-success').innerText()).includes('Résultat du critère'), 'the criterion is scored');
    check((await page.locator('#criterion-scores tbody tr').nth(i).innerText()).includes('Non atteint'), 'its result is shown');

    // A finding refused empty, then added; an internal note.
    await page.getByRole('button', { name: 'Ajouter l\'écart' }).click();
    await page.waitForSelector('#c-body-error');
    check(/caractères/.test(await page.locator('#c-body-error').innerText()), 'an empty finding is refused next to its field');
    await axe(page, 'finding refused');
    await page.selectOption('#c-criterionId', { index: i });
    await page.fill('#c-body', 'Les horaires ne sont pas affichés à l\'entrée du site.');
    await page.getByRole('button', { name: 'Ajouter l\'écart' }).click();
    await page.waitForURL(url);
    check((await page.locator('main').innerText()).includes('Les horaires ne sont pas affichés'), 'the finding is listed');
    await page.fill('#i-body', 'Revoir l\'affichage lors de la visite de suivi.');
    await page.getByRole('button', { name: 'Ajouter la note' }).click();
    await page.waitForURL(url);
    check((await page.locator('#note-list').innerText()).includes('Revoir l\'affichage'), 'the internal note is listed');
    await looks(page, 'auditor-audit');

    // The draft report: refused empty, then sent.
    await page.getByRole('button', { name: 'Envoyer le rapport provisoire' }).click();
    await page.waitForSelector('#p-summary-error');
    check(/caractères/.test(await page.locator('#p-summary-error').innerText()), 'an empty draft is refused next to its field');
    await axe(page, 'draft refused');
    await page.fill('#p-summary', 'Un écart relevé sur l\'affichage des horaires.');
    await page.getByRole('button', { name: 'Envoyer le rapport provisoire' }).click();
    await page.waitForURL(url);
    check((await page.locator('#audit-status').innerText()).includes('contradictoire'), 'the contradictory phase is open');
    await axe(page, 'audit in its contradictory phase (auditor)');

    // The final report: non-compliant needs an action plan; compliant is issued.
    await page.selectOption('#g-grade', 'NON_COMPLIANT');
    await page.fill('#g-summary', 'Affichage des horaires corrigé pendant la phase contradictoire.');
    await page.getByRole('button', { name: 'Émettre le rapport définitif' }).click();
    await page.waitForSelector('#g-grade-error');
    check(/plan d'actions/.test(await page.locator('#g-grade-error').innerText()), 'a non-compliant grade without a plan is refused next to the grade');
    check((await page.locator('#g-summary').inputValue()).startsWith('Affichage des horaires'), 'the summary typed is kept');
    await axe(page, 'final report refused');
    await page.selectOption('#g-grade', 'COMPLIANT');
    await page.getByRole('button', { name: 'Émettre le rapport définitif' }).click();
    await page.waitForURL(url);
    check(/^\s*conforme\s*$/i.test(await page.locator('#audit-grade').innerText()), 'the grade is issued');
    check((await page.locator('#final-summary').innerText()).startsWith('Affichage des horaires'), 'the final report is shown');
    await axe(page, 'final report (auditor)');

    // The action plan's follow-up: a reopening needs its reason.
    const finalUrl = `${BASE}/controles/${process.env.FINAL_AUDIT}`;
    await go(page, `/controles/${process.env.FINAL_AUDIT}`, 'action plan (auditor)');
    await page.getByRole('button', { name: /Rouvrir l'action/ }).first().click();
    await page.waitForSelector('[id="a0-reason-error"]');
    check(/se motive/.test(await page.locator('[id="a0-reason-error"]').innerText()), 'a reopening without its reason is refused next to the field');
    await axe(page, 'action reopening refused');
    await page.getByRole('button', { name: /Valider l'action/ }).first().click();
    await page.waitForURL(finalUrl);
    check((await page.locator('#actions').innerText()).includes('Validée par l\'auditeur'), 'the action is accepted');
    await looks(page, 'auditor-action-plan');
    await signOut(page);
  },

  /** 6. Partner person: agreements and reports (<5), campaigns with a CSV upload, API clients read-only. */
  async partner(page) {
    await devSignIn(page, 'Nathalie Perrin');
    await page.waitForURL(`${BASE}/conventions`);
    await axe(page, 'agreements (partner)');
    check((await header(page)).includes('ENGIE'), 'the partner is in the header');
    await page.locator('#agreements tbody tr').first().getByRole('link').click();
    await page.waitForSelector('#report-totals');
    await axe(page, 'agreement report (partner)');
    check((await page.locator('main').innerText()).includes('« <5 »'), 'small counts are hidden from a partner');
    await go(page, '/campagnes', 'campaigns (partner)');
    await page.locator('#campaigns tbody tr').filter({ hasNotText: 'Clôturée' }).first().getByRole('link').click();
    await page.waitForSelector('#by-status');
    await axe(page, 'campaign (partner)');
    const campaignUrl = page.url();
    // A file without its customer references is refused, in French, next to the field.
    await page.setInputFiles('#csv', { name: 'cas.csv', mimeType: 'text/csv', buffer: Buffer.from('full_name;phone\nJeanne Essai;+33612345678\n') });
    await page.getByRole('button', { name: 'Transmettre les cas' }).click();
    await page.waitForSelector('#csv-error');
    const err = await page.locator('#csv-error').innerText();
    check(/^Fichier refusé/.test(err), `CSV error: "${err}"`);
    await axe(page, 'campaign with a refused file');
    const ref = `E2E-${Date.now()}`;
    await page.setInputFiles('#csv', { name: 'cas.csv', mimeType: 'text/csv', buffer: Buffer.from(`customer_ref;full_name;phone\n${ref};Jeanne Essai;+33612345678\n`) });
    await page.getByRole('button', { name: 'Transmettre les cas' }).click();
    await page.waitForURL(campaignUrl);
    check((await page.locator('.alert-success').innerText()).includes('1 cas transmis'), 'uploaded');
    check((await page.locator('#cases').innerText()).includes(ref), 'the case is listed with its status');
    check(!(await page.locator('#cases').innerText()).includes('+33612345678'), 'no contact data shown back to the partner');
    const heads = await page.locator('#cases thead th').allInnerTexts();
    check(['État', 'Issue', 'Compte rendu', 'Tentatives'].every((h) => heads.includes(h)), `each case's status, outcome and attempts: ${heads}`);
    await looks(page, 'campaign');
    await go(page, '/clients-api', 'API clients (partner)');
    check(await page.locator('#clients tbody tr').count() > 0, 'its API clients are listed');
    const posts = await page.locator('form[method="post"]').count();
    check(posts === 1, 'no button the partner would be refused');
    await signOut(page);
  },

  /** 5. Union admin: associations (create, suspend, reactivate, invite a director into one), network dashboard, API clients. */
  async union(page) {
    await devSignIn(page, 'Isabelle Laurent');
    await page.waitForURL(`${BASE}/associations`);
    await axe(page, 'associations');
    const slug = `pimms-essai-${Date.now()}`;
    await page.fill('#name', 'PIMMS Essai');
    await page.fill('#slug', slug);
    await page.fill('#firstDirectorEmail', `direction@${slug}.example`);
    await page.getByRole('button', { name: 'Créer l\'association' }).click();
    await page.waitForURL(`${BASE}/associations`);
    check((await page.locator('.alert-success').innerText()).includes('PIMMS Essai'), 'created');
    const row = page.locator('#tenants tbody tr', { hasText: slug });
    await row.getByLabel(/Motif de suspension/).fill('Audit en cours');
    await row.getByRole('button', { name: /Suspendre/ }).click();
    await page.waitForURL(`${BASE}/associations`);
    check((await page.locator('#tenants tbody tr', { hasText: slug }).innerText()).toLowerCase().includes('suspendue'), 'suspended');
    await axe(page, 'associations after suspension');
    await page.locator('#tenants tbody tr', { hasText: slug }).getByRole('button', { name: /Réactiver/ }).click();
    await page.waitForURL(`${BASE}/associations`);
    check((await page.locator('#tenants tbody tr', { hasText: slug }).innerText()).toLowerCase().includes('active'), 'reactivated');
    // The same slug again: a French error next to its field.
    await page.fill('#name', 'PIMMS Essai bis');
    await page.fill('#slug', slug);
    await page.fill('#firstDirectorEmail', `direction2@${slug}.example`);
    await page.getByRole('button', { name: 'Créer l\'association' }).click();
    await page.waitForSelector('#slug-error');
    const slugErr = await page.locator('#slug-error').innerText();
    check(slugErr.includes('Une association utilise déjà cet identifiant court'), `slug error: "${slugErr}"`);
    await axe(page, 'associations with an error');
    await looks(page, 'associations');

    // A director invited into an association that exists (its director left, say).
    await go(page, '/associations', 'associations');
    await page.locator('#tenants tbody tr', { hasText: slug }).getByRole('link', { name: 'PIMMS Essai' }).click();
    await page.waitForSelector('#invite-director');
    await axe(page, 'association');
    check((await page.locator('#director-invitations-table').innerText()).includes(`direction@${slug}.example`), 'the first director\'s invitation, pending');
    // A bad address: a French error next to its field, nothing sent.
    await page.fill('#director-email', 'pas-une-adresse');
    await page.getByRole('button', { name: 'Envoyer l\'invitation' }).click();
    await page.waitForSelector('#director-email-error');
    const emailErr = await page.locator('#director-email-error').innerText();
    check(emailErr.includes('Adresse électronique invalide'), `e-mail error: "${emailErr}"`);
    check(!(await page.locator('#director-invitations-table').innerText()).includes('pas-une-adresse'), 'nothing sent');
    await axe(page, 'association with an error');
    const invitee = `nouvelle.direction@${slug}.example`;
    await page.fill('#director-email', invitee);
    await page.getByRole('button', { name: 'Envoyer l\'invitation' }).click();
    await page.waitForSelector('.alert-success');
    check((await page.locator('.alert-success').innerText()).includes(invitee), 'invitation sent');
    check((await page.locator('#director-invitations-table').innerText()).includes(invitee), 'the invitation is listed, pending');
    await axe(page, 'association with a director invited');
    await looks(page, 'association');

    await go(page, '/reseau', 'network dashboard');
    check(await page.locator('#network-table tbody tr').count() > 0, 'regions listed');
    await page.selectOption('#n-par', 'TENANT');
    await page.getByRole('button', { name: 'Afficher' }).click();
    await page.waitForURL(/par=TENANT/);
    await axe(page, 'network dashboard by association');
    check((await page.locator('#network-table').innerText()).includes('PIMMS Lyon Métropole'), 'associations listed');
    await looks(page, 'network');

    await go(page, '/conformite', 'compliance (union)');
    check(await page.locator('#by-grade tbody tr').count() > 0, 'associations by grade');
    check(await page.locator('#campaigns tbody tr').count() >= 2, 'the campaigns');
    check((await page.locator('#audits').innerText()).includes('PIMMS de Nîmes'), 'every association\'s audits');
    check(await page.locator('#audits .badge').count() > 0, 'with their grades');
    await looks(page, 'compliance-union');

    await go(page, '/clients-api', 'API clients (union)');
    await page.selectOption('#client-partner', { label: 'ENGIE' });
    await page.fill('#client-name', 'Portail essai');
    await page.getByRole('button', { name: 'Créer le client' }).click();
    await page.waitForSelector('#secret');
    const secret = await page.locator('#secret').innerText();
    check(secret.length > 20, 'the secret is shown once');
    await axe(page, 'API client created');
    await page.goto(`${BASE}/clients-api`);
    check(await page.locator('#secret').count() === 0, 'and never again');
    const clientRow = () => page.locator('#clients tbody tr', { hasText: 'Portail essai' });
    await clientRow().getByRole('button', { name: /Renouveler le secret/ }).click();
    await page.waitForSelector('#secret');
    check(await page.locator('#secret').innerText() !== secret, 'a new secret');
    await page.goto(`${BASE}/clients-api`);
    await clientRow().getByRole('button', { name: /Révoquer/ }).click();
    await page.waitForURL(`${BASE}/clients-api`);
    check((await clientRow().innerText()).includes('Révoqué'), `revoked: ${await clientRow().innerText()}`);
    await signOut(page);
  },

  /** 7. Through the real OIDC provider, then sign-out ends the session. */
  async oidc(page, context) {
    const email = process.env.OIDC_EMAIL;
    const callbacks = [];
    page.on('request', (r) => { if (r.url().startsWith(`${BASE}/connexion/retour`)) callbacks.push(r.url()); });
    await go(page, '/connexion', 'sign-in page');
    await page.getByRole('link', { name: 'Se connecter', exact: true }).click();
    await page.waitForSelector('input[name="password"]');
    await page.fill('input[name="email"]', email);
    await page.fill('input[name="password"]', PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${BASE}/accueil`);
    await axe(page, 'front desk after OIDC sign-in');
    check((await header(page)).includes('PIMMS Lyon Métropole'), 'signed in, acting for the association');
    const cookies = await context.cookies(BASE);
    const session = cookies.find((c) => c.name === 'passerelle_console');
    check(session && session.httpOnly && session.sameSite === 'Lax', `session cookie: ${JSON.stringify(session)}`);
    await signOut(page);
    // The old cookie is refused: the session ended server-side.
    await context.addCookies([session]);
    await page.goto(`${BASE}/accueil`);
    check(page.url() === `${BASE}/connexion`, `after sign-out the old session goes to ${page.url()}`);
    // The provider's callback replayed (its code and state, from another browser)
    // signs nobody in; nor does one whose state was tampered with.
    check(callbacks.length === 1, `one callback seen: ${callbacks.length}`);
    const other = await browser.newContext({ locale: 'fr-FR' });
    const thief = await other.newPage();
    const replayed = await thief.goto(callbacks[0]);
    check(replayed.status() === 502, `a replayed callback is refused (${replayed.status()})`);
    check((await thief.locator('h1').innerText()) === 'Connexion impossible', 'with a French message');
    await axe(thief, 'refused callback');
    await thief.goto(`${BASE}/accueil`);
    check(thief.url() === `${BASE}/connexion`, 'and no session came of it');
    await thief.goto(`${BASE}/connexion/oidc`);
    await thief.waitForSelector('input[name="password"]');
    const tampered = new URL(callbacks[0]);
    tampered.searchParams.set('state', 'forged-state');
    const refused = await thief.goto(tampered.toString());
    check(refused.status() === 502, `a callback with another state is refused (${refused.status()})`);
    await thief.goto(`${BASE}/accueil`);
    check(thief.url() === `${BASE}/connexion`, 'still signed out');
    await other.close();
  },
};

// ------------------------------------------------------------------ runner

const only = (process.env.ONLY || '').split(',').filter(Boolean);
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
let failed = 0;
for (const [name, journey] of Object.entries(journeys)) {
  if (only.length && !only.includes(name)) continue;
  const context = await browser.newContext({ locale: 'fr-FR', viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  const cspErrors = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) cspErrors.push(m.text());
  });
  const t0 = Date.now();
  try {
    await journey(page, context);
    check(cspErrors.length === 0, `the CSP refused something: ${cspErrors.join(' | ')}`);
    console.log(`ok   ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  } catch (e) {
    failed++;
    const shot = join(SHOTS, `FAILED-${name}.png`);
    await page.screenshot({ path: shot, fullPage: true }).catch(() => {});
    console.log(`FAIL ${name}: ${e instanceof Failure ? e.message : e.stack}\n     at ${page.url()}\n     screenshot: ${shot}`);
  }
  await context.close();
}
await browser.close();
const total = axeCounts.reduce((n, c) => n + c.violations, 0);
console.log(`axe: ${axeCounts.length} page checks, ${total} violations`);
process.exit(failed ? 1 : 0);
