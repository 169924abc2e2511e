// The Verify page in real headless Chromium, as por renders it: the por binary
// publishes two por/1 snapshots and a por/2 one and renders the site (both
// languages), then the page is driven like a user would over WebDriver: paste or
// choose a proof, click Verify, read #verdict. Screenshots go to target/test-artifacts/.
//
// Run after `cargo test` built the binary: `node --test tests/js/verify-page.test.mjs`.
// The binary: $POR_BIN, else $CARGO_TARGET_DIR/debug/por, else target/debug/por.
import test from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import fsp from "node:fs/promises";
import os from "node:os";
import crypto from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startBrowser } from "./webdriver.mjs";
import { serveDir } from "./static-server.mjs";
import { runPor } from "./por.mjs";
import { axeViolations } from "./axe.mjs";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const artifacts = path.join(repo, "target/test-artifacts");

const por = (dir, args) => runPor(dir, args);

/** The dispute file has exactly the fields site/schema/por-dispute-1.json names, at every level. */
const disputeSchema = JSON.parse(fs.readFileSync(path.join(repo, "site/schema/por-dispute-1.json"), "utf8"));
function assertShape(bundle, schema = disputeSchema, at = "bundle") {
  assert.deepEqual(Object.keys(bundle).sort(), Object.keys(schema.properties).sort(), `${at}: fields`);
  for (const [k, sub] of Object.entries(schema.properties)) {
    if (sub.type === "object") assertShape(bundle[k], sub, `${at}.${k}`);
    if (sub.enum) assert.ok(sub.enum.includes(bundle[k]), `${at}.${k}: ${bundle[k]} not in ${sub.enum}`);
    if (sub.const) assert.equal(bundle[k], sub.const);
  }
  if (at === "bundle") assert.match(bundle.checked_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
}

const V1_OLD = "2026-01-21";
const V1 = "2026-02-21";
const V2 = "2026-03-21";

/**
 * The site por renders: eleven accounts (por/1 paths of four levels), snapshots
 * V1_OLD and V1 as por/1 (`[tree] version = 1`) and V2 as por/2 (the default, four
 * parts per account), and one account's proof from each.
 */
async function buildSite(dir) {
  const rows = ["uid,BTC,ETH,USDT"];
  for (let i = 0; i < 11; i++) rows.push(`u${String(i).padStart(2, "0")},${i}.5,0.${i + 1},${1000 * i + 7}`);
  await fsp.writeFile(path.join(dir, "liabilities.csv"), rows.join("\n") + "\n");
  const config = (tree) =>
    fsp.writeFile(
      path.join(dir, "por.toml"),
      [
        'exchange = "Verify Exchange"',
        "[[assets]]", 'symbol = "BTC"', "decimals = 8",
        "[[assets]]", 'symbol = "ETH"', "decimals = 18",
        "[[assets]]", 'symbol = "USDT"', "decimals = 6",
        "[liabilities]", 'path = "liabilities.csv"',
        "[output]", 'snapshots = "out/snapshots"', 'site = "out/public"', 'private = "secret"',
        ...tree,
        "",
      ].join("\n"),
    );
  const proofs = {};
  for (const [id, tree] of [[V1_OLD, ["[tree]", "version = 1"]], [V1, ["[tree]", "version = 1"]], [V2, []]]) {
    await config(tree);
    const r = por(dir, ["snapshot", "--config", "por.toml", "--id", id, "--as-of", `${id}T00:00:00Z`]);
    // No reserves are configured, so every asset is short: exit 1, but published.
    assert.ok([0, 1].includes(r.status), `por snapshot ${id}: exit ${r.status}: ${r.stderr}`);
    const p = por(dir, ["proof", "--config", "por.toml", "--id", id, "--uid", "u03"]);
    assert.equal(p.status, 0, `por proof ${id}: ${p.stderr}`);
    proofs[id] = JSON.parse(p.stdout);
  }
  const r = por(dir, ["render", "--config", "por.toml"]);
  assert.equal(r.status, 0, `por render: exit ${r.status}: ${r.stderr}`);
  const site = path.join(dir, "out/public");
  const manifest = (id) => JSON.parse(fs.readFileSync(path.join(site, "snapshots", id, "manifest.json"), "utf8"));
  return { site, proof: proofs[V1], oldProof: proofs[V1_OLD], proofV2: proofs[V2], manifest };
}

test("Verify page in headless Chromium: valid, tampered, manifest missing, por/2", { timeout: 90000 }, async (t) => {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), "por-verify-site-"));
  const t0 = Date.now();
  const { site, proof, oldProof, proofV2, manifest } = await buildSite(dir);
  t.diagnostic(`por built the site (3 snapshots, 3 proofs, render) in ${Date.now() - t0} ms`);
  const server = await serveDir(site);
  let browser = null;
  try {
    browser = await startBrowser({ width: 1000, height: 1800 });
    const b = browser;
    const page = `${server.url}verify.html`;
    // text: what a reader sees (closed <details> excluded); tech: the technical detail behind it
    const verdict = () =>
      b.executeScript(
        "const v = document.getElementById('verdict'); const t = v.querySelector('details.tech');" +
          "return { ...v.dataset, text: v.innerText, tech: t ? t.textContent : null, techOpen: t ? t.open : null };",
      );
    const settled = (what = "#verdict[data-result]") =>
      b.waitFor(
        async () => {
          const v = await verdict();
          return ["valid", "invalid", "error"].includes(v.result) ? v : null;
        },
        { timeoutMs: 15000, what },
      );
    const verifyAndWait = async () => {
      await b.click(await b.find("#verify-button"));
      return settled();
    };
    const detailsText = async () => b.text(await b.find("#details"));
    // axe-core after every verdict: no accessibility violation
    const assertAxe = async (what) => assert.deepEqual(await axeViolations(b), [], `axe-core after ${what}`);
    const disputeBundle = async () => {
      await b.waitFor(() => b.executeScript("return !!document.getElementById('dispute-download');"), { timeoutMs: 5000, what: "#dispute-download" });
      return disputeJson();
    };
    const disputeJson = () =>
      b.executeAsyncScript(
        "const done = arguments[arguments.length - 1]; const a = document.getElementById('dispute-download');" +
          "if (!a) return done(null); done({ bundle: JSON.parse(a.disputeText), name: a.download, href: a.href, " +
          "warning: document.getElementById('dispute-warning').textContent });",
      );
    const writeJson = async (name, obj) => {
      const f = path.join(dir, name);
      await fsp.writeFile(f, JSON.stringify(obj, null, 2));
      return f;
    };

    await t.test("a valid proof pasted into #proof-input verifies against the fetched manifest", async () => {
      await b.navigate(page);
      const before = await verdict();
      assert.equal(before.result, "", "verdict before any check");
      await b.sendKeys(await b.find("#proof-input"), JSON.stringify(proof));
      const v = await verifyAndWait();
      assert.equal(v.result, "valid", v.text);
      assert.equal(v.check, undefined);
      assert.doesNotMatch(v.text, /\bnull\b|undefined|js\./, "no stray value or message key in the verdict");
      const details = await b.text(await b.find("#details"));
      assert.ok(details.includes(proof.uid), "details show the uid");
      assert.match(details, /Check that this account id is yours/);
      assert.match(details, /Published in the manifest/);
      const levels = await b.findAll("#details .path tbody tr");
      assert.equal(levels.length, proof.path.length, "one row per path level");
      const title = await b.attribute(await b.find("#details .path tbody tr td code.hash"), "title");
      assert.equal(title, proof.path[0].hash, "full sibling hash in the title attribute");
      const origins = await b.executeScript(
        "return performance.getEntriesByType('resource').map((e) => new URL(e.name).origin);",
      );
      assert.ok(origins.every((o) => server.url.startsWith(o)), `requests left the site: ${origins}`);
      await b.screenshot(path.join(artifacts, "verify-page.png"));
      await assertAxe("a valid verdict");
    });

    await t.test("tampered proofs chosen with #proof-file are invalid with the right check", async () => {
      const cases = [
        ["balance raised", (p) => (p.balances[0] = (BigInt(p.balances[0]) + 1n).toString()), "root"],
        ["leading zero", (p) => (p.path[1].sums[0] = "0" + p.path[1].sums[0]), "parse"],
        // a consistent proof from the snapshot before, named as this one: its root is not this snapshot's
        ["other snapshot's manifest", (p) => Object.assign(p, structuredClone(oldProof), { snapshot_id: proof.snapshot_id }), "manifest"],
      ];
      for (const [what, change, check] of cases) {
        await b.navigate(page);
        const p = structuredClone(proof);
        change(p);
        // choosing the file verifies it at once: no click on Verify
        await b.sendKeys(await b.find("#proof-file"), await writeJson(`tampered-${check}.json`, p));
        const v = await settled(`${what}: verdict without a click`);
        assert.equal(v.result, "invalid", `${what}: ${v.text}`);
        assert.equal(v.check, check, `${what}: ${v.text}`);
        assert.equal(v.techOpen, false, `${what}: the technical detail is folded away`);
        assert.match(v.tech, new RegExp(`^Technical detailFailed at step \\d of 5 \\(${check}\\): `), `${what}: ${v.tech}`);
        if (check === "parse") assert.match(v.tech, /path\[1\]\.sums\[0\]: "0\d+" has a leading zero/);
        if (check === "root") assert.match(v.text, /the balances, salt or path in this file do not add up to the root it names/i);
        if (check === "manifest") assert.match(v.text, /does not match what .* published for snapshot/);
        assert.match(v.text, /Download your proof again .* If it still fails, raise a dispute/s, `${what}: what to do`);
        assert.doesNotMatch(v.text, /your path/i);
        // only what failed: no balances, no "this account id is yours"
        const shown = await detailsText();
        assert.doesNotMatch(shown, /Check that this account id is yours/, `${what}: ${shown}`);
        assert.equal((await b.findAll("#details .balances")).length, 0, `${what}: no balances table`);
        assert.equal((await b.findAll("#details .account")).length, 0, `${what}: no account card`);
        if (check === "root") assert.equal((await b.findAll("#details .path")).length, 1, "the failing path is shown");
        await assertAxe(`an invalid verdict (${check})`);
        const d = await disputeBundle();
        assert.ok(d && d.bundle, `${what}: a dispute file is offered: ${JSON.stringify(d)}`);
        assert.equal(d.bundle.format, "por-dispute/1");
        assert.match(d.href, /^blob:/, "downloaded from memory, nothing uploaded");
        assert.equal(d.bundle.verdict.result, "invalid");
        assert.equal(d.bundle.verdict.check, check);
        assert.equal(d.bundle.proof, JSON.stringify(p, null, 2), "the exact proof text");
        assertShape(d.bundle);
      }
      await b.screenshot(path.join(artifacts, "verify-page-invalid.png"));
    });

    await t.test("when the manifest cannot be fetched the page asks for it, then verifies", async () => {
      await b.navigate(page);
      const p = { ...structuredClone(proof), snapshot_id: "not-published" };
      await b.sendKeys(await b.find("#proof-input"), JSON.stringify(p));
      const v = await verifyAndWait();
      assert.equal(v.result, "error", v.text);
      assert.equal(v.error, "manifest-unavailable");
      assert.match(v.text, /Choose the manifest\.json of snapshot not-published/);
      assert.match(v.text, /This site does not publish the manifest of snapshot not-published\./);
      assert.doesNotMatch(v.text, /Failed to fetch|HTTP 404/, "no raw error in the plain text");
      assert.match(v.tech, /HTTP 404/);
      assert.equal(await b.property(await b.find("#manifest-picker"), "open"), true, "manifest picker opened");
      assert.equal(await b.executeScript("return document.activeElement.id;"), "manifest-file", "focus moved to the picker");
      await b.screenshot(path.join(artifacts, "verify-page-manifest.png"));
      await assertAxe("the manifest-unavailable error");
      const m = { ...manifest(proof.snapshot_id), snapshot_id: "not-published" };
      await b.sendKeys(await b.find("#manifest-file"), await writeJson("manifest-not-published.json", m));
      const after = await b.waitFor(
        async () => {
          const x = await verdict();
          return x.result === "valid" || x.result === "invalid" ? x : null;
        },
        { timeoutMs: 15000, what: "re-check after picking the manifest" },
      );
      assert.equal(after.result, "valid", after.text);
      assert.match(await b.text(await b.find("#details")), /the file you chose, manifest-not-published\.json/);
      // the index has no such snapshot: said plainly, the check could not be done
      assert.equal(after.manifestCheck, "unlisted", after.text);
      assert.match(after.text, /could not be checked against the published hash chain: snapshots\/index\.json does not list snapshot not-published/);
    });

    await t.test("a manifest picked by hand is checked against snapshots/index.json", async () => {
      const published = await fsp.readFile(path.join(site, "snapshots", proof.snapshot_id, "manifest.json"));
      // the published bytes: the hash matches the chain
      await b.navigate(page);
      await b.click(await b.find("#manifest-picker summary"));
      await b.sendKeys(await b.find("#manifest-file"), path.join(site, "snapshots", proof.snapshot_id, "manifest.json"));
      await b.sendKeys(await b.find("#proof-input"), JSON.stringify(proof));
      const v = await verifyAndWait();
      assert.equal(v.result, "valid", v.text);
      assert.equal(v.manifestCheck, "match", v.text);
      assert.match(v.text, /checked against this site's published hash chain \(snapshots\/index\.json\): its SHA-256 matches/);
      const d = await disputeBundle();
      assert.equal(d.bundle.manifest.sha256, crypto.createHash("sha256").update(published).digest("hex"));
      assert.equal(d.bundle.manifest.index_check, "match");
      assert.equal(d.bundle.manifest.source, "file");
      assert.equal(d.bundle.verdict.result, "valid");
      assertShape(d.bundle);
      assert.match(d.bundle.verifier.script_sha256, /^[0-9a-f]{64}$/);
      assert.match(d.bundle.verifier.version, /^\d+\.\d+\.\d+/, "the version por stamps into the page");
      assert.match(d.warning, /contains your proof with its secret salt.*link your account to its leaf/s);
      // same content, other bytes: not the published manifest
      await b.navigate(page);
      const other = await writeJson("manifest-reformatted.json", JSON.parse(published.toString()));
      await fsp.writeFile(other, JSON.stringify(JSON.parse(published.toString())));
      await b.click(await b.find("#manifest-picker summary"));
      await b.sendKeys(await b.find("#manifest-file"), other);
      await b.sendKeys(await b.find("#proof-input"), JSON.stringify(proof));
      const w = await verifyAndWait();
      assert.equal(w.result, "invalid", w.text);
      assert.equal(w.check, "manifest", w.text);
      assert.equal(w.manifestCheck, "mismatch", w.text);
      assert.match(w.text, /is not the one published for snapshot/);
      assert.match(w.tech, /snapshots\/index\.json lists [0-9a-f]{64}/);
    });

    await t.test("offline: no raw error; a picked manifest is verified and the chain check said undone", async () => {
      const off = await serveDir(site);
      await b.navigate(`${off.url}verify.html`);
      await b.find("#proof-input");
      await off.close(); // the site goes away after the page loaded
      const p = { ...structuredClone(proof), snapshot_id: "saved-offline" };
      await b.sendKeys(await b.find("#proof-input"), JSON.stringify(p));
      const v = await verifyAndWait();
      assert.equal(v.error, "manifest-unavailable", v.text);
      assert.doesNotMatch(v.text, /Failed to fetch|TypeError|NetworkError/, v.text);
      assert.match(v.text, /the manifest of snapshot saved-offline could not be fetched from this site: the connection failed \(you may be offline\)/i);
      assert.match(v.tech, /Failed to fetch|TypeError/, "the raw error stays in the technical detail");
      const d = await disputeBundle();
      assert.equal(d.bundle.verdict.result, "error");
      assert.equal(d.bundle.verdict.error, "manifest-unavailable");
      assert.equal(d.bundle.manifest.sha256, null);
      assertShape(d.bundle);
      await b.sendKeys(await b.find("#manifest-file"), await writeJson("manifest-saved-offline.json", { ...manifest(proof.snapshot_id), snapshot_id: "saved-offline" }));
      const w = await b.waitFor(
        async () => {
          const x = await verdict();
          return x.result === "valid" || x.result === "invalid" ? x : null;
        },
        { timeoutMs: 15000, what: "verdict after picking the manifest offline" },
      );
      assert.equal(w.result, "valid", w.text);
      assert.equal(w.manifestCheck, "unavailable", w.text);
      assert.match(w.text, /could not be checked against the published hash chain: the list of published snapshots \(snapshots\/index\.json\) could not be fetched/);
      assert.match(w.text, /holds only if that file is the manifest the exchange published/);
      await b.screenshot(path.join(artifacts, "verify-page-offline.png"));
      await assertAxe("a valid verdict with a manifest picked offline");
    });

    await t.test("a por/2 proof verifies; totals shown, each part's path folded in a <details>", async () => {
      const p2 = proofV2;
      await b.navigate(page);
      await b.sendKeys(await b.find("#proof-input"), JSON.stringify(p2));
      const v = await verifyAndWait();
      assert.equal(v.result, "valid", v.text);
      const details = await b.text(await b.find("#details"));
      assert.ok(details.includes(p2.uid), "details show the uid");
      // the account's totals, per asset, in the balances table
      const rows = await b.executeScript(
        "return [...document.querySelectorAll('#details .balances tbody tr')].map((tr) => tr.lastElementChild.textContent);",
      );
      assert.deepEqual(rows, p2.balances, "one row per asset with the account's total");
      const parts = await b.executeScript(
        "return [...document.querySelectorAll('#details .path details.part')].map((d) => ({ index: d.dataset.index, open: d.open, " +
          "rows: d.querySelectorAll('tbody tr').length, summary: d.querySelector('summary').textContent, " +
          "titles: [...d.querySelectorAll('tbody tr td code.hash')].map((c) => c.title) }));",
      );
      assert.equal(parts.length, p2.parts.length, "one <details> per part");
      parts.forEach((d, a) => {
        assert.equal(d.index, String(p2.parts[a].index), `parts[${a}] in proof order`);
        assert.equal(d.open, false, `parts[${a}] folded away`);
        assert.equal(d.rows, p2.parts[a].path.length, `parts[${a}]: one row per level`);
        assert.equal(d.titles[0], p2.parts[a].path[0].hash, `parts[${a}]: full sibling hash in the title`);
        assert.match(d.summary, new RegExp(`^Part ${p2.parts[a].index}: .* leads to the root$`), d.summary);
      });
      const tree2 = manifest(p2.snapshot_id).tree;
      assert.match(details, new RegExp(`The tree has ${tree2.leaves} leaves: every account split into 4 parts, plus padding; ${Number.isInteger(tree2.accounts) ? `${tree2.accounts} accounts` : "the account count is not published"}`));
      await b.screenshot(path.join(artifacts, "verify-page-v2.png"));
      await assertAxe("a valid por/2 verdict");

      // a tampered part: invalid at step 4, and that part's <details> is opened
      await b.navigate(page);
      const bad = structuredClone(p2);
      bad.parts[2].path[1].sums[0] = (BigInt(bad.parts[2].path[1].sums[0]) + 1n).toString();
      await b.sendKeys(await b.find("#proof-input"), JSON.stringify(bad));
      const w = await verifyAndWait();
      assert.equal(w.result, "invalid", w.text);
      assert.equal(w.check, "root", w.text);
      assert.match(w.tech, /parts\[2\] \(index \d+\): recomputed root hash/);
      const open = await b.executeScript("return [...document.querySelectorAll('#details details.part')].map((d) => d.open);");
      assert.deepEqual(open, [false, false, true, false], "only the failing part is unfolded");
      await assertAxe("an invalid por/2 verdict");

      // a por/2 proof against a por/1 manifest is malformed at step 1
      await b.navigate(page);
      const mixed = { ...structuredClone(p2), snapshot_id: proof.snapshot_id };
      await b.sendKeys(await b.find("#proof-input"), JSON.stringify(mixed));
      const x = await verifyAndWait();
      assert.equal(x.result, "invalid", x.text);
      assert.equal(x.check, "parse", x.text);
      assert.match(x.tech, /por\/1 snapshot/);
    });

    await t.test("dropping a proof file on the box verifies it at once", async () => {
      await b.navigate(page);
      const start = await b.executeScript(
        "const dt = new DataTransfer(); dt.items.add(new File([arguments[0]], 'dropped.json', { type: 'application/json' }));" +
          "const zone = document.getElementById('drop-zone'); const t0 = performance.now();" +
          "zone.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true })); return t0;",
        [JSON.stringify(proof)],
      );
      const v = await settled("verdict after a drop, without a click");
      assert.equal(v.result, "valid", v.text);
      assert.equal(await b.property(await b.find("#proof-input"), "value"), JSON.stringify(proof), "the dropped text is shown");
      const ms = await b.executeScript("return performance.now() - arguments[0];", [start]);
      t.diagnostic(`drop to valid verdict (por/1, height ${proof.path.length}, manifest prefetched): ${Math.round(ms)} ms`);
      // the dispute link of a valid verdict sits after the details
      assert.equal(await b.executeScript("return document.getElementById('details').nextElementSibling.id;"), "dispute");
    });

    await t.test("at 390 px the path tables fit their cards: each level a card of labelled cells, still a table", async () => {
      await b.setWindowSize(390, 1800);
      try {
        for (const [what, p] of [["por/1", proof], ["por/2", proofV2]]) {
          await b.navigate(page);
          await b.sendKeys(await b.find("#proof-input"), JSON.stringify(p));
          const v = await verifyAndWait();
          assert.equal(v.result, "valid", v.text);
          // open every part so its table is laid out
          const m = await b.executeScript(`document.querySelectorAll('#details details.part').forEach((d) => (d.open = true));
            const cards = [...document.querySelectorAll('#details .card')];
            const table = document.querySelector('#details table.levels');
            const row = table.querySelector('tbody tr');
            return {
              wide: cards.filter((c) => c.scrollWidth > c.clientWidth + 1).map((c) => c.className + ': ' + c.scrollWidth + ' > ' + c.clientWidth),
              doc: document.documentElement.scrollWidth, view: window.innerWidth,
              cells: [...row.children].map((c) => c.tagName + ':' + c.dataset.label),
              heads: [...table.querySelectorAll('thead th[scope=col]')].length,
            };`);
          assert.deepEqual(m.wide, [], `${what}: a card scrolls sideways at 390 px`);
          assert.ok(m.doc <= m.view, `${what}: page ${m.doc}px wide in ${m.view}px`);
          assert.deepEqual(m.cells, ["TH:Level", "TD:Sibling side", "TD:Sibling hash", "TD:Sibling sums", "TD:Node after"]);
          assert.equal(m.heads, 5, "the column headers stay for screen readers");
          await assertAxe(`a valid ${what} verdict at 390 px`);
          await b.screenshot(path.join(artifacts, `verify-page-${what === "por/1" ? "v1" : "v2"}-mobile.png`));
        }
      } finally {
        await b.setWindowSize(1000, 1800);
      }
    });

    await t.test("the Chinese Verify page: verdicts and reasons in Chinese, technical tokens kept", async () => {
      const zh = `${server.url}zh-CN/verify.html`;
      await b.navigate(zh);
      assert.equal(await b.executeScript("return document.documentElement.lang;"), "zh-CN");
      await b.sendKeys(await b.find("#proof-input"), JSON.stringify(proof));
      const v = await verifyAndWait();
      assert.equal(v.result, "valid", v.text);
      assert.match(v.text, /有效：您的账户已包含在内。/);
      assert.doesNotMatch(v.text + (await detailsText()), /\bnull\b|undefined|js\./, "no stray value or message key");
      assert.match(v.text, new RegExp(`下列余额已计入 Verify Exchange 为快照 ${proof.snapshot_id} 公布的负债`));
      const details = await detailsText();
      assert.match(details, /请确认此账户 ID 是您的/);
      assert.match(details, /清单：从本站的 \/snapshots\/.+\/manifest\.json 获取/, "the manifest is fetched from the root, not zh-CN/");
      await assertAxe("a valid verdict in Chinese");
      await b.screenshot(path.join(artifacts, "verify-page-zh-CN.png"));
      await b.navigate(zh);
      const bad = structuredClone(proof);
      bad.balances[0] = (BigInt(bad.balances[0]) + 1n).toString();
      await b.sendKeys(await b.find("#proof-input"), JSON.stringify(bad));
      const w = await verifyAndWait();
      assert.equal(w.result, "invalid", w.text);
      assert.equal(w.check, "root");
      assert.match(w.text, /无效：此证明未通过核验。/);
      assert.match(w.text, /此文件中的余额、盐值或路径无法推算出它所声明的根。/);
      assert.match(w.tech, /^技术细节在第 4 步（共 5 步）未通过（root）：/, "the check code and the reason stay technical");
      const d = await disputeBundle();
      assert.equal(d.bundle.verdict.check, "root", "the dispute file is the same in every language");
      assert.match(d.warning, /争议文件包含您的证明及其秘密盐值/);
      await assertAxe("an invalid verdict in Chinese");
      await b.screenshot(path.join(artifacts, "verify-page-zh-CN-invalid.png"));
    });

    await t.test("an empty input is an error, not a verdict", async () => {
      await b.navigate(page);
      const v = await verifyAndWait();
      assert.equal(v.result, "error");
      assert.equal(v.error, "no-proof");
      await assertAxe("the no-proof error");
    });
  } finally {
    if (browser) await browser.close();
    await server.close();
    await fsp.rm(dir, { recursive: true, force: true });
  }
});
