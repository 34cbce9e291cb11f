// Helpers of the browser tests: Debian's Chromium driven by playwright-core,
// axe-core run in every page a test visits, screenshots under
// target/screenshots/, and the world scripts/browser-tests.sh prepared
// through the API (users, guests, stays), read from NATTPLATS_BROWSER_WORLD.

import { readFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import assert from "node:assert/strict";
import path from "node:path";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);

export const world = JSON.parse(
  readFileSync(process.env.NATTPLATS_BROWSER_WORLD ?? "", "utf8"),
);
export const base = world.base;
export const backend = process.env.NATTPLATS_BROWSER_BACKEND ?? "sqlite";
const shots = process.env.NATTPLATS_SCREENSHOTS ?? "target/screenshots";
mkdirSync(shots, { recursive: true });

const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

// The launch arguments of every browser test of the project (the same as
// tests/api/browser.rs): no sandbox (root in CI), no network of Chromium's
// own. playwright-core gives each launch a fresh temporary profile
// (user-data-dir), so nothing carries over between runs.
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
];

export async function launch() {
  return chromium.launch({
    executablePath: process.env.NATTPLATS_TEST_CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: ARGS,
  });
}

/// A fresh context (no cookies) and page; every message the page logs
/// about a Content-Security-Policy violation or a script error is kept in
/// `page.problems`, which `visit` asserts empty.
export async function newPage(browser, viewport = { width: 1024, height: 768 }) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.problems = [];
  page.on("console", (msg) => {
    // A refusal the test asks for (401, 403, 429) is logged by Chromium as
    // a failed load; that is the answer under test, not a problem.
    if (msg.type() === "error" && !msg.text().startsWith("Failed to load resource")) {
      page.problems.push(msg.text());
    }
  });
  page.on("pageerror", (err) => page.problems.push(String(err)));
  return page;
}

/// Runs axe-core in the page (evaluated through the DevTools protocol: the
/// page's own policy forbids inline scripts, ours included) and fails on
/// any violation, naming each rule and the elements it found.
export async function checkAccessibility(page) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () =>
    // eslint-disable-next-line no-undef
    axe.run(document, { resultTypes: ["violations"] }),
  );
  const found = result.violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.map((n) => n.target.join(" ")).join("\n    ")}`,
  );
  assert.deepEqual(found, [], `axe found violations on ${page.url()}:\n${found.join("\n")}`);
}

/// What every page visited is held to: no policy violation or script
/// error, no axe violation; then its screenshot, named
/// BACKEND-NAME-LANG.png.
export async function check(page, name) {
  await page.waitForLoadState("load");
  assert.deepEqual(page.problems, [], `problems on ${page.url()}`);
  await checkAccessibility(page);
  const lang = await page.evaluate(() => document.documentElement.lang);
  await page.screenshot({
    path: path.join(shots, `${backend}-${name}-${lang}.png`),
    fullPage: true,
  });
  // The same page on a 360 px wide phone: nothing wider than the screen
  // (a wide table scrolls inside its own box), and its screenshot.
  const size = page.viewportSize();
  await page.setViewportSize({ width: 360, height: 740 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(overflow <= 360, `${page.url()} is ${overflow} px wide on a 360 px screen`);
  await page.screenshot({
    path: path.join(shots, `${backend}-${name}-${lang}-360.png`),
    fullPage: true,
  });
  await page.setViewportSize(size);
  return lang;
}

/// Signs in through the form.
export async function signIn(page, username, password = world.password) {
  await page.goto(`${base}/login`);
  await page.fill("#username", username);
  await page.fill("#password", password);
  await Promise.all([page.waitForLoadState("load"), page.click("form.login button")]);
}

/// Switches the page's language with the link in its header.
export async function switchLanguage(page) {
  // The page the switch leads to, not the one already loaded (a reload
  // while that navigation is on its way fails).
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click("#lang-switch")]);
}

/// Calls the API as the admin.
export async function api(method, route, body) {
  const res = await fetch(`${base}/api/v1${route}`, {
    method,
    headers: {
      authorization: `Bearer ${world.admin_token}`,
      "content-type": "application/json",
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return res;
}

/// The answer's JSON, after checking its status (the body is said when it
/// is not the one expected).
export async function json(res, status) {
  const text = await res.text();
  assert.equal(res.status, status, text);
  return text ? JSON.parse(text) : null;
}

/// A token of `username` (password: the world's).
export async function tokenOf(username) {
  const res = await fetch(`${base}/api/v1/auth/token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, password: world.password }),
  });
  return (await json(res, 200)).access_token;
}

/// Calls the API with `token`; the response as fetch gives it.
export function callAs(token, method, route, body) {
  return fetch(`${base}/api/v1${route}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/// Waits until no request of htmx is in flight.
export async function settled(page) {
  await page.waitForFunction(() => !document.querySelector(".htmx-request"));
}
