// Intake by lottery in a real browser (issue 17): a coordinator opens a
// lottery from the start page, registers applicants found with the
// intake search, draws, sees the winners and the others, and checks the
// draw on its verification page, whose tickets this test recomputes
// (SHA-256 of SEED:GUEST_ID) and whose order it checks; the EU team
// reaches the same verification by the session's id; socialjouren gets
// a page saying the lottery is not for them.
//
// Nights of March 2022 only; the clock goes back to 2019-12-01 18:00.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";

import { api, base, callAs, check, json, launch, newPage, signIn, switchLanguage, tokenOf, world } from "./lib.mjs";

const EVENING = "2019-12-01T18:00:00+01:00";
const NOW = "2022-03-10T18:00:00+01:00";
const COORD = "coord.lottery";
const OUTREACH = "out.lottery";
const JOUR = "jour.lottery";
const FAMILY = "Lotterescu";

let browser;
let shelterId;
let coordToken;
let sessionId;
const guests = {};

function asCoord(method, route, body) {
  return callAs(coordToken, method, route, body);
}

/// Clicks and waits for the page the click leads to.
async function go(page, locator) {
  await Promise.all([page.waitForNavigation(), page.locator(locator).first().click()]);
}

/// Searches the session's page for the test's guests.
async function search(page) {
  await page.fill("#q", FAMILY);
  await go(page, "#lottery-search button");
  await page.locator("#lottery-found").waitFor();
}

/// Checks the page in Swedish and English, and comes back to Swedish.
async function bothLanguages(page, name) {
  assert.equal(await check(page, name), "sv");
  await switchLanguage(page);
  assert.equal(await check(page, name), "en");
  await switchLanguage(page);
}

before(async () => {
  browser = await launch();
  await json(await api("PUT", "/admin/clock", { now: NOW }), 200);
  for (const [username, roles] of [[COORD, ["coordinator"]], [OUTREACH, ["outreach"]], [JOUR, ["social_emergency"]]]) {
    await json(await api("POST", "/users", { username, password: world.password, roles, shelter_ids: [] }), 201);
  }
  coordToken = await tokenOf(COORD);
  const shelters = await json(await api("GET", "/shelters"), 200);
  shelterId = shelters.find((s) => s.name === world.shelter_name).id;
  for (const [given, gender, citizenship] of [["Ileana", "woman", "RO"], ["Petru", "man", "RO"], ["Sven", "man", "SE"]]) {
    const g = await json(
      await asCoord("POST", "/guests", { given_name: given, family_name: FAMILY, birth_year: 1975, gender, citizenship }),
      201,
    );
    guests[given] = g.id;
  }
});

after(async () => {
  await api("PUT", "/admin/clock", { now: EVENING });
  await browser?.close();
});

test("a lottery session goes from applicants to a draw that anyone can verify by hand", async () => {
  const page = await newPage(browser);
  await signIn(page, COORD);
  await go(page, "#to-lottery");
  assert.equal(new URL(page.url()).pathname, "/lottery");
  await bothLanguages(page, "lottery");

  // Open a lottery at the shelter, from tonight.
  await page.getByLabel(world.shelter_name, { exact: true }).check();
  assert.equal(await page.inputValue("#first_night"), "2022-03-10");
  await go(page, "#lottery-open-submit");
  const path = new URL(page.url()).pathname;
  assert.match(path, /^\/lottery\/sessions\/[0-9a-f-]{36}$/);
  sessionId = path.split("/")[3];
  await page.locator("#lottery-no-applicants").waitFor();
  await bothLanguages(page, "lottery-session");

  // Register the three, found with the intake search. (The language
  // switch comes back to the session without the search: search again.)
  await search(page);
  assert.equal(await check(page, "lottery-found"), "sv");
  await switchLanguage(page);
  await search(page);
  assert.equal(await check(page, "lottery-found"), "en");
  await switchLanguage(page);
  for (const given of ["Ileana", "Petru", "Sven"]) {
    await search(page);
    await go(page, `button:has-text("${given} ${FAMILY}")`);
    await page.locator("#lottery-notice").waitFor();
  }
  assert.equal(await page.locator("#lottery-applicants li").count(), 3);
  await search(page);
  assert.equal(await page.locator("#lottery-found .badge").count(), 3, "all three registered");
  assert.equal(await check(page, "lottery-registered"), "sv");

  // Draw.
  await go(page, "#lottery-draw-submit");
  await page.locator("#lottery-winners").waitFor();
  assert.match(await page.textContent("#lottery-state"), /Draget/);
  const winners = await page.locator("#lottery-winners li").allTextContents();
  const others = await page.locator("#lottery-others li").allTextContents();
  assert.equal(winners.length, 2, winners.join("|"));
  assert.ok(winners.some((w) => w.includes("Ileana")) && winners.some((w) => w.includes("Petru")));
  assert.equal(others.length, 1);
  assert.match(others[0], /Sven/);
  assert.match(others[0], /utanför målgruppen/);
  await bothLanguages(page, "lottery-drawn");

  // The verification: the seed, the tickets, the order, the verdict.
  await go(page, "#lottery-to-verification");
  assert.equal(new URL(page.url()).pathname, `/lottery/sessions/${sessionId}/verify`);
  const drawn = await json(await asCoord("GET", `/intake-sessions/${sessionId}`), 200);
  const seed = drawn.seed;
  assert.equal(await page.textContent("#lottery-seed"), seed);
  assert.match(await page.textContent("#lottery-verdict"), /Dragningen stämmer/);
  assert.match(await page.textContent("#lottery-example"), new RegExp(`printf '%s' '${seed}:`));
  const ticketOf = (id) => createHash("sha256").update(`${seed}:${id}`).digest("hex");
  const expected = [guests.Ileana, guests.Petru].map(ticketOf).sort();
  const shown = await page.locator("#lottery-tickets td.ticket").allTextContents();
  assert.deepEqual(shown, expected, "each ticket, lowest first");
  assert.equal(await page.locator("#lottery-ineligible li").count(), 1);
  assert.match(await page.textContent("#lottery-ineligible"), new RegExp(`${guests.Sven}.*utanför målgruppen`));
  await bothLanguages(page, "lottery-verify");
  await page.context().close();
});

test("the EU team verifies a draw by its id, and socialjouren is told the lottery is not for them", async () => {
  assert.ok(sessionId, "the first test drew a session");
  const page = await newPage(browser);
  await signIn(page, OUTREACH);
  await page.goto(`${base}/lottery/verify`);
  await bothLanguages(page, "lottery-verify-find");
  await page.fill("#session", sessionId);
  await go(page, "#lottery-verify-find button");
  assert.equal(new URL(page.url()).pathname, `/lottery/sessions/${sessionId}/verify`);
  assert.match(await page.textContent("#lottery-verdict"), /Dragningen stämmer/);
  assert.equal(await page.locator("#lottery-tickets td.ticket").count(), 2);
  const res = await page.goto(`${base}/lottery/sessions/${sessionId}`);
  assert.equal(res.status(), 403);
  await page.context().close();

  const jour = await newPage(browser);
  await signIn(jour, JOUR);
  const denied = await jour.goto(`${base}/lottery`);
  assert.equal(denied.status(), 403);
  await jour.locator("#denied").waitFor();
  jour.problems = [];
  assert.equal(await check(jour, "lottery-denied"), "sv");
  await switchLanguage(jour);
  assert.equal((await jour.goto(`${base}/lottery`)).status(), 403);
  jour.problems = [];
  assert.equal(await check(jour, "lottery-denied"), "en");
  await jour.context().close();
});
