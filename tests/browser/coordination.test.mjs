// The coordinator's cold nights and the referrals inbox in a real browser
// (issue 17): a cold night declared, narrowed, widened and withdrawn on the
// coordinator's page shows on socialjouren's board, open in another
// browser context, within a second of each answer; a refusal
// (`overflow-place-held`) is said in words; a referral is moved open →
// taken → closed on the inbox with who and when; the roles that may not
// see a page get 403.
//
// This file works on nights in January 2022 and puts the clock back to
// 2019-12-01 18:00 at its end. Every cold night it declares is withdrawn
// again, except 2022-01-20: a guest holds an overflow place that night (to
// meet the refusal), and a held overflow place can never be closed.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";

import { api, base, callAs, check, json, launch, newPage, settled, signIn, switchLanguage, tokenOf, world } from "./lib.mjs";

const EVENING = "2019-12-01T18:00:00+01:00";
const TONIGHT = "2022-01-10";
const HELD_NIGHT = "2022-01-20";
const COORD = "coord.cold";
const JOUR = "jour.cold";

let browser;
let shelterId;
let coordToken;

function asCoord(method, route, body) {
  return callAs(coordToken, method, route, body);
}

async function setClock(now) {
  await json(await api("PUT", "/admin/clock", { now }), 200);
}

/// Clicks and waits for the page the click loads; returns its answer.
async function follow(page, selector) {
  const [res] = await Promise.all([
    page.waitForNavigation({ waitUntil: "load" }),
    page.click(selector),
  ]);
  return res;
}

/// The coordinator on the cold nights' page, from the start page.
async function coldNights() {
  const page = await newPage(browser);
  await signIn(page, COORD);
  await follow(page, "#to-cold-nights");
  assert.equal(new URL(page.url()).pathname, "/cold-nights");
  return page;
}

/// Socialjouren's board, in a browser context of its own.
async function board() {
  const page = await newPage(browser);
  await signIn(page, JOUR);
  await follow(page, "#to-board");
  await page.locator("#tonight-board").waitFor();
  return page;
}

/// Fills the declaration form: the reason and the places at our shelter
/// (every other shelter left as it is).
async function fillDeclaration(page, reason, places) {
  await page.fill("#reason", reason);
  await page.fill(`#places-${shelterId}`, String(places));
}

/// Sends the declaration form; the promise is fulfilled when the answer
/// has come and its page is loaded.
async function sendDeclaration(page) {
  return follow(page, "#coord-declare-submit");
}

function overflowOnBoard(boardPage, count) {
  return boardPage
    .locator(`#board-shelter-${shelterId} [data-category="overflow"]`)
    .filter({ hasText: new RegExp(`^${count}$`) });
}

before(async () => {
  browser = await launch();
  await setClock(`${TONIGHT}T18:00:00+01:00`);
  for (const [username, roles] of [[COORD, ["coordinator"]], [JOUR, ["social_emergency"]]]) {
    await json(await api("POST", "/users", { username, password: world.password, roles, shelter_ids: [] }), 201);
  }
  coordToken = await tokenOf(COORD);
  const shelters = await json(await api("GET", "/shelters"), 200);
  shelterId = shelters.find((s) => s.name === world.shelter_name).id;
});

after(async () => {
  // Never leave a night declared that can be withdrawn.
  for (const night of [TONIGHT, HELD_NIGHT]) {
    await asCoord("DELETE", `/cold-nights/${night}`);
  }
  await api("PUT", "/admin/clock", { now: EVENING });
  await browser?.close();
});

