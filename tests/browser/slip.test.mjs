// The guest slip in a real browser (issue 16): a stay of a Romanian guest,
// made through the API, printed from /stays/{id}/slip: its Romanian texts
// and values, axe and the 360 px check, a screenshot as printed and an A6
// PDF of one page under target/screenshots/; then one slip in each of the
// six languages a guest may read.
//
// The stays are made on a night of their own (2020-02-10), so that the
// beds of 2019-12-01 the other test files look at stay as they were; the
// clock is set back to 2019-12-01 18:00 at the end.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";

import { api, backend, base, check, launch, newPage, signIn, world } from "./lib.mjs";

const shots = process.env.NATTPLATS_SCREENSHOTS ?? "target/screenshots";
const NIGHT = "2020-02-10T18:00:00+01:00";
const BACK = "2019-12-01T18:00:00+01:00";

let browser;
let desk;
let shelter;

/// Calls the API as the desk (the admin may not take stays).
async function asDesk(method, route, body) {
  const res = await fetch(`${base}/api/v1${route}`, {
    method,
    headers: { authorization: `Bearer ${desk}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  assert.ok(res.ok, `${method} ${route}: ${res.status} ${text}`);
  return JSON.parse(text);
}

async function setClock(now) {
  const res = await api("PUT", "/admin/clock", { now });
  assert.equal(res.status, 200, await res.text());
}

/// A guest reading `language`, with a stay from tonight at the desk's
/// shelter.
async function stayOf(given, language) {
  const guest = await asDesk("POST", "/guests", {
    given_name: given,
    family_name: "Slip",
    birth_year: 1979,
    gender: "man",
    citizenship: "RO",
    language,
  });
  return asDesk("POST", "/stays", { guest_id: guest.id, shelter_id: shelter.id });
}

before(async () => {
  browser = await launch();
  await setClock(NIGHT);
  const token = await fetch(`${base}/api/v1/auth/token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: world.desk, password: world.password }),
  });
  desk = (await token.json()).access_token;
  const shelters = await (await api("GET", "/shelters")).json();
  shelter = shelters.find((s) => s.name === world.shelter_name);
});

after(async () => {
  await setClock(BACK);
  await browser?.close();
});

test("the slip of a Romanian guest is in Romanian, printed alone on one A6 page", async () => {
  const stay = await stayOf("Ion", "ro");
  const bed = stay.nights[0].place_label;
  const page = await newPage(browser);
  await signIn(page, world.desk);
  await page.goto(`${base}/stays/${stay.id}/slip`);
  assert.equal(await page.getAttribute("#slip", "lang"), "ro");
  const text = async (id) => (await page.textContent(`#${id}`)).trim();
  assert.equal(await text("slip-title"), "Patul tău la adăpostul de noapte");
  assert.equal(await text("slip-shelter"), world.shelter_name);
  assert.equal(await text("slip-address"), shelter.address);
  assert.equal(await text("slip-phone"), shelter.phone);
  assert.equal(await text("slip-bed"), bed);
  assert.equal(await text("slip-first-night"), "luni, 10 februarie 2020");
  assert.equal(await text("slip-leave"), "sâmbătă, 15 februarie 2020");
  assert.equal(await text("slip-checkin"), "în fiecare seară înainte de ora 23:00");
  assert.equal(await text("slip-wait"), "sâmbătă, 15 februarie 2020 – duminică, 16 februarie 2020");
  assert.equal(await text("slip-again"), "luni, 17 februarie 2020");
  assert.match(await page.textContent("main"), /Lappen är på gästens språk: rumänska\./);
  // The print button is a button of app.js's, no inline script.
  assert.equal(await page.getAttribute("#print", "data-print"), "");
  assert.equal(await check(page, "slip-ro"), "sv");

  // As printed: the slip alone, on A6.
  await page.emulateMedia({ media: "print" });
  await page.setViewportSize({ width: 397, height: 559 });
  assert.equal(await page.isVisible("#print"), false, "no button on paper");
  assert.equal(await page.isVisible("header.top"), false, "no header on paper");
  assert.equal(await page.isVisible("#slip"), true);
  await page.screenshot({ path: path.join(shots, `${backend}-slip-ro-print.png`), fullPage: true });
  const pdf = path.join(shots, `${backend}-slip-ro.pdf`);
  await page.pdf({ path: pdf, format: "A6", printBackground: true, preferCSSPageSize: true });
  const body = readFileSync(pdf, "latin1");
  const pages = body.match(/\/Type\s*\/Page(?![a-zA-Z])/g) ?? [];
  assert.equal(pages.length, 1, "the slip fits one A6 page");
  await page.emulateMedia({ media: "screen" });
  await page.setViewportSize({ width: 1024, height: 768 });

  // The desk in English: the screen switches, the slip does not.
  await Promise.all([page.waitForLoadState("load"), page.click("#lang-switch")]);
  assert.equal(new URL(page.url()).pathname, `/stays/${stay.id}/slip`);
  assert.match(await page.textContent("main"), /The slip is in the guest's language: Romanian\./);
  assert.equal(await text("slip-first-night"), "luni, 10 februarie 2020");
  assert.equal(await check(page, "slip-ro"), "en");
  await Promise.all([page.waitForLoadState("load"), page.click("#lang-switch")]);
  await page.context().close();
});

test("a slip in each language a guest may read", async () => {
  const expected = {
    ro: ["Patul tău la adăpostul de noapte", "luni, 10 februarie 2020"],
    bg: ["Твоето легло в нощния приют", "понеделник, 10 февруари 2020 г."],
    pl: ["Twoje łóżko w noclegowni", "poniedziałek, 10 lutego 2020"],
    hu: ["Az ágyad az éjjeli menedékhelyen", "2020. február 10., hétfő"],
    en: ["Your bed at the night shelter", "Monday 10 February 2020"],
    sv: ["Din säng på härbärget", "måndag 10 februari 2020"],
  };
  const page = await newPage(browser);
  await signIn(page, world.desk);
  for (const [language, [title, first]] of Object.entries(expected)) {
    const stay = await stayOf(`Gość-${language}`, language);
    await page.goto(`${base}/stays/${stay.id}/slip`);
    assert.equal(await page.getAttribute("#slip", "lang"), language);
    assert.equal((await page.textContent("#slip-title")).trim(), title);
    assert.equal((await page.textContent("#slip-first-night")).trim(), first);
    await check(page, `slip-lang-${language}`);
  }
  await page.context().close();
});
