// The message catalogues (site/i18n/<lang>.json), without a browser: every language
// has exactly English's keys, each message with the same {placeholders}; every key
// the pages, the charts and the browser scripts ask for exists, and every key is
// asked for somewhere (a dynamic key such as `js.log.fail.${check}` counts for every
// key under its prefix). The Rust side checks the same at render time
// (src/site/i18n.rs); this test also covers the keys only the browser uses.
import test from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const dir = path.join(repo, "site/i18n");
const read = (rel) => fs.readFileSync(path.join(repo, rel), "utf8");
const catalogues = Object.fromEntries(
  fs.readdirSync(dir).filter((f) => f.endsWith(".json")).map((f) => [f.replace(/\.json$/, ""), JSON.parse(fs.readFileSync(path.join(dir, f), "utf8"))]),
);
const en = catalogues.en;
const placeholders = (m) => [...new Set([...m.matchAll(/\{(\w+)\}/g)].map((x) => x[1]))].sort();

test("English and Simplified Chinese at least, every message a string", () => {
  assert.ok(en && catalogues["zh-CN"], `catalogues: ${Object.keys(catalogues)}`);
  for (const [lang, c] of Object.entries(catalogues)) {
    for (const [k, v] of Object.entries(c)) assert.equal(typeof v, "string", `${lang}: ${k}`);
    assert.ok(c["lang.name"], `${lang}: lang.name`);
  }
});

test("every language has exactly the English keys and placeholders", () => {
  for (const [lang, c] of Object.entries(catalogues)) {
    const missing = Object.keys(en).filter((k) => !(k in c));
    const extra = Object.keys(c).filter((k) => !(k in en));
    assert.deepEqual(missing, [], `${lang}.json lacks keys`);
    assert.deepEqual(extra, [], `${lang}.json has keys en.json does not`);
    const differ = Object.keys(en).filter((k) => placeholders(en[k]).join() !== placeholders(c[k]).join());
    assert.deepEqual(differ, [], `${lang}.json: placeholders differ from en.json`);
  }
});

test("the Chinese catalogue is translated, not copied", () => {
  const zh = catalogues["zh-CN"];
  // Messages that are only technical tokens, numbers or punctuation may be the same.
  const same = Object.keys(en).filter((k) => en[k] === zh[k] && /[A-Za-z]{3,}/.test(en[k].replace(/\{\w+\}|<[^>]*>|[a-z]+\/\d|SHA-256|JSON/g, "")));
  assert.deepEqual(same, []);
  const han = Object.keys(zh).filter((k) => /[A-Za-z]{4,}/.test(en[k].replace(/\{\w+\}|<[^>]*>/g, "")) && !/\p{Script=Han}/u.test(zh[k]));
  assert.deepEqual(han, [], "messages with English words have Chinese ones");
});

/** The keys the sources ask for: `literal` keys and dynamic `prefixes`. */
function usedKeys() {
  const literal = new Set();
  const prefixes = new Set();
  const templates = fs.readdirSync(path.join(repo, "site/templates")).map((f) => read(`site/templates/${f}`));
  for (const src of templates) {
    for (const m of src.matchAll(/\bt\(\s*(["'])([\w.-]+)\1\s*(~)?/g)) (m[3] ? prefixes : literal).add(m[2]);
  }
  for (const f of fs.readdirSync(path.join(repo, "src/site"))) {
    const src = read(`src/site/${f}`).split("#[cfg(test)]")[0]; // the unit tests probe unknown keys
    for (const m of src.matchAll(/"((?:base|index|history|addresses|verify|method|chart|lang|feed|age|now)\.[\w.-]+)"/g)) {
      if (!/\.(html|json|csv|js|css|xml)$/.test(m[1])) literal.add(m[1]); // file names are not keys
    }
  }
  for (const f of ["verify-page.js", "addresses.js"]) {
    const src = read(`site/static/${f}`);
    for (const m of src.matchAll(/(?<!tn\()"(js\.[\w.-]+)"/g)) literal.add(m[1]); // t("js.x"), a ? "js.y" : "js.z"
    for (const m of src.matchAll(/\btn\("(js\.[\w.-]+)"/g)) ["one", "other"].forEach((n) => literal.add(`${m[1]}_${n}`));
    for (const m of src.matchAll(/\bt\(`(js\.[\w.-]+)\$\{/g)) prefixes.add(m[1]);
    for (const m of src.matchAll(/`(js\.[\w.-]+_)\$\{[^`]*"one" : "other"\}`/g)) ["one", "other"].forEach((n) => literal.add(`${m[1]}${n}`));
  }
  return { literal, prefixes };
}

test("every key asked for exists, and every key is asked for", () => {
  const { literal, prefixes } = usedKeys();
  assert.ok(literal.size > 200 && prefixes.size >= 5, `found ${literal.size} keys and ${prefixes.size} prefixes`);
  const unknown = [...literal].filter((k) => !(k in en));
  assert.deepEqual(unknown, [], "asked for but not in en.json");
  const emptyPrefix = [...prefixes].filter((p) => !Object.keys(en).some((k) => k.startsWith(p)));
  assert.deepEqual(emptyPrefix, [], "dynamic prefixes without keys");
  const unused = Object.keys(en).filter((k) => !literal.has(k) && ![...prefixes].some((p) => k.startsWith(p)));
  assert.deepEqual(unused, [], "in en.json but never asked for");
});

test("the dynamic keys' variants are all there", () => {
  const src = read("site/static/verify-page.js");
  const checks = JSON.parse(src.match(/const LOG_CHECKS = (\[[^\]]*\]);/)[1]);
  for (const c of checks) assert.ok(`js.log.fail.${c}` in en, c);
  for (const s of ["root", "failed", "checked", "unchecked"]) assert.ok(`js.parts.status_${s}` in en, s);
  for (const h of ["level", "side", "hash", "sums", "after"]) assert.ok(`js.path.col_${h}` in en, h);
  for (const w of ["manifest", "index", "checkpoint"]) assert.ok(`js.what.${w}` in en, w);
  for (const s of ["verified", "not-verified", "unproven"]) assert.ok(`addresses.status_${s}` in en, s);
});