test("a cold night declared on the page reaches socialjouren's board within a second, then is narrowed, widened and withdrawn", async () => {
  const jour = await board();
  await jour.evaluate(() => { window.notReloaded = true; });
  assert.equal(await jour.locator("#board-cold").count(), 0);

  const page = await coldNights();
  const night = page.locator(`#night-${TONIGHT}`);
  await night.waitFor();
  assert.match(await night.textContent(), /måndag 10 januari 2022/);
  assert.match(await night.textContent(), /Inte förklarad/);
  assert.equal(await check(page, "cold-nights"), "sv");
  await switchLanguage(page);
  assert.match(await page.locator(`#night-${TONIGHT}`).textContent(), /Monday 10 January 2022/);
  assert.equal(await check(page, "cold-nights"), "en");
  await switchLanguage(page);

  // Declared, with two overflow places at our shelter picked by its name.
  await follow(page, `#act-${TONIGHT}`);
  assert.equal(new URL(page.url()).pathname, "/cold-nights/night");
  const label = page.locator(`label[for="places-${shelterId}"]`);
  assert.equal(await label.textContent(), world.shelter_name);
  assert.equal(await check(page, "cold-night-form"), "sv");
  await fillDeclaration(page, "SMHI: −16 °C i natt", 2);
  await sendDeclaration(page);
  // The answer has come: the board hears of it within a second.
  await jour.locator("#board-cold").waitFor({ timeout: 1000 });
  await overflowOnBoard(jour, 2).waitFor({ timeout: 1000 });
  assert.equal(await jour.evaluate(() => window.notReloaded), true, "the board was not reloaded");
  await page.locator("#coord-notice").waitFor();
  assert.match(await page.textContent("#coord-notice"), /måndag 10 januari 2022 är förklarad kall natt/);
  assert.match(await page.locator(`#night-${TONIGHT}`).textContent(), new RegExp(`${world.shelter_name}: 2`));
  assert.equal(await check(page, "cold-night-declared"), "sv");
  await settled(jour);
  assert.equal(await check(jour, "coord-board-cold"), "sv");

  // Narrowed to one place, then widened to four.
  for (const places of [1, 4]) {
    await follow(page, `#act-${TONIGHT}`);
    assert.equal(await page.inputValue(`#places-${shelterId}`), places === 1 ? "2" : "1");
    await page.fill(`#places-${shelterId}`, String(places));
    await sendDeclaration(page);
    await overflowOnBoard(jour, places).waitFor({ timeout: 1000 });
    assert.match(await page.textContent("#coord-notice"), /Ändringen för måndag 10 januari 2022 är sparad/);
  }
  const declared = await json(await asCoord("GET", `/cold-nights?from=${TONIGHT}&to=${TONIGHT}`), 200);
  assert.deepEqual(declared[0].overflow.filter((o) => o.shelter_id === shelterId), [{ shelter_id: shelterId, places: 4 }]);

  // The form of a declared night in English, with its withdrawal.
  await follow(page, `#act-${TONIGHT}`);
  await switchLanguage(page);
  await follow(page, `#act-${TONIGHT}`);
  await page.locator("#coord-withdraw-form").waitFor();
  assert.equal(await check(page, "cold-night-change"), "en");
  await switchLanguage(page);
  await follow(page, `#act-${TONIGHT}`);

  // Withdrawn: the banner leaves the board within a second.
  await follow(page, "#coord-withdraw-submit");
  await jour.locator("#board-cold").waitFor({ state: "detached", timeout: 1000 });
  assert.match(await page.textContent("#coord-notice"), /inte längre en kall natt/);
  assert.match(await page.locator(`#night-${TONIGHT}`).textContent(), /Inte förklarad/);
  assert.equal(await jour.evaluate(() => window.notReloaded), true);
  assert.equal(await check(page, "cold-night-withdrawn"), "sv");
  await page.context().close();
  await jour.context().close();
});

test("narrowing or withdrawing while a guest holds an overflow place is refused in words", async () => {
  await setClock(`${HELD_NIGHT}T18:00:00+01:00`);
  const page = await coldNights();
  await follow(page, `#act-${HELD_NIGHT}`);
  await fillDeclaration(page, "SMHI: −22 °C", 1);
  await sendDeclaration(page);
  await page.locator("#coord-notice").waitFor();

  // A guest is given the overflow place tonight.
  const guest = await json(
    await asCoord("POST", "/guests", {
      given_name: "Petru", family_name: "Rareș", birth_year: 1961, gender: "man", citizenship: "RO",
    }),
    201,
  );
  const placed = await json(
    await asCoord("POST", "/placements", {
      guest_id: guest.id, kind: "cold_night", shelter_id: shelterId, reason: "kall natt",
    }),
    201,
  );
  const places = await json(await asCoord("GET", `/shelters/${shelterId}/places`), 200);
  assert.equal(places.find((p) => p.id === placed.place_id).category, "overflow");

  // Narrowed to none: refused, in words, with what to do.
  for (const lang of ["sv", "en"]) {
    await follow(page, `#act-${HELD_NIGHT}`);
    await page.fill(`#places-${shelterId}`, "0");
    const res = await sendDeclaration(page);
    assert.equal(res.status(), 409);
    const refusal = page.locator("#coord-refusal");
    await refusal.waitFor();
    assert.match(
      await refusal.textContent(),
      lang === "sv" ? /en gäst har redan fått en extraplats.*Låt minst lika många/ : /a guest has already been given an extra place.*Keep at least as many/,
    );
    assert.equal(await page.inputValue(`#places-${shelterId}`), "0", "the form keeps what was typed");
    page.problems = [];
    assert.equal(await check(page, "cold-night-refused"), lang);
    if (lang === "sv") {
      await switchLanguage(page);
    }
  }
  await switchLanguage(page);

  // Withdrawn: refused too.
  await follow(page, `#act-${HELD_NIGHT}`);
  const res = await follow(page, "#coord-withdraw-submit");
  assert.equal(res.status(), 409);
  assert.match(await page.textContent("#coord-refusal"), /kan inte dras tillbaka/);
  page.problems = [];
  assert.equal(await check(page, "cold-night-withdraw-refused"), "sv");
  const still = await json(await asCoord("GET", `/cold-nights?from=${HELD_NIGHT}&to=${HELD_NIGHT}`), 200);
  assert.deepEqual(still[0].overflow.filter((o) => o.shelter_id === shelterId), [{ shelter_id: shelterId, places: 1 }]);
  await page.context().close();
  await setClock(`${TONIGHT}T18:00:00+01:00`);
});

