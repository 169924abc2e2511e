// site/static/log.js in Node against the `log` section of the spec vectors
// (FORMAT.md §7): every entry, record and tree hash, every consistency and inclusion
// proof (built and checked) and its file text, both keys, the checkpoint's signature
// and cosignature lines (Ed25519 signed here with the vector seeds, byte for byte, and
// verified with WebCrypto), and every invalid case refused by its named check.
import test from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as L from "../../site/static/log.js";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const log = JSON.parse(fs.readFileSync(path.join(repo, "tests/data/spec/vectors.json"), "utf8")).log;
const enc = new TextEncoder();
const hex = (h) => L.fromHex(h);
const b64 = (s) => L.unb64(s);
const entries = log.entries.map((e) => hex(e.entry));

test("entries and record hashes", async () => {
  const got = await L.checkEntries(log.entries.map((e) => e.manifest_bytes));
  assert.equal(got.length, 9);
  for (const [i, e] of log.entries.entries()) {
    assert.equal(L.toHex(await L.sha256(enc.encode(e.manifest_bytes))), e.entry, `entry ${i}`);
    assert.equal(L.toHex(got[i]), e.entry);
    assert.equal(L.toHex(await L.recordHash(hex(e.entry))), e.record_hash, `record ${i}`);
  }
});

test("tree hashes at every size", async () => {
  assert.equal(L.toHex(await L.treeRoot([])), log.empty_tree_hash);
  for (const t of log.tree_hashes) {
    const r = await L.treeRoot(entries.slice(0, t.size));
    assert.equal(L.toHex(r), t.hash, `size ${t.size}`);
    assert.equal(L.b64(r), t.base64);
  }
});

test("consistency proofs, built and checked, and their files", async () => {
  for (const c of log.consistency_proofs) {
    const p = await L.consistencyProof(entries, c.old, c.new);
    assert.deepEqual(p.map(L.b64), c.proof, `${c.old}-${c.new}`);
    assert.equal(L.proofText(p), c.file_text);
    await L.checkConsistency(c.old, b64(c.old_hash), c.new, b64(c.new_hash), c.proof.map(b64));
  }
});

test("inclusion proofs, built and checked", async () => {
  for (const p of log.inclusion_proofs) {
    const proof = await L.inclusionProof(entries, p.index, p.size);
    assert.deepEqual(proof.map(L.b64), p.proof, `${p.index} in ${p.size}`);
    await L.checkInclusion(p.index, p.size, b64(p.record_hash), b64(p.root), p.proof.map(b64));
  }
});

// An Ed25519 private key from its 32-byte seed (PKCS #8, RFC 8410), to sign here.
async function signer(seedHex) {
  const der = L.concat(L.fromHex("302e020100300506032b657004220420"), hex(seedHex));
  return crypto.subtle.importKey("pkcs8", der, { name: "Ed25519" }, false, ["sign"]);
}

async function sign(seedHex, msg) {
  return new Uint8Array(await crypto.subtle.sign({ name: "Ed25519" }, await signer(seedHex), msg));
}

test("keys: ids, verifier keys, types", async () => {
  for (const [which, type] of [["log", L.TYPE_NOTE], ["witness", L.TYPE_COSIGNATURE]]) {
    const k = log.keys[which];
    const v = await L.parseVkey(k.vkey, type);
    assert.equal(v.name, k.name);
    assert.equal(v.id, k.key_id_hex);
    assert.equal(L.toHex(v.key), k.public_key_hex);
    assert.equal(await L.keyId(k.name, type, hex(k.public_key_hex)), k.key_id_hex);
    assert.equal(L.toHex((await L.sha256(hex(k.key_id_preimage_hex))).slice(0, 4)), k.key_id_hex);
    // The public key is the seed's.
    const pub = await crypto.subtle.exportKey("jwk", await crypto.subtle.importKey("pkcs8", L.concat(L.fromHex("302e020100300506032b657004220420"), hex(k.seed_hex)), { name: "Ed25519" }, true, ["sign"]));
    assert.equal(Buffer.from(pub.x, "base64url").toString("hex"), k.public_key_hex);
  }
  assert.equal(log.keys.log.signed_note_skey, `PRIVATE+KEY+${log.keys.log.name}+${log.keys.log.key_id_hex}+${L.b64(L.concat(Uint8Array.of(1), hex(log.keys.log.seed_hex)))}`);
});

