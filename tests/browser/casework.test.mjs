// Incidents and bans, complaints and feedback, and the survey in a real
// browser (issue 17): a coordinator records an incident with the guest
// found by the intake search and bans the guest from it at all shelters
// (the guest's intake is then refused `banned`, checked through the API);
// shelter staff take down a complaint that the coordinator moves to
// answered with a response; shelter staff enter a guest's survey
// answers; socialjouren and shelter staff get pages saying what is not
// for them. axe-core on every page state, in both languages.
//
// Nights of May 2022 only; the clock goes back to 2019-12-01 18:00.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";

import { api, base, callAs, check, json, launch, newPage, signIn, switchLanguage, tokenOf, world } from "./lib.mjs";

const EVENING = "2019-12-01T18:00:00+01:00";
const NOW = "2022-05-10T18:00:00+01:00";
const TONIGHT = "2022-05-10";
const COORD = "coord.case";
const DESK = "desk.case";
const JOUR = "jour.case";
const FAMILY = "Kazusescu";

let browser;
let shelterId;
let coordToken;
const guests = {};

function asCoord(method, route, body) {
  return callAs(coordToken, method, route, body);
}

/// Clicks and waits for the page the click leads to.
async function go(page, locator) {
  await Promise.all([page.waitForNavigation(), page.locator(locator).first().click()]);
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
  const shelters = await json(await api("GET", "/shelters"), 200);
  shelterId = shelters.find((s) => s.name === world.shelter_name).id;
  for (const [username, roles, shelterIds] of [
    [COORD, ["coordinator"], []],
    [DESK, ["shelter_staff"], [shelterId]],
    [JOUR, ["social_emergency"], []],
  ]) {
    await json(await api("POST", "/users", { username, password: world.password, roles, shelter_ids: shelterIds }), 201);
  }
  coordToken = await tokenOf(COORD);
  for (const given of ["Vasile"]) {
    const g = await json(
      await asCoord("POST", "/guests", { given_name: given, family_name: FAMILY, birth_year: 1971, gender: "man", citizenship: "RO" }),
      201,
    );
    guests[given] = g.id;
  }
});

after(async () => {
  await api("PUT", "/admin/clock", { now: EVENING });
  await browser?.close();
});

test("an incident is recorded and its guest banned from it at all shelters, so the guest's intake is refused", async () => {
  const page = await newPage(browser);
  await signIn(page, COORD);
  await go(page, "#to-incident-new");
  assert.equal(new URL(page.url()).pathname, "/incidents/new");
  await bothLanguages(page, "case-incident-new");

  // Find the guest (in both languages: the switch comes back without
  // the search), tick them, and record the incident.
  const guestBox = page.locator(`#guest-${guests.Vasile}`);
  for (const lang of ["sv", "en"]) {
    await page.fill("#q", FAMILY);
    await go(page, "#case-search button");
    await guestBox.waitFor();
    assert.equal(await check(page, "case-incident-found"), lang);
    await switchLanguage(page);
  }
  await page.fill("#q", FAMILY);
  await go(page, "#case-search button");
  await guestBox.check();
  await page.selectOption("#shelter_id", { label: world.shelter_name });
  assert.equal(await page.inputValue("#night"), TONIGHT);
  await page.locator("#kind-violence").check();
  await page.fill("#description", "Slog en annan gäst med en stol i matsalen.");
  await go(page, "#case-incident-submit");
  assert.equal(new URL(page.url()).pathname, "/incidents");
  await page.locator("#case-notice").waitFor();
  const incidents = await json(await asCoord("GET", `/incidents?from=${TONIGHT}&to=${TONIGHT}`), 200);
  const incident = incidents.find((i) => i.guest_ids.includes(guests.Vasile));
  assert.ok(incident, JSON.stringify(incidents));
  assert.equal(incident.kind, "violence");
  assert.equal(incident.shelter_id, shelterId);
  const card = page.locator(`#incident-${incident.id}`);
  assert.match(await card.textContent(), new RegExp(`Vasile ${FAMILY}`));
  await card.locator("details.case-ban summary").click();
  await bothLanguages(page, "case-incidents");

  // Ban the guest from it, at every shelter, for three nights (and, in
  // English, for two more nights after them).
  const row = page.locator(`#incident-${incident.id}`);
  const ban = async (first, last, reason) => {
    await row.locator("details.case-ban summary").click();
    await row.locator(`#ban-all-${incident.id}-${guests.Vasile}`).check();
    assert.equal(await row.locator(`#ban-first-${incident.id}-${guests.Vasile}`).inputValue(), TONIGHT);
    await row.locator(`#ban-first-${incident.id}-${guests.Vasile}`).fill(first);
    await row.locator(`#ban-last-${incident.id}-${guests.Vasile}`).fill(last);
    await row.locator(`#ban-reason-${incident.id}-${guests.Vasile}`).fill(reason);
    await go(page, `#incident-${incident.id} .case-ban-submit`);
    assert.equal(new URL(page.url()).pathname, "/incidents");
    await page.locator("#case-notice").waitFor();
  };
  await ban(TONIGHT, "2022-05-12", "Våld mot en annan gäst");
  assert.match(await page.textContent("#case-notice"), /Gästen är avstängd/);
  assert.equal(await check(page, "case-banned"), "sv");
  await switchLanguage(page);
  await ban("2022-05-13", "2022-05-14", "Violence against another guest");
  assert.match(await page.textContent("#case-notice"), /The guest is banned/);
  assert.equal(await check(page, "case-banned"), "en");
  await switchLanguage(page);

  // The guest's intake is refused: banned, at this shelter and tonight.
  const refused = await json(await asCoord("POST", "/stays", { guest_id: guests.Vasile, shelter_id: shelterId }), 409);
  assert.equal(refused.code, "banned");
  const eligibility = await json(await asCoord("GET", `/guests/${guests.Vasile}/eligibility?night=${TONIGHT}`), 200);
  assert.equal(eligibility.code, "banned");
  await page.context().close();
});

