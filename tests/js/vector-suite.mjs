// The vector suite for the JS verifier, shared by Node (vectors.test.mjs) and
// headless Chromium (browser/vectors.html via browser.test.mjs) so that both run
// exactly the same checks. Pure ES module: no Node built-ins, no DOM.
//
// `vectorCases(vectors, V)` returns `[{ name, run }]`; `run()` is async and throws
// an Error on failure. `V` is the verify.js module under test.
//
// por/1 (FORMAT.md §1–§3): `tags`, `trees`, `invalid_trees`, `invalid_proofs` (each
// rejected with exactly its `check` against `invalid_proofs_manifest`), plus
// mutations of every valid proof. por/2 (§6): `tags_v2`, `trees_v2` (every level,
// sum and root rebuilt with `buildTreeV2`, every proof valid against the tree's
// manifest), `valid_proofs_v2`, `invalid_proofs_v2` (each rejected with exactly its
// `check` against its own `manifest`), plus generated por/2 mutations.

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
    assert(Object.keys(V.TAGS).length === 4, "por/1 has four tags");
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

  // --- invalid proofs from the independent implementation: exactly the named check
  add("invalid_proofs: every entry names a known check", async () => {
    assert(vectors.invalid_proofs.length > 0, "no invalid_proofs");
    for (const ip of vectors.invalid_proofs) assert(ip.check in STEP_OF_CHECK, `${ip.why}: unknown check ${JSON.stringify(ip.check)}`);
  });
  for (const ip of vectors.invalid_proofs) {
    add(`invalid proof rejected: ${ip.why} (${ip.check})`, async () => {
      await expectReject(V, ip.proof, vectors.invalid_proofs_manifest, ip.check, "against invalid_proofs_manifest");
      await expectReject(V, JSON.stringify(ip.proof), vectors.invalid_proofs_manifest, ip.check, "as JSON text");
      // Steps 1-4 need no manifest: anything they reject is rejected without it too.
      if (ip.check !== "manifest") await expectReject(V, ip.proof, null, ip.check, "without manifest");
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

  // --- step 1: a por/1 proof's format must match its manifest (§6)
  add("por/1 proofs against a manifest with any tree.version are rejected at parse", async () => {
    for (const { tree, proof, i } of allProofs(vectors)) {
      for (const version of [2, 1, 0, null, "1", 3]) {
        const m = manifestFor(tree, proof);
        m.tree.version = version;
        await expectReject(V, proof, m, "parse", `${tree.name}[${i}] tree.version ${JSON.stringify(version)}`);
      }
    }
  });

  v2Cases(vectors, V, add);

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

// ---------------------------------------------------------------------------
// por/2 (FORMAT.md §6)

function allProofsV2(vectors) {
  const out = [];
  for (const tree of vectors.trees_v2) tree.proofs.forEach((proof, i) => out.push({ tree, proof, i }));
  return out;
}

/** The vector account of a por/2 proof, by uid. */
function accountOf(tree, proof) {
  const a = tree.accounts.find((x) => x.uid === proof.uid);
  assert(a, `${tree.name}: no account ${proof.uid}`);
  return a;
}

/** Checks the per-part details `verifyProof` returns for a valid por/2 proof of `tree`. */
function checkPartDetails(r, tree, proof, what) {
  assert(r.format === "por-inclusion-proof/2", `${what}: format ${r.format}`);
  assert(r.account === null && r.leaf === null && r.levels.length === 0, `${what}: por/1 fields set`);
  assert(Array.isArray(r.parts) && r.parts.length === proof.parts.length, `${what}: ${r.parts && r.parts.length} part details`);
  assert(r.part === null, `${what}: part ${r.part} on success`);
  const acct = accountOf(tree, proof);
  r.parts.forEach((d, a) => {
    const pp = proof.parts[a];
    const vp = acct.parts.find((x) => x.index === pp.index);
    assert(d.index === pp.index, `${what}: parts[${a}].index ${d.index}`);
    assert(JSON.stringify(d.balances) === JSON.stringify(pp.balances), `${what}: parts[${a}].balances`);
    assert(d.account === vp.account, `${what}: parts[${a}].account ${d.account} != ${vp.account}`);
    assert(d.leaf.hash === vp.leaf_hash, `${what}: parts[${a}].leaf ${d.leaf.hash} != ${vp.leaf_hash}`);
    assert(d.position === vp.position, `${what}: parts[${a}].position ${d.position} != ${vp.position}`);
    assert(d.levels.length === pp.path.length, `${what}: parts[${a}].levels`);
    d.levels.forEach((lv, l) => {
      assert(lv.level === l && lv.side === pp.path[l].side && lv.sibling.hash === pp.path[l].hash, `${what}: parts[${a}].levels[${l}]`);
      // the running node after level l is the ancestor of the part's leaf at level l + 1
      const want = tree.levels[l + 1][vp.position >> (l + 1)];
      assert(lv.node.hash === want, `${what}: parts[${a}].levels[${l}].node ${lv.node.hash} != ${want}`);
    });
    assert(d.computed.hash === tree.manifest.tree.root, `${what}: parts[${a}].computed`);
  });
  assert(r.root.computed.hash === tree.manifest.tree.root, `${what}: root.computed`);
}

function v2Cases(vectors, V, add) {
  add("tags_v2: every por/2 tagged hash vector", async () => {
    const entries = Object.entries(vectors.tags_v2);
    assert(entries.length === 5 && Object.keys(V.TAGS_V2).length === 5, "expected the five por/2 tags");
    for (const tag of Object.values(V.TAGS_V2)) assert(vectors.tags_v2[tag], `no vector for tag ${tag}`);
    for (const [tag, v] of entries) {
      const h = V.bytesToHex(await V.taggedHash(tag, V.hexToBytes(v.message_hex)));
      assert(h === v.hash, `tag ${tag}: ${h} != ${v.hash}`);
    }
  });

  for (const tree of vectors.trees_v2) {
    add(`tree_v2 ${tree.name}: parts, dummies, levels, sums, root, padding`, async () => {
      const t = tree.manifest.tree;
      const k = tree.assets.length;
      const s = tree.split;
      assert(t.version === 2 && t.split === s && t.padding_bits === tree.padding_bits, "manifest tree labels");
      const units = [];
      for (const [a, acct] of tree.accounts.entries()) {
        assert(acct.parts.length === s, `accounts[${a}]: ${acct.parts.length} parts, split ${s}`);
        for (const part of acct.parts) {
          const account = await V.accountHashV2(acct.uid, part.salt, part.index);
          assert(account === part.account, `accounts[${a}] part ${part.index}: account ${account} != ${part.account}`);
          const leaf = await V.leafNodeV2(account, part.balances);
          assert(leaf.hash === part.leaf_hash, `accounts[${a}] part ${part.index}: leaf ${leaf.hash} != ${part.leaf_hash}`);
          assert(tree.levels[0][part.position] === part.leaf_hash, `accounts[${a}] part ${part.index}: not at position ${part.position}`);
        }
        units.push(...[...acct.parts].sort((x, y) => x.index - y.index));
      }
      for (const [d, dummy] of tree.dummies.entries()) {
        const leaf = await V.dummyLeaf(dummy.r, k);
        assert(leaf.hash === dummy.hash && leaf.sums.every((x) => x === "0"), `dummies[${d}]: ${leaf.hash} != ${dummy.hash}`);
        assert(tree.levels[0][dummy.position] === dummy.hash, `dummies[${d}]: not at position ${dummy.position}`);
        units.push(dummy);
      }
      const m = units.length;
      assert(BigInt(m) === V.paddedLeafCount(tree.accounts.length * s, tree.padding_bits), `M = ${m} is not the padded count`);
      assert(m === t.leaves && m === tree.permutation.length, `M = ${m}, tree.leaves ${t.leaves}`);
      const info = V.checkTreeV2(t);
      assert(info.split === s && info.leaves === m && info.height === t.height, "checkTreeV2 result");

      const built = await V.buildTreeV2({ ...tree, padding_bits: tree.padding_bits });
      assert(built.height === t.height && built.split === s, `height ${built.height} != ${t.height}`);
      assert(built.levels.length === tree.levels.length, `${built.levels.length} levels != ${tree.levels.length}`);
      tree.levels.forEach((level, l) => {
        assert(JSON.stringify(built.levels[l]) === JSON.stringify(level), `level ${l} hashes differ`);
        assert(JSON.stringify(built.level_sums[l]) === JSON.stringify(tree.level_sums[l]), `level ${l} sums differ`);
      });
      assert(built.root.hash === t.root && JSON.stringify(built.root.sums) === JSON.stringify(t.sums), "root differs from the manifest's");
      built.leaves.forEach((leaf, p) => {
        assert(leaf.leaf_hash === units[tree.permutation[p]].leaf_hash || leaf.leaf_hash === units[tree.permutation[p]].hash, `leaves[${p}]`);
      });
      // the builder refuses a permutation that is not one, and a wrong padding
      const perm = [...tree.permutation];
      perm[0] = perm[perm.length - 1];
      let err = null;
      await V.buildTreeV2({ ...tree, permutation: perm }).catch((e) => (err = e));
      assert(m === 1 || err instanceof V.PorError, "a repeated permutation entry was accepted");
      err = null;
      await V.buildTreeV2({ ...tree, dummies: [...tree.dummies, { r: "00".repeat(32) }], permutation: null, padding_bits: tree.padding_bits }).catch(
        (e) => (err = e),
      );
      assert(err instanceof V.PorError, "one dummy too many was accepted");
    });

    for (const [i, proof] of tree.proofs.entries()) {
      add(`tree_v2 ${tree.name} proof ${i} (${proof.uid}): verifies, with and without manifest`, async () => {
        const r = await expectOk(V, proof, tree.manifest, "with manifest");
        checkPartDetails(r, tree, proof, "with manifest");
        assert(r.root.published && r.root.published.hash === tree.manifest.tree.root && r.root.published.split === tree.split, "published root");
        const acct = accountOf(tree, proof);
        assert(JSON.stringify(r.proof.balances) === JSON.stringify(acct.balances), "total balances");
        checkPartDetails(await expectOk(V, proof, null, "without manifest"), tree, proof, "without manifest");
        await expectOk(V, JSON.stringify(proof, null, 1), tree.manifest, "as JSON text");
        const rev = clone(proof);
        rev.parts.reverse();
        checkPartDetails(await expectOk(V, rev, tree.manifest, "parts reversed"), tree, rev, "parts reversed");
      });
    }
  }

  for (const vp of vectors.valid_proofs_v2) {
    add(`valid por/2 proof: ${vp.why}`, async () => {
      const r = await expectOk(V, vp.proof, vp.manifest, "with its manifest");
      assert(r.parts.length === vp.proof.parts.length, "part details");
      r.parts.forEach((d, a) => assert(d.index === vp.proof.parts[a].index, `parts[${a}] out of array order`));
      await expectOk(V, vp.proof, null, "without manifest");
      await expectOk(V, JSON.stringify(vp.proof), vp.manifest, "as JSON text");
    });
  }

  add("invalid_proofs_v2: every entry names a known check, and every check occurs", async () => {
    const seen = new Set();
    for (const ip of vectors.invalid_proofs_v2) {
      assert(ip.check in STEP_OF_CHECK, `${ip.why}: unknown check ${JSON.stringify(ip.check)}`);
      seen.add(ip.check);
    }
    for (const c of Object.keys(STEP_OF_CHECK)) assert(seen.has(c), `no invalid_proofs_v2 case for ${c}`);
  });
  for (const [n, ip] of vectors.invalid_proofs_v2.entries()) {
    add(`invalid por/2 case ${n} rejected: ${ip.why} (${ip.check})`, async () => {
      const r = await expectReject(V, ip.proof, ip.manifest, ip.check, "against its manifest");
      await expectReject(V, JSON.stringify(ip.proof), ip.manifest, ip.check, "as JSON text");
      if (ip.proof.format === "por-inclusion-proof/2" && r.proof) {
        assert(Array.isArray(r.parts), "a parsed por/2 proof has part details");
        if (ip.check === "fold" || ip.check === "root") assert(Number.isInteger(r.part) && r.parts.length === r.part + 1, `part ${r.part}`);
      }
    });
  }

  // generated por/2 mutations, on proofs with more than one part
  const picks = allProofsV2(vectors).filter(({ proof }) => proof.parts.length > 1 && proof.parts[0].path.length > 0);
  assert(picks.length > 0, "no multi-part por/2 proofs in the vectors");
  for (const { tree, proof, i } of picks.filter((_, n) => n % 4 === 0)) {
    const name = `tree_v2 ${tree.name} proof ${i}`;
    const manifest = tree.manifest;

    add(`${name}: hex chars of every part salt, sibling hash and the root changed are rejected`, async () => {
      const places = [["root", "hash"]];
      proof.parts.forEach((part, a) => {
        places.push(["parts", a, "salt"]);
        part.path.forEach((_, l) => places.push(["parts", a, "path", l, "hash"]));
      });
      for (const place of places) {
        for (const c of [0, 1, 9, 18, 27, 31, 32, 40, 49, 58, 62, 63]) {
          const p = clone(proof);
          const parent = place.slice(0, -1).reduce((o, k) => o[k], p);
          const key = place[place.length - 1];
          parent[key] = flipHexChar(parent[key], c);
          const what = `${place.join(".")}[${c}]`;
          const checks = key === "salt" ? ["root", "parse"] : "root"; // a flipped salt may equal another part's
          const r = await expectReject(V, p, manifest, checks, what);
          if (r.check === "root" && place[0] === "parts") assert(r.part === place[1], `${what}: part ${r.part}`);
        }
      }
    });

    add(`${name}: part balances, sums, sides, paths and indexes changed are rejected`, async () => {
      const k = proof.balances.length;
      for (let a = 0; a < proof.parts.length; a++) {
        for (let x = 0; x < k; x++) {
          const p = clone(proof);
          p.parts[a].balances[x] = (BigInt(p.parts[a].balances[x]) + 1n).toString();
          await expectReject(V, p, manifest, "parse", `parts[${a}].balances[${x}] + 1 (total unchanged)`);
          p.balances[x] = (BigInt(p.balances[x]) + 1n).toString();
          // near 2^128-1 (v2-near-max) the raised part can overflow a sum on the way up
          await expectReject(V, p, manifest, ["root", "fold"], `parts[${a}].balances[${x}] + 1 and total + 1`);
          const q = clone(proof);
          q.parts[a].path[0].sums[x] = (BigInt(q.parts[a].path[0].sums[x]) + 1n).toString();
          await expectReject(V, q, manifest, ["root", "fold"], `parts[${a}].path[0].sums[${x}] + 1`);
          q.parts[a].path[0].sums[x] = "0" + q.parts[a].path[0].sums[x];
          await expectReject(V, q, manifest, "parse", `parts[${a}].path[0].sums[${x}] leading zero`);
        }
        for (let l = 0; l < proof.parts[a].path.length; l++) {
          const p = clone(proof);
          p.parts[a].path[l].side = p.parts[a].path[l].side === "left" ? "right" : "left";
          await expectReject(V, p, manifest, "root", `parts[${a}].path[${l}].side flipped`);
        }
        const short = clone(proof);
        short.parts[a].path.pop();
        await expectReject(V, short, manifest, "root", `parts[${a}] path shortened`);
        const long = clone(proof);
        long.parts[a].path.push({ side: "right", hash: "00".repeat(32), sums: proof.balances.map(() => "0") });
        await expectReject(V, long, manifest, "root", `parts[${a}] path lengthened`);
        const swapped = clone(proof);
        const b = (a + 1) % proof.parts.length;
        [swapped.parts[a].index, swapped.parts[b].index] = [proof.parts[b].index, proof.parts[a].index];
        await expectReject(V, swapped, manifest, "root", `indexes of parts ${a} and ${b} swapped`);
      }
      const uid = clone(proof);
      uid.uid += "x";
      await expectReject(V, uid, manifest, "root", "uid changed");
    });

    add(`${name}: structure changes are rejected at parse, with or without manifest`, async () => {
      const s = proof.parts.length;
      const variants = {
        "format v1": (p) => (p.format = "por-inclusion-proof/1"),
        "format v3": (p) => (p.format = "por-inclusion-proof/3"),
        "unknown field": (p) => (p.note = "hi"),
        "salt at top level": (p) => (p.salt = p.parts[0].salt),
        "path at top level": (p) => (p.path = []),
        "unknown part field": (p) => (p.parts[0].position = 0),
        "unknown root field": (p) => (p.root.height = 1),
        "unknown path step field": (p) => (p.parts[0].path[0].level = 0),
        "unknown asset field": (p) => (p.assets[0].liabilities = "0"),
        "no parts": (p) => (p.parts = []),
        "parts not an array": (p) => (p.parts = { 0: p.parts[0] }),
        "part not an object": (p) => (p.parts[0] = "part"),
        "index as string": (p) => (p.parts[0].index = String(p.parts[0].index)),
        "index as boolean": (p) => (p.parts[0].index = p.parts[0].index === 0 ? false : true),
        "index fraction": (p) => (p.parts[0].index += 0.5),
        "index negative": (p) => (p.parts[0].index = -1),
        "index null": (p) => (p.parts[0].index = null),
        "duplicate index": (p) => (p.parts[1].index = p.parts[0].index),
        "index out of range": (p) => (p.parts[0].index = s),
        "duplicate salt": (p) => (p.parts[1].salt = p.parts[0].salt),
        "part balance as number": (p) => (p.parts[0].balances[0] = Number(p.parts[0].balances[0])),
        "missing part path": (p) => delete p.parts[0].path,
        "part balances short": (p) => p.parts[0].balances.pop(),
        "sum overflow": (p) => {
          p.parts[0].balances[0] = V.MAX_AMOUNT.toString();
          p.parts[1].balances[0] = "1";
        },
        "17 parts": (p) => {
          while (p.parts.length < 17) p.parts.push({ ...clone(p.parts[0]), index: p.parts.length });
        },
      };
      for (const [what, change] of Object.entries(variants)) {
        const p = clone(proof);
        change(p);
        const r = await expectReject(V, p, manifest, "parse", what);
        assert(r.part === null, `${what}: part ${r.part} at parse`);
        // without the manifest every one of these is still malformed
        await expectReject(V, p, null, "parse", `${what} without manifest`);
      }
      // JSON text: numbers with a fraction or exponent are not integers, even where
      // JSON.parse makes them so
      const text = JSON.stringify(proof);
      const idx = `"index":${proof.parts[0].index}`;
      assert(text.includes(idx), "index in the JSON text");
      for (const bad of [`"index":${proof.parts[0].index}.0`, `"index":${proof.parts[0].index}e0`, `"index":${proof.parts[0].index}E+0`]) {
        await expectReject(V, text.replace(idx, bad), manifest, "parse", bad);
      }
      const dec = `"decimals":${proof.assets[0].decimals}`;
      await expectReject(V, text.replace(dec, `${dec}.0`), manifest, "parse", `${dec}.0`);
      // …but digits, dots and exponents inside strings are just text
      const p = clone(proof);
      const m = clone(manifest);
      p.exchange = m.exchange = 'Ex "1.5e3" \\ 2.0';
      await expectOk(V, JSON.stringify(p), m, "numbers inside a string");
    });

    add(`${name}: a manifest that differs in one respect is rejected`, async () => {
      const t = manifest.tree;
      const variants = {
        "other snapshot": ["manifest", (m) => (m.snapshot_id = "2026-11-21")],
        "other exchange": ["manifest", (m) => (m.exchange = "Other Exchange")],
        "other format": ["manifest", (m) => (m.format = "por-manifest/2")],
        "asset symbol": ["manifest", (m) => (m.assets[0].symbol = "XXX")],
        "asset decimals": ["manifest", (m) => (m.assets[0].decimals += 1)],
        "extra asset": ["manifest", (m) => m.assets.push({ symbol: "NEW", decimals: 2 })],
        "root hash": ["manifest", (m) => (m.tree.root = flipHexChar(m.tree.root, 5))],
        "root sum": ["manifest", (m) => (m.tree.sums[0] = (BigInt(m.tree.sums[0]) + 1n).toString())],
        // well formed (twice the leaves, one level more), but the paths are one level short
        "leaves doubled, height + 1": ["manifest", (m) => ((m.tree.leaves *= 2), (m.tree.height += 1), (m.tree.accounts = null))],
        "no tree": ["parse", (m) => delete m.tree],
        "no tree.version": ["parse", (m) => delete m.tree.version],
        "tree.version 1": ["parse", (m) => (m.tree.version = 1)],
        "tree.version '2'": ["parse", (m) => (m.tree.version = "2")],
        "split + 1": ["parse", (m) => (m.tree.split += 1)],
        "split as string": ["parse", (m) => (m.tree.split = String(m.tree.split))],
        "padding_bits 9": ["parse", (m) => (m.tree.padding_bits = 9)],
        "padding_bits -1": ["parse", (m) => (m.tree.padding_bits = -1)],
        "height + 1": ["parse", (m) => (m.tree.height += 1)],
        "leaves + 1": ["parse", (m) => (m.tree.leaves += 1)],
        "no accounts field": ["parse", (m) => delete m.tree.accounts],
        "accounts 0": ["parse", (m) => (m.tree.accounts = 0)],
        "accounts as string": ["parse", (m) => (m.tree.accounts = "3")],
        "accounts far too many": ["parse", (m) => (m.tree.accounts = m.tree.leaves)],
      };
      for (const [what, [check, change]] of Object.entries(variants)) {
        const m = clone(manifest);
        change(m);
        await expectReject(V, proof, m, check, what);
      }
      // the account count, when published, must be the one the padding implies
      const withCount = clone(manifest);
      withCount.tree.accounts = tree.accounts.length;
      await expectOk(V, proof, withCount, "tree.accounts published");
      assert(t.accounts === null || t.accounts === tree.accounts.length, "vector tree.accounts");
      await expectOk(V, proof, manifest, "unchanged");
    });
  }

  add("por/2: a fold overflow names the part and level; a root mismatch names the part", async () => {
    const ip = vectors.invalid_proofs_v2.find((x) => x.check === "fold");
    assert(ip, "no fold case");
    const r = await V.verifyProof(ip.proof, ip.manifest);
    assert(r.check === "fold" && /^parts\[\d+\]\.path\[\d+\]: /.test(r.reason), `reason: ${r.reason}`);
    const { tree, proof } = picks[0];
    const p = clone(proof);
    const last = p.parts.length - 1;
    p.parts[last].path[0].hash = flipHexChar(p.parts[last].path[0].hash, 0);
    const q = await V.verifyProof(p, tree.manifest);
    assert(q.check === "root" && q.part === last && q.reason.startsWith(`parts[${last}] (index ${p.parts[last].index}): `), `reason: ${q.reason}`);
    assert(q.parts.length === p.parts.length && q.parts.slice(0, last).every((d) => d.computed.hash === tree.manifest.tree.root), "earlier parts folded");
  });

  add("por/2 without a manifest: 1 to 16 parts, indexes exactly 0..len-1", async () => {
    // split = 0 and 17 are caught in the manifest's tree at step 1; without a manifest
    // the part count itself must be in 1..=16, or an empty proof would pass steps 1-4
    const zero = allProofsV2(vectors).find(({ proof }) => proof.balances.every((b) => b === "0"));
    assert(zero, "no zero-balance por/2 proof");
    const empty = clone(zero.proof);
    empty.parts = [];
    await expectReject(V, empty, null, "parse", "zero balance, no parts");
    const seventeen = vectors.invalid_proofs_v2.find((x) => x.manifest.tree.split === 17);
    assert(seventeen && seventeen.proof.parts.length === 17, "no 17-part case");
    await expectReject(V, seventeen.proof, null, "parse", "17 parts");
    const gap = clone(picks[0].proof);
    gap.parts[0].index = gap.parts.length; // indexes 1..s: distinct but not 0..s-1
    await expectReject(V, gap, null, "parse", "indexes 1..s");
  });

  add("por/2 tree shape: paddedLeafCount and checkTreeV2 follow §6", async () => {
    const table = [
      [1, 0, 1n], [2, 0, 2n], [3, 6, 4n], [6, 0, 8n], [9, 8, 16n], [15, 1, 16n], [17, 0, 32n], [28, 8, 32n],
      [40, 6, 48n], [68, 2, 96n], [2049, 8, 2064n], [22, 3, 32n],
    ];
    for (const [ns, g, want] of table) {
      const got = V.paddedLeafCount(ns, g);
      assert(got === want, `paddedLeafCount(${ns}, ${g}) = ${got}, want ${want}`);
    }
    const ok = { version: 2, split: 4, padding_bits: 6, height: 6, leaves: 48, accounts: null };
    V.checkTreeV2(ok);
    V.checkTreeV2({ ...ok, accounts: 10 });
    for (const [what, change] of Object.entries({
      "version 1": { version: 1 },
      "split 0": { split: 0 },
      "split 17": { split: 17 },
      "split 1.5": { split: 1.5 },
      "padding_bits 9": { padding_bits: 9 },
      "height 7": { height: 7 },
      "leaves 40": { leaves: 40 },
      "leaves 0": { leaves: 0, height: 0 },
      "accounts 8": { accounts: 8 },
      "accounts 13": { accounts: 13 },
      "accounts -1": { accounts: -1 },
      "accounts true": { accounts: true },
    })) {
      let err = null;
      try {
        V.checkTreeV2({ ...ok, ...change });
      } catch (e) {
        err = e;
      }
      assert(err instanceof V.PorError && err.check === "parse", `${what}: accepted`);
    }
  });
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
