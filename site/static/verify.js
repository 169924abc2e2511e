// por — in-browser verifier for `por-inclusion-proof/1` (FORMAT.md §1–§3) and
// `por-inclusion-proof/2` (FORMAT.md §6: split accounts, padded trees).
//
// A pure ES module with no dependencies: it runs unchanged in browsers (a secure
// context, for `crypto.subtle`) and in Node >= 20. It never touches the network,
// the DOM or the clock; the page (verify-page.js) does the I/O and the display.
// No regex lookbehind and no other syntax newer than the browsers of the last
// three years accept (Safari < 16.4 cannot even parse a lookbehind).
//
// Amounts are `BigInt` internally and decimal strings at the edges, exactly as in
// the published JSON. No floats touch money anywhere in this file.

/** The por/1 proof format (kept under its old name for existing callers). */
export const PROOF_FORMAT = "por-inclusion-proof/1";
/** The por/2 proof format (FORMAT.md §6). */
export const PROOF_FORMAT_V2 = "por-inclusion-proof/2";
export const PROOF_FORMATS = Object.freeze([PROOF_FORMAT, PROOF_FORMAT_V2]);
export const MANIFEST_FORMAT = "por-manifest/1";
/** Largest amount the format allows: 2^128 − 1. */
export const MAX_AMOUNT = (1n << 128n) - 1n;
export const TAGS = Object.freeze({
  account: "por/1/account",
  leaf: "por/1/leaf",
  node: "por/1/node",
  pad: "por/1/pad",
});
export const TAGS_V2 = Object.freeze({
  account: "por/2/account",
  leaf: "por/2/leaf",
  node: "por/2/node",
  pad: "por/2/pad",
  dummy: "por/2/dummy",
});
/** §6 bounds of `tree.split` and `tree.padding_bits`. */
export const MAX_SPLIT = 16;
export const MAX_PADDING_BITS = 8;

const AMOUNT_RE = /^(0|[1-9][0-9]*)$/;
const HASH_RE = /^[0-9a-f]{64}$/;
const SNAPSHOT_ID_RE = /^[0-9A-Za-z][0-9A-Za-z._-]{0,63}$/;
const PROOF_FIELDS = ["format", "exchange", "snapshot_id", "assets", "uid", "salt", "balances", "path", "root"];
const PROOF_FIELDS_V2 = ["format", "exchange", "snapshot_id", "assets", "uid", "balances", "parts", "root"];
const PART_FIELDS = ["index", "salt", "balances", "path"];

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
// §2 / §6 tree nodes. A node here is `{ hash: "<64 hex>", sums: ["<decimal>", …] }`,
// the same shape as in the JSON. The por/1 and por/2 trees differ only in their
// tags, so the internals take the tag set and the exports fix it.

function sumsBytes(sums) {
  return concatBytes(...sums.map(u128be));
}

async function leafWith(tags, accountHex, balances) {
  const hash = await taggedHash(tags.leaf, concatBytes(hexToBytes(accountHex), sumsBytes(balances)));
  return { hash: bytesToHex(hash), sums: balances.map((b) => BigInt(b).toString()) };
}

async function padWith(tags, k) {
  return { hash: bytesToHex(await taggedHash(tags.pad)), sums: Array(k).fill("0") };
}

async function combineWith(tags, left, right, where) {
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
  return { hash: bytesToHex(await taggedHash(tags.node, msg)), sums };
}

/** Levels above `leaves` (nodes) with `PAD` for an odd count; `levels[l]` lists nodes. */
async function buildLevels(tags, leaves, k) {
  let level = leaves;
  const levels = [level];
  const pad = await padWith(tags, k);
  while (level.length > 1) {
    const next = [];
    for (let j = 0; j < level.length; j += 2) {
      const where = `level ${levels.length} node ${j / 2}`;
      next.push(await combineWith(tags, level[j], j + 1 < level.length ? level[j + 1] : pad, where));
    }
    level = next;
    levels.push(level);
  }
  return levels;
}

/** Folds `leaf` up `path` (§3 step 3); returns `{ node, levels }` as in `verifyProof`. */
async function foldPath(tags, leaf, path, prefix = "") {
  let node = leaf;
  const levels = [];
  for (const [l, s] of path.entries()) {
    const sibling = { hash: s.hash, sums: s.sums };
    const where = `${prefix}path[${l}]`;
    node = s.side === "right" ? await combineWith(tags, node, sibling, where) : await combineWith(tags, sibling, node, where);
    levels.push({ level: l, side: s.side, sibling, node });
  }
  return { node, levels };
}

