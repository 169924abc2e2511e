// The vector suite (vector-suite.mjs) inside real headless Chromium, driven over
// WebDriver by Debian's chromedriver: proves verify.js works in the browser the
// users have, with Web Crypto, not only in Node. Missing chromium/chromedriver
// fails this test (scripts/setup-test-deps.sh installs them).
import test from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startBrowser } from "./webdriver.mjs";
import { serveDir } from "./static-server.mjs";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

test("vector suite passes in headless Chromium", { timeout: 90000 }, async (t) => {
  const server = await serveDir(repo);
  let browser = null;
  try {
    browser = await startBrowser();
    // The served root is the repo, so the spec copy under tests/data is what the
    // browser can reach; vectors.test.mjs checks it equals ../shared/spec.
    await browser.navigate(`${server.url}tests/js/browser/vectors.html`);
    const out = await browser.executeAsyncScript(
      "const done = arguments[arguments.length - 1];" +
        "const wait = () => window.porVectorResults ? window.porVectorResults.then(done, (e) => done({ fatal: String(e) })) : setTimeout(wait, 50);" +
        "wait();",
      [],
      80000,
    );
    assert.ok(!out.fatal, `the browser suite could not run: ${out.fatal}`);
    assert.equal(out.secure, true, "page is not a secure context (crypto.subtle needs one)");
    t.diagnostic(out.userAgent);
    const failed = out.results.filter((r) => !r.ok);
    t.diagnostic(`${out.results.length - failed.length}/${out.results.length} cases passed in Chromium`);
    assert.ok(out.results.length > 50, `only ${out.results.length} cases ran`);
    assert.deepEqual(failed, [], failed.map((f) => `${f.name}: ${f.error}`).join("\n"));
  } finally {
    if (browser) await browser.close();
    await server.close();
  }
});
