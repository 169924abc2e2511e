// por — in-browser verifier for `por-inclusion-proof/1` (FORMAT.md §1–§3).
//
// A pure ES module with no dependencies: it runs unchanged in browsers (a secure
// context, for `crypto.subtle`) and in Node >= 20. It never touches the network,
// the DOM or the clock; the page (verify-page.js) does the I/O and the display.
//
// Amounts are `BigInt` internally and decimal strings at the edges, exactly as in
// the published JSON. No floats touch money anywhere in this file.

export const PROOF_FORMAT = "por-inclusion-proof/1";
export const MANIFEST_FORMAT = "por-manifest/1";
/** Largest amount the format allows: 2^128 − 1. */
export const MAX_AMOUNT = (1n << 128n) - 1n;
export const TAGS = Object.freeze({
  account: "por/1/account",
  leaf: "por/1/leaf",
  node: "por/1/node",
  pad: "por/1/pad",
});

const AMOUNT_RE = /^(0|[1-9][0-9]*)$/;
const HASH_RE = /^[0-9a-f]{64}$/;
const SNAPSHOT_ID_RE = /^[0-9A-Za-z][0-9A-Za-z._-]{0,63}$/;
const PROOF_FIELDS = ["format", "exchange", "snapshot_id", "assets", "uid", "salt", "balances", "path", "root"];

/** A rejection: `check` is the stable machine code, `message` the one-line reason. */
export class PorError extends Error {
  constructor(check, reason) {
    super(reason);
    this.name = "PorError";
    this.check = check;
  }
}

// ---------------------------------------------------------------------------
// §1 primitives

const encoder = new TextEncoder();

function subtle() {
  const s = globalThis.crypto && globalThis.crypto.subtle;
  if (!s) {
    throw new Error("Web Crypto (crypto.subtle) is unavailable: open this page over https");
  }
  return s;
}

/** SHA-256 of a byte array. */
export async function sha256(bytes) {
  return new Uint8Array(await subtle().digest("SHA-256", bytes));
}