/** `account = H("por/1/account", salt ‖ uid)`, as hex. */
export async function accountHash(uid, saltHex) {
  return bytesToHex(await taggedHash(TAGS.account, concatBytes(hexToBytes(saltHex), encoder.encode(uid))));
}

/** The leaf of an account commitment (hex) and its balances. */
export async function leafNode(accountHex, balances) {
  return leafWith(TAGS, accountHex, balances);
}

/** `PAD` for `k` assets. */
export async function padNode(k) {
  return padWith(TAGS, k);
}

/**
 * Inner node of children `left`, `right`. A sum above 2^128 − 1 throws a
 * `PorError` with check `"fold"`; `where` names the place for the message.
 */
export async function combine(left, right, where = "node") {
  return combineWith(TAGS, left, right, where);
}

/** por/2: `account_j = H("por/2/account", salt_j ‖ u8(j) ‖ uid)`, as hex. */
export async function accountHashV2(uid, saltHex, index) {
  if (!Number.isInteger(index) || index < 0 || index > 255) throw new PorError("parse", `part index ${show(index)} is not a u8`);
  const msg = concatBytes(hexToBytes(saltHex), Uint8Array.of(index), encoder.encode(uid));
  return bytesToHex(await taggedHash(TAGS_V2.account, msg));
}

/** por/2 part leaf: `H("por/2/leaf", account_j ‖ u128be(p_{j,0}) ‖ …)` and the part amounts. */
export async function leafNodeV2(accountHex, balances) {
  return leafWith(TAGS_V2, accountHex, balances);
}

/** por/2 dummy leaf: `(H("por/2/dummy", r), 0…0)` for the 32-byte `r` (hex) and `k` assets. */
export async function dummyLeaf(rHex, k) {
  return { hash: bytesToHex(await taggedHash(TAGS_V2.dummy, hexToBytes(rHex))), sums: Array(k).fill("0") };
}

/** por/2 `PAD` for `k` assets. */
export async function padNodeV2(k) {
  return padWith(TAGS_V2, k);
}

/** por/2 inner node (tag `por/2/node`); overflow throws a `PorError` `"fold"`. */
export async function combineV2(left, right, where = "node") {
  return combineWith(TAGS_V2, left, right, where);
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
  const nodes = [];
  const leaves = [];
  for (const [i, a] of accounts.entries()) {
    if (a.balances.length !== k) {
      throw new PorError("tree", `accounts[${i}]: ${a.balances.length} balances, expected ${k}`);
    }
    a.balances.forEach((b, j) => parseAmount(b, `accounts[${i}].balances[${j}]`, "tree"));
    const account = await accountHash(a.uid, a.salt);
    const leaf = await leafNode(account, a.balances);
    leaves.push({ account, leaf_hash: leaf.hash });
    nodes.push(leaf);
  }
  const levels = await buildLevels(TAGS, nodes, k);
  const top = levels[levels.length - 1];
  return { root: top[0], height: levels.length - 1, levels: levels.map((lv) => lv.map((n) => n.hash)), leaves };
}

// ---------------------------------------------------------------------------
// §6 tree shape

/** `ceil(log2 n)` for an integer n ≥ 1 (Number or BigInt), exactly. */
function ceilLog2(n) {
  const v = BigInt(n);
  let h = 0;
  while (1n << BigInt(h) < v) h++;
  return h;
}

/** `q = max(min(h, 4), h − g)`: leaf counts of a por/2 tree of height `h` are multiples of 2^q. */
function granularityBits(h, g) {
  return Math.max(Math.min(h, 4), h - g);
}

/**
 * §6 padded leaf count `M` for `partLeaves = N·s` part leaves and `g = paddingBits`:
 * the smallest multiple of 2^q ≥ N·s with `h = ceil(log2(N·s))`. Returns a BigInt.
 */
export function paddedLeafCount(partLeaves, paddingBits) {
  const n = BigInt(partLeaves);
  if (n < 1n) throw new PorError("tree", "a tree needs at least one part leaf");
  const unit = 1n << BigInt(granularityBits(ceilLog2(n), paddingBits));
  return ((n + unit - 1n) / unit) * unit;
}