test("the checkpoint, its signature and cosignature, byte for byte", async () => {
  const cp = log.checkpoint;
  const root = await L.treeRoot(entries);
  const body = `${log.keys.log.name}\n9\n${L.b64(root)}\nsnapshot 2026-11-21\n`;
  assert.equal(body, cp.body);
  const lk = await L.parseVkey(log.keys.log.vkey, L.TYPE_NOTE);
  const sig = await sign(log.keys.log.seed_hex, enc.encode(body));
  const line = `\u2014 ${lk.name} ${L.b64(L.concat(hex(lk.id), sig))}\n`;
  assert.equal(line, cp.log_signature_line);
  assert.equal(`${body}\n${line}`, cp.note);
  const co = cp.cosignature;
  const wk = await L.parseVkey(log.keys.witness.vkey, L.TYPE_COSIGNATURE);
  const msg = L.cosignedMessage(body, co.timestamp);
  assert.equal(new TextDecoder().decode(msg), co.signed_message);
  const ts = new Uint8Array(8);
  new DataView(ts.buffer).setBigUint64(0, BigInt(co.timestamp));
  const csig = await sign(log.keys.witness.seed_hex, msg);
  const cline = `\u2014 ${wk.name} ${L.b64(L.concat(hex(wk.id), ts, csig))}\n`;
  assert.equal(cline, co.line);
  assert.equal(cp.note + cline, cp.note_with_cosignature);
  assert.equal(cp.add_checkpoint_response, cline);
  const prevBody = `${log.keys.log.name}\n8\n${L.b64(await L.treeRoot(entries.slice(0, 8)))}\nsnapshot 2026-11-20\n`;
  assert.equal(prevBody, cp.previous.body);
  const proof = await L.consistencyProof(entries, 8, 9);
  assert.equal(`old 8\n${L.proofText(proof)}\n${cp.note}`, cp.add_checkpoint_request);

  const v = await L.verifyCheckpoint(cp.note_with_cosignature, lk, lk.name, [wk]);
  assert.equal(v.size, 9);
  assert.equal(v.snapshotId, "2026-11-21");
  assert.deepEqual(v.cosignatures.map((c) => [c.witness, c.timestamp]), [[wk.name, co.timestamp]]);
  L.requireCosignatures(v, 1, co.timestamp + 60);
  assert.throws(() => L.requireCosignatures(v, 1, co.timestamp + L.DEFAULT_MAX_AGE_SECS + 1), /72 hours/);
  assert.throws(() => L.requireCosignatures(v, 1, co.timestamp - 301), /future/);
  assert.throws(() => L.requireCosignatures(v, 2), (e) => e.check === "cosignature");
});

test("every invalid case is refused by its check", async () => {
  const kinds = new Set();
  for (const c of log.invalid) {
    kinds.add(c.kind);
    let err = null;
    try {
      if (c.kind === "checkpoint") {
        const lk = await L.parseVkey(c.log_vkey);
        const ws = [];
        for (const w of c.witness_vkeys) ws.push(await L.parseVkey(w));
        const v = await L.verifyCheckpoint(c.note, lk, c.origin, ws);
        L.requireCosignatures(v, c.k);
      } else if (c.kind === "consistency") {
        await L.checkConsistency(c.old, b64(c.old_hash), c.new, b64(c.new_hash), c.proof.map(b64));
      } else if (c.kind === "inclusion") {
        await L.checkInclusion(c.index, c.size, b64(c.record_hash), b64(c.root), c.proof.map(b64));
      } else if (c.kind === "vkey") {
        await L.parseVkey(c.vkey);
      } else if (c.kind === "entries") {
        for (const [i, m] of c.manifests.entries()) assert.equal(L.toHex(await L.sha256(enc.encode(m))), c.entries[i]);
        await L.checkEntries(c.manifests);
      } else {
        assert.fail(`unknown kind ${c.kind}`);
      }
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof L.LogError, `${c.why}: accepted (or ${err})`);
    assert.equal(err.check, c.check, `${c.why}: refused as ${err.message}`);
  }
  for (const k of ["checkpoint", "consistency", "inclusion", "vkey", "entries"]) assert.ok(kinds.has(k), k);
});

test("one snapshot in a cosigned checkpoint: checkSnapshot", async () => {
  const cp = log.checkpoint;
  const lk = await L.parseVkey(log.keys.log.vkey, L.TYPE_NOTE);
  const wk = await L.parseVkey(log.keys.witness.vkey, L.TYPE_COSIGNATURE);
  const index = JSON.stringify({
    format: L.INDEX_FORMAT,
    exchange: "x",
    snapshots: log.entries.map((e) => ({ snapshot_id: e.snapshot_id, as_of: `${e.snapshot_id}T00:00:00Z`, manifest_sha256: e.entry })),
  });
  const args = (i, extra = {}) => ({
    manifestBytes: enc.encode(log.entries[i].manifest_bytes),
    indexText: index,
    checkpointText: cp.note_with_cosignature,
    logKey: lk,
    witnesses: [wk],
    required: 1,
    now: cp.cosignature.timestamp + 3600,
    ...extra,
  });
  for (const i of [0, 4, 8]) assert.equal((await L.checkSnapshot(args(i))).index, i);
  const forked = log.invalid.find((c) => c.kind === "entries" && c.check === "previous").manifests[3];
  await assert.rejects(L.checkSnapshot({ ...args(0), manifestBytes: enc.encode(forked) }), (e) => e.check === "inclusion");
  await assert.rejects(L.checkSnapshot(args(3, { required: 2 })), (e) => e.check === "cosignature");
  await assert.rejects(L.checkSnapshot(args(3, { indexText: index.replace(log.entries[2].entry, log.entries[1].entry) })), (e) => e.check === "inclusion");
});
