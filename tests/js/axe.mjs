// axe-core in the browser tests: injects node_modules/axe-core/axe.min.js into the
// page through WebDriver (so it works offline and is not subject to the page's
// Content-Security-Policy, which allows only the site's own scripts), runs it on the
// whole document and returns the violations as short lines for assertion messages.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const AXE = path.join(repo, "node_modules/axe-core/axe.min.js");

let source = null;
function axeSource() {
  if (source === null) {
    if (!fs.existsSync(AXE)) throw new Error(`${AXE} is missing: run \`npm ci\` at the repo root (axe-core is a devDependency)`);
    source = fs.readFileSync(AXE, "utf8");
  }
  return source;
}

/**
 * Runs axe on the current page of session `b`; resolves to `[]` when clean, else one
 * line per violation node: `rule (impact): target: summary`.
 */
export async function axeViolations(b) {
  const loaded = await b.executeScript(`if (!window.axe) { ${axeSource()}\n } return typeof window.axe;`);
  if (loaded !== "object") throw new Error(`axe-core did not load (typeof axe = ${loaded})`);
  const violations = await b.executeAsyncScript(`const done = arguments[arguments.length - 1];
    axe.run(document, { resultTypes: ["violations"] }).then(
      (r) => done(r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map((n) => ({ target: n.target.join(" "), summary: n.failureSummary })) }))),
      (e) => done([{ id: "axe-error", impact: "critical", help: String(e), nodes: [{ target: "document", summary: "" }] }]));`);
  return violations.flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact}): ${n.target}: ${v.help}. ${n.summary || ""}`.trim()));
}