function isIntIn(v, lo, hi) {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= lo && v <= hi;
}

/**
 * Step 1 for por/2: the manifest's `tree` must be well formed (FORMAT.md §6).
 * Throws a `PorError` `"parse"`; returns `{ split, paddingBits, height, leaves, accounts }`.
 */
export function checkTreeV2(tree) {
  const bad = (why) => fail(`manifest tree: ${why}`);
  if (tree === null || typeof tree !== "object" || Array.isArray(tree)) bad(`is ${typeName(tree)}, not an object`);
  if (tree.version !== 2) bad(`version ${show(tree.version)} is not 2`);
  for (const f of ["split", "padding_bits", "height", "leaves", "accounts"]) {
    if (!Object.prototype.hasOwnProperty.call(tree, f)) bad(`missing field "${f}" (a por/2 tree always has it)`);
  }
  const { split, padding_bits: g, height, leaves, accounts } = tree;
  if (!isIntIn(split, 1, MAX_SPLIT)) bad(`split ${show(split)} is not an integer in 1..=${MAX_SPLIT}`);
  if (!isIntIn(g, 0, MAX_PADDING_BITS)) bad(`padding_bits ${show(g)} is not an integer in 0..=${MAX_PADDING_BITS}`);
  if (!isIntIn(leaves, 1, Number.MAX_SAFE_INTEGER)) bad(`leaves ${show(leaves)} is not an integer >= 1`);
  if (!isIntIn(height, 0, Number.MAX_SAFE_INTEGER)) bad(`height ${show(height)} is not an integer >= 0`);
  const h = ceilLog2(leaves);
  if (height !== h) bad(`height ${height} is not ceil(log2 leaves) = ${h} for ${leaves} leaves`);
  const q = granularityBits(height, g);
  if (BigInt(leaves) % (1n << BigInt(q)) !== 0n) {
    bad(`leaves ${leaves} is not a multiple of 2^${q} (q = max(min(${height}, 4), ${height} - ${g}))`);
  }
  if (accounts !== null) {
    if (!isIntIn(accounts, 1, Number.MAX_SAFE_INTEGER)) bad(`accounts ${show(accounts)} is neither null nor an integer >= 1`);
    const m = paddedLeafCount(BigInt(accounts) * BigInt(split), g);
    if (m !== BigInt(leaves)) {
      bad(`leaves ${leaves} is not ${m}, the padded count for ${accounts} accounts of ${split} parts with padding_bits ${g}`);
    }
  }
  return { split, paddingBits: g, height, leaves, accounts };
}

/**
 * Builds a whole por/2 tree (§6) as the vectors describe it, for tests and tools:
 * `accounts[]` = `{ uid, balances, parts: [{ index, salt, balances }] }`, `dummies[]` =
 * `{ r }` (or the hex of `r`), `permutation[p]` = the index into
 * `U = [account 0 parts 0..s-1 (in index order), account 1 parts…, dummy 0..D-1]` of the
 * leaf at position `p` (identity when omitted). With `padding_bits` given, the leaf
 * count must be the §6 padded count. Returns `{ root, height, split, levels,
 * level_sums, leaves }`: `levels[l]` hashes, `level_sums[l]` sums, `leaves[p]` =
 * `{ kind: "part", account_index, index, account, leaf_hash }` or `{ kind: "dummy",
 * dummy_index, leaf_hash }`. Throws a `PorError` `"tree"` on inconsistent input.
 */
