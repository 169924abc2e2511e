// The witnessed log on the Verify page, through the real binary and a real browser:
// `por demo` publishes three snapshots cosigned by its two demo witnesses; headless
// Chromium verifies a real proof and the page says "Seen by 2 independent
// witnesses" with their names (Ed25519 in WebCrypto). The keys are pinned in
// localStorage on first sight: a site that later shows another log key gets a
// warning naming the change, and the page keeps the first keys; a checkpoint whose
// cosignatures were stripped gets a warning (check "cosignature").
//
// Run after `cargo test` built the binary: `node --test tests/js/log-page.test.mjs`.
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

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

const por = (args, cwd) => runPor(cwd, args, "error");

test("Verify page: seen by the demo's two witnesses, keys pinned", { timeout: 120000 }, async () => {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), "por-log-page-"));
  const out = path.join(dir, "d");
  const d = por(["demo", "--out", out], dir);
  assert.equal(d.status, 0, d.stderr);
  const p = por(["proof", "--config", path.join(out, "por.toml"), "--id", "2026-10-21", "--uid", "acct-000001"], dir);
  assert.equal(p.status, 0, p.stderr);
  const site = path.join(out, "public");
  const proofFile = path.join(dir, "proof.json");
  await fsp.writeFile(proofFile, p.stdout);
  const checkpoint = await fsp.readFile(path.join(site, "log/checkpoint"), "utf8");
  const server = await serveDir(site);
  let browser = null;
  try {
    browser = await startBrowser({ width: 1100, height: 2400 });
    const b = browser;
    const logVerdict = () => b.executeScript("const v = document.getElementById('log-verdict'); return { ...v.dataset, text: v.innerText };");
    const verifyAndWait = async (dir = "") => {
      await b.navigate(`${server.url}${dir}verify.html`);
      // A chosen file is verified at once (typing a por/2 proof takes long).
      await b.sendKeys(await b.find("#proof-file"), proofFile);
      return b.waitFor(
        async () => {
          const v = await logVerdict();
          return ["seen", "warning"].includes(v.result) ? v : null;
        },
        { timeoutMs: 20000, what: "#log-verdict settled" },
      );
    };

    let v = await verifyAndWait();
    assert.equal(v.result, "seen", v.text);
    assert.match(v.text, /Seen by 2 independent witnesses\./);
    assert.match(v.text, /Demo witness 1 \(run by por demo, not independent\), cosigned /);
    assert.match(v.text, /Demo witness 2/);
    assert.match(v.text, /entry 2 of 3 in the log demo-exchange\.example\/por/);
    const pinned = await b.executeScript("return localStorage.getItem('por-log-pins/demo-exchange.example/por');");
    assert.ok(pinned && JSON.parse(pinned).witnesses.length === 2, `pinned: ${pinned}`);

    // The Chinese page: the same check, in Chinese; the log files are the root's.
    v = await verifyAndWait("zh-CN/");
    assert.equal(v.result, "seen", v.text);
    assert.match(v.text, /已由 2 个独立见证者确认。/);
    assert.match(v.text, /快照 2026-10-21 是日志 demo-exchange\.example\/por 中第 2 个条目（共 3 个）/);
    assert.match(v.text, /Demo witness 1 \(run by por demo, not independent\)，联署于 /);

    // Stripped cosignatures: a clear warning, check "cosignature".
    const stripped = checkpoint.split("\n").filter((l) => !l.startsWith("\u2014 demo-witness")).join("\n");
    await fsp.writeFile(path.join(site, "log/checkpoint"), stripped);
    v = await verifyAndWait();
    assert.equal(v.result, "warning", v.text);
    assert.equal(v.check, "cosignature");
    assert.match(v.text, /Warning: the witnessed log does not confirm this snapshot/);
    await fsp.writeFile(path.join(site, "log/checkpoint"), checkpoint);

    // The site now shows another log key: the page says so and keeps the pinned one.
    const verifyHtml = path.join(site, "verify.html");
    const html = await fsp.readFile(verifyHtml, "utf8");
    const key = /data-key="(demo-exchange\.example\/por\+[^"]+)"/.exec(html)[1];
    const other = "demo-exchange.example/por+00000000+AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    await fsp.writeFile(verifyHtml, html.replaceAll(key, other));
    v = await verifyAndWait();
    assert.equal(v.result, "seen", v.text);
    assert.match(v.text, /not the ones it showed when you first checked here/);
    assert.ok(await b.find("#log-pins-changed"));
    await fsp.writeFile(verifyHtml, html);
  } finally {
    if (browser) await browser.close();
    await server.close();
    await fsp.rm(dir, { recursive: true, force: true });
  }
});
