// por — the Verify page: reads a proof (file, drop or paste), fetches the
// snapshot's manifest from this site (or takes a manifest file the user picks),
// runs verify.js and shows the verdict and every step. Nothing leaves the browser
// except the GET of `snapshots/<id>/manifest.json` from the same origin. Both proof
// formats are accepted: por/1 (one path) and por/2 (the account split into parts,
// one path each, every part's path in its own folded <details>).
//
// DOM hooks (stable, used by tests): #proof-input, #proof-file, #manifest-file,
// #verify-button, #verdict[data-result="valid"|"invalid"|"error"|"running"]
// with data-check="<check code>" when invalid and data-error="<code>" on error
// ("no-proof", "read", "manifest-unavailable", "no-webcrypto"), #details.
//
// Offline: once loaded, the page needs no network except for the manifest. The
// latest snapshot's manifest is prefetched into memory at load, and any manifest
// can be picked by hand (#manifest-file), the guaranteed offline path. There is
// no service worker on purpose: one served from static/ could only control
// static/, not this page, so it would add code without making the page load offline.

import { verifyProof, formatUnits, shortHash } from "./verify.js";

const siteRoot = new URL("../", import.meta.url);
const MAX_FILE_BYTES = 1 << 20;
const CHECK_LABELS = {
  parse: "the proof file is malformed",
  fold: "a sum overflows",
  root: "your path does not lead to the proof's root",
  manifest: "the proof does not match the snapshot the exchange published",
  internal: "the verifier failed",
};

const $ = (id) => document.getElementById(id);
const manifests = new Map(); // snapshot id -> Promise<{ manifest, source }>
let manualManifest = null; // { manifest, name } | { error, name }
let pending = Promise.resolve(); // file reads in flight; Verify waits for them
let awaitingManifest = false;

// ---------------------------------------------------------------------------
// small DOM builders (textContent only: the proof is untrusted input)

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") e.className = v;
    else e.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

function hashEl(hex) {
  return el("code", { class: "mono hash", title: hex }, shortHash(hex));
}

/**
 * A decimal string as a <span class="amt"> with its digits in groups of three from
 * the point, the gaps drawn by CSS (so a copy gives the exact digits) and a <wbr>
 * after each gap, the only place a long figure wraps (as the Rust renderer's
 * `view::grouped`). Anything else is returned as plain text.
 */
function groupedEl(decimal) {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(decimal);
  if (!m) return document.createTextNode(decimal);
  const [, int, frac] = m;
  const out = el("span", { class: "amt" });
  const groups = (gs) => gs.forEach((g, i) => (i < gs.length - 1 ? out.append(el("span", { class: "g" }, g), el("wbr")) : out.append(g)));
  const head = int.length % 3 || 3;
  const ints = [int.slice(0, head)];
  for (let i = head; i < int.length; i += 3) ints.push(int.slice(i, i + 3));
  groups(ints);
  if (frac) {
    out.append(".");
    const fracs = [];
    for (let i = 0; i < frac.length; i += 3) fracs.push(frac.slice(i, i + 3));
    groups(fracs);
  }
  return out;
}

/** An amount in the asset's units, digits grouped, with the exact base units in its title. */
function amountEl(amount, asset) {
  try {
    const units = formatUnits(amount, asset.decimals);
    return el("span", { title: `${units} ${asset.symbol} = ${amount} base units` }, groupedEl(units), ` ${asset.symbol}`);
  } catch {
    return document.createTextNode(`${amount} (base units) ${asset.symbol}`);
  }
}

function amountText(amount, asset) {
  try {
    return `${formatUnits(amount, asset.decimals)} ${asset.symbol}`;
  } catch {
    return `${amount} (base units) ${asset.symbol}`;
  }
}

function sumsEl(sums, assets) {
  return el("ul", { class: "sums plain" }, sums.map((s, i) => el("li", {}, amountEl(s, assets[i]))));
}

// ---------------------------------------------------------------------------
// verdict

const MARKS = { valid: "✓", invalid: "✗", error: "!" };

function setVerdict(result, { title, text = [], check = null, error = null, cls }) {
  const v = $("verdict");
  v.dataset.result = result;
  if (check) v.dataset.check = check;
  else delete v.dataset.check;
  if (error) v.dataset.error = error;
  else delete v.dataset.error;
  v.className = `verdict ${cls}`;
  v.setAttribute("aria-busy", result === "running" ? "true" : "false");
  const mark = MARKS[result] ? el("span", { class: "verdict-mark", "aria-hidden": "true" }, MARKS[result], " ") : null;
  v.replaceChildren(el("p", { class: "verdict-title" }, mark, el("strong", {}, title)), ...text.map((t) => el("p", { class: "verdict-reason" }, t)));
}

