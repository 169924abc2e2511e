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

for (const c of vectorCases(vectors, V)) {
  test(c.name, c.run);
}
