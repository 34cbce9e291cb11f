// The follow-up report page in a real browser (issue 17): a coordinator
// made through the API signs in, goes from the start page to the reports,
// chooses the nights 2019-11-25 to 2019-12-08 (the demo data and what the
// other test files made around them), sees the report with its charts and
// tables in words, and downloads the Excel CSV with a click: its byte order
// mark, its semicolons and its figures are the JSON report's (read through
// the API with the coordinator's token). Both languages; axe and the
// 360 px check on every page.
//
// The clock is moved to 5 January 2020 so that those nights are over, and
// back to 2019-12-01 18:00 at the end.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

import { api, base, check, launch, newPage, signIn, world } from "./lib.mjs";

const LATER = "2020-01-05T18:00:00+01:00";
const BACK = "2019-12-01T18:00:00+01:00";
const FROM = "2019-11-25";
const TO = "2019-12-08";
const USER = "report.coord";

let browser;
let token;

async function setClock(now) {
  const res = await api("PUT", "/admin/clock", { now });
  assert.equal(res.status, 200, await res.text());
}

/// Calls the API as the coordinator.
async function asCoordinator(route) {
  const res = await fetch(`${base}/api/v1${route}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(res.status, 200, `${route}: ${res.status}`);
  return res;
}

/// Records of a CSV text (quoted fields as RFC 4180 writes them).
function records(text, sep) {
  const out = [];
  let row = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c === '"') {
      quoted = true;
    } else if (c === sep) {
      row.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      row.push(field);
      out.push(row);
      row = [];
      field = "";
    } else {
      field += c;
    }
  }
  if (field !== "" || row.length > 0) {
    row.push(field);
    out.push(row);
  }
  return out;
}

const shown = (v) => (typeof v === "number" ? String(v) : v);

before(async () => {
  browser = await launch();
  await setClock(LATER);
  const made = await api("POST", "/users", {
    username: USER,
    password: world.password,
    roles: ["coordinator"],
    shelter_ids: [],
  });
  assert.equal(made.status, 201, await made.text());
  const res = await fetch(`${base}/api/v1/auth/token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: USER, password: world.password }),
  });
  assert.equal(res.status, 200);
  token = (await res.json()).access_token;
});

after(async () => {
  await setClock(BACK);
  await browser?.close();
});

for (const lang of ["sv", "en"]) {
  test(`a coordinator reads the follow-up report and downloads its Excel CSV (${lang})`, async () => {
    const page = await newPage(browser);
    await signIn(page, USER);
    if (lang === "en") {
      await page.goto(`${base}/?lang=en`);
    }
    assert.equal(await page.evaluate(() => document.documentElement.lang), lang);
    await Promise.all([page.waitForLoadState("load"), page.click("#to-reports")]);
    assert.equal(new URL(page.url()).pathname, "/reports");
    await check(page, "reports-chooser");

    await page.check("#preset-dates");
    await page.fill("#period-from", FROM);
    await page.fill("#period-to", TO);
    await Promise.all([page.waitForLoadState("load"), page.click("#show-report")]);
    await page.waitForSelector("#report");
    await check(page, "report");

    const json = await (await asCoordinator(`/reports/follow-up?from=${FROM}&to=${TO}`)).json();
    assert.equal(json.period.from, FROM);
    assert.equal(json.period.to, TO);
    // The page's figures are the JSON's: occupied place-nights, and the
    // row of all organisations of the guests by gender.
    const occupied = await page.textContent("#table-occupancy tr.all td:nth-of-type(2)");
    assert.equal(occupied, String(json.occupancy.total.all.occupied));
    assert.ok(json.occupancy.total.all.occupied > 0, "the period has guests");
    const byGender = await page.$$eval("#table-guests-by-gender tr.all td", (tds) =>
      tds.map((td) => td.textContent),
    );
    const all = json.guests.by_gender.rows.find((r) => r.organization_id === null);
    assert.deepEqual(byGender, [...all.cells.map(shown), shown(all.total)]);
    // Words, not machine words; charts with legends and text alternatives.
    const heads = await page.$$eval("#table-stays thead th", (ths) => ths.map((t) => t.textContent));
    assert.ok(!heads.includes("ended_by_no_shows"), heads.join(", "));
    assert.ok(
      heads.includes(lang === "sv" ? "avslutad efter uteblivna nätter" : "ended after no-shows"),
      heads.join(", "),
    );
    for (const chart of ["#chart-occupancy", "#chart-turnaways"]) {
      assert.ok((await page.$$(`${chart} ul.legend li`)).length >= 1, `${chart}: a legend`);
      assert.ok((await page.textContent(`${chart} desc`)).length > 20, `${chart}: a text alternative`);
    }

    // The Excel CSV, downloaded with a click.
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.click("#download-excel"),
    ]);
    assert.match(download.suggestedFilename(), /-excel\.csv$/);
    const bytes = readFileSync(await download.path());
    assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], "a byte order mark first");
    const text = bytes.subarray(3).toString("utf8");
    const rows = records(text, ";");
    assert.deepEqual(rows[0], ["section", "table", "organization_id", "organization", "column", "value"]);
    assert.ok(rows.every((r) => r.length === 6), "six fields a line, split by semicolons");
    const find = (section, table, org, column) => {
      const r = rows.find((x) => x[0] === section && x[1] === table && x[2] === org && x[4] === column);
      assert.ok(r, `a line ${section} ${table} ${org} ${column}`);
      return r[5];
    };
    assert.equal(find("occupancy", "all.occupied", "", "total"), String(json.occupancy.total.all.occupied));
    for (const r of json.guests.by_gender.rows) {
      const org = r.organization_id ?? "";
      json.guests.by_gender.columns.forEach((c, i) => {
        assert.equal(find("guests", "by_gender", org, c), shown(r.cells[i]), `guests ${org} ${c}`);
      });
      assert.equal(find("guests", "by_gender", org, "total"), shown(r.total));
    }
    assert.equal(find("survey", "responses", "", ""), shown(json.survey.responses));
    // Every record is the API's CSV's.
    const comma = await (await asCoordinator(`/reports/follow-up.csv?from=${FROM}&to=${TO}`)).text();
    assert.deepEqual(rows.filter((r) => r.length > 1), records(comma, ",").filter((r) => r.length > 1));
    await page.context().close();
  });
}