function showError(code, title, ...text) {
  setVerdict("error", { title, text, error: code, cls: "warn" });
}

// ---------------------------------------------------------------------------
// details of a (parsed) proof

function renderDetails(r, manifestInfo) {
  const p = r.proof;
  const details = $("details");
  details.replaceChildren();
  if (!p) return;
  const verified = r.ok && r.manifestChecked;
  const heading = verified ? "Your account in this snapshot" : "What the proof says (not verified)";

  details.append(
    el(
      "section",
      { class: "card account" },
      el("h3", {}, heading),
      el(
        "dl",
        { class: "facts" },
        el("dt", {}, "Account id"),
        el("dd", {}, el("strong", { class: "mono uid" }, p.uid)),
        el("dt", {}, "Exchange"),
        el("dd", {}, p.exchange),
        el("dt", {}, "Snapshot"),
        el("dd", { class: "mono" }, p.snapshot_id),
        r.account && el("dt", {}, "Account commitment"),
        r.account && el("dd", {}, hashEl(r.account)),
        p.parts && el("dt", {}, "Parts"),
        p.parts && el("dd", {}, `${p.parts.length} (your balances are split into parts, each a separate leaf of the tree)`),
      ),
      el(
        "p",
        { class: "notice" },
        el("strong", {}, "Check that this account id is yours. "),
        "A proof for someone else's account says nothing about yours. ",
        `Do not post this proof publicly: it contains your ${p.parts ? "salts" : "salt"}.`,
      ),
    ),
  );

  details.append(
    el(
      "section",
      { class: "card balances" },
      el(
        "table",
        { class: "table" },
        el("caption", {}, "Your balances in this snapshot"),
        el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Asset"), el("th", { scope: "col", class: "num" }, "Balance"), el("th", { scope: "col", class: "num" }, "Base units"))),
        el(
          "tbody",
          {},
          p.assets.map((a, i) =>
            el(
              "tr",
              {},
              el("th", { scope: "row" }, a.symbol),
              el("td", { class: "num" }, groupedEl(formatUnits(p.balances[i], a.decimals))),
              el("td", { class: "mono num" }, p.balances[i]),
            ),
          ),
        ),
      ),
    ),
  );

  details.append(p.parts ? partsEl(r, p) : pathEl(r, p));

  const rows = [
    ["Recomputed from your proof", r.root.computed],
    ["Stated in the proof", r.root.claimed],
    ["Published in the manifest", r.root.published],
  ];
  details.append(
    el(
      "section",
      { class: "card root" },
      el(
        "table",
        { class: "table" },
        el("caption", {}, "Root of the liabilities tree"),
        el("thead", {}, el("tr", {}, el("th", { scope: "col" }, ""), el("th", { scope: "col" }, "Hash"), el("th", { scope: "col" }, "Total liabilities"))),
        el(
          "tbody",
          {},
          rows.map(([label, node]) =>
            el(
              "tr",
              {},
              el("th", { scope: "row" }, label),
              el("td", {}, node && typeof node.hash === "string" ? hashEl(node.hash) : "—"),
              el("td", {}, node && Array.isArray(node.sums) && node.sums.length === p.assets.length ? sumsEl(node.sums.map(String), p.assets) : "—"),
            ),
          ),
        ),
      ),
      manifestInfo && el("p", { class: "hint" }, `Manifest: ${manifestInfo.source}.`),
      manifestInfo && treeHint(manifestInfo.manifest.tree),
    ),
  );
}

/** The table of one path: each level, its sibling and the running node after it. */
function levelsTable(path, levels, assets) {
  return el(
    "table",
    { class: "table" },
    el("caption", {}, "Each level combines the running node with the sibling the proof gives"),
    el("thead", {}, el("tr", {}, ["Level", "Sibling side", "Sibling hash", "Sibling sums", "Node after"].map((h) => el("th", { scope: "col" }, h)))),
    el(
      "tbody",
      {},
      path.map((s, l) => {
        const lv = levels[l];
        return el(
          "tr",
          {},
          el("th", { scope: "row" }, String(l)),
          el("td", {}, s.side),
          el("td", {}, hashEl(s.hash)),
          el("td", {}, sumsEl(s.sums, assets)),
          el("td", {}, lv ? hashEl(lv.node.hash) : "not computed"),
        );
      }),
    ),
  );
}

