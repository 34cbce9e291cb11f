// The pages in a real browser (issue 16): Debian's Chromium, driven by
// playwright-core, against the running binary that
// scripts/browser-tests.sh started (once on SQLite, once on PostgreSQL)
// with the 2019 demo data, a manual clock at 2019-12-01 18:00 and the
// users, guests and stays it made through the API. axe-core runs on every
// page visited; each page is photographed in both languages under
// target/screenshots/.
//
//   scripts/browser-tests.sh     (runs these with node --test)

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";

import {
  api,
  base,
  check,
  launch,
  newPage,
  signIn,
  switchLanguage,
  world,
} from "./lib.mjs";

let browser;

before(async () => {
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

test("sign in: shelter staff see tonight at their shelter, in Swedish and in English", async () => {
  const page = await newPage(browser);
  await page.goto(`${base}/`);
  assert.equal(new URL(page.url()).pathname, "/login", "a signed-out visitor is sent to the sign-in page");
  assert.equal(await check(page, "login"), "sv");
  await switchLanguage(page);
  assert.equal(await check(page, "login"), "en");
  await switchLanguage(page);

  await signIn(page, world.desk);
  assert.equal(new URL(page.url()).pathname, "/");
  assert.match(await page.textContent("h1"), /Inloggad som desk/);
  assert.match(await page.textContent("#shelters"), new RegExp(world.shelter_name));
  const beds = page.locator("table.beds tbody tr");
  assert.ok((await beds.count()) > 10, "every bed of the shelter");
  const row = (label) => page.locator(`tr[data-bed="${label}"]`);
  assert.match(await row(world.checked_in_bed).textContent(), /Ion Rusu[\s\S]*incheckad 18:00/);
  assert.match(await row(world.expected_bed).textContent(), /Maria Popescu[\s\S]*väntas/);
  assert.match(await row(world.placement_bed).textContent(), /Elena Dumitru, akutplacering[\s\S]*väntas/);
  assert.match(await row(world.out_of_service_bed).textContent(), /ur bruk/);
  assert.match(await page.textContent("main"), /Nu: 1 december 2019 kl\. 18:00/);
  assert.equal(await check(page, "start-shelter-staff"), "sv");

  // The refresh button and its key (htmx, a partial answer).
  // The waiter listens before the key is pressed: an answer that lands
  // between the press and a later listener would never be seen.
  const refreshed = page.waitForResponse((r) => r.url().includes("/tonight?shelter_id="));
  await page.keyboard.press("r");
  await refreshed;
  await page.locator(`tr[data-bed="${world.checked_in_bed}"]`).waitFor();
  assert.deepEqual(page.problems, []);

  await switchLanguage(page);
  assert.match(await page.textContent("h1"), /Signed in as desk/);
  assert.match(await row(world.placement_bed).textContent(), /emergency placement[\s\S]*expected/);
  assert.equal(await check(page, "start-shelter-staff"), "en");

  // A phone's width: the page still fits.
  await page.setViewportSize({ width: 360, height: 740 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `wider than the screen by ${overflow}px`);
  await check(page, "start-shelter-staff-360px");
  await page.context().close();
});

test("the language switch sticks across pages, reloads and sign-in", async () => {
  const page = await newPage(browser);
  await page.goto(`${base}/login`);
  assert.equal(await page.getAttribute("html", "lang"), "sv");
  await switchLanguage(page);
  assert.equal(new URL(page.url()).search, "", "the switch leaves no query behind");
  await page.reload();
  assert.equal(await page.getAttribute("html", "lang"), "en");
  assert.equal(await page.textContent("h1"), "Sign in");
  await signIn(page, world.coord);
  assert.equal(await page.getAttribute("html", "lang"), "en");
  assert.match(await page.textContent("h1"), /Signed in as coord/);
  assert.match(await page.textContent("#roles"), /coordinator/);
  assert.equal(await check(page, "start-coordinator"), "en");
  await switchLanguage(page);
  await page.goto(`${base}/`);
  assert.equal(await page.getAttribute("html", "lang"), "sv");
  assert.match(await page.textContent("#roles"), /samordnare/);
  assert.equal(await check(page, "start-coordinator"), "sv");
  await page.context().close();
});

test("a wrong password is refused, and after repeats the login limit says when to try again", async () => {
  const page = await newPage(browser);
  for (let i = 0; i < world.per_username; i++) {
    await signIn(page, world.guesser, "not-the-password");
    assert.equal(await page.textContent("#login-problem"), "Fel användarnamn eller lösenord.");
    assert.equal(await page.inputValue("#username"), world.guesser);
    assert.equal(await page.inputValue("#password"), "");
  }
  await check(page, "login-refused");
  await signIn(page, world.guesser, "not-the-password");
  assert.match(await page.textContent("#login-problem"), /^För många inloggningsförsök\. Försök igen om \d+ sekunder\.$/);
  await check(page, "login-limited");
  // The right password now waits too, as at the API.
  await signIn(page, world.guesser);
  assert.match(await page.textContent("#login-problem"), /För många inloggningsförsök/);
  await switchLanguage(page);
  await signIn(page, world.guesser, "not-the-password");
  assert.match(await page.textContent("#login-problem"), /^Too many sign-in attempts\. Try again in \d+ seconds\.$/);
  await check(page, "login-limited");
  await page.context().close();
});

/// A page of another origin (same host, another port: the browser sends
/// the SameSite=Strict cookie along, as it does within one site) with a
/// form that posts to our sign-out, carrying the session's own CSRF token
/// as if it had leaked: only the Origin check stands in its way.
function attacker(action, csrf) {
  const server = http.createServer((req, res) => {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(`<!DOCTYPE html><html lang="en"><head><title>elsewhere</title></head><body><main>
<form method="post" action="${action}"><input type="hidden" name="csrf" value="${csrf}">
<button type="submit" id="go">go</button></form></main></body></html>`);
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => resolve(server));
  });
}

test("a form posted from another origin is refused and changes nothing", async () => {
  const page = await newPage(browser);
  await signIn(page, world.coord);
  const csrf = await page.inputValue("#sign-out input[name=csrf]");
  const server = await attacker(`${base}/logout`, csrf);
  try {
    const evil = `http://127.0.0.1:${server.address().port}/`;
    await page.goto(evil);
    const [response] = await Promise.all([page.waitForNavigation(), page.click("#go")]);
    assert.equal(response.status(), 403);
    assert.equal(await page.textContent("h1"), "Förfrågan avvisad");
    await check(page, "refused");
    // Still signed in: the sign-out did not happen.
    await page.goto(`${base}/`);
    assert.match(await page.textContent("h1"), /Inloggad som coord/);
    // The refusal in English too.
    await switchLanguage(page);
    await page.goto(evil);
    await Promise.all([page.waitForNavigation(), page.click("#go")]);
    assert.equal(await page.textContent("h1"), "Request refused");
    await check(page, "refused");
    await page.goto(`${base}/`);
    assert.match(await page.textContent("h1"), /Signed in as coord/);
  } finally {
    server.close();
  }
  await page.context().close();
});

test("after sign-out the back button shows nothing", async () => {
  const page = await newPage(browser);
  await signIn(page, world.desk);
  assert.match(await page.textContent("main"), /Ion Rusu/);
  await Promise.all([page.waitForLoadState("load"), page.click("#sign-out button")]);
  assert.equal(new URL(page.url()).pathname, "/login");
  assert.equal(await page.textContent("p.notice"), "Du är utloggad.");
  await check(page, "signed-out");
  await page.goBack();
  await page.waitForLoadState("load");
  assert.equal(new URL(page.url()).pathname, "/login");
  const text = await page.textContent("body");
  assert.doesNotMatch(text, /Ion Rusu|Maria Popescu|Inloggad som/);
  assert.ok(await page.isVisible("#username"), "the sign-in form, nothing else");
  // The session is gone on the server too.
  await page.goto(`${base}/`);
  assert.equal(new URL(page.url()).pathname, "/login");
  await switchLanguage(page);
  await signIn(page, world.desk);
  await Promise.all([page.waitForLoadState("load"), page.click("#sign-out button")]);
  assert.equal(await page.textContent("p.notice"), "You are signed out.");
  await check(page, "signed-out");
  await page.context().close();
});

test("a deactivated user's session is refused on the next request", async () => {
  const page = await newPage(browser);
  await signIn(page, world.gone);
  assert.match(await page.textContent("h1"), /Inloggad som gone/);
  const res = await api("PATCH", `/users/${world.gone_id}`, { active: false });
  assert.equal(res.status, 200);
  await page.reload();
  assert.equal(new URL(page.url()).pathname, "/login");
  assert.doesNotMatch(await page.textContent("body"), /Ion Rusu/);
  // Nor can they sign in again.
  await signIn(page, world.gone);
  assert.equal(await page.textContent("#login-problem"), "Fel användarnamn eller lösenord.");
  await page.context().close();
});