export function concatBytes(...parts) {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function bytesToHex(bytes) {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

/** Decodes lowercase or uppercase hex of even length; throws on anything else. */
export function hexToBytes(hex) {
  if (typeof hex !== "string" || hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new Error(`not hex: ${JSON.stringify(String(hex)).slice(0, 80)}`);
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** `u128be`: an amount as 16 bytes big-endian. Throws outside 0..=2^128−1. */
export function u128be(amount) {
  let v = BigInt(amount);
  if (v < 0n || v > MAX_AMOUNT) throw new PorError("fold", `amount ${v} is outside 0..=2^128-1`);
  const out = new Uint8Array(16);
  for (let i = 15; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

const tagPrefixes = new Map();

/** `H(tag, msg) = SHA256(SHA256(tag) ‖ SHA256(tag) ‖ msg)`; returns 32 bytes. */
export async function taggedHash(tag, msg = new Uint8Array(0)) {
  let prefix = tagPrefixes.get(tag);
  if (!prefix) {
    const t = await sha256(encoder.encode(tag));
    prefix = concatBytes(t, t);
    tagPrefixes.set(tag, prefix);
  }
  return sha256(concatBytes(prefix, msg));
}

// ---------------------------------------------------------------------------
// §2 tree nodes. A node here is `{ hash: "<64 hex>", sums: ["<decimal>", …] }`,
// the same shape as in the JSON.

function sumsBytes(sums) {
  return concatBytes(...sums.map(u128be));
}

/** `account = H("por/1/account", salt ‖ uid)`, as hex. */
export async function accountHash(uid, saltHex) {
  return bytesToHex(await taggedHash(TAGS.account, concatBytes(hexToBytes(saltHex), encoder.encode(uid))));
}

/** The leaf of an account commitment (hex) and its balances. */
export async function leafNode(accountHex, balances) {
  const hash = await taggedHash(TAGS.leaf, concatBytes(hexToBytes(accountHex), sumsBytes(balances)));
  return { hash: bytesToHex(hash), sums: balances.map((b) => BigInt(b).toString()) };
}

/** `PAD` for `k` assets. */
export async function padNode(k) {
  return { hash: bytesToHex(await taggedHash(TAGS.pad)), sums: Array(k).fill("0") };
}

/**
 * Inner node of children `left`, `right`. A sum above 2^128 − 1 throws a
 * `PorError` with check `"fold"`; `where` names the place for the message.
 */
export async function combine(left, right, where = "node") {
  if (left.sums.length !== right.sums.length) {
    throw new PorError("fold", `${where}: children have ${left.sums.length} and ${right.sums.length} sums`);
  }
  const sums = left.sums.map((l, i) => {
    const s = BigInt(l) + BigInt(right.sums[i]);
    if (s > MAX_AMOUNT) {
      throw new PorError("fold", `${where}: sums[${i}] = ${l} + ${right.sums[i]} overflows 2^128-1`);
    }
    return s.toString();
  });
  const msg = concatBytes(hexToBytes(left.hash), sumsBytes(left.sums), hexToBytes(right.hash), sumsBytes(right.sums));
  return { hash: bytesToHex(await taggedHash(TAGS.node, msg)), sums };
}

/**
 * Builds the whole tree (§2) from accounts `{ uid, salt, balances }` in leaf order.
 * Returns `{ root, height, levels, leaves }`: `levels[l]` is the list of node hashes
 * of level `l`, `leaves[i]` is `{ account, leaf_hash }`. Throws a `PorError` on
 * an empty tree, inconsistent balance counts or an overflowing sum. This is for
 * tests and tools; a verifier never needs the whole tree.
 */
export async function buildTree(accounts) {
  if (!Array.isArray(accounts) || accounts.length === 0) throw new PorError("tree", "a tree needs at least one account");
  const k = accounts[0].balances.length;
  let level = [];
  const leaves = [];
  for (const [i, a] of accounts.entries()) {
    if (a.balances.length !== k) {
      throw new PorError("tree", `accounts[${i}]: ${a.balances.length} balances, expected ${k}`);
    }
    a.balances.forEach((b, j) => parseAmount(b, `accounts[${i}].balances[${j}]`, "tree"));
    const account = await accountHash(a.uid, a.salt);
    const leaf = await leafNode(account, a.balances);
    leaves.push({ account, leaf_hash: leaf.hash });
    level.push(leaf);
  }
  const levels = [level.map((n) => n.hash)];
  const pad = await padNode(k);
  while (level.length > 1) {
    const next = [];
    for (let j = 0; j < level.length; j += 2) {
      const where = `level ${levels.length} node ${j / 2}`;
      next.push(await combine(level[j], j + 1 < level.length ? level[j + 1] : pad, where));
    }
    level = next;
    levels.push(level.map((n) => n.hash));
  }
  return { root: level[0], height: levels.length - 1, levels, leaves };
}

// ---------------------------------------------------------------------------
// §3 step 1: strict parsing

function fail(reason) {
  throw new PorError("parse", reason);
}

function typeName(v) {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return typeof v === "object" ? "an object" : `a ${typeof v}`;
}

function show(v) {
  const s = typeof v === "string" ? JSON.stringify(v) : String(v);
  return s.length > 70 ? s.slice(0, 67) + "…" : s;
}

/** Parses a decimal amount string strictly into a BigInt ≤ 2^128 − 1. */
export function parseAmount(v, where = "amount", check = "parse") {
  const bad = (why) => {
    throw new PorError(check, `${where}: ${why}`);
  };
  if (typeof v !== "string") bad(`expected a string of decimal digits, found ${typeName(v)}`);
  if (v === "") bad("empty amount");
  if (v.startsWith("-")) bad(`${show(v)} is negative`);
  if (v.includes(".")) bad(`${show(v)} has a decimal point (amounts are whole base units)`);
  if (/^0[0-9]/.test(v)) bad(`${show(v)} has a leading zero`);
  if (!AMOUNT_RE.test(v)) bad(`${show(v)} is not a string of decimal digits`);
  const n = BigInt(v);
  if (n > MAX_AMOUNT) bad(`${show(v)} is above 2^128-1`);
  return n;
}

function parseHash(v, where) {
  if (typeof v !== "string") fail(`${where}: expected 64 lowercase hex characters, found ${typeName(v)}`);
  if (HASH_RE.test(v)) return v;
  if (/^[0-9a-fA-F]{64}$/.test(v)) fail(`${where}: ${show(v)} has uppercase hex (must be lowercase)`);
  fail(`${where}: ${show(v)} is not 64 lowercase hex characters (found ${v.length} characters)`);
}

function parseObject(v, where, fields) {
  if (v === null || typeof v !== "object" || Array.isArray(v)) fail(`${where}: expected an object, found ${typeName(v)}`);
  for (const f of fields) {
    if (!Object.prototype.hasOwnProperty.call(v, f)) fail(`${where}: missing field "${f}"`);
  }
  for (const f of Object.keys(v)) {
    if (!fields.includes(f)) fail(`${where}: unknown field ${JSON.stringify(f)}`);
  }
  return v;
}

function parseArray(v, where) {
  if (!Array.isArray(v)) fail(`${where}: expected an array, found ${typeName(v)}`);
  return v;
}

function parseString(v, where) {
  if (typeof v !== "string") fail(`${where}: expected a string, found ${typeName(v)}`);
  if (v === "") fail(`${where}: empty string`);
  return v;
}

function parseSums(v, where, k) {
  parseArray(v, where);
  if (v.length !== k) fail(`${where}: ${v.length} amounts, expected ${k} (one per asset)`);
  return v.map((a, i) => parseAmount(a, `${where}[${i}]`).toString());
}

/** True when a JS string is valid Unicode (no lone surrogate), i.e. encodable as UTF-8. */
function isWellFormed(s) {
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
}

/**
 * §3 step 1. `input` is a parsed object or JSON text. Returns a normalized proof
 * (amounts as canonical strings) or throws a `PorError` with check `"parse"`.
 * Unknown fields are rejected: a new field means a new format version.
 */
export function parseProof(input) {
  let p = input;
  if (typeof input === "string") {
    try {
      p = JSON.parse(input);
    } catch (e) {
      fail(`not valid JSON: ${e.message}`);
    }
  }
  parseObject(p, "proof", PROOF_FIELDS);
  if (p.format !== PROOF_FORMAT) {
    fail(`format: ${show(p.format)} is not "${PROOF_FORMAT}"`);
  }
  const exchange = parseString(p.exchange, "exchange");
  const snapshot_id = parseString(p.snapshot_id, "snapshot_id");
  if (!SNAPSHOT_ID_RE.test(snapshot_id)) fail(`snapshot_id: ${show(snapshot_id)} is not a valid snapshot id`);
  const assets = parseArray(p.assets, "assets").map((a, i) => {
    parseObject(a, `assets[${i}]`, ["symbol", "decimals"]);
    const symbol = parseString(a.symbol, `assets[${i}].symbol`);
    if (!Number.isInteger(a.decimals) || a.decimals < 0 || a.decimals > 255) {
      fail(`assets[${i}].decimals: ${show(a.decimals)} is not an integer in 0..=255`);
    }
    return { symbol, decimals: a.decimals };
  });
  if (assets.length === 0) fail("assets: empty list");
  const k = assets.length;
  if (typeof p.uid !== "string") fail(`uid: expected a string, found ${typeName(p.uid)}`);
  if (!isWellFormed(p.uid)) fail("uid: contains a lone surrogate (not valid UTF-8)");
  const uidBytes = encoder.encode(p.uid).length;
  if (uidBytes < 1 || uidBytes > 128) fail(`uid: ${uidBytes} UTF-8 bytes, expected 1 to 128`);
  if (typeof p.salt !== "string") fail(`salt: expected 64 lowercase hex characters, found ${typeName(p.salt)}`);
  const salt = parseHash(p.salt, "salt");
  const balances = parseSums(p.balances, "balances", k);
  const path = parseArray(p.path, "path").map((s, l) => {
    parseObject(s, `path[${l}]`, ["side", "hash", "sums"]);
    if (s.side !== "left" && s.side !== "right") fail(`path[${l}].side: ${show(s.side)} is not "left" or "right"`);
    return { side: s.side, hash: parseHash(s.hash, `path[${l}].hash`), sums: parseSums(s.sums, `path[${l}].sums`, k) };
  });
  parseObject(p.root, "root", ["hash", "sums"]);
  const root = { hash: parseHash(p.root.hash, "root.hash"), sums: parseSums(p.root.sums, "root.sums", k) };
  return { format: p.format, exchange, snapshot_id, assets, uid: p.uid, salt, balances, path, root };
}

// ---------------------------------------------------------------------------
// §3 steps 2–5

/** First 12 hex characters and an ellipsis, for messages and narrow displays. */
export function shortHash(hex) {
  return typeof hex === "string" && hex.length > 12 ? hex.slice(0, 12) + "…" : String(hex);
}

function manifestFail(reason) {
  throw new PorError("manifest", `manifest ${reason}`);
}

/** §3 step 5: the proof's root against the published manifest. */
function checkManifest(proof, m) {
  if (m === null || typeof m !== "object" || Array.isArray(m)) manifestFail(`is ${typeName(m)}, not an object`);
  if (m.format !== MANIFEST_FORMAT) manifestFail(`format ${show(m.format)} is not "${MANIFEST_FORMAT}"`);
  if (m.snapshot_id !== proof.snapshot_id) {
    manifestFail(`is for snapshot ${show(m.snapshot_id)}, the proof for snapshot ${show(proof.snapshot_id)}`);
  }
  if (m.exchange !== proof.exchange) {
    manifestFail(`is for exchange ${show(m.exchange)}, the proof for exchange ${show(proof.exchange)}`);
  }
  if (!Array.isArray(m.assets) || m.assets.length !== proof.assets.length) {
    manifestFail(`lists ${Array.isArray(m.assets) ? m.assets.length : "no"} assets, the proof ${proof.assets.length}`);
  }
  proof.assets.forEach((a, i) => {
    const ma = m.assets[i] || {};
    if (ma.symbol !== a.symbol || ma.decimals !== a.decimals) {
      manifestFail(
        `assets[${i}] is ${show(ma.symbol)} with ${show(ma.decimals)} decimals, ` +
          `the proof's is ${show(a.symbol)} with ${a.decimals} decimals`,
      );
    }
  });
  const t = m.tree;
  if (t === null || typeof t !== "object") manifestFail("has no tree object");
  if (t.root !== proof.root.hash) {
    manifestFail(`tree.root ${shortHash(String(t.root))} differs from the proof root ${shortHash(proof.root.hash)}`);
  }
  if (!Array.isArray(t.sums) || t.sums.length !== proof.root.sums.length) {
    manifestFail(`tree.sums has ${Array.isArray(t.sums) ? t.sums.length : "no"} amounts, the proof root ${proof.root.sums.length}`);
  }
  proof.root.sums.forEach((s, i) => {
    if (t.sums[i] !== s) {
      manifestFail(`tree.sums[${i}] ${show(t.sums[i])} (${proof.assets[i].symbol}) differs from the proof root.sums[${i}] "${s}"`);
    }
  });
  if (t.height !== proof.path.length) {
    manifestFail(`tree.height is ${show(t.height)} but the proof path has ${proof.path.length} levels`);
  }
}

/**
 * Verifies an inclusion proof (FORMAT.md §3). `proof` is a parsed object or JSON
 * text; `manifest` a parsed `por-manifest/1` object, or `null` to run steps 1–4
 * only (then `manifestChecked` is false and the result is not a full verification).
 *
 * Never throws for a bad proof; returns
 * `{ ok, step, check, reason, account, leaf, levels, root, manifestChecked, proof }`:
 * - `step` 1–5 of the failed §3 step (null when ok), `check` its code
 *   (`"parse"`, `"fold"`, `"root"`, `"manifest"`), `reason` a one-line explanation;
 * - `account` the recomputed account commitment (hex), `leaf` the leaf node;
 * - `levels[l] = { level, side, sibling: {hash, sums}, node: {hash, sums} }`, the
 *   running node after combining at level `l`;
 * - `root = { computed, claimed, published }` (nodes; `published` is the manifest's
 *   `{hash, sums, height}` or null);
 * - `proof` the normalized proof (null when it did not parse).
 */
export async function verifyProof(proof, manifest) {
  const r = {
    ok: false,
    step: null,
    check: null,
    reason: null,
    account: null,
    leaf: null,
    levels: [],
    root: { computed: null, claimed: null, published: null },
    manifestChecked: false,
    proof: null,
  };
  let step = 1;
  try {
    const p = parseProof(proof);
    r.proof = p;
    r.root.claimed = p.root;
    step = 2;
    r.account = await accountHash(p.uid, p.salt);
    r.leaf = await leafNode(r.account, p.balances);
    step = 3;
    let node = r.leaf;
    for (const [l, s] of p.path.entries()) {
      const sibling = { hash: s.hash, sums: s.sums };
      const where = `path[${l}]`;
      node = s.side === "right" ? await combine(node, sibling, where) : await combine(sibling, node, where);
      r.levels.push({ level: l, side: s.side, sibling, node });
    }
    r.root.computed = node;
    step = 4;
    if (node.hash !== p.root.hash) {
      throw new PorError("root", `recomputed root hash ${shortHash(node.hash)} differs from proof root ${shortHash(p.root.hash)}`);
    }
    node.sums.forEach((s, i) => {
      if (s !== p.root.sums[i]) {
        throw new PorError("root", `recomputed root.sums[${i}] "${s}" differs from proof root.sums[${i}] "${p.root.sums[i]}"`);
      }
    });
    if (manifest !== null && manifest !== undefined) {
      step = 5;
      const t = manifest && manifest.tree;
      if (t && typeof t === "object") r.root.published = { hash: t.root, sums: t.sums, height: t.height };
      checkManifest(p, manifest);
      r.manifestChecked = true;
    }
    r.ok = true;
  } catch (e) {
    r.step = step;
    r.check = e instanceof PorError ? e.check : "internal";
    r.reason = e instanceof PorError ? e.message : `internal error at step ${step}: ${e && e.message}`;
  }
  return r;
}

// ---------------------------------------------------------------------------
// Display helpers (no floats)

/**
 * A base-unit amount as a human string: `formatUnits("150000000", 8)` is "1.5",
 * trailing zeros trimmed, "0" for zero. Throws on a malformed amount.
 */
export function formatUnits(baseUnits, decimals) {
  const v = parseAmount(typeof baseUnits === "bigint" ? baseUnits.toString() : baseUnits, "amount").toString();
  if (!Number.isInteger(decimals) || decimals < 0) throw new Error(`decimals: ${decimals} is not a non-negative integer`);
  if (decimals === 0) return v;
  const padded = v.padStart(decimals + 1, "0");
  const int = padded.slice(0, padded.length - decimals);
  const frac = padded.slice(padded.length - decimals).replace(/0+$/, "");
  return frac ? `${int}.${frac}` : int;
}
