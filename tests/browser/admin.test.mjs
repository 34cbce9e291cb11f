// The admin's pages in a real browser (issue 17): a rule set of karenstid 3
// nights added on the page, and an intake after its night refused
// `in-quarantine` with the date 3 nights imply; a user created and
// deactivated on the page; shelters and places. Other files share the
// server and its data: the rule set takes effect on 2021-01-10, after every
// night their stays touch (the latest, the slip's, are in February 2020:
// a rule set changes the karenstid of all stays from its night), the clock is moved there
// for the intake checks and put back to 2019-12-01 18:00 at the end.
// axe-core and the 360 px check run on every page state visited, each
// photographed in both languages under target/screenshots/.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";

import { api, base, check, launch, newPage, signIn, switchLanguage, world } from "./lib.mjs";

const EVENING = "2019-12-01T18:00:00+01:00";
const EFFECTIVE = "2021-01-10";

let browser;
let deskToken;
let shelterId;
// Another shelter than the one the other files count beds at: the place
// added here changes no list they read.
let otherId;

async function setClock(now) {
  const res = await api("PUT", "/admin/clock", { now });
  assert.equal(res.status, 200, `clock to ${now}`);
}

/// Calls the API as the desk (shelter staff).
async function asDesk(method, route, body) {
  const res = await fetch(`${base}/api/v1${route}`, {
    method,
    headers: { authorization: `Bearer ${deskToken}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/// A page state in both languages: checked, switched, checked, switched back.
async function bothLanguages(page, name) {
  assert.equal(await check(page, name), "sv");
  await switchLanguage(page);
  assert.equal(await check(page, name), "en");
  await switchLanguage(page);
}

/// A refused form's answer in both languages: the language switch loads
/// the page afresh, so the refusal is made again in the other language.
async function refusedInBoth(page, name, refuse) {
  await refuse();
  assert.equal(await check(page, name), "sv");
  await switchLanguage(page);
  await refuse();
  assert.equal(await check(page, name), "en");
  await switchLanguage(page);
}

async function submit(page, selector) {
  await Promise.all([page.waitForLoadState("load"), page.waitForNavigation(), page.click(selector)]);
}

before(async () => {
  browser = await launch();
  await setClock(EVENING);
  const token = await fetch(`${base}/api/v1/auth/token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: world.desk, password: world.password }),
  });
  deskToken = (await token.json()).access_token;
  const shelters = await (await api("GET", "/shelters")).json();
  shelterId = shelters.find((s) => s.name === world.shelter_name).id;
  otherId = shelters.find((s) => s.name !== world.shelter_name).id;
});

after(async () => {
  await setClock(EVENING);
  await browser?.close();
});

test("the admin adds a rule set of karenstid 3 nights; an intake after its night keeps to it", async () => {
  const page = await newPage(browser);
  await signIn(page, "admin");
  await bothLanguages(page, "admin-start");
  await submit(page, "#to-admin-rule-sets");
  assert.equal(new URL(page.url()).pathname, "/admin/rule-sets");
  // Prefilled: the first allowed night is the day after tomorrow (horizon 1).
  assert.equal(await page.inputValue("#effective_from"), "2019-12-03");
  assert.match(await page.textContent("#first-night"), /3 december 2019/);
  await bothLanguages(page, "admin-rule-sets");
  // Too early a night: refused next to its field, in words.
  await refusedInBoth(page, "admin-rule-sets-refused", async () => {
    await page.fill("#effective_from", "2019-12-02");
    await submit(page, "#create-rule-set");
    assert.match(await page.textContent("#effective_from-problem"), /3 [dD]ecember 2019/);
  });
  // Added, from 2021-01-10, with a karenstid of 3 nights.
  await page.goto(`${base}/admin/rule-sets`);
  await page.fill("#effective_from", EFFECTIVE);
  await page.fill("#quarantine_nights", "3");
  await submit(page, "#create-rule-set");
  assert.ok(await page.isVisible("#done"));
  await bothLanguages(page, "admin-rule-sets-added");
  const sets = await (await api("GET", "/rule-sets")).json();
  const ours = sets.find((s) => s.effective_from === EFFECTIVE);
  assert.ok(ours, JSON.stringify(sets));
  assert.equal(ours.quarantine_nights, 3);
  // A guest whose stay begins on that night: 5 nights, then 3 of karenstid.
  await setClock(`${EFFECTIVE}T18:00:00+01:00`);
  const guest = await asDesk("POST", "/guests", {
    given_name: "Ilie",
    family_name: "Karenstid",
    birth_year: 1975,
    gender: "man",
    citizenship: "RO",
  });
  assert.equal(guest.status, 201, JSON.stringify(guest.body));
  const stay = await asDesk("POST", "/stays", { guest_id: guest.body.id, shelter_id: shelterId });
  assert.equal(stay.status, 201, JSON.stringify(stay.body));
  // During the karenstid (the nights of 15, 16 and 17 January): refused,
  // eligible from the 18th (with the old 2 nights it would be the 17th).
  await setClock("2021-01-16T18:00:00+01:00");
  const again = await asDesk("POST", "/stays", { guest_id: guest.body.id, shelter_id: shelterId });
  assert.equal(again.status, 409, JSON.stringify(again.body));
  assert.equal(again.body.code, "in-quarantine");
  assert.equal(again.body.eligible_from, "2021-01-18");
  await setClock(EVENING);
  await page.context().close();
});

