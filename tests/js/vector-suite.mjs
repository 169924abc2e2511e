// The vector suite for the JS verifier, shared by Node (vectors.test.mjs) and
// headless Chromium (browser/vectors.html via browser.test.mjs) so that both run
// exactly the same checks. Pure ES module: no Node built-ins, no DOM.
//
// `vectorCases(vectors, V)` returns `[{ name, run }]`; `run()` is async and throws
// an Error on failure. `V` is the verify.js module under test.

/** The §3 check each `invalid_proofs[].why` must fail with (with or without manifest). */
export const INVALID_PROOF_CHECKS = Object.freeze({
  "balance changed": "root", // leaf changes, so the recomputed root hash differs (step 4)
  "sibling sum lowered": "root", // node hash covers the sums (step 4)
  "side flipped": "root", // child order is hashed (step 4)
  "negative amount": "parse", // not ^(0|[1-9][0-9]*)$ (step 1)
  "leading zero": "parse", // step 1
  "amount over 2^128-1": "parse", // step 1
  "uppercase hex": "parse", // hashes are lowercase hex (step 1)
  "wrong uid": "root", // account commitment differs (step 4)
  "salt changed": "root", // account commitment differs (step 4)
  "root sum inflated": "root", // hash matches but a sum does not (step 4)
  "missing path step": "root", // folds to a lower node (step 4 comes before step 5)
  "decimal point": "parse", // step 1
});

const STEP_OF_CHECK = { parse: 1, fold: 3, root: 4, manifest: 5 };
const HEX = "0123456789abcdef";

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

function clone(x) {
  return JSON.parse(JSON.stringify(x));
}

/** A `por-manifest/1` for a vector tree, with the exchange/snapshot/assets of `proof`. */
export function manifestFor(tree, proof = tree.proofs[0]) {
  return {
    format: "por-manifest/1",
    exchange: proof.exchange,
    snapshot_id: proof.snapshot_id,
    as_of: "2026-01-01T00:00:00Z",
    assets: tree.assets.map((a, i) => ({
      symbol: a.symbol,
      decimals: a.decimals,
      liabilities: tree.root.sums[i],
      reserves: "0",
      unproven_reserves: "0",
      reserve_ratio: null,
    })),
    tree: { root: tree.root.hash, sums: [...tree.root.sums], height: tree.height, leaves: tree.accounts.length },
    chains: {},
    files: {},
    previous: null,
  };
}

function describe(r) {
  return r.ok ? "ok" : `step ${r.step} check ${r.check}: ${r.reason}`;
}

async function expectOk(V, proof, manifest, what) {
  const r = await V.verifyProof(proof, manifest);
  assert(r.ok, `${what}: expected valid, got ${describe(r)}`);
  assert(r.step === null && r.check === null && r.reason === null, `${what}: ok result carries a failure`);
  assert(r.manifestChecked === (manifest !== null), `${what}: manifestChecked is ${r.manifestChecked}`);
  return r;
}

/** Expects a rejection; `checks` is the allowed check code or list of codes. */
async function expectReject(V, proof, manifest, checks, what) {
  const r = await V.verifyProof(proof, manifest);
  const allowed = Array.isArray(checks) ? checks : [checks];
  assert(!r.ok, `${what}: expected rejection (${allowed.join("|")}), but it verified`);
  assert(allowed.includes(r.check), `${what}: expected check ${allowed.join("|")}, got ${describe(r)}`);
  assert(r.step === STEP_OF_CHECK[r.check], `${what}: check ${r.check} reported at step ${r.step}`);
  assert(typeof r.reason === "string" && r.reason.length > 0 && !r.reason.includes("\n"), `${what}: reason ${JSON.stringify(r.reason)}`);
  assert(!r.manifestChecked, `${what}: rejected but manifestChecked`);
  return r;
}

function flipHexChar(s, i) {
  const c = HEX[(HEX.indexOf(s[i]) + 1) % 16];
  return s.slice(0, i) + c + s.slice(i + 1);
}

function allProofs(vectors) {
  const out = [];
  for (const tree of vectors.trees) tree.proofs.forEach((proof, i) => out.push({ tree, proof, i }));
  return out;
}