export async function buildTreeV2({ accounts, dummies = [], permutation = null, padding_bits = null }) {
  const bad = (why) => {
    throw new PorError("tree", why);
  };
  if (!Array.isArray(accounts) || accounts.length === 0) bad("a tree needs at least one account");
  const k = accounts[0].balances.length;
  const s = Array.isArray(accounts[0].parts) ? accounts[0].parts.length : 0;
  if (s < 1 || s > MAX_SPLIT) bad(`split ${s} is not in 1..=${MAX_SPLIT}`);
  const units = [];
  for (const [a, acct] of accounts.entries()) {
    if (!Array.isArray(acct.balances) || acct.balances.length !== k) bad(`accounts[${a}]: expected ${k} balances`);
    if (!Array.isArray(acct.parts) || acct.parts.length !== s) bad(`accounts[${a}]: expected ${s} parts`);
    const total = acct.balances.map((b, i) => ({ want: parseAmount(b, `accounts[${a}].balances[${i}]`, "tree"), got: 0n }));
    const parts = [...acct.parts].sort((x, y) => x.index - y.index);
    for (const [j, part] of parts.entries()) {
      if (part.index !== j) bad(`accounts[${a}]: part indexes are not 0..${s - 1}`);
      if (!Array.isArray(part.balances) || part.balances.length !== k) bad(`accounts[${a}].parts[${j}]: expected ${k} balances`);
      part.balances.forEach((b, i) => (total[i].got += parseAmount(b, `accounts[${a}].parts[${j}].balances[${i}]`, "tree")));
      const account = await accountHashV2(acct.uid, part.salt, j);
      const node = await leafNodeV2(account, part.balances);
      units.push({ node, info: { kind: "part", account_index: a, index: j, account, leaf_hash: node.hash } });
    }
    total.forEach((t, i) => {
      if (t.got !== t.want) bad(`accounts[${a}]: parts of asset ${i} add up to ${t.got}, not ${t.want}`);
    });
  }
  for (const [d, dummy] of dummies.entries()) {
    const node = await dummyLeaf(typeof dummy === "string" ? dummy : dummy.r, k);
    units.push({ node, info: { kind: "dummy", dummy_index: d, leaf_hash: node.hash } });
  }
  const m = units.length;
  if (padding_bits !== null && paddedLeafCount(accounts.length * s, padding_bits) !== BigInt(m)) {
    bad(`${m} leaves, but ${accounts.length} accounts of ${s} parts pad to ${paddedLeafCount(accounts.length * s, padding_bits)}`);
  }
  const perm = permutation === null ? units.map((_, i) => i) : permutation;
  if (!Array.isArray(perm) || perm.length !== m || new Set(perm).size !== m || !perm.every((x) => isIntIn(x, 0, m - 1))) {
    bad(`permutation is not a permutation of 0..${m - 1}`);
  }
  const placed = perm.map((u) => units[u]);
  const levels = await buildLevels(TAGS_V2, placed.map((u) => u.node), k);
  const top = levels[levels.length - 1];
  return {
    root: top[0],
    height: levels.length - 1,
    split: s,
    levels: levels.map((lv) => lv.map((n) => n.hash)),
    level_sums: levels.map((lv) => lv.map((n) => n.sums)),
    leaves: placed.map((u) => u.info),
  };
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

function parsePath(v, where, k) {
  return parseArray(v, where).map((s, l) => {
    parseObject(s, `${where}[${l}]`, ["side", "hash", "sums"]);
    if (s.side !== "left" && s.side !== "right") fail(`${where}[${l}].side: ${show(s.side)} is not "left" or "right"`);
    return { side: s.side, hash: parseHash(s.hash, `${where}[${l}].hash`), sums: parseSums(s.sums, `${where}[${l}].sums`, k) };
  });
}

/**
 * True when a JS string is valid Unicode (no lone surrogate), i.e. encodable as
 * UTF-8. A loop, not a regex: the regex needs a lookbehind, which older Safari
 * cannot parse (and `String.prototype.isWellFormed` is newer still).
 */
function isWellFormed(s) {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (d < 0xdc00 || d > 0xdfff) return false;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      return false;
    }
  }
  return true;
}

/**
 * The first JSON number token of `text` (valid JSON) with a fraction or an exponent,
 * or null. `JSON.parse` turns `1.0` and `1e0` into 1; the only numbers of a proof
 * (`assets[].decimals`, `parts[].index`) must be integers without them (§6).
 */
function fractionalNumber(text) {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // skip a string, with its escapes
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c) i++;
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      let j = i;
      let frac = false;
      for (; j < text.length; j++) {
        const d = text[j];
        if (d === "." || d === "e" || d === "E") frac = true;
        else if (!(d === "-" || d === "+" || (d >= "0" && d <= "9"))) break;
      }
      if (frac) return text.slice(i, j);
      i = j - 1;
    }
  }
  return null;
}