test("the admin creates a user, who signs in, and deactivates them", async () => {
  const page = await newPage(browser);
  await signIn(page, "admin");
  await page.goto(`${base}/admin/users`);
  await bothLanguages(page, "admin-users");
  await page.fill("#username", "page.made");
  await page.fill("#password", world.password);
  await page.check("#new-role-shelter_staff");
  await page.getByLabel(world.shelter_name, { exact: true }).last().check();
  await submit(page, "#create-user");
  assert.ok(await page.isVisible("#done"));
  assert.ok(await page.isVisible("#u-page\\.made"));
  await bothLanguages(page, "admin-users-created");
  // The same username again: refused in words.
  await refusedInBoth(page, "admin-users-refused", async () => {
    await page.fill("#username", "page.made");
    await page.fill("#password", world.password);
    await page.check("#new-role-coordinator");
    await submit(page, "#create-user");
    assert.ok(await page.isVisible("#username-problem"));
  });
  // The new user signs in; the admin's pages are not theirs.
  const theirs = await newPage(browser);
  await signIn(theirs, "page.made");
  assert.equal(new URL(theirs.url()).pathname, "/");
  const res = await theirs.goto(`${base}/admin/users`);
  assert.equal(res.status(), 403);
  await bothLanguages(theirs, "admin-denied");
  // Deactivated: their next step sends them to sign in.
  await page.goto(`${base}/admin/users`);
  await submit(page, "#deactivate-page\\.made");
  assert.ok(await page.isVisible("#reactivate-page\\.made"));
  await theirs.goto(`${base}/`);
  assert.equal(new URL(theirs.url()).pathname, "/login");
  const users = await (await api("GET", "/users")).json();
  assert.equal(users.find((u) => u.username === "page.made").active, false);
  await theirs.context().close();
  await page.context().close();
});

test("shelters and places: address and phone, a place added and taken out of service", async () => {
  const page = await newPage(browser);
  await signIn(page, "admin");
  await page.goto(`${base}/admin/shelters`);
  await bothLanguages(page, "admin-shelters");
  await page.fill(`#label-${otherId}`, "T01");
  await page.selectOption(`#category-${otherId}`, "overflow");
  await submit(page, `form[action="/admin/shelters/${otherId}/places"] button`);
  assert.ok(await page.isVisible("#done"));
  const places = await (await api("GET", `/shelters/${otherId}/places`)).json();
  const t01 = places.find((p) => p.label === "T01");
  assert.equal(t01.category, "overflow");
  // A bad phone number: refused in words above the form.
  await refusedInBoth(page, "admin-shelters-refused", async () => {
    await page.fill(`#phone-${otherId}`, "ring oss");
    await submit(page, `form[action="/admin/shelters/${otherId}"] button`);
    assert.match(await page.textContent("p.error[role=alert]"), /Telefon|Phone/);
  });
  await page.goto(`${base}/admin/shelters`);
  await page.click(`text=T01`);
  await page.fill(`#first-${t01.id}`, "2019-12-05");
  await page.fill(`#last-${t01.id}`, "2019-12-06");
  await page.fill(`#reason-${t01.id}`, "paint");
  await submit(page, `form[action="/admin/shelters/${otherId}/places/${t01.id}/out-of-service"] button`);
  assert.ok(await page.isVisible("#done"));
  await page.context().close();
});
