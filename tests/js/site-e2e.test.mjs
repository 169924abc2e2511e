// The transparency site end to end through the real binary and a real browser:
// `por snapshot` twice, `por proof`, `por render`, then headless Chromium opens the
// rendered site like a user: the Verify page accepts the real proof and rejects a
// tampered one, every page fits a 390 px phone without sideways scrolling, nothing
// is fetched from another origin, in English and in Simplified Chinese (zh-CN/), and
// the language is picked from the browser's languages or the reader's choice.
// Screenshots of every page (desktop and mobile, both languages) go to
// target/test-artifacts/site-*.png and site-zh-CN-*.png; each page's weight (its
// HTML plus the CSS and scripts it loads) is reported; when `cargo test --test site_render` left its
// fixture site (with address lists) in target/test-artifacts/site-fixture/, those
// pages are screenshot too and the address filter is exercised; likewise the site
// with reserves updates that `cargo test --test it site_updates` leaves in
// target/test-artifacts/site-updates-fixture/ (overview "reserves now", its charts,
// holdings now), screenshot as site-updates-*.png and checked with axe-core and CSP.
//
// Run after `cargo test` built the binary: `node --test tests/js/site-e2e.test.mjs`.
// The binary: $POR_BIN, else $CARGO_TARGET_DIR/debug/por, else target/debug/por.
import test from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import fsp from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startBrowser } from "./webdriver.mjs";
import { serveDir } from "./static-server.mjs";
import { runPor } from "./por.mjs";
import { axeViolations } from "./axe.mjs";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const artifacts = path.join(repo, "target/test-artifacts");
const PAGES = ["index", "history", "addresses", "verify", "methodology"];
/** Every language: its tag, the folder its pages are in, the artifacts' prefix part. */
const LANGS = [
  { lang: "en", dir: "", tag: "" },
  { lang: "zh-CN", dir: "zh-CN/", tag: "-zh-CN" },
];