test("a complaint taken down at the desk is moved to answered with a response by the coordinator", async () => {
  const desk = await newPage(browser);
  await signIn(desk, DESK);
  await go(desk, "#to-complaint-new");
  assert.equal(new URL(desk.url()).pathname, "/complaints/new");
  await bothLanguages(desk, "case-complaint-new");
  const text = `Kaffet tog slut före sju (${Date.now()}).`;
  const takeDown = async (words, kind) => {
    await desk.locator(`#kind-${kind}`).check();
    await desk.locator("#source-guest").check();
    await desk.selectOption("#category", "food");
    await desk.fill("#text", words);
    await go(desk, "#case-complaint-submit");
    await desk.locator("#case-notice").waitFor();
  };
  await takeDown(text, "complaint");
  assert.equal(await check(desk, "case-complaint-saved"), "sv");
  await switchLanguage(desk);
  await takeDown("More blankets on cold nights, please.", "feedback");
  assert.equal(await check(desk, "case-complaint-saved"), "en");
  await switchLanguage(desk);
  // The desk may not read the list: a page that says so.
  for (const lang of ["sv", "en"]) {
    const denied = await desk.goto(`${base}/complaints`);
    assert.equal(denied.status(), 403);
    await desk.locator("#denied").waitFor();
    desk.problems = [];
    assert.equal(await check(desk, "case-denied-desk"), lang);
    await switchLanguage(desk);
  }
  await desk.context().close();

  const list = await json(await asCoord("GET", `/complaints?from=${TONIGHT}&to=${TONIGHT}`), 200);
  const complaint = list.find((c) => c.text === text);
  assert.ok(complaint, JSON.stringify(list));
  assert.equal(complaint.status, "received");

  const page = await newPage(browser);
  await signIn(page, COORD);
  await go(page, "#to-complaints");
  assert.equal(new URL(page.url()).pathname, "/complaints");
  const card = page.locator(`#complaint-${complaint.id}`);
  assert.match(await card.textContent(), /Kaffet tog slut/);
  await bothLanguages(page, "case-complaints");

  // Answered without a response: said in words, in both languages.
  await go(page, `#move-${complaint.id}-answered`);
  assert.match(await page.textContent("#move-problem"), /Skriv svaret/);
  assert.equal(await check(page, "case-complaint-refused"), "sv");
  await switchLanguage(page);
  await go(page, `#move-${complaint.id}-answered`);
  assert.match(await page.textContent("#move-problem"), /Write the answer/);
  assert.equal(await check(page, "case-complaint-refused"), "en");
  await switchLanguage(page);

  await page.fill(`#response-${complaint.id}`, "Vi köper en större termos.");
  await go(page, `#move-${complaint.id}-answered`);
  assert.match(await page.textContent("#case-notice"), /flyttats vidare/);
  assert.match(await page.locator(`#complaint-${complaint.id} .case-status`).textContent(), /Besvarat/);
  await bothLanguages(page, "case-complaint-answered");
  const after = (await json(await asCoord("GET", `/complaints?from=${TONIGHT}&to=${TONIGHT}`), 200)).find(
    (c) => c.id === complaint.id,
  );
  assert.equal(after.status, "answered");
  assert.equal(after.response, "Vi köper en större termos.");
  await page.context().close();
});

test("a guest's survey answers are entered at the desk, and socialjouren is told the survey is not for them", async () => {
  const desk = await newPage(browser);
  await signIn(desk, DESK);
  await go(desk, "#to-survey");
  assert.equal(new URL(desk.url()).pathname, "/survey");
  await bothLanguages(desk, "case-survey");
  assert.ok(await desk.locator("#safe-none").isChecked(), "no answer until one is chosen");
  await desk.locator("#safe-partly").check();
  await desk.locator("#respected-yes").check();
  await desk.locator("#informed-no").check();
  await desk.locator("#overall-4").check();
  await go(desk, "#case-survey-submit");
  assert.match(await desk.textContent("#case-notice"), /Svaren är sparade/);
  assert.ok(await desk.locator("#safe-none").isChecked(), "an empty form for the next guest");
  assert.equal(await check(desk, "case-survey-saved"), "sv");
  // In English, a guest who declines every question: still an answer.
  await switchLanguage(desk);
  await go(desk, "#case-survey-submit");
  assert.match(await desk.textContent("#case-notice"), /The answers are saved/);
  assert.equal(await check(desk, "case-survey-saved"), "en");
  await switchLanguage(desk);
  await desk.context().close();

  const jour = await newPage(browser);
  await signIn(jour, JOUR);
  for (const path of ["/survey", "/incidents"]) {
    const res = await jour.goto(`${base}${path}`);
    assert.equal(res.status(), 403, path);
  }
  await jour.locator("#denied").waitFor();
  jour.problems = [];
  assert.equal(await check(jour, "case-denied"), "sv");
  await switchLanguage(jour);
  assert.equal((await jour.goto(`${base}/incidents`)).status(), 403);
  jour.problems = [];
  assert.equal(await check(jour, "case-denied"), "en");
  await jour.context().close();
});