test("a referral is moved open → taken → closed on the inbox, showing who and when", async () => {
  const guest = await json(
    await asCoord("POST", "/guests", {
      given_name: "Ilinca", family_name: "Vlad", birth_year: 1950, gender: "woman", citizenship: "RO",
    }),
    201,
  );
  const referral = await json(
    await asCoord("POST", "/referrals", { guest_id: guest.id, reason: "elderly", acute: true, note: "behöver läkare" }),
    201,
  );
  const page = await newPage(browser);
  await signIn(page, COORD);
  await follow(page, "#to-referrals");
  assert.equal(new URL(page.url()).pathname, "/referrals");
  const card = page.locator(`#referral-${referral.id}`);
  await card.waitFor();
  assert.match(await card.textContent(), /Ilinca Vlad/);
  assert.match(await card.textContent(), /Äldre/);
  assert.match(await card.textContent(), /10 januari 2022 kl\. 18:00 av coord\.cold/);
  assert.equal(await card.locator(".coord-status").getAttribute("data-status"), "open");
  assert.equal(await check(page, "referrals"), "sv");
  await switchLanguage(page);
  assert.match(await page.locator(`#referral-${referral.id}`).textContent(), /Elderly/);
  assert.equal(await check(page, "referrals"), "en");
  await switchLanguage(page);

  await setClock(`${TONIGHT}T18:40:00+01:00`);
  await follow(page, `#move-${referral.id}-taken`);
  assert.match(await page.textContent("#coord-notice"), /Remissen är nu tagen/);
  const taken = page.locator(`#referral-${referral.id}`);
  assert.equal(await taken.locator(".coord-status").getAttribute("data-status"), "taken");
  assert.match(await taken.locator(".coord-moved").textContent(), /10 januari 2022 kl\. 18:40 av coord\.cold/);
  assert.equal(await check(page, "referral-taken"), "sv");

  await setClock(`${TONIGHT}T21:15:00+01:00`);
  await page.fill(`#note-${referral.id}`, "Läkartid bokad");
  await follow(page, `#move-${referral.id}-closed`);
  assert.match(await page.textContent("#coord-notice"), /Remissen är nu stängd/);
  const closed = page.locator(`#referral-${referral.id}`);
  assert.equal(await closed.locator(".coord-status").getAttribute("data-status"), "closed");
  assert.match(await closed.locator(".coord-moved").textContent(), /kl\. 21:15 av coord\.cold/);
  assert.match(await closed.locator(".coord-note").textContent(), /Läkartid bokad/);
  assert.equal(await closed.locator("form").count(), 0);
  assert.equal(await check(page, "referral-closed"), "sv");
  await follow(page, "#filter-closed");
  await page.locator(`#referral-${referral.id}`).waitFor();
  assert.equal(await check(page, "referrals-closed"), "sv");

  const api = await json(await asCoord("GET", "/referrals?status=closed"), 200);
  const ours = api.find((r) => r.id === referral.id);
  assert.equal(ours.status, "closed");
  assert.equal(ours.note, "Läkartid bokad");
  await page.context().close();
  await setClock(`${TONIGHT}T18:00:00+01:00`);
});

test("the roles that may not see a page are told so (403)", async () => {
  const jour = await newPage(browser);
  await signIn(jour, JOUR);
  let res = await jour.goto(`${base}/cold-nights`);
  assert.equal(res.status(), 403);
  await jour.locator("#denied").waitFor();
  jour.problems = [];
  assert.equal(await check(jour, "coord-denied"), "sv");
  // Socialjouren works the inbox.
  res = await jour.goto(`${base}/referrals`);
  assert.equal(res.status(), 200);
  await jour.context().close();

  const desk = await newPage(browser);
  await signIn(desk, world.desk);
  for (const path of ["/cold-nights", "/referrals"]) {
    res = await desk.goto(`${base}${path}`);
    assert.equal(res.status(), 403, path);
    await desk.locator("#denied").waitFor();
  }
  desk.problems = [];
  await switchLanguage(desk);
  assert.equal(await check(desk, "coord-denied"), "en");
  await switchLanguage(desk);
  await desk.context().close();
});
