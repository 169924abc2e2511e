// Runs the shared vector suite in the browser against /site/static/verify.js (the
// server is rooted at the repo) and publishes the results as `window.porVectorResults`
// (a promise), read by browser.test.mjs over WebDriver.
import * as V from "/site/static/verify.js";
import { vectorCases, runAll } from "../vector-suite.mjs";

async function main() {
  const source = new URLSearchParams(location.search).get("vectors") || "/tests/data/spec/vectors.json";
  const res = await fetch(source);
  if (!res.ok) throw new Error(`fetching ${source}: HTTP ${res.status}`);
  const vectors = await res.json();
  const started = performance.now();
  const results = await runAll(vectorCases(vectors, V));
  const failed = results.filter((r) => !r.ok);
  document.getElementById("status").textContent =
    `${results.length - failed.length}/${results.length} passed in ${Math.round(performance.now() - started)} ms`;
  document.getElementById("failures").textContent = failed.map((f) => `${f.name}\n  ${f.error}`).join("\n");
  return { source, userAgent: navigator.userAgent, secure: isSecureContext, results };
}

window.porVectorResults = main().catch((e) => ({ fatal: String((e && e.stack) || e) }));