/** A page's weight: its HTML and every local stylesheet and script it loads, in bytes. */
function pageWeight(site, rel) {
  const html = fs.readFileSync(path.join(site, rel), "utf8");
  const refs = [...html.matchAll(/<(?:script|link rel="stylesheet")[^>]*\s(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
  const files = [rel, ...refs.map((r) => path.join(path.dirname(rel), r))];
  // verify-page.js imports verify.js and log.js
  if (refs.some((r) => r.endsWith("verify-page.js"))) files.push("static/verify.js", "static/log.js");
  return files.reduce((n, f) => n + fs.statSync(path.join(site, f)).size, 0);
}

const por = (dir, args) => runPor(dir, args);

async function buildSite(dir) {
  // Large figures (no reserves, so each is also the shortfall): the overview must
  // still fit at 1280 px and 390 px, digits grouped, never cut inside a group.
  await fsp.writeFile(
    path.join(dir, "liabilities.csv"),
    [
      "uid,BTC,ETH,USDT",
      "alice,19999.5,0,153595000",
      "bob,0,98765432.123456789012345678,0",
      "carol,0.00000001,0,548.461234",
      "dave,0.25,10,0",
      "",
    ].join("\n"),
  );
  await fsp.writeFile(
    path.join(dir, "por.toml"),
    [
      'exchange = "E2E Exchange"',
      "[[assets]]", 'symbol = "BTC"', "decimals = 8",
      "[[assets]]", 'symbol = "ETH"', "decimals = 18",
      "[[assets]]", 'symbol = "USDT"', "decimals = 6",
      "[liabilities]", 'path = "liabilities.csv"',
      "[output]", 'snapshots = "out/snapshots"', 'site = "out/public"', 'private = "secret"',
      "",
    ].join("\n"),
  );
  for (const [id, asOf] of [["2026-10-21", "2026-10-21T00:00:00Z"], ["2026-11-21", "2026-11-21T00:00:00Z"]]) {
    const r = por(dir, ["snapshot", "--config", "por.toml", "--id", id, "--as-of", asOf]);
    // No reserves are configured, so every asset is short: exit 1, but published.
    assert.ok([0, 1].includes(r.status), `por snapshot ${id}: exit ${r.status}: ${r.stderr}`);
  }
  const p = por(dir, ["proof", "--config", "por.toml", "--id", "2026-11-21", "--uid", "carol"]);
  assert.equal(p.status, 0, `por proof: ${p.stderr}`);
  const proof = JSON.parse(p.stdout);
  await fsp.writeFile(path.join(dir, "proof.json"), p.stdout);

  const r = por(dir, ["render", "--config", "por.toml"]);
  if (r.status !== 0 && /unrecognized subcommand|invalid subcommand/i.test(r.stderr)) {
    assert.fail("`por render` is not wired into the binary yet (src/main.rs must call por::site::render)");
  }
  assert.equal(r.status, 0, `por render: exit ${r.status}: ${r.stderr}`);
  return { site: path.join(dir, "out/public"), proof };
}

/** Screenshots every page at desktop and phone widths; asserts no sideways scroll on the phone. */
async function screenshotPages(b, baseUrl, prefix) {
  const overflow = [];
  for (const [width, suffix] of [[1280, ""], [390, "-mobile"]]) {
    await b.setWindowSize(width, 2400);
    for (const page of PAGES) {
      await b.navigate(`${baseUrl}${page}.html`);
      await b.waitFor(() => b.executeScript("return document.readyState === 'complete';"), { what: `${page} loaded` });
      const m = await b.executeScript(
        "return { doc: document.documentElement.scrollWidth, view: window.innerWidth };",
      );
      if (m.doc > m.view) overflow.push(`${page}.html at ${width}px: content ${m.doc}px wide in a ${m.view}px viewport`);
      await b.screenshot(path.join(artifacts, `${prefix}-${page}${suffix}.png`));
    }
  }
  return overflow;
}

test("the rendered site in headless Chromium", { timeout: 300000 }, async (t) => {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), "por-site-e2e-"));
  const { site, proof } = await buildSite(dir);
  const server = await serveDir(site);
  let browser = null;
  try {
    browser = await startBrowser({ width: 1100, height: 2400 });
    const b = browser;
    const verdict = () => b.executeScript("const v = document.getElementById('verdict'); return { ...v.dataset, text: v.innerText };");
    const verify = async (text, d = "") => {
      await b.navigate(`${server.url}${d}verify.html`);
      await b.sendKeys(await b.find("#proof-input"), text);
      await b.click(await b.find("#verify-button"));
      return b.waitFor(
        async () => {
          const v = await verdict();
          return ["valid", "invalid", "error"].includes(v.result) ? v : null;
        },
        { timeoutMs: 15000, what: "#verdict[data-result]" },
      );
    };

    await t.test("the published files are where the site says", async () => {
      const index = JSON.parse(await fsp.readFile(path.join(site, "snapshots/index.json"), "utf8"));
      assert.deepEqual(index.snapshots.map((s) => s.snapshot_id), ["2026-10-21", "2026-11-21"]);
      const latest = await fsp.readFile(path.join(site, "latest/manifest.json"));
      const published = await fsp.readFile(path.join(dir, "out/snapshots/2026-11-21/manifest.json"));
      assert.ok(latest.equals(published), "latest/manifest.json is the newest manifest, byte for byte");
    });

    await t.test("the real proof verifies on the Verify page", async () => {
      const v = await verify(JSON.stringify(proof));
      assert.equal(v.result, "valid", v.text);
      assert.match(await b.text(await b.find("#details")), /carol/);
      await b.screenshot(path.join(artifacts, "site-verify-valid.png"));
    });

    await t.test("a tampered proof is invalid", async () => {
      const p = structuredClone(proof);
      p.balances[2] = (BigInt(p.balances[2]) + 1n).toString();
      // por/2: raise one part with it, so the parts still add up and the changed
      // part's leaf misses the root (step 4), as a por/1 leaf does.
      if (p.parts) p.parts[0].balances[2] = (BigInt(p.parts[0].balances[2]) + 1n).toString();
      const v = await verify(JSON.stringify(p));
      assert.equal(v.result, "invalid", v.text);
      assert.equal(v.check, "root", v.text);
      await b.screenshot(path.join(artifacts, "site-verify-invalid.png"));
    });

    await t.test("page weights (HTML + CSS + scripts)", () => {
      for (const { dir: d } of LANGS) {
        const w = PAGES.map((p) => `${p} ${(pageWeight(site, `${d}${p}.html`) / 1024).toFixed(1)} KiB`);
        t.diagnostic(`page weight ${d || "en/"}: ${w.join(", ")}`);
      }
    });

    await t.test("every page: landmarks, no foreign requests, fits a phone", async () => {
      for (const { lang, dir: d } of LANGS) for (const page of PAGES) {
        await b.navigate(`${server.url}${d}${page}.html`);
        const info = await b.executeScript(`return {
          main: document.querySelectorAll('main').length,
          nav: document.querySelectorAll('nav[aria-label]').length,
          h1: document.querySelectorAll('h1').length,
          lang: document.documentElement.lang,
          current: document.querySelector('nav a[aria-current="page"]')?.getAttribute('href'),
          origins: performance.getEntriesByType('resource').map((e) => new URL(e.name).origin),
        };`);
        assert.equal(info.main, 1, `${page}: one <main>`);
        assert.ok(info.nav >= 1, `${page}: labelled <nav>`);
        assert.equal(info.h1, 1, `${page}: one <h1>`);
        assert.equal(info.lang, lang, `${d}${page}: <html lang>`);
        assert.equal(info.current, `${page}.html`, `${page}: nav marks the current page`);
        assert.ok(info.origins.every((o) => server.url.startsWith(o)), `${page}: requests left the site: ${info.origins}`);
      }
      const overflow = [];
      for (const { dir: d, tag } of LANGS) overflow.push(...(await screenshotPages(b, `${server.url}${d}`, `site${tag}`)));
      assert.deepEqual(overflow, []);
      await b.setWindowSize(1100, 2400);
    });

    await t.test("the overview's figures fit their box at 1280 px and 390 px, grouped, exact when copied", async () => {
      for (const width of [1280, 390]) {
        await b.setWindowSize(width, 2400);
        await b.navigate(`${server.url}index.html`);
        const m = await b.executeScript(`const wrap = document.querySelector('.table-wrap');
          const cells = [...document.querySelectorAll('table.figures td.num[title]')];
          return { wrap: wrap.clientWidth, table: wrap.scrollWidth,
            cells: cells.map((c) => ({ text: c.textContent, title: c.title, groups: c.querySelectorAll('.amt .g').length })),
            status: [...document.querySelectorAll('table.figures td[data-label="Status"]')].map((c) => {
              const r = c.getBoundingClientRect(), w = wrap.getBoundingClientRect();
              return { inside: r.right <= w.right + 0.5, text: c.textContent.trim().replace(/\\s+/g, ' ') };
            }),
            // every line box of a figure starts at a group boundary: no break inside a group
            splitGroups: cells.flatMap((c) => [...c.querySelectorAll('.amt > *:not(wbr), .amt')].filter((g) => g.tagName === 'SPAN' && g.classList.contains('g') && g.getClientRects().length > 1).map((g) => g.textContent)),
          };`);
        assert.ok(m.table <= m.wrap, `${width}px: the figures table is ${m.table}px wide in a ${m.wrap}px box`);
        assert.ok(m.status.every((s) => s.inside), `${width}px: a Status cell is cut off: ${JSON.stringify(m.status)}`);
        assert.deepEqual(m.splitGroups, [], `${width}px: a digit group broke across lines`);
        const usdt = m.cells.find((c) => c.title.startsWith("153595548.461234 USDT"));
        assert.ok(usdt, JSON.stringify(m.cells));
        assert.equal(usdt.text, "153595548.461234", "copying a figure gives the exact value");
        assert.equal(usdt.title, "153595548.461234 USDT = 153595548461234 base units");
        assert.equal(usdt.groups, 3, "153 595 548.461 234: a gap after three of the groups");
        assert.match(m.status.find((s) => s.text.includes("USDT")).text, /^short by 153595548\.461234 USDT$/);
      }
      await b.setWindowSize(1280, 2400);
    });

    await t.test("every page runs under its Content-Security-Policy: another origin is blocked", async () => {
      const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'";
      const all = LANGS.flatMap(({ dir: d }) => PAGES.map((p) => `${d}${p}.html`));
      const html = await Promise.all(all.map((p) => fsp.readFile(path.join(site, p), "utf8")));
      html.forEach((h, i) => {
        assert.ok(h.includes(`<meta http-equiv="Content-Security-Policy" content="${CSP}">`), `${all[i]}: CSP meta`);
        // a JSON data block (the messages) is not executed, so it is no inline script
        assert.doesNotMatch(h, /<script(?![^>]*\ssrc=)(?! type="application\/json" id="por-i18n">)[^>]*>/, `${all[i]}: an inline script`);
        assert.doesNotMatch(h, /\sstyle=|<style[\s>]|\son[a-z]+=/, `${all[i]}: an inline style or handler`);
      });
      const other = `http://localhost:${new URL(server.url).port}/index.html`; // same server, other origin
      for (const page of PAGES) {
        await b.navigate(`${server.url}${page}.html`);
        const r = await b.executeAsyncScript(`const done = arguments[arguments.length - 1];
          const seen = [];
          document.addEventListener('securitypolicyviolation', (e) => seen.push({ directive: e.effectiveDirective, blocked: e.blockedURI }));
          fetch(arguments[0]).then(() => 'fetched', (e) => 'rejected: ' + e.name)
            .then((outcome) => setTimeout(() => done({ outcome, seen,
              styled: getComputedStyle(document.querySelector('.site-header')).backgroundColor }), 100));`, [other]);
        assert.equal(r.outcome, "rejected: TypeError", `${page}: the fetch to ${other} must be blocked`);
        assert.ok(r.seen.some((v) => v.directive === "connect-src" && v.blocked.startsWith("http://localhost:")), `${page}: ${JSON.stringify(r.seen)}`);
        assert.equal(r.styled, "rgb(245, 247, 250)", `${page}: the stylesheet applies under the policy`);
      }
      // the verify page's own script still works under the policy
      const v = await verify(JSON.stringify(proof));
      assert.equal(v.result, "valid", v.text);
    });

    await t.test("axe-core: no accessibility violation on any page, at 1280 px and 390 px, in every language", async () => {
      const found = [];
      for (const width of [1280, 390]) {
        await b.setWindowSize(width, 2400);
        for (const { dir: d } of LANGS) for (const page of PAGES) {
          await b.navigate(`${server.url}${d}${page}.html`);
          await b.waitFor(() => b.executeScript("return document.readyState === 'complete';"), { what: `${d}${page} loaded` });
          found.push(...(await axeViolations(b)).map((v) => `${d}${page}.html at ${width}px: ${v}`));
        }
      }
      const overflow = [];
      for (const width of [1280, 390]) {
        await b.setWindowSize(width, 2400);
        for (const { dir: d, tag } of LANGS) for (const [what, text] of [["valid", JSON.stringify(proof)], ["invalid", JSON.stringify({ ...proof, balances: proof.balances.map((x, i) => (i ? x : String(BigInt(x) + 1n))) })]]) {
          const v = await verify(text, d);
          assert.equal(v.result, what, v.text);
          found.push(...(await axeViolations(b)).map((x) => `${d}verify.html at ${width}px after a ${what} verdict: ${x}`));
          const m = await b.executeScript("return { doc: document.documentElement.scrollWidth, view: window.innerWidth };");
          if (m.doc > m.view) overflow.push(`${d}${what} verdict at ${width}px: content ${m.doc}px wide in ${m.view}px`);
          await b.screenshot(path.join(artifacts, `site${tag}-verify-${what}${width === 390 ? "-mobile" : ""}.png`));
        }
      }
      await b.setWindowSize(1280, 2400);
      assert.deepEqual(found, []);
      assert.deepEqual(overflow, [], "the Verify page's verdicts fit a phone");
    });

    await t.test("a chosen language sticks: the switch stores it, pages in the other language follow it, no loop", async () => {
      const at = async () => {
        await b.waitFor(() => b.executeScript("return document.readyState === 'complete';"), { what: "page loaded" });
        return b.executeScript("return { path: location.pathname + location.hash, lang: document.documentElement.lang };");
      };
      const stable = async () => {
        const first = await at();
        await new Promise((r) => setTimeout(r, 400));
        assert.deepEqual(await at(), first, "the page stays where it is");
        return first;
      };
      await b.navigate(`${server.url}index.html`);
      await b.executeScript("localStorage.removeItem('por-lang');");
      // this browser prefers English: no redirect without a choice, either way
      assert.deepEqual(await stable(), { path: "/index.html", lang: "en" });
      await b.navigate(`${server.url}zh-CN/methodology.html#splitting`);
      assert.deepEqual(await stable(), { path: "/zh-CN/methodology.html#splitting", lang: "zh-CN" }, "a shared link to a Chinese page stays Chinese");
      // the switch: on every page, in the header, each language under its own name
      const links = await b.executeScript("return [...document.querySelectorAll('nav.langs a')].map((a) => [a.lang, a.textContent, a.getAttribute('aria-current')]);");
      assert.deepEqual(links, [["en", "English", null], ["zh-CN", "简体中文", "true"]]);
      await b.click(await b.find('nav.langs a[data-lang="en"]'));
      assert.deepEqual(await stable(), { path: "/methodology.html", lang: "en" });
      assert.equal(await b.executeScript("return localStorage.getItem('por-lang');"), "en");
      // English chosen: a Chinese page now sends the reader to its English twin
      await b.navigate(`${server.url}zh-CN/history.html`);
      assert.deepEqual(await stable(), { path: "/history.html", lang: "en" });
      await b.click(await b.find('nav.langs a[data-lang="zh-CN"]'));
      assert.deepEqual(await stable(), { path: "/zh-CN/history.html", lang: "zh-CN" });
      await b.navigate(`${server.url}verify.html`);
      assert.deepEqual(await stable(), { path: "/zh-CN/verify.html", lang: "zh-CN" }, "the choice sticks");
      // the Chinese page works after the redirect, under the same policy
      const v = await verify(JSON.stringify(proof), "zh-CN/");
      assert.equal(v.result, "valid", v.text);
      assert.match(v.text, /有效/);
      await b.executeScript("localStorage.removeItem('por-lang');");
    });

    await t.test("a browser that prefers Chinese gets the Chinese pages; one that prefers Traditional Chinese does not", async () => {
      for (const [langs, want] of [["zh-CN,zh,en", "zh-CN"], ["zh-TW,zh-Hant", "en"]]) {
        const zb = await startBrowser({ width: 1100, height: 1200, extraArgs: [`--lang=${langs.split(",")[0]}`, `--accept-lang=${langs}`] });
        try {
          await zb.navigate(`${server.url}addresses.html`);
          await zb.waitFor(async () => (await zb.executeScript("return document.readyState === 'complete' && document.documentElement.lang;")) === want, { timeoutMs: 10000, what: `lang ${want} for ${langs}` });
          const r = await zb.executeScript("return { langs: navigator.languages, path: location.pathname };");
          assert.equal(r.path, want === "en" ? "/addresses.html" : "/zh-CN/addresses.html", JSON.stringify(r));
        } finally {
          await zb.close();
        }
      }
    });

    const fixture = path.join(artifacts, "site-fixture");
    await t.test("the fixture site with address lists (from cargo test --test site_render)", { skip: !fs.existsSync(path.join(fixture, "index.html")) && "no fixture site: run cargo test --test site_render first" }, async () => {
      const fx = await serveDir(fixture);
      try {
        await b.navigate(`${fx.url}addresses.html`);
        const rows = () => b.executeScript(
          "return [...document.querySelectorAll('tbody tr[data-chain]')].filter((r) => r.offsetParent !== null).map((r) => r.dataset.chain + ':' + r.dataset.assets);",
        );
        assert.equal((await rows()).length, 4, "all addresses shown at first");
        const choose = (id, value) => b.executeScript(
          `const s = document.getElementById(arguments[0]); s.value = arguments[1]; s.dispatchEvent(new Event('change', { bubbles: true }));`,
          [id, value],
        );
        await choose("filter-chain", "ethereum");
        assert.deepEqual(await rows(), ["ethereum:ETH USDT", "ethereum:ETH"]);
        await choose("filter-asset", "USDT");
        assert.deepEqual(await rows(), ["ethereum:ETH USDT"]);
        assert.match(await b.text(await b.find("#filter-count")), /^1 address shown$/);
        await choose("filter-chain", "");
        await choose("filter-asset", "BTC");
        assert.deepEqual(await rows(), ["bitcoin:BTC", "bitcoin:BTC"]);
        await b.screenshot(path.join(artifacts, "site-fixture-addresses-filtered.png"));
        const overflow = [];
        for (const { dir: d, tag } of LANGS) overflow.push(...(await screenshotPages(b, `${fx.url}${d}`, `site-fixture${tag}`)));
        assert.deepEqual(overflow, []);
        const found = [];
        for (const { dir: d } of LANGS) for (const page of PAGES) {
          await b.navigate(`${fx.url}${d}${page}.html`);
          found.push(...(await axeViolations(b)).map((v) => `fixture ${d}${page}.html: ${v}`));
        }
        assert.deepEqual(found, [], "axe-core on the fixture site (address lists, charts)");
      } finally {
        await fx.close();
      }
    });

    const updatesFixture = path.join(artifacts, "site-updates-fixture");
    await t.test("the fixture site with reserves updates (from cargo test --test it site_updates)", { skip: !fs.existsSync(path.join(updatesFixture, "index.html")) && "no updates fixture: run cargo test --test it site_updates first" }, async () => {
      const fx = await serveDir(updatesFixture);
      try {
        const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'";
        for (const { dir: d } of LANGS) for (const page of PAGES) {
          const h = await fsp.readFile(path.join(updatesFixture, `${d}${page}.html`), "utf8");
          assert.ok(h.includes(`<meta http-equiv="Content-Security-Policy" content="${CSP}">`), `${d}${page}.html: CSP meta`);
          assert.doesNotMatch(h, /<script(?![^>]*\ssrc=)(?! type="application\/json" id="por-i18n">)[^>]*>/, `${d}${page}.html: an inline script`);
          assert.doesNotMatch(h, /\sstyle=|<style[\s>]|\son[a-z]+=/, `${d}${page}.html: an inline style or handler`);
        }
        for (const { dir: d, lang } of LANGS) {
          await b.navigate(`${fx.url}${d}index.html`);
          const now = await b.executeScript(`const s = document.querySelector('section.reserves-now');
            return { h2: s.querySelector('h2').textContent, charts: s.querySelectorAll('svg.chart[role=img] title').length > 0 && s.querySelectorAll('svg.chart').length,
              rows: s.querySelectorAll('tbody tr').length, short: s.querySelectorAll('tbody tr.short').length,
              alerts: s.querySelectorAll('.verdict.bad li').length, chartWidth: Math.round(s.querySelector('svg.chart').getBoundingClientRect().width),
              feed: document.querySelector('link[rel=alternate][type="application/atom+xml"]').getAttribute('href') };`);
          assert.equal(now.h2, lang === "en" ? "Reserves now" : "当前储备");
          assert.equal(now.charts, 3, "one reserves-over-time chart per asset, drawn without JavaScript");
          assert.equal(now.rows, 3);
          assert.equal(now.short, 2, "ETH is short now, and BTC with its cold wallet drained");
          assert.equal(now.alerts, 5, "drained, BTC and ETH short, the failed attempt, overdue");
          assert.ok(now.chartWidth > 200, `chart drawn (${now.chartWidth}px)`);
          assert.equal(now.feed, "feed.xml");
          // the feed and the status are served same-origin, so the page's CSP allows reading them
          const got = await b.executeAsyncScript(`const done = arguments[arguments.length - 1];
            Promise.all([fetch('feed.xml').then((r) => r.text()), fetch('${d ? "../" : ""}status.json').then((r) => r.json())])
              .then(([feed, status]) => done({ atom: feed.includes('<feed xmlns="http://www.w3.org/2005/Atom"'), format: status.format }), (e) => done({ error: String(e) }));`);
          assert.deepEqual(got, { atom: true, format: "por-status/1" });
        }
        await b.navigate(`${fx.url}addresses.html`);
        const since = await b.executeScript("return [...document.querySelectorAll('tbody tr')].filter((r) => r.querySelector('.badge.unproven') && r.textContent.includes('listed since the snapshot')).length;");
        assert.equal(since, 1, "the address listed since the snapshot is marked");
        const overflow = [];
        for (const { dir: d, tag } of LANGS) overflow.push(...(await screenshotPages(b, `${fx.url}${d}`, `site-updates${tag}`)));
        assert.deepEqual(overflow, [], "pages with updates fit a phone");
        const found = [];
        for (const width of [1280, 390]) {
          await b.setWindowSize(width, 2400);
          for (const { dir: d } of LANGS) for (const page of PAGES) {
            await b.navigate(`${fx.url}${d}${page}.html`);
            await b.waitFor(() => b.executeScript("return document.readyState === 'complete';"), { what: `${d}${page} loaded` });
            found.push(...(await axeViolations(b)).map((v) => `updates ${d}${page}.html at ${width}px: ${v}`));
          }
        }
        await b.setWindowSize(1280, 2400);
        assert.deepEqual(found, [], "axe-core on the site with reserves updates");
      } finally {
        await fx.close();
      }
    });
  } finally {
    if (browser) await browser.close();
    await server.close();
    await fsp.rm(dir, { recursive: true, force: true });
  }
});
