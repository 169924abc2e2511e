// por — in-browser checks of the snapshot log (FORMAT.md §7): verifier keys,
// signed-note checkpoints, cosignature/v1 lines (Ed25519 in WebCrypto), the RFC 6962
// tree of the manifests, inclusion and consistency proofs, and the rules a list of
// manifests follows to be a log.
//
// A pure ES module with no dependencies, like verify.js: it runs unchanged in
// browsers (a secure context, for `crypto.subtle`, with Ed25519) and in Node >= 20.
// It never touches the network, the DOM or the clock: the page passes `now` in.
// No regex lookbehind. Every refusal is a LogError whose `check` is the name the
// vectors use (vkey, note-format, note-signature, origin, cosignature, consistency,
// inclusion, previous, snapshot_id, parse), checked in the order they list.

export const TYPE_NOTE = 0x01;
export const TYPE_COSIGNATURE = 0x04;
export const MAX_FUTURE_SECS = 5 * 60;
export const DEFAULT_MAX_AGE_SECS = 72 * 3600;
export const INDEX_FORMAT = "por-snapshot-index/1";
const MAX_TIMESTAMP = (1n << 63n) - 1n;

export class LogError extends Error {
  constructor(check, message) {
    super(`${check}: ${message}`);
    this.name = "LogError";
    this.check = check;
    this.reason = message;
  }
}

const enc = new TextEncoder();
const dec = new TextDecoder("utf-8", { fatal: true });

function subtle() {
  const s = globalThis.crypto && globalThis.crypto.subtle;
  if (!s) throw new LogError("parse", "this browser has no WebCrypto (crypto.subtle); open the page over https");
  return s;
}

export async function sha256(bytes) {
  return new Uint8Array(await subtle().digest("SHA-256", bytes));
}