export function vectorCases(vectors, V) {
  const cases = [];
  const add = (name, run) => cases.push({ name, run });

  // --- §1 tags
  add("tags: every tagged hash vector", async () => {
    const entries = Object.entries(vectors.tags);
    assert(entries.length >= 4, "expected the four tags");
    for (const tag of Object.values(V.TAGS)) assert(vectors.tags[tag], `no vector for tag ${tag}`);
    for (const [tag, v] of entries) {
      const h = V.bytesToHex(await V.taggedHash(tag, V.hexToBytes(v.message_hex)));
      assert(h === v.hash, `tag ${tag}: ${h} != ${v.hash}`);
    }
  });

  // --- §2 trees
  for (const tree of vectors.trees) {
    add(`tree ${tree.name}: accounts, leaves, levels, root, height`, async () => {
      for (const [i, a] of tree.accounts.entries()) {
        const account = await V.accountHash(a.uid, a.salt);
        assert(account === a.account, `accounts[${i}].account: ${account} != ${a.account}`);
        const leaf = await V.leafNode(account, a.balances);
        assert(leaf.hash === a.leaf_hash, `accounts[${i}].leaf_hash: ${leaf.hash} != ${a.leaf_hash}`);
      }
      const built = await V.buildTree(tree.accounts);
      assert(built.height === tree.height, `height ${built.height} != ${tree.height}`);
      assert(built.levels.length === tree.levels.length, `${built.levels.length} levels != ${tree.levels.length}`);
      tree.levels.forEach((level, l) => {
        assert(JSON.stringify(built.levels[l]) === JSON.stringify(level), `level ${l} differs`);
      });
      assert(built.root.hash === tree.root.hash, `root ${built.root.hash} != ${tree.root.hash}`);
      assert(JSON.stringify(built.root.sums) === JSON.stringify(tree.root.sums), "root sums differ");
      assert(tree.proofs.length === tree.accounts.length, "one proof per account expected");
    });
  }

  for (const t of vectors.invalid_trees) {
    add(`invalid tree refused: ${t.why}`, async () => {
      const accounts = t.accounts.map((a) => ({ salt: "00".repeat(32), ...a }));
      let err = null;
      try {
        await V.buildTree(accounts);
      } catch (e) {
        err = e;
      }
      assert(err, "the builder accepted it");
      assert(err instanceof V.PorError, `not a PorError: ${err}`);
    });
  }

  add("empty tree refused", async () => {
    let err = null;
    await V.buildTree([]).catch((e) => (err = e));
    assert(err instanceof V.PorError, "buildTree([]) did not throw a PorError");
  });

  // --- §3 valid proofs
  for (const { tree, proof, i } of allProofs(vectors)) {
    const name = `tree ${tree.name} proof ${i} (${proof.uid})`;
    add(`${name}: verifies, with and without manifest`, async () => {
      const manifest = manifestFor(tree, proof);
      const r = await expectOk(V, proof, manifest, "with manifest");
      const acct = tree.accounts.find((a) => a.uid === proof.uid);
      assert(acct && r.account === acct.account, "account commitment");
      assert(r.leaf.hash === acct.leaf_hash, "leaf hash");
      assert(r.levels.length === proof.path.length, "levels length");
      r.levels.forEach((lv, l) => {
        assert(lv.level === l && lv.side === proof.path[l].side && lv.sibling.hash === proof.path[l].hash, `levels[${l}]`);
      });
      const last = r.levels.length ? r.levels[r.levels.length - 1].node : r.leaf;
      assert(last.hash === tree.root.hash && r.root.computed.hash === tree.root.hash, "computed root");
      assert(r.root.published && r.root.published.hash === tree.root.hash, "published root");
      await expectOk(V, proof, null, "without manifest");
      await expectOk(V, JSON.stringify(proof), manifest, "as JSON text");
    });
  }

  // --- invalid proofs from the independent implementation
  for (const ip of vectors.invalid_proofs) {
    add(`invalid proof rejected: ${ip.why}`, async () => {
      const expected = INVALID_PROOF_CHECKS[ip.why];
      assert(expected, `no expected check for why ${JSON.stringify(ip.why)}: add it to INVALID_PROOF_CHECKS`);
      await expectReject(V, ip.proof, null, expected, "without manifest");
      const root = ip.proof && ip.proof.root && ip.proof.root.hash;
      const tree =
        vectors.trees.find((t) => t.root.hash === root) ||
        vectors.trees.find((t) => t.assets.length === (ip.proof.assets || []).length);
      assert(tree, "no tree to build a manifest from");
      await expectReject(V, ip.proof, manifestFor(tree, tree.proofs[0]), expected, "with matching manifest");
    });
  }

  add("sibling sums overflowing 2^128-1 are rejected in the fold (step 3)", async () => {
    const max = V.MAX_AMOUNT.toString();
    const proof = {
      format: "por-inclusion-proof/1",
      exchange: "Vector Exchange",
      snapshot_id: "vectors",
      assets: [{ symbol: "BTC", decimals: 8 }],
      uid: "u",
      salt: "00".repeat(32),
      balances: ["1"],
      path: [{ side: "right", hash: "11".repeat(32), sums: [max] }],
      root: { hash: "22".repeat(32), sums: [max] },
    };
    const r = await expectReject(V, proof, null, "fold", "overflow");
    assert(r.reason.startsWith("path[0]"), `reason should name the level: ${r.reason}`);
  });

  // --- step 5: the manifest
  add("valid proofs against the manifest of another tree are rejected (manifest)", async () => {
    for (const { tree, proof, i } of allProofs(vectors)) {
      for (const other of vectors.trees) {
        if (other === tree) continue;
        await expectReject(V, proof, manifestFor(other, proof), "manifest", `${tree.name}[${i}] vs ${other.name}`);
      }
    }
  });

  add("valid proofs against a manifest that differs in one respect are rejected (manifest)", async () => {
    for (const { tree, proof, i } of allProofs(vectors)) {
      const base = manifestFor(tree, proof);
      const variants = {
        "other snapshot": (m) => (m.snapshot_id = "2026-11-21"),
        "other exchange": (m) => (m.exchange = "Other Exchange"),
        "other format": (m) => (m.format = "por-manifest/2"),
        "asset symbol": (m) => (m.assets[0].symbol = "XXX"),
        "asset decimals": (m) => (m.assets[0].decimals += 1),
        "extra asset": (m) => m.assets.push({ symbol: "NEW", decimals: 2 }),
        "asset order": (m) => m.assets.reverse(),
        "root hash": (m) => (m.tree.root = flipHexChar(m.tree.root, 5)),
        "root sum": (m) => (m.tree.sums[0] = (BigInt(m.tree.sums[0]) + 1n).toString()),
        "root sum as number": (m) => (m.tree.sums[0] = Number(m.tree.sums[0])),
        "height + 1": (m) => (m.tree.height += 1),
        "no tree": (m) => delete m.tree,
      };
      for (const [what, change] of Object.entries(variants)) {
        if (what === "asset order" && tree.assets.length < 2) continue;
        const m = clone(base);
        change(m);
        await expectReject(V, proof, m, "manifest", `${tree.name}[${i}] ${what}`);
      }
      await expectOk(V, proof, base, `${tree.name}[${i}] unchanged`);
    }
  });

  // --- mutations: every single change to a proof is rejected
  for (const { tree, proof, i } of allProofs(vectors)) {
    const name = `tree ${tree.name} proof ${i}`;
    const manifest = manifestFor(tree, proof);

    add(`${name}: every single hex char of salt and every hash changed is rejected`, async () => {
      const places = [["salt"], ["root", "hash"], ...proof.path.map((_, l) => ["path", l, "hash"])];
      for (const place of places) {
        for (let c = 0; c < 64; c++) {
          const p = clone(proof);
          const parent = place.slice(0, -1).reduce((o, k) => o[k], p);
          const key = place[place.length - 1];
          parent[key] = flipHexChar(parent[key], c);
          const what = `${place.join(".")}[${c}]`;
          await expectReject(V, p, null, "root", what);
          await expectReject(V, p, manifest, "root", `${what} with manifest`);
        }
      }
    });

    add(`${name}: every balance and sum changed by one is rejected`, async () => {
      const places = [
        ...proof.balances.map((_, a) => ["balances", a]),
        ...proof.root.sums.map((_, a) => ["root", "sums", a]),
        ...proof.path.flatMap((s, l) => s.sums.map((_, a) => ["path", l, "sums", a])),
      ];
      for (const place of places) {
        const old = BigInt(place.reduce((o, k) => o[k], proof));
        const changes = [old + 1n, old + 1000n, old * 2n + 1n];
        if (old > 0n) changes.push(old - 1n, 0n);
        for (const v of changes) {
          const p = clone(proof);
          place.slice(0, -1).reduce((o, k) => o[k], p)[place[place.length - 1]] = v.toString();
          const what = `${place.join(".")} = ${v}`;
          await expectReject(V, p, null, ["root", "parse", "fold"], what);
          await expectReject(V, p, manifest, ["root", "parse", "fold"], `${what} with manifest`);
        }
        const p = clone(proof);
        place.slice(0, -1).reduce((o, k) => o[k], p)[place[place.length - 1]] = "0" + old.toString();
        await expectReject(V, p, null, "parse", `${place.join(".")} with a leading zero`);
      }
    });

    add(`${name}: every side flipped, path shortened or lengthened is rejected`, async () => {
      for (let l = 0; l < proof.path.length; l++) {
        const p = clone(proof);
        p.path[l].side = p.path[l].side === "left" ? "right" : "left";
        await expectReject(V, p, null, "root", `path[${l}].side flipped`);
        const q = clone(proof);
        q.path[l].side = "Left";
        await expectReject(V, q, null, "parse", `path[${l}].side "Left"`);
      }
      if (proof.path.length) {
        const p = clone(proof);
        p.path.pop();
        await expectReject(V, p, manifest, "root", "last path step removed");
      }
      const p = clone(proof);
      p.path.push({ side: "right", hash: "00".repeat(32), sums: proof.balances.map(() => "0") });
      await expectReject(V, p, manifest, "root", "path step added");
    });

    add(`${name}: uid changed is rejected`, async () => {
      const variants = {
        "uid + x": [proof.uid + "x", "root"],
        "uid last char": [Array.from(proof.uid).slice(0, -1).join("") + (proof.uid.endsWith("y") ? "z" : "y"), "root"],
        "uid upper": [proof.uid.toUpperCase() === proof.uid ? proof.uid + " " : proof.uid.toUpperCase(), "root"],
        "uid empty": ["", "parse"],
        "uid 129 bytes": ["u".repeat(129), "parse"],
        "uid lone surrogate": [proof.uid + "\uD800", "parse"],
        "uid as number": [42, "parse"],
      };
      for (const [what, [uid, check]] of Object.entries(variants)) {
        const p = clone(proof);
        p.uid = uid;
        await expectReject(V, p, null, check, what);
      }
    });

    add(`${name}: structure changes are rejected at parse`, async () => {
      const variants = {
        "format v2": (p) => (p.format = "por-inclusion-proof/2"),
        "missing root": (p) => delete p.root,
        "missing salt": (p) => delete p.salt,
        "unknown field": (p) => (p.note = "hi"),
        "salt short": (p) => (p.salt = p.salt.slice(2)),
        "salt uppercase": (p) => (p.salt = "A" + p.salt.slice(1)),
        "balance as number": (p) => (p.balances[0] = Number(p.balances[0])),
        "extra balance": (p) => p.balances.push("0"),
        "missing root sum": (p) => p.root.sums.pop(),
        "decimals string": (p) => (p.assets[0].decimals = "8"),
        "bad snapshot id": (p) => (p.snapshot_id = "../x"),
        "path not array": (p) => (p.path = {}),
      };
      for (const [what, change] of Object.entries(variants)) {
        const p = clone(proof);
        change(p);
        await expectReject(V, p, null, "parse", what);
      }
      await expectReject(V, "{not json", null, "parse", "bad JSON text");
      await expectReject(V, null, null, "parse", "null");
      await expectReject(V, [clone(proof)], null, "parse", "proof inside an array");
    });

    add(`${name}: fields checked only against the manifest are rejected with it`, async () => {
      const variants = {
        exchange: (p) => (p.exchange = "Other Exchange"),
        snapshot_id: (p) => (p.snapshot_id = "2020-01-01"),
        "assets[0].symbol": (p) => (p.assets[0].symbol = "XXX"),
        "assets[0].decimals": (p) => (p.assets[0].decimals += 1),
      };
      for (const [what, change] of Object.entries(variants)) {
        const p = clone(proof);
        change(p);
        await expectReject(V, p, manifest, "manifest", what);
        const r = await V.verifyProof(p, null);
        assert(r.ok && !r.manifestChecked, `${what}: not hashed, so only the manifest can catch it`);
      }
    });
  }

  // --- helpers used by the page
  add("formatUnits", async () => {
    const table = [
      ["150000000", 8, "1.5"],
      ["0", 8, "0"],
      ["0", 0, "0"],
      ["5", 8, "0.00000005"],
      ["100000000", 8, "1"],
      ["123", 0, "123"],
      ["1000000000000000000", 18, "1"],
      ["340282366920938463463374607431768211455", 18, "340282366920938463463.374607431768211455"],
      ["10", 1, "1"],
      ["12", 1, "1.2"],
    ];
    for (const [v, d, want] of table) {
      const got = V.formatUnits(v, d);
      assert(got === want, `formatUnits(${v}, ${d}) = ${got}, want ${want}`);
    }
    for (const bad of ["01", "-1", "1.5", "", "340282366920938463463374607431768211456"]) {
      let threw = false;
      try {
        V.formatUnits(bad, 8);
      } catch {
        threw = true;
      }
      assert(threw, `formatUnits(${JSON.stringify(bad)}) should throw`);
    }
  });

  add("reasons name the field", async () => {
    const proof = clone(vectors.trees[vectors.trees.length - 1].proofs[0]);
    proof.path[1].sums[0] = "012";
    const r = await V.verifyProof(proof, null);
    assert(r.reason === 'path[1].sums[0]: "012" has a leading zero', `reason: ${r.reason}`);
  });

  return cases;
}

/** Runs every case; returns `[{ name, ok, error }]` (for the browser page). */
export async function runAll(cases) {
  const results = [];
  for (const c of cases) {
    try {
      await c.run();
      results.push({ name: c.name, ok: true, error: null });
    } catch (e) {
      results.push({ name: c.name, ok: false, error: String((e && e.stack) || e) });
    }
  }
  return results;
}