function isObject(v) {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/**
 * §3/§6 step 1: the proof's `format` must match the manifest's tree version
 * (`por-inclusion-proof/1` ⇔ no `tree.version`, `/2` ⇔ `tree.version == 2`).
 * A por/1 manifest without a tree object is left to step 5.
 */
function checkFormatMatch(format, manifest) {
  const tree = isObject(manifest) ? manifest.tree : undefined;
  const hasVersion = isObject(tree) && Object.prototype.hasOwnProperty.call(tree, "version");
  if (format === PROOF_FORMAT) {
    if (!hasVersion) return;
    if (tree.version === 2) fail(`format: a ${PROOF_FORMAT} proof, but the manifest is a por/2 snapshot (tree.version 2)`);
    fail(`format: the manifest's tree.version ${show(tree.version)} is invalid (por/1 manifests omit it)`);
  }
  if (!isObject(tree)) fail(`format: a ${PROOF_FORMAT_V2} proof, but the manifest has no tree object`);
  if (!hasVersion) fail(`format: a ${PROOF_FORMAT_V2} proof, but the manifest is a por/1 snapshot (no tree.version)`);
  if (tree.version !== 2) fail(`format: a ${PROOF_FORMAT_V2} proof, but the manifest's tree.version is ${show(tree.version)}, not 2`);
}

/**
 * §3 step 1 (and §6 step 1 for por/2). `input` is a parsed object or JSON text;
 * `manifest` the snapshot's manifest, or null to parse the proof alone (then the
 * format/manifest match and, for por/2, the tree checks are skipped and
 * `len(parts)` is only bounded by 1..=16). Returns a normalized proof (amounts as
 * canonical strings) or throws a `PorError` with check `"parse"`. Unknown fields
 * are rejected everywhere: a new field means a new format version.
 *
 * por/1: `{ format, exchange, snapshot_id, assets, uid, salt, balances, path, root }`;
 * por/2: `{ format, exchange, snapshot_id, assets, uid, balances, parts, root }` with
 * `parts[a] = { index, salt, balances, path }` in the proof's array order.
 */
export function parseProof(input, manifest = null) {
  let p = input;
  if (typeof input === "string") {
    try {
      p = JSON.parse(input);
    } catch (e) {
      fail(`not valid JSON: ${e.message}`);
    }
    const frac = fractionalNumber(input);
    if (frac !== null) fail(`the number ${show(frac)} has a fraction or exponent (the numbers of a proof are integers)`);
  }
  if (!isObject(p)) fail(`proof: expected an object, found ${typeName(p)}`);
  if (!PROOF_FORMATS.includes(p.format)) {
    fail(`format: ${show(p.format)} is not "${PROOF_FORMAT}" or "${PROOF_FORMAT_V2}"`);
  }
  const v2 = p.format === PROOF_FORMAT_V2;
  parseObject(p, "proof", v2 ? PROOF_FIELDS_V2 : PROOF_FIELDS);
  const hasManifest = manifest !== null && manifest !== undefined;
  if (hasManifest) checkFormatMatch(p.format, manifest);
  const tree = v2 && hasManifest ? checkTreeV2(manifest.tree) : null;

  const exchange = parseString(p.exchange, "exchange");
  const snapshot_id = parseString(p.snapshot_id, "snapshot_id");
  if (!SNAPSHOT_ID_RE.test(snapshot_id)) fail(`snapshot_id: ${show(snapshot_id)} is not a valid snapshot id`);
  const assets = parseArray(p.assets, "assets").map((a, i) => {
    parseObject(a, `assets[${i}]`, ["symbol", "decimals"]);
    const symbol = parseString(a.symbol, `assets[${i}].symbol`);
    if (!isIntIn(a.decimals, 0, 255)) {
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
  const parseRoot = () => {
    parseObject(p.root, "root", ["hash", "sums"]);
    return { hash: parseHash(p.root.hash, "root.hash"), sums: parseSums(p.root.sums, "root.sums", k) };
  };

  if (!v2) {
    if (typeof p.salt !== "string") fail(`salt: expected 64 lowercase hex characters, found ${typeName(p.salt)}`);
    const salt = parseHash(p.salt, "salt");
    const balances = parseSums(p.balances, "balances", k);
    const path = parsePath(p.path, "path", k);
    const root = parseRoot();
    return { format: p.format, exchange, snapshot_id, assets, uid: p.uid, salt, balances, path, root };
  }

  const balances = parseSums(p.balances, "balances", k);

  parseArray(p.parts, "parts");
  const s = tree ? tree.split : p.parts.length;
  if (tree && p.parts.length !== s) fail(`parts: ${p.parts.length} parts, but the manifest's tree.split is ${s}`);
  if (!tree && (s < 1 || s > MAX_SPLIT)) fail(`parts: ${s} parts, expected 1 to ${MAX_SPLIT}`);
  const seenIndex = new Map();
  const seenSalt = new Map();
  const parts = p.parts.map((part, a) => {
    const where = `parts[${a}]`;
    parseObject(part, where, PART_FIELDS);
    const index = part.index;
    if (typeof index !== "number" || !Number.isInteger(index)) fail(`${where}.index: ${show(index)} (${typeName(index)}) is not an integer`);
    if (index < 0 || index >= s) fail(`${where}.index: ${index} is not in 0..=${s - 1}`);
    if (seenIndex.has(index)) fail(`${where}.index: ${index} repeats parts[${seenIndex.get(index)}].index`);
    seenIndex.set(index, a);
    if (typeof part.salt !== "string") fail(`${where}.salt: expected 64 lowercase hex characters, found ${typeName(part.salt)}`);
    const salt = parseHash(part.salt, `${where}.salt`);
    if (seenSalt.has(salt)) fail(`${where}.salt: repeats parts[${seenSalt.get(salt)}].salt (every part has its own salt)`);
    seenSalt.set(salt, a);
    const partBalances = parseSums(part.balances, `${where}.balances`, k);
    const path = parsePath(part.path, `${where}.path`, k);
    return { index: index === 0 ? 0 : index, salt, balances: partBalances, path };
  });
  // `s` distinct indexes in 0..s-1 are exactly 0..s-1.
  for (let i = 0; i < k; i++) {
    let total = 0n;
    for (const part of parts) {
      total += BigInt(part.balances[i]);
      if (total > MAX_AMOUNT) fail(`parts: the part balances of ${assets[i].symbol} (asset ${i}) add up to more than 2^128-1`);
    }
    if (total.toString() !== balances[i]) {
      fail(`parts: the part balances of ${assets[i].symbol} (asset ${i}) add up to ${total}, not balances[${i}] = ${balances[i]}`);
    }
  }
  const root = parseRoot();
  return { format: p.format, exchange, snapshot_id, assets, uid: p.uid, balances, parts, root };
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

/** §3 step 5 except the path lengths: the proof's root and labels against the manifest. */
function checkManifest(proof, m) {
  if (!isObject(m)) manifestFail(`is ${typeName(m)}, not an object`);
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
    const ma = isObject(m.assets[i]) ? m.assets[i] : {};
    if (ma.symbol !== a.symbol || ma.decimals !== a.decimals) {
      manifestFail(
        `assets[${i}] is ${show(ma.symbol)} with ${show(ma.decimals)} decimals, ` +
          `the proof's is ${show(a.symbol)} with ${a.decimals} decimals`,
      );
    }
  });
  const t = m.tree;
  if (!isObject(t)) manifestFail("has no tree object");
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
  return t;
}

/** Step 4: the folded node equals the proof's root, hash and every sum. */
function checkRoot(node, root, prefix = "") {
  if (node.hash !== root.hash) {
    throw new PorError("root", `${prefix}recomputed root hash ${shortHash(node.hash)} differs from proof root ${shortHash(root.hash)}`);
  }
  node.sums.forEach((s, i) => {
    if (s !== root.sums[i]) {
      throw new PorError("root", `${prefix}recomputed root.sums[${i}] "${s}" differs from proof root.sums[${i}] "${root.sums[i]}"`);
    }
  });
}

/** The leaf position a path implies: bit `l` is 1 where `path[l].side == "left"`. */
function leafPosition(path) {
  let pos = 0n;
  path.forEach((s, l) => {
    if (s.side === "left") pos |= 1n << BigInt(l);
  });
  return pos;
}

/**
 * Verifies an inclusion proof (FORMAT.md §3 for `por-inclusion-proof/1`, §6 for
 * `por-inclusion-proof/2`, chosen by the proof's `format`). `proof` is a parsed object
 * or JSON text; `manifest` a parsed `por-manifest/1` object, or `null` to run steps
 * 1–4 only (then `manifestChecked` is false and the result is not a full
 * verification; for por/2 the manifest's tree checks of step 1 are skipped too).
 *
 * Never throws for a bad proof; returns
 * `{ ok, step, check, reason, format, account, leaf, levels, parts, part, root,
 *    manifestChecked, proof }`:
 * - `step` 1–5 of the failed §3 step (null when ok), `check` its code
 *   (`"parse"`, `"fold"`, `"root"`, `"manifest"`), `reason` a one-line explanation;
 * - `format` the proof's format once it parsed (else null);
 * - por/1: `account` the recomputed account commitment (hex), `leaf` the leaf node,
 *   `levels[l] = { level, side, sibling: {hash, sums}, node: {hash, sums} }`, the
 *   running node after combining at level `l`; `parts` is null;
 * - por/2: `account`, `leaf` null and `levels` empty; `parts[a]` (in the proof's array
 *   order, as far as verification got) = `{ index, balances, account, leaf, levels,
 *   computed, position }`, `computed` the node its path folds to, `position` its leaf
 *   position (a Number; bit `l` set where `path[l].side` is "left"); `part` the array
 *   position of the part a failure is about (null otherwise);
 * - `root = { computed, claimed, published }` (nodes; `published` is the manifest's
 *   `{hash, sums, height}` (por/2 also `leaves, split, padding_bits, accounts`) or
 *   null; for por/2 `computed` is the last part's);
 * - `proof` the normalized proof (null when it did not parse).
 */
export async function verifyProof(proof, manifest) {
  const r = {
    ok: false,
    step: null,
    check: null,
    reason: null,
    format: null,
    account: null,
    leaf: null,
    levels: [],
    parts: null,
    part: null,
    root: { computed: null, claimed: null, published: null },
    manifestChecked: false,
    proof: null,
  };
  const hasManifest = manifest !== null && manifest !== undefined;
  let step = 1;
  try {
    const p = parseProof(proof, hasManifest ? manifest : null);
    r.proof = p;
    r.format = p.format;
    r.root.claimed = p.root;
    const positions = [];
    if (p.format === PROOF_FORMAT) {
      step = 2;
      r.account = await accountHash(p.uid, p.salt);
      r.leaf = await leafNode(r.account, p.balances);
      step = 3;
      const { node, levels } = await foldPath(TAGS, r.leaf, p.path);
      r.levels = levels;
      r.root.computed = node;
      step = 4;
      checkRoot(node, p.root);
    } else {
      r.parts = [];
      for (const [a, part] of p.parts.entries()) {
        r.part = a;
        const prefix = `parts[${a}] (index ${part.index}): `;
        step = 2;
        const account = await accountHashV2(p.uid, part.salt, part.index);
        const leaf = await leafNodeV2(account, part.balances);
        const position = leafPosition(part.path);
        positions.push(position);
        const detail = { index: part.index, balances: part.balances, account, leaf, levels: [], computed: null, position: Number(position) };
        r.parts.push(detail);
        step = 3;
        const { node, levels } = await foldPath(TAGS_V2, leaf, part.path, `parts[${a}].`);
        detail.levels = levels;
        detail.computed = node;
        r.root.computed = node;
        step = 4;
        checkRoot(node, p.root, prefix);
      }
      r.part = null;
    }
    if (hasManifest) {
      step = 5;
      const t = isObject(manifest) ? manifest.tree : null;
      if (isObject(t)) {
        r.root.published = { hash: t.root, sums: t.sums, height: t.height };
        if (p.format === PROOF_FORMAT_V2) {
          Object.assign(r.root.published, { leaves: t.leaves, split: t.split, padding_bits: t.padding_bits, accounts: t.accounts });
        }
      }
      checkManifest(p, manifest);
      if (p.format === PROOF_FORMAT) {
        if (t.height !== p.path.length) {
          manifestFail(`tree.height is ${show(t.height)} but the proof path has ${p.path.length} levels`);
        }
      } else {
        const seen = new Map();
        for (const [a, part] of p.parts.entries()) {
          r.part = a;
          if (t.height !== part.path.length) {
            manifestFail(`tree.height is ${show(t.height)} but parts[${a}] (index ${part.index}) has a path of ${part.path.length} levels`);
          }
          const key = positions[a].toString();
          if (seen.has(key)) manifestFail(`leaf position ${key} is claimed by parts[${seen.get(key)}] and parts[${a}]`);
          seen.set(key, a);
        }
        r.part = null;
      }
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
