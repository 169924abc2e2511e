// Runs the shared vector suite (vector-suite.mjs) against site/static/verify.js in
// Node, and checks that the repo's copy of the spec vectors is the spec's own.
import test from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as V from "../../site/static/verify.js";
import { vectorCases } from "./vector-suite.mjs";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const sharedVectors = path.resolve(repo, "../shared/spec/vectors.json");
const localVectors = path.join(repo, "tests/data/spec/vectors.json");
const vectorsPath = fs.existsSync(sharedVectors) ? sharedVectors : localVectors;
const vectors = JSON.parse(fs.readFileSync(vectorsPath, "utf8"));

test("the repo copy of the vectors is byte-identical to the spec's", { skip: !fs.existsSync(sharedVectors) && "no ../shared/spec here" }, () => {
  assert.ok(fs.readFileSync(localVectors).equals(fs.readFileSync(sharedVectors)), `${localVectors} differs from ${sharedVectors}`);
});

test("the vectors cover what the suite expects", () => {
  assert.ok(vectors.trees.length > 0 && vectors.invalid_proofs.length > 0 && vectors.invalid_trees.length > 0);
});

test("the vectors cover por/2 as well", () => {
  assert.ok(vectors.trees_v2.length > 0 && vectors.valid_proofs_v2.length > 0 && vectors.invalid_proofs_v2.length > 0);
  assert.ok(vectors.invalid_proofs_manifest && vectors.invalid_proofs_manifest.tree, "invalid_proofs_manifest");
});

// Safari < 16.4 cannot even parse a regex lookbehind: one in a page script breaks
// the whole module for those users.
test("site scripts use no regex lookbehind", () => {
  const dir = path.join(repo, "site/static");
  const scripts = fs.readdirSync(dir).filter((f) => f.endsWith(".js"));
  assert.ok(scripts.includes("verify.js") && scripts.includes("verify-page.js"), `scripts: ${scripts}`);
  for (const f of scripts) {
    const src = fs.readFileSync(path.join(dir, f), "utf8");
    assert.ok(!src.includes("(?<=") && !src.includes("(?<!"), `${f} has a regex lookbehind`);
  }
});

for (const c of vectorCases(vectors, V)) {
  test(c.name, c.run);
}
