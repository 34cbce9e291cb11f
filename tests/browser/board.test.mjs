// Socialjouren's night board in a real browser (issue 17): a
// social_emergency user opens the board; a cold night declared through
// the API appears on the open board without a reload, and goes when it is
// withdrawn; an emergency placement made from the board appears on the
// shelter's tonight list, open at the desk in another browser context.
//
// The cold night is withdrawn before the test ends and the clock stays at
// 2019-12-01 18:00, as the other files expect.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";

import { api, base, callAs, check, json, launch, newPage, settled, signIn, switchLanguage, tokenOf, world } from "./lib.mjs";

const EVENING = "2019-12-01T18:00:00+01:00";
const JOUR = "jour.board";
const COORD = "coord.board";

let browser;
let shelterId;
let coordToken;

function asCoord(method, route, body) {
  return callAs(coordToken, method, route, body);
}

async function board() {
  const page = await newPage(browser);
  await signIn(page, JOUR);
  await Promise.all([page.waitForLoadState("load"), page.click("#to-board")]);
  assert.equal(new URL(page.url()).pathname, "/board");
  await page.locator("#tonight-board").waitFor();
  return page;
}

before(async () => {
  browser = await launch();
  await json(await api("PUT", "/admin/clock", { now: EVENING }), 200);
  for (const [username, roles] of [[JOUR, ["social_emergency"]], [COORD, ["coordinator"]]]) {
    await json(await api("POST", "/users", { username, password: world.password, roles, shelter_ids: [] }), 201);
  }
  coordToken = await tokenOf(COORD);
  const shelters = await json(await api("GET", "/shelters"), 200);
  shelterId = shelters.find((s) => s.name === world.shelter_name).id;
});

after(async () => {
  // Never leave the night declared cold for the other files.
  await asCoord("DELETE", "/cold-nights/2019-12-01");
  await api("PUT", "/admin/clock", { now: EVENING });
  await browser?.close();
});

test("the board shows free beds per shelter, and a cold night declared elsewhere appears without a reload", async () => {
  const page = await board();
  await page.evaluate(() => { window.notReloaded = true; });
  const availability = await json(await asCoord("GET", "/availability"), 200);
  for (const s of availability.shelters) {
    const card = page.locator(`#board-shelter-${s.shelter_id}`);
    assert.equal(await card.locator('[data-category="regular"]').textContent(), String(s.free.regular));
    assert.equal(await card.locator('[data-category="women"]').textContent(), String(s.free.women));
  }
  assert.equal(await page.locator("#board-cold").count(), 0);
  await settled(page);
  assert.equal(await check(page, "board"), "sv");
  await switchLanguage(page);
  await page.locator("#tonight-board").waitFor();
  assert.equal(await check(page, "board"), "en");
  await switchLanguage(page);
  await page.evaluate(() => { window.notReloaded = true; });

  // The coordinator declares tonight cold, with overflow beds here.
  const declared = Date.now();
  await json(
    await asCoord("PUT", "/cold-nights/2019-12-01", {
      reason: "-14 °C", forecast_min_c: -14, overflow: [{ shelter_id: shelterId, places: 2 }],
    }),
    200,
  );
  await page.locator("#board-cold").waitFor({ timeout: 3000 });
  const took = Date.now() - declared;
  assert.ok(took < 1500, `the banner took ${took} ms`);
  await page.locator(`#board-shelter-${shelterId} [data-category="overflow"]`).filter({ hasText: "2" }).waitFor({ timeout: 3000 });
  assert.equal(await page.evaluate(() => window.notReloaded), true, "the page was not reloaded");
  await settled(page);
  assert.equal(await check(page, "board-cold"), "sv");

  // Withdrawn: the banner goes, again without a reload.
  const res = await asCoord("DELETE", "/cold-nights/2019-12-01");
  assert.ok(res.status < 300, await res.text());
  await page.locator("#board-cold").waitFor({ state: "detached", timeout: 3000 });
  assert.equal(await page.evaluate(() => window.notReloaded), true);
  await page.context().close();
});

test("an emergency placement from the board appears on the shelter's tonight list", async () => {
  // The desk at the shelter, in a context of its own.
  const desk = await newPage(browser);
  await signIn(desk, world.desk);
  const list = desk.locator(`#tonight-${shelterId}`);
  await list.waitFor();
  await desk.evaluate(() => { window.notReloaded = true; });

  const guest = await json(
    await asCoord("POST", "/guests", {
      given_name: "Radu", family_name: "Brătianu", birth_year: 1966, gender: "man", citizenship: "RO",
    }),
    201,
  );
  const page = await board();
  const before = Number(await page.locator(`#board-shelter-${shelterId} [data-category="regular"]`).textContent());
  await page.fill("#q", "Brătianu");
  await Promise.all([page.waitForLoadState("load"), page.click("#board-search button")]);
  await page.locator("#board-found").waitFor();
  assert.equal(await check(page, "board-found"), "sv");
  await Promise.all([page.waitForLoadState("load"), page.getByRole("link", { name: "Radu Brătianu" }).click()]);
  assert.equal(new URL(page.url()).pathname, "/board/place");
  assert.match(await page.textContent("#board-place-guest"), /Radu Brătianu/);
  assert.equal(await check(page, "board-place"), "sv");
  await switchLanguage(page);
  // The language switch leads back to the board: the guest is chosen
  // again.
  if (!page.url().includes("guest_id")) {
    await page.goto(`${base}/board/place?guest_id=${guest.id}`);
  }
  assert.equal(await check(page, "board-place"), "en");
  await switchLanguage(page);
  if (!page.url().includes("guest_id")) {
    await page.goto(`${base}/board/place?guest_id=${guest.id}`);
  }

  // A reason is needed: refused in words, nothing placed.
  await page.locator(`#board-shelter-choice-${shelterId}`).check();
  await page.fill("#reason", " ");
  await Promise.all([page.waitForLoadState("load"), page.click("#board-place-submit")]);
  await page.locator("#board-refusal").waitFor();
  assert.match(await page.textContent("#board-refusal"), /Skriv skälet/);
  assert.equal(await check(page, "board-refused"), "sv");

  await page.locator(`#board-shelter-choice-${shelterId}`).check();
  await page.fill("#reason", "Hittad ute i kylan");
  await Promise.all([page.waitForLoadState("load"), page.click("#board-place-submit")]);
  await page.locator("#board-notice").waitFor();
  assert.match(await page.textContent("#board-notice"), /Radu Brătianu har säng/);
  await page.locator(`#board-shelter-${shelterId} [data-category="regular"]`)
    .filter({ hasText: String(before - 1) })
    .waitFor({ timeout: 3000 });
  await settled(page);
  assert.equal(await check(page, "board-placed"), "sv");

  // The desk's open list shows the guest, without a reload.
  await list.filter({ hasText: "Radu Brătianu" }).waitFor({ timeout: 3000 });
  assert.equal(await desk.evaluate(() => window.notReloaded), true);
  const placements = await json(await asCoord("GET", `/placements?shelter_id=${shelterId}`), 200);
  const items = Array.isArray(placements) ? placements : placements.placements;
  assert.equal(items.filter((p) => p.guest_id === guest.id && p.kind === "emergency").length, 1);
  await page.context().close();
  await desk.context().close();
});

test("shelter staff get a page saying the board is not for them", async () => {
  const page = await newPage(browser);
  await signIn(page, world.desk);
  const res = await page.goto(`${base}/board`);
  assert.equal(res.status(), 403);
  await page.locator("#denied").waitFor();
  page.problems = [];
  assert.equal(await check(page, "board-denied"), "sv");
  await page.context().close();
});