/** por/1: the one path from the account's leaf to the root. */
function pathEl(r, p) {
  const path = el("section", { class: "card path" }, el("h3", {}, "Path from your leaf to the root"));
  if (r.leaf) path.append(el("p", {}, "Your leaf: ", hashEl(r.leaf.hash)));
  if (p.path.length === 0) {
    path.append(el("p", {}, "The path is empty: your leaf is the root (a snapshot with a single account)."));
  } else {
    path.append(levelsTable(p.path, r.levels, p.assets));
  }
  return path;
}

/** por/2: one folded <details> per part (in the proof's order), each with its path. */
function partsEl(r, p) {
  const section = el(
    "section",
    { class: "card path parts" },
    el("h3", {}, "Paths from your parts to the root"),
    el(
      "p",
      { class: "hint" },
      `Your balances are split into ${p.parts.length} part${p.parts.length === 1 ? "" : "s"}, each a leaf at its own random place in the tree; `,
      "every part's path must lead to the same root, and the parts add up to the balances above.",
    ),
  );
  p.parts.forEach((part, a) => {
    const d = (r.parts && r.parts[a]) || null;
    const failedHere = !r.ok && r.part === a;
    const status = d && d.computed && d.computed.hash === p.root.hash ? "leads to the root" : failedHere ? "failed" : d ? "checked" : "not checked";
    const amounts = part.balances.map((b, i) => amountText(b, p.assets[i])).join(", ");
    const body = el(
      "div",
      { class: "part-body" },
      el(
        "dl",
        { class: "facts" },
        el("dt", {}, "Part amounts"),
        el("dd", {}, sumsEl(part.balances, p.assets)),
        d && el("dt", {}, "Part commitment"),
        d && el("dd", {}, hashEl(d.account)),
        d && el("dt", {}, "Leaf"),
        d && el("dd", {}, hashEl(d.leaf.hash)),
        d && el("dt", {}, "Leaf position"),
        d && el("dd", { class: "mono" }, String(d.position)),
      ),
      part.path.length === 0
        ? el("p", {}, "The path is empty: this leaf is the root (a tree with a single leaf).")
        : levelsTable(part.path, d ? d.levels : [], p.assets),
    );
    section.append(
      el(
        "details",
        { class: "part", "data-index": part.index, open: failedHere },
        el("summary", {}, el("strong", {}, `Part ${part.index}`), `: ${amounts} — ${status}`),
        body,
      ),
    );
  });
  return section;
}

/** What the manifest says about the tree's size (por/2 counts leaves, not accounts). */
function treeHint(t) {
  if (!t || typeof t !== "object" || !Number.isInteger(t.leaves)) return null;
  if (t.version === 2) {
    const accounts = Number.isInteger(t.accounts) ? `${t.accounts} accounts` : "the account count is not published";
    return el(
      "p",
      { class: "hint" },
      `The tree has ${t.leaves} leaves: every account split into ${t.split} parts, plus padding; ${accounts}; tree height ${t.height}.`,
    );
  }
  return el("p", { class: "hint" }, `The snapshot has ${t.leaves} accounts; tree height ${t.height}.`);
}

// ---------------------------------------------------------------------------
// manifest: fetched from this site, or picked by hand

function fetchManifest(id) {
  if (!manifests.has(id)) {
    const url = new URL(`snapshots/${encodeURIComponent(id)}/manifest.json`, siteRoot);
    const p = (async () => {
      const res = await fetch(url, { credentials: "same-origin", signal: AbortSignal.timeout(15000) });
      if (!res.ok) throw new Error(`HTTP ${res.status} for ${url.pathname}`);
      const manifest = await res.json();
      return { manifest, source: `fetched from ${url.pathname} on this site` };
    })();
    manifests.set(id, p);
    p.catch(() => manifests.delete(id)); // retry next time (e.g. back online)
  }
  return manifests.get(id);
}

async function manifestFor(snapshotId) {
  const manual = manualManifest && manualManifest.manifest;
  if (manual && manual.snapshot_id === snapshotId) return { manifest: manual, source: `the file you chose, ${manualManifest.name}` };
  try {
    return await fetchManifest(snapshotId);
  } catch (e) {
    if (manual) return { manifest: manual, source: `the file you chose, ${manualManifest.name}` };
    return { error: e };
  }
}

// ---------------------------------------------------------------------------
// files