export function concat(...parts) {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function toHex(b) {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

export function fromHex(h) {
  if (!/^([0-9a-f]{2})*$/.test(h)) return null;
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function b64(bytes) {
  let s = "";
  for (const x of bytes) s += String.fromCharCode(x);
  return btoa(s);
}

/** Strict standard base64 (padded, canonical), or null. */
export function unb64(text) {
  if (typeof text !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return null;
  let bin;
  try {
    bin = atob(text);
  } catch {
    return null;
  }
  const out = Uint8Array.from(bin, (c) => c.charCodeAt(0));
  return b64(out) === text ? out : null;
}

function equal(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function decimalOk(s) {
  return /^(0|[1-9][0-9]*)$/.test(s);
}

function nameOk(name) {
  return name.length > 0 && !/[\s+]/u.test(name);
}

// ---------------------------------------------------------------------------
// Keys: <name>+<8 lowercase hex key id>+<base64(type ‖ 32-byte key)>

export async function keyId(name, type, key) {
  const h = await sha256(concat(enc.encode(name + "\n"), Uint8Array.of(type), key));
  return toHex(h.slice(0, 4));
}

/** Parses a verifier key strictly; with `type`, it must be of that type. */
export async function parseVkey(text, type = null) {
  const fail = (why) => new LogError("vkey", `verifier key ${JSON.stringify(String(text).slice(0, 120))}: ${why}`);
  if (typeof text !== "string") throw fail("not text");
  const parts = text.split("+");
  if (parts.length < 3) throw fail("expected <name>+<key id>+<base64 key>");
  const [name, id] = parts;
  const material = parts.slice(2).join("+");
  if (!nameOk(name)) throw fail("the key name is empty or has a space or a +");
  if (!/^[0-9a-f]{8}$/.test(id)) throw fail(`key id ${JSON.stringify(id)} is not 8 lowercase hex digits`);
  const bytes = unb64(material);
  if (!bytes) throw fail("the key is not standard padded base64");
  if (bytes.length !== 33) throw fail(`the key is ${bytes.length} bytes, expected a type byte and 32 bytes`);
  const t = bytes[0];
  if (t !== TYPE_NOTE && t !== TYPE_COSIGNATURE) throw fail(`key type 0x${t.toString(16).padStart(2, "0")} is neither 0x01 nor 0x04`);
  const key = bytes.slice(1);
  const want = await keyId(name, t, key);
  if (want !== id) throw fail(`key id ${id} is not the one of this name and key (${want})`);
  if (type !== null && t !== type) {
    const what = (x) => (x === TYPE_NOTE ? "a log key (type 0x01)" : "a witness key (type 0x04)");
    throw fail(`is ${what(t)}, expected ${what(type)}`);
  }
  return { name, id, type: t, key, text };
}

const keyCache = new Map();

async function ed25519Verify(key, msg, sig) {
  if (sig.length !== 64) return false;
  const s = subtle();
  const cacheKey = toHex(key);
  let k = keyCache.get(cacheKey);
  if (!k) {
    try {
      k = await s.importKey("raw", key, { name: "Ed25519" }, false, ["verify"]);
    } catch (e) {
      throw new LogError("parse", `this browser cannot verify Ed25519 signatures (${e && e.message ? e.message : e}); use \`por verify\``);
    }
    keyCache.set(cacheKey, k);
  }
  try {
    return await s.verify({ name: "Ed25519" }, k, sig, msg);
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------
// Signed notes and checkpoints

/** Splits a signed note (c2sp.org/signed-note): text and signature lines. */
export function parseNote(noteText) {
  const fail = (why) => new LogError("note-format", `not a signed note: ${why}`);
  if (typeof noteText !== "string") throw fail("not text");
  for (const ch of noteText) {
    if (ch < " " && ch !== "\n") throw fail("a control character");
  }
  const cut = noteText.lastIndexOf("\n\n");
  if (cut < 0) throw fail("no blank line before the signatures");
  const text = noteText.slice(0, cut + 1);
  const sigBlock = noteText.slice(cut + 2);
  if (!sigBlock.endsWith("\n")) throw fail("the last signature line has no newline");
  const sigs = [];
  for (const line of sigBlock.slice(0, -1).split("\n")) {
    if (!line.startsWith("\u2014 ")) throw fail("a signature line does not start with an em dash and a space");
    const rest = line.slice(2);
    const sp = rest.indexOf(" ");
    if (sp < 0) throw fail("a signature line has no signature");
    const name = rest.slice(0, sp);
    const raw = unb64(rest.slice(sp + 1));
    if (!nameOk(name) || !raw || raw.length < 5) throw fail("a malformed signature line");
    sigs.push({ name, id: toHex(raw.slice(0, 4)), sig: raw.slice(4), line: line + "\n" });
  }
  if (sigs.length > 100) throw fail("more than 100 signatures");
  return { text, sigs };
}

/** Parses checkpoint text (c2sp.org/tlog-checkpoint). */
export function parseCheckpointText(text) {
  const fail = () => new LogError("note-format", "the note text is not a checkpoint (origin, size, base64 root hash, extension lines)");
  const lines = text.split("\n");
  if (lines.length < 4 || lines[lines.length - 1] !== "") throw fail();
  lines.pop();
  const [origin, size, root, ...ext] = lines;
  if (!origin || !decimalOk(size) || ext.some((l) => l === "")) throw fail();
  const rootBytes = unb64(root);
  if (!rootBytes || rootBytes.length !== 32) throw fail();
  const n = Number(size);
  if (!Number.isSafeInteger(n)) throw fail();
  const snap = ext.find((l) => l.startsWith("snapshot "));
  return { origin, size: n, root: rootBytes, rootB64: root, extensions: ext, snapshotId: snap ? snap.slice(9) : null };
}

export function cosignedMessage(bodyText, timestamp) {
  return enc.encode(`cosignature/v1\ntime ${timestamp}\n${bodyText}`);
}

/**
 * Verifies a checkpoint note with the pinned log key (its name the origin) and
 * collects the valid cosignatures of the pinned witnesses; the policy (how many, how
 * fresh) is `requireCosignatures`.
 */
export async function verifyCheckpoint(noteText, logKey, origin, witnesses) {
  if (logKey.type !== TYPE_NOTE) throw new LogError("vkey", `${logKey.text} is not a log key (type 0x01)`);
  for (const w of witnesses) {
    if (w.type !== TYPE_COSIGNATURE) throw new LogError("vkey", `${w.text} is not a witness key (type 0x04)`);
  }
  const note = parseNote(noteText);
  const cp = parseCheckpointText(note.text);
  const body = enc.encode(note.text);
  const mine = note.sigs.filter((s) => s.name === logKey.name && s.id === logKey.id);
  if (mine.length === 0) throw new LogError("note-signature", `no signature by the log key ${logKey.text}`);
  for (const s of mine) {
    if (!(await ed25519Verify(logKey.key, body, s.sig))) {
      throw new LogError("note-signature", `the signature by ${logKey.name}+${logKey.id} does not verify: the checkpoint was changed or signed by another key`);
    }
  }
  if (cp.origin !== origin || logKey.name !== origin) {
    throw new LogError("origin", `expected origin ${origin}, the checkpoint is for ${cp.origin} signed by a key named ${logKey.name}`);
  }
  const cosignatures = [];
  const rejected = [];
  for (const w of witnesses) {
    if (cosignatures.some((c) => c.witness === w.name)) continue;
    for (const s of note.sigs.filter((x) => x.name === w.name && x.id === w.id)) {
      if (s.sig.length !== 72) {
        rejected.push(`${w.name}: the cosignature is ${s.sig.length} bytes, expected 8 + 64`);
        continue;
      }
      let ts = 0n;
      for (const b of s.sig.slice(0, 8)) ts = (ts << 8n) | BigInt(b);
      if (ts > MAX_TIMESTAMP) {
        rejected.push(`${w.name}: timestamp above 2^63 - 1`);
        continue;
      }
      if (await ed25519Verify(w.key, cosignedMessage(note.text, ts.toString()), s.sig.slice(8))) {
        cosignatures.push({ witness: w.name, timestamp: Number(ts), line: s.line });
        break;
      }
      rejected.push(`${w.name}: the cosignature does not verify`);
    }
  }
  return { ...cp, body: note.text, cosignatures, rejected };
}

/** At least k valid cosignatures; with `now`, none > 5 min ahead, k at most maxAge old. */
export function requireCosignatures(v, k, now = null, maxAge = DEFAULT_MAX_AGE_SECS) {
  if (v.cosignatures.length < k) {
    const rej = v.rejected.length ? ` (rejected: ${v.rejected.join("; ")})` : "";
    throw new LogError("cosignature", `${v.cosignatures.length} valid cosignature(s) by configured witnesses, ${k} required${rej}`);
  }
  if (now === null) return;
  const future = v.cosignatures.find((c) => c.timestamp > now + MAX_FUTURE_SECS);
  if (future) throw new LogError("cosignature", `the cosignature by ${future.witness} is dated more than 5 minutes in the future`);
  const fresh = v.cosignatures.filter((c) => c.timestamp + maxAge >= now).length;
  if (fresh < k) throw new LogError("cosignature", `only ${fresh} of the cosignatures are at most ${Math.floor(maxAge / 3600)} hours old, ${k} required`);
}

// ---------------------------------------------------------------------------
// RFC 6962 tree

export const EMPTY_TREE_HEX = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

export async function recordHash(entry) {
  return sha256(concat(Uint8Array.of(0), entry));
}

export async function nodeHash(l, r) {
  return sha256(concat(Uint8Array.of(1), l, r));
}

function split(n) {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH over record hashes (already hashed leaves). */
async function mth(leaves) {
  if (leaves.length === 0) return fromHex(EMPTY_TREE_HEX);
  if (leaves.length === 1) return leaves[0];
  const k = split(leaves.length);
  return nodeHash(await mth(leaves.slice(0, k)), await mth(leaves.slice(k)));
}

export async function treeRoot(entries) {
  return mth(await Promise.all(entries.map(recordHash)));
}

async function path(m, leaves) {
  if (leaves.length <= 1) return [];
  const k = split(leaves.length);
  if (m < k) return [...(await path(m, leaves.slice(0, k))), await mth(leaves.slice(k))];
  return [...(await path(m - k, leaves.slice(k))), await mth(leaves.slice(0, k))];
}

/** RFC 6962 PATH(index, D[size]) over the entries. */
export async function inclusionProof(entries, index, size) {
  return path(index, await Promise.all(entries.slice(0, size).map(recordHash)));
}

async function subproof(m, leaves, b) {
  const n = leaves.length;
  if (m === n) return b ? [] : [await mth(leaves)];
  const k = split(n);
  if (m <= k) return [...(await subproof(m, leaves.slice(0, k), b)), await mth(leaves.slice(k))];
  return [...(await subproof(m - k, leaves.slice(k), false)), await mth(leaves.slice(0, k))];
}

/** RFC 6962 PROOF(old, D[new]); empty when old is 0 or equals new. */
export async function consistencyProof(entries, old, neu) {
  if (old === 0 || old === neu) return [];
  return subproof(old, await Promise.all(entries.slice(0, neu).map(recordHash)), true);
}

/** Checks an inclusion proof (RFC 9162 §2.1.3.2). */
export async function checkInclusion(index, size, record, root, proof) {
  const fail = () => new LogError("inclusion", `the inclusion proof of entry ${index} does not lead to the root of size ${size}`);
  if (!(index < size)) throw new LogError("inclusion", `entry ${index} is not in a tree of size ${size}`);
  let fn = index;
  let sn = size - 1;
  let r = record;
  for (const p of proof) {
    if (sn === 0) throw fail();
    if (fn % 2 === 1 || fn === sn) {
      r = await nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0 || !equal(r, root)) throw fail();
}

/** Checks a consistency proof (RFC 9162 §2.1.4.2); from 0, the proof must be empty. */
export async function checkConsistency(old, oldRoot, neu, newRoot, proof) {
  const fail = (why) => new LogError("consistency", `size ${neu} does not extend size ${old}: ${why}`);
  if (old > neu) throw fail("the new tree is smaller");
  if (old === 0) {
    if (proof.length) throw fail("a proof from size 0 must be empty");
    if (neu === 0 && !equal(newRoot, fromHex(EMPTY_TREE_HEX))) throw fail("the empty tree has another root");
    return;
  }
  if (old === neu) {
    if (proof.length || !equal(oldRoot, newRoot)) throw fail("equal sizes need an empty proof and equal roots");
    return;
  }
  let p = proof;
  if ((old & (old - 1)) === 0) p = [oldRoot, ...proof];
  if (p.length === 0) throw fail("the consistency proof does not verify");
  let fn = old - 1;
  let sn = neu - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = p[0];
  let sr = p[0];
  for (const c of p.slice(1)) {
    if (sn === 0) throw fail("the consistency proof does not verify");
    if (fn % 2 === 1 || fn === sn) {
      fr = await nodeHash(c, fr);
      sr = await nodeHash(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = await nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0 || !equal(fr, oldRoot) || !equal(sr, newRoot)) throw fail("the consistency proof does not verify");
}

/** The text of log/consistency/<old>-<new>.txt. */
export function proofText(proof) {
  return proof.map((h) => b64(h) + "\n").join("");
}

// ---------------------------------------------------------------------------
// Entries: manifests in publication order

/** Checks manifests (exact text, publication order) form a log; returns the entries. */
export async function checkEntries(manifestTexts) {
  const entries = [];
  const ids = [];
  for (let n = 0; n < manifestTexts.length; n++) {
    let head;
    try {
      head = JSON.parse(manifestTexts[n]);
    } catch (e) {
      throw new LogError("parse", `entry ${n}: not a manifest: ${e.message}`);
    }
    const prev = head.previous;
    if (n === 0 && prev !== null) throw new LogError("previous", `entry 0 (${head.snapshot_id}) has a previous link; the first entry's must be null`);
    if (n > 0) {
      if (prev === null || prev === undefined) throw new LogError("previous", `entry ${n} (${head.snapshot_id}) has previous null: a second chain inside the log`);
      if (prev.manifest_sha256 !== toHex(entries[n - 1]) || prev.snapshot_id !== ids[n - 1]) {
        throw new LogError("previous", `entry ${n} (${head.snapshot_id}) does not link to entry ${n - 1} (${ids[n - 1]})`);
      }
    }
    if (ids.includes(head.snapshot_id)) throw new LogError("snapshot_id", `entries ${ids.indexOf(head.snapshot_id)} and ${n} share the snapshot id ${head.snapshot_id}`);
    entries.push(await sha256(enc.encode(manifestTexts[n])));
    ids.push(head.snapshot_id);
  }
  return entries;
}

// ---------------------------------------------------------------------------
// One snapshot in a cosigned checkpoint (what the verify page concludes)

/**
 * Accepts the snapshot whose manifest is `manifestBytes` only when the checkpoint is
 * signed by the pinned log key and cosigned by at least k pinned witnesses, fresh;
 * the index rebuilds the checkpoint's tree; the manifest is an entry of it under its
 * own id (inclusion proof checked); and its previous link is the preceding entry.
 */
export async function checkSnapshot({ manifestBytes, ...rest }) {
  return checkSnapshotEntry({
    ...rest,
    entry: await sha256(manifestBytes),
    manifest: JSON.parse(dec.decode(manifestBytes)),
  });
}

/** `checkSnapshot` with the manifest's SHA-256 (`entry`, bytes) and its parsed JSON. */
export async function checkSnapshotEntry({ entry, manifest, indexText, checkpointText, logKey, witnesses, required, now, maxAge = DEFAULT_MAX_AGE_SECS }) {
  const v = await verifyCheckpoint(checkpointText, logKey, logKey.name, witnesses);
  requireCosignatures(v, required, now, maxAge);
  let ix;
  try {
    ix = JSON.parse(indexText);
  } catch (e) {
    throw new LogError("parse", `snapshots/index.json: ${e.message}`);
  }
  if (!ix || ix.format !== INDEX_FORMAT || !Array.isArray(ix.snapshots)) throw new LogError("parse", `snapshots/index.json is not ${INDEX_FORMAT}`);
  const entries = ix.snapshots.map((e) => fromHex(String(e.manifest_sha256)));
  if (entries.some((e) => !e || e.length !== 32)) throw new LogError("parse", "snapshots/index.json: a manifest_sha256 is not 64 lowercase hex");
  if (entries.length !== v.size) throw new LogError("inclusion", `snapshots/index.json lists ${entries.length} snapshots, the checkpoint's tree has ${v.size}`);
  if (!equal(await treeRoot(entries), v.root)) throw new LogError("inclusion", "snapshots/index.json does not hash to the checkpoint's root");
  const n = entries.findIndex((e) => equal(e, entry));
  if (n < 0) throw new LogError("inclusion", `this manifest (sha256 ${toHex(entry)}) is not in the log of size ${v.size}: the exchange may be showing you a history others do not see`);
  const head = manifest;
  if (ix.snapshots[n].snapshot_id !== head.snapshot_id) throw new LogError("snapshot_id", `the manifest names snapshot ${head.snapshot_id}, its log entry ${n} names ${ix.snapshots[n].snapshot_id}`);
  await checkInclusion(n, v.size, await recordHash(entry), v.root, await inclusionProof(entries, n, v.size));
  const prev = head.previous;
  const ok = n === 0 ? prev === null : prev && prev.snapshot_id === ix.snapshots[n - 1].snapshot_id && prev.manifest_sha256 === ix.snapshots[n - 1].manifest_sha256;
  if (!ok) throw new LogError("previous", `the manifest's previous link is not log entry ${Math.max(n - 1, 0)}`);
  return { checkpoint: v, index: n };
}
