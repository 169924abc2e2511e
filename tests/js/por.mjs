// The por binary the browser tests drive: $POR_BIN, else the cargo target folder's
// debug build (`cargo test` builds it first).
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export function porBinary() {
  const candidates = [
    process.env.POR_BIN,
    process.env.CARGO_TARGET_DIR && path.join(process.env.CARGO_TARGET_DIR, "debug/por"),
    path.join(repo, "target/debug/por"),
  ].filter(Boolean);
  const found = candidates.find((p) => fs.existsSync(p));
  assert.ok(found, `no por binary (tried ${candidates.join(", ")}); run cargo test first or set POR_BIN`);
  return found;
}

// Runs `por args` in `dir` with POR_LOG=`log`; the spawnSync result.
export function runPor(dir, args, log = "warn") {
  const r = spawnSync(porBinary(), args, { cwd: dir, encoding: "utf8", env: { ...process.env, POR_LOG: log } });
  if (r.error) throw r.error;
  return r;
}