async function readFile(file) {
  if (file.size > MAX_FILE_BYTES) throw new Error(`${file.name} is ${file.size} bytes; a proof or manifest is far smaller`);
  return file.text();
}

function loadProofFile(file) {
  pending = (async () => {
    try {
      $("proof-input").value = await readFile(file);
      setVerdict("", { title: `Loaded ${file.name}. Press Verify.`, cls: "" });
      $("details").replaceChildren();
    } catch (e) {
      showError("read", "Could not read the proof file.", e.message);
    }
  })();
  return pending;
}

function loadManifestFile(file) {
  pending = (async () => {
    try {
      manualManifest = { manifest: JSON.parse(await readFile(file)), name: file.name };
    } catch (e) {
      manualManifest = null;
      showError("read", "Could not read the manifest file.", `${file.name}: ${e.message}`);
      return;
    }
    if (awaitingManifest) await check(); // not run(): it would wait for this very promise
  })();
  return pending;
}

// ---------------------------------------------------------------------------
// verify

async function run() {
  await pending.catch(() => {});
  await check();
}

async function check() {
  awaitingManifest = false;
  const text = $("proof-input").value.trim();
  if (!text) {
    $("details").replaceChildren();
    showError("no-proof", "Choose, drop or paste your proof first.");
    return;
  }
  setVerdict("running", { title: "Checking…", cls: "" });
  // Steps 1–4 need nothing but the proof.
  const local = await verifyProof(text, null);
  if (!local.ok) return showResult(local, null);
  const m = await manifestFor(local.proof.snapshot_id);
  if (m.error) {
    awaitingManifest = true;
    renderDetails(local, null);
    showError(
      "manifest-unavailable",
      "Not verified yet: the published manifest could not be fetched.",
      `Your proof is consistent with itself, but that proves nothing until its root is compared with the root ${local.proof.exchange} published (${m.error.message}).`,
      `Choose the manifest.json of snapshot ${local.proof.snapshot_id} below; the check then runs again.`,
    );
    const picker = $("manifest-picker");
    picker.open = true;
    picker.classList.add("needed");
    $("manifest-file").focus();
    return;
  }
  showResult(await verifyProof(text, m.manifest), m);
}

function showResult(r, manifestInfo) {
  renderDetails(r, manifestInfo);
  $("verdict").scrollIntoView({ block: "start" });
  if (r.ok && r.manifestChecked) {
    $("manifest-picker").classList.remove("needed");
    setVerdict("valid", {
      title: "Valid: your account is included.",
      text: [
        `The balances below are counted in the liabilities ${r.proof.exchange} published for snapshot ${r.proof.snapshot_id}.`,
        "Check that the account id shown is yours.",
      ],
      cls: "ok",
    });
  } else {
    setVerdict("invalid", {
      title: "Not valid: this proof does not check out.",
      text: [`Failed at step ${r.step} of 5 (${r.check}): ${CHECK_LABELS[r.check] || r.check}.`, r.reason],
      check: r.check,
      cls: "bad",
    });
  }
}

// ---------------------------------------------------------------------------
// wiring

function init() {
  const form = $("verify-form");
  if (!form) return;
  if (!(globalThis.crypto && crypto.subtle)) {
    showError("no-webcrypto", "This browser cannot check proofs here.", "Open this page over https (Web Crypto is only available in a secure context).");
  }
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    run();
  });
  $("proof-file").addEventListener("change", (e) => {
    const f = e.target.files && e.target.files[0];
    if (f) loadProofFile(f);
  });
  $("manifest-file").addEventListener("change", (e) => {
    const f = e.target.files && e.target.files[0];
    if (f) loadManifestFile(f);
  });
  $("proof-input").addEventListener("input", () => {
    const v = $("verdict");
    if (v.dataset.result && v.dataset.result !== "running") {
      setVerdict("", { title: "The proof changed. Press Verify to check it.", cls: "" });
      $("details").replaceChildren();
    }
  });
  const zone = $("drop-zone") || form;
  for (const type of ["dragenter", "dragover"]) {
    zone.addEventListener(type, (e) => {
      e.preventDefault();
      zone.classList.add("dragging");
    });
  }
  zone.addEventListener("dragleave", () => zone.classList.remove("dragging"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("dragging");
    const f = e.dataTransfer && e.dataTransfer.files && e.dataTransfer.files[0];
    if (f) loadProofFile(f);
  });
  // So the latest snapshot can still be checked if the connection drops later.
  const latest = form.dataset.latestId;
  if (latest) fetchManifest(latest).catch(() => {});
}

init();
