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
// ("no-proof", "read", "manifest-unavailable", "no-webcrypto"), and
// data-manifest-check = "fetched" | "match" | "mismatch" | "unlisted" |
// "unavailable" (how the manifest compared with was checked), #details,
// #dispute (#dispute-download, the "Download a dispute file" link to a
// por-dispute/1 JSON blob; its text is also the link's `disputeText` property).
//
// Choosing or dropping a proof file, or choosing a manifest file while a proof is
// loaded, verifies at once; Verify is for a pasted proof.
//
// The snapshot log (FORMAT.md §7, when the site has one, #log-keys): after a valid
// proof, the page fetches log/checkpoint and snapshots/index.json and checks with
// log.js that the proof's manifest is in a checkpoint signed by the log key and
// cosigned by the witnesses; #log-verdict[data-result="seen"|"warning"] says "seen
// by N independent witnesses" with their names, or why not. The keys are pinned:
// the first ones this site showed are kept in localStorage ("por-log-pins/<origin>")
// and used from then on; when the site shows others, the page says so (#log-pins-
// changed) and keeps checking with the pinned ones until the user accepts the new.
//
// Offline: once loaded, the page needs no network except for the manifest. The
// latest snapshot's manifest is prefetched into memory at load, and any manifest
// can be picked by hand (#manifest-file), the guaranteed offline path. There is
// no service worker on purpose: one served from static/ could only control
// static/, not this page, so it would add code without making the page load offline.

import { verifyProof, formatUnits, shortHash, sha256, bytesToHex } from "./verify.js";
import * as Log from "./log.js";

const siteRoot = new URL("../", import.meta.url);
const MAX_FILE_BYTES = 1 << 20;
const DISPUTE_FORMAT = "por-dispute/1";

/** What failed, in plain words, per check code (the technical reason goes in a <details>). */
const PLAIN = {
  parse: () => "This file is not a complete, well-formed inclusion proof: something in it is missing, extra or not written the way the format requires, so it cannot be checked.",
  fold: () => "The amounts in this file add up to more than any real balance can be, so no tree the exchange built can contain it.",
  root: () => "The balances, salt or path in this file do not add up to the root it names.",
  manifest: (p) =>
    p
      ? `This proof does not match what ${p.exchange} published for snapshot ${p.snapshot_id}: its root, assets or tree size differ from the published manifest.`
      : "This proof does not match the published manifest.",
  internal: () => "The verifier itself failed on this file.",
};

const $ = (id) => document.getElementById(id);
const manifests = new Map(); // snapshot id -> Promise<ManifestInfo>
let manualManifest = null; // { manifest, name, sha256 } once a manifest file was read
let pending = Promise.resolve(); // file reads in flight; Verify waits for them
let runSeq = 0; // only the newest check may show its verdict

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

/** A card that may scroll sideways on a phone: a labelled region the keyboard can focus and scroll. */
function scrollable(label) {
  return { tabindex: "0", role: "region", "aria-label": label };
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

function setVerdict(result, { title, text = [], check = null, error = null, manifestCheck = null, tech = null, cls }) {
  const v = $("verdict");
  v.dataset.result = result;
  for (const [k, val] of [["check", check], ["error", error], ["manifestCheck", manifestCheck]]) {
    if (val) v.dataset[k] = val;
    else delete v.dataset[k];
  }
  v.className = `verdict ${cls}`;
  v.setAttribute("aria-busy", result === "running" ? "true" : "false");
  const mark = MARKS[result] ? el("span", { class: "verdict-mark", "aria-hidden": "true" }, MARKS[result], " ") : null;
  v.replaceChildren(
    el("p", { class: "verdict-title" }, mark, el("strong", {}, title)),
    ...text.filter(Boolean).map((t) => (t instanceof Node ? t : el("p", { class: "verdict-reason" }, t))),
    tech && el("details", { class: "tech" }, el("summary", {}, "Technical detail"), el("p", { class: "mono" }, tech)),
  );
  if (result !== "valid" && result !== "invalid" && error !== "manifest-unavailable") $("dispute").replaceChildren();
}

function showError(code, title, text = [], tech = null) {
  setVerdict("error", { title, text, error: code, tech, cls: "warn" });
}

// ---------------------------------------------------------------------------
// details of a (parsed) proof

function renderDetails(r, manifestInfo) {
  const p = r.proof;
  const details = $("details");
  details.replaceChildren();
  if (!p) return;
  const verified = r.ok && r.manifestChecked;
  // An invalid proof: only what failed (its path for fold/root, the roots for
  // root/manifest), nothing that reads as if its balances or account were confirmed.
  if (!r.ok) {
    if (r.check === "fold" || r.check === "root") details.append(p.parts ? partsEl(r, p) : pathEl(r, p));
    if (r.check === "root" || r.check === "manifest") details.append(rootEl(r, p, manifestInfo));
    return;
  }
  const heading = verified ? "Your account in this snapshot" : "What the proof says (not verified yet)";

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
      { class: "card balances", ...scrollable("Your balances in this snapshot") },
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
  details.append(rootEl(r, p, manifestInfo));
}

/** The root recomputed, stated and published, with where the manifest came from. */
function rootEl(r, p, manifestInfo) {
  const rows = [
    ["Recomputed from the proof", r.root.computed],
    ["Stated in the proof", r.root.claimed],
    ["Published in the manifest", r.root.published],
  ];
  return (
    el(
      "section",
      { class: "card root", ...scrollable("Root of the liabilities tree") },
      el(
        "table",
        { class: "table" },
        el("caption", {}, "Root of the liabilities tree"),
        el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Root"), el("th", { scope: "col" }, "Hash"), el("th", { scope: "col" }, "Total liabilities"))),
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
    )
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
  const path = el("section", { class: "card path", ...scrollable("Path from the leaf to the root") }, el("h3", {}, "Path from the leaf to the root"));
  if (r.leaf) path.append(el("p", {}, "Leaf: ", hashEl(r.leaf.hash)));
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
    { class: "card path parts", ...scrollable("Paths from the parts to the root") },
    el("h3", {}, "Paths from the parts to the root"),
    el(
      "p",
      { class: "hint" },
      `The balances are split into ${p.parts.length} part${p.parts.length === 1 ? "" : "s"}, each a leaf at its own random place in the tree; `,
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

/** A failed fetch, in plain words for the page and the raw error for the technical detail. */
class FetchFailure extends Error {
  constructor(plain, tech) {
    super(plain);
    this.plain = plain;
    this.tech = tech;
  }
}

function manifestUrl(id) {
  return new URL(`snapshots/${encodeURIComponent(id)}/manifest.json`, siteRoot);
}

const cap = (s) => s.charAt(0).toUpperCase() + s.slice(1);

/** GETs a JSON file from this site: `{ bytes, json }`, or throws a FetchFailure naming `what`. */
async function fetchJson(url, what) {
  let res;
  try {
    res = await fetch(url, { credentials: "same-origin", signal: AbortSignal.timeout(15000) });
  } catch (e) {
    const timedOut = e && (e.name === "TimeoutError" || e.name === "AbortError");
    throw new FetchFailure(
      timedOut ? `${cap(what)} took too long to arrive from this site.` : `${cap(what)} could not be fetched from this site: the connection failed (you may be offline).`,
      `GET ${url.pathname}: ${e && e.name}: ${e && e.message}`,
    );
  }
  if (!res.ok) {
    throw new FetchFailure(
      res.status === 404 ? `This site does not publish ${what}.` : `${cap(what)} could not be fetched: this site answered HTTP ${res.status}.`,
      `GET ${url.pathname}: HTTP ${res.status} ${res.statusText}`,
    );
  }
  const bytes = new Uint8Array(await res.arrayBuffer());
  try {
    return { bytes, json: JSON.parse(new TextDecoder().decode(bytes)) };
  } catch (e) {
    throw new FetchFailure(`This site sent ${what}, but it is not valid JSON.`, `GET ${url.pathname}: ${e.message}`);
  }
}

/**
 * The manifest this site publishes for snapshot `id`, cached per id (a failure is
 * retried next time). Resolves to a ManifestInfo:
 * `{ manifest, source, url, sha256, kind: "fetched", indexCheck: { state: "fetched" } }`.
 */
function fetchManifest(id) {
  if (!manifests.has(id)) {
    const url = manifestUrl(id);
    const p = (async () => {
      const { bytes, json } = await fetchJson(url, `the manifest of snapshot ${id}`);
      return {
        manifest: json,
        source: `fetched from ${url.pathname} on this site`,
        url: url.href,
        sha256: bytesToHex(await sha256(bytes)),
        kind: "fetched",
        indexCheck: { state: "fetched" },
      };
    })();
    manifests.set(id, p);
    p.catch(() => manifests.delete(id)); // retry next time (e.g. back online)
  }
  return manifests.get(id);
}

/**
 * A manifest file picked by hand, against the published hash chain: its SHA-256
 * must be the `manifest_sha256` that `snapshots/index.json` lists for its
 * snapshot. `{ state: "match" | "mismatch" | "unlisted" | "unavailable", text, tech }`.
 */
async function checkAgainstIndex(file) {
  const id = file.manifest && file.manifest.snapshot_id;
  let index;
  try {
    index = (await fetchJson(new URL("snapshots/index.json", siteRoot), "the list of published snapshots (snapshots/index.json)")).json;
  } catch (e) {
    return {
      state: "unavailable",
      text:
        `The manifest file you chose could not be checked against the published hash chain: ${e.plain ? e.plain.charAt(0).toLowerCase() + e.plain.slice(1) : "snapshots/index.json could not be fetched."} ` +
        "The result holds only if that file is the manifest the exchange published.",
      tech: e.tech || e.message,
    };
  }
  const entry = index && Array.isArray(index.snapshots) ? index.snapshots.find((s) => s && s.snapshot_id === id) : null;
  if (!entry) {
    return {
      state: "unlisted",
      text:
        `The manifest file you chose could not be checked against the published hash chain: snapshots/index.json does not list snapshot ${id}. ` +
        "The result holds only if that file is the manifest the exchange published.",
      tech: `no entry with snapshot_id ${JSON.stringify(id)} in snapshots/index.json`,
    };
  }
  if (entry.manifest_sha256 !== file.sha256) {
    return {
      state: "mismatch",
      text: `The manifest file you chose is not the one published for snapshot ${id}: its SHA-256 differs from the one in this site's hash chain.`,
      tech: `SHA-256 of ${file.name} is ${file.sha256}; snapshots/index.json lists ${entry.manifest_sha256}`,
    };
  }
  return {
    state: "match",
    text: "The manifest file you chose was checked against this site's published hash chain (snapshots/index.json): its SHA-256 matches.",
    tech: `SHA-256 ${file.sha256}`,
  };
}

async function fileManifestInfo() {
  const f = manualManifest;
  return {
    manifest: f.manifest,
    source: `the file you chose, ${f.name}`,
    url: typeof f.manifest.snapshot_id === "string" ? manifestUrl(f.manifest.snapshot_id).href : null,
    sha256: f.sha256,
    name: f.name,
    kind: "file",
    indexCheck: await checkAgainstIndex(f),
  };
}

/** The manifest for `snapshotId`: a picked file for that snapshot first, else this site's. */
async function manifestFor(snapshotId) {
  const manual = manualManifest && manualManifest.manifest;
  if (manual && manual.snapshot_id === snapshotId) return fileManifestInfo();
  try {
    return await fetchManifest(snapshotId);
  } catch (e) {
    if (manual) return fileManifestInfo(); // verify.js names the snapshot mismatch
    return { error: e };
  }
}

// ---------------------------------------------------------------------------
// files: a picked or dropped file is checked at once

async function readFile(file) {
  if (file.size > MAX_FILE_BYTES) throw new Error(`${file.name} is ${file.size} bytes; a proof or manifest is far smaller`);
  return new Uint8Array(await file.arrayBuffer());
}

function loadProofFile(file) {
  pending = (async () => {
    let text;
    try {
      text = new TextDecoder().decode(await readFile(file));
    } catch (e) {
      $("details").replaceChildren();
      showError("read", "Could not read the proof file.", [`${file.name} could not be read. Choose it again, or paste its contents.`], e.message);
      return;
    }
    $("proof-input").value = text;
    await check();
  })();
  return pending;
}

function loadManifestFile(file) {
  pending = (async () => {
    try {
      const bytes = await readFile(file);
      manualManifest = { manifest: JSON.parse(new TextDecoder().decode(bytes)), name: file.name, sha256: bytesToHex(await sha256(bytes)) };
    } catch (e) {
      manualManifest = null;
      showError("read", "Could not read the manifest file.", [`${file.name} is not a manifest.json this page can read.`], e.message);
      return;
    }
    if ($("proof-input").value.trim()) await check();
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
  const seq = ++runSeq;
  const current = () => seq === runSeq;
  const text = $("proof-input").value.trim();
  if (!text) {
    $("details").replaceChildren();
    showError("no-proof", "Choose, drop or paste your proof first.");
    return;
  }
  setVerdict("running", { title: "Checking…", cls: "" });
  // Steps 1–4 need nothing but the proof.
  const local = await verifyProof(text, null);
  if (!current()) return;
  if (!local.ok) return showResult(text, local, null);
  const m = await manifestFor(local.proof.snapshot_id);
  if (!current()) return;
  if (m.error) {
    renderDetails(local, null);
    showError(
      "manifest-unavailable",
      "Not verified yet: the published manifest could not be fetched.",
      [
        m.error.plain || `The manifest of snapshot ${local.proof.snapshot_id} could not be fetched from this site.`,
        `Your proof is consistent with itself, but that proves nothing until its root is compared with the root ${local.proof.exchange} published.`,
        `Choose the manifest.json of snapshot ${local.proof.snapshot_id} below (a copy you saved); the check then runs at once.`,
      ],
      m.error.tech || m.error.message,
    );
    offerDispute(text, local, { error: m.error, snapshotId: local.proof.snapshot_id }, { result: "error", error: "manifest-unavailable" });
    const picker = $("manifest-picker");
    picker.open = true;
    picker.classList.add("needed");
    $("manifest-file").focus();
    return;
  }
  let r = await verifyProof(text, m.manifest);
  if (!current()) return;
  if (r.ok && m.indexCheck.state === "mismatch") {
    r = { ...r, ok: false, step: 5, check: "manifest", reason: `manifest file: ${m.indexCheck.tech}`, manifestFile: true };
  }
  showResult(text, r, m);
}

/** What the user can do after an invalid verdict. */
function whatToDo(r, m) {
  const exchange = r.proof ? r.proof.exchange : "the exchange";
  if (r.manifestFile || (r.check === "manifest" && m && m.kind === "file")) {
    return `Check that the manifest file you chose is the manifest.json of snapshot ${r.proof.snapshot_id} from this site, or remove it and let the page fetch it. If the proof still fails, raise a dispute with ${exchange}.`;
  }
  return `Download your proof again from your account at ${exchange} and check it again. If it still fails, raise a dispute with ${exchange}: the dispute file below holds what they need to look into it.`;
}

function showResult(text, r, m) {
  renderDetails(r, m);
  $("verdict").scrollIntoView({ block: "start" });
  const manifestCheck = m ? m.indexCheck.state : null;
  if (r.ok && r.manifestChecked) {
    $("manifest-picker").classList.remove("needed");
    setVerdict("valid", {
      title: "Valid: your account is included.",
      text: [
        `The balances below are counted in the liabilities ${r.proof.exchange} published for snapshot ${r.proof.snapshot_id}.`,
        "Check that the account id shown is yours.",
        m.kind === "file" ? el("p", { class: m.indexCheck.state === "match" ? "verdict-reason" : "verdict-reason caveat" }, m.indexCheck.text) : null,
      ],
      manifestCheck,
      tech: m.kind === "file" ? m.indexCheck.tech : null,
      cls: "ok",
    });
  } else {
    const plain = r.manifestFile ? m.indexCheck.text : (PLAIN[r.check] || PLAIN.internal)(r.proof);
    setVerdict("invalid", {
      title: "Not valid: this proof does not check out.",
      text: [plain, whatToDo(r, m), m && m.kind === "file" && !r.manifestFile ? m.indexCheck.text : null],
      check: r.check,
      manifestCheck,
      tech: `Failed at step ${r.step} of 5 (${r.check}): ${r.reason}`,
      cls: "bad",
    });
  }
  offerDispute(text, r, m, { result: r.ok && r.manifestChecked ? "valid" : "invalid" });
  if (r.ok && r.manifestChecked) logCheck(m, runSeq);
  else if ($("log-verdict")) setLogVerdict("", "The witnessed log is checked once a proof is valid.");
}

// ---------------------------------------------------------------------------
// the snapshot log: pinned keys, checkpoint, cosignatures

const PINS_PREFIX = "por-log-pins/";

/** The keys and policy the site shows (#log-keys), or null without a log. */
function shownPins() {
  const box = $("log-keys");
  if (!box) return null;
  return {
    origin: box.dataset.origin,
    key: box.dataset.key,
    required: Number(box.dataset.required) || 0,
    witnesses: Array.from(box.querySelectorAll("#witness-list li"), (li) => ({ name: li.dataset.name, key: li.dataset.key })),
  };
}

function samePins(a, b) {
  const keys = (p) => [p.key, ...p.witnesses.map((w) => w.key).sort()].join("\n");
  return keys(a) === keys(b) && a.required === b.required;
}

/** The pinned keys for `shown.origin`: stored on first sight. `{ pins, stored, changed, firstSeen }`. */
function pinsFor(shown) {
  const name = PINS_PREFIX + shown.origin;
  let stored = null;
  try {
    stored = JSON.parse(localStorage.getItem(name) || "null");
  } catch {
    return { pins: shown, stored: false, changed: false };
  }
  if (!stored || !stored.key || !Array.isArray(stored.witnesses)) {
    const first = { ...shown, firstSeen: new Date().toISOString() };
    try {
      localStorage.setItem(name, JSON.stringify(first));
    } catch {
      return { pins: shown, stored: false, changed: false };
    }
    return { pins: first, stored: true, changed: false, firstSeen: first.firstSeen };
  }
  return { pins: stored, stored: true, changed: !samePins(stored, shown), firstSeen: stored.firstSeen };
}

async function fetchText(url, what) {
  let res;
  try {
    res = await fetch(url, { credentials: "same-origin", signal: AbortSignal.timeout(15000), cache: "no-store" });
  } catch (e) {
    throw new FetchFailure(`${cap(what)} could not be fetched from this site (you may be offline).`, `GET ${url.pathname}: ${e && e.name}: ${e && e.message}`);
  }
  if (!res.ok) throw new FetchFailure(`${cap(what)} could not be fetched: this site answered HTTP ${res.status}.`, `GET ${url.pathname}: HTTP ${res.status}`);
  return res.text();
}

function utc(ts) {
  return new Date(ts * 1000).toISOString().replace("T", " ").replace(/\.000Z$/, " UTC");
}

const LOG_PLAIN = {
  vkey: "A key this page pinned for the log or a witness is malformed.",
  "note-format": "The published log checkpoint is not a well-formed signed checkpoint.",
  "note-signature": "The log checkpoint is not signed by the log key this page pinned: the site's log changed keys, or the checkpoint was altered.",
  origin: "The log checkpoint is for another log than the one this page pinned.",
  cosignature: "Too few of the pinned witnesses vouch for this log checkpoint (or their cosignatures are too old): this page cannot rule out that you are shown a history others do not see.",
  inclusion: "This snapshot is not in the witnessed log: the exchange may be showing you a snapshot, or a history, that others do not see.",
  previous: "This snapshot's link to the one before it does not match the witnessed log.",
  snapshot_id: "This snapshot's id does not match its entry in the witnessed log.",
  parse: "The published log files could not be read.",
};

function setLogVerdict(result, title, text = [], tech = null) {
  const v = $("log-verdict");
  if (!v) return;
  v.dataset.result = result;
  v.className = `log-verdict card ${result === "seen" ? "ok" : result === "warning" ? "warn" : ""}`;
  v.replaceChildren(
    el("p", { class: "verdict-title" }, el("strong", {}, title)),
    ...text.filter(Boolean).map((t) => (t instanceof Node ? t : el("p", {}, t))),
    tech && el("details", { class: "tech" }, el("summary", {}, "Technical detail"), el("p", { class: "mono" }, tech)),
  );
}

function pinsChangedNote(shown, p) {
  if (!p.changed) return null;
  const accept = el("button", { type: "button", class: "button", id: "log-pins-accept" }, "Trust the keys this site shows now");
  accept.addEventListener("click", () => {
    try {
      localStorage.setItem(PINS_PREFIX + shown.origin, JSON.stringify({ ...shown, firstSeen: new Date().toISOString() }));
    } catch {
      /* kept as it was */
    }
    run();
  });
  return el(
    "div",
    { class: "caveat", id: "log-pins-changed" },
    el("p", {}, `The log or witness keys this site shows are not the ones it showed when you first checked here${p.firstSeen ? ` (${p.firstSeen.slice(0, 10)})` : ""}. This page keeps checking with the keys it saw first. Accept the new keys only if ${shown.origin} announced the change somewhere you trust.`),
    accept,
  );
}

/** After a valid proof: is its manifest in the witnessed log? */
async function logCheck(m, seq) {
  const shown = shownPins();
  if (!shown || !$("log-verdict")) return;
  const p = pinsFor(shown);
  const changed = pinsChangedNote(shown, p);
  setLogVerdict("running", "Checking the witnessed log…");
  try {
    const logKey = await Log.parseVkey(p.pins.key, Log.TYPE_NOTE);
    const witnesses = [];
    const names = new Map();
    for (const w of p.pins.witnesses) {
      const k = await Log.parseVkey(w.key, Log.TYPE_COSIGNATURE);
      witnesses.push(k);
      names.set(k.name, w.name);
    }
    const [checkpointText, indexText] = await Promise.all([
      fetchText(new URL("log/checkpoint", siteRoot), "the log checkpoint (log/checkpoint)"),
      fetchText(new URL("snapshots/index.json", siteRoot), "the list of published snapshots (snapshots/index.json)"),
    ]);
    const required = Math.max(1, p.pins.required);
    const r = await Log.checkSnapshotEntry({
      entry: Log.fromHex(m.sha256),
      manifest: m.manifest,
      indexText,
      checkpointText,
      logKey,
      witnesses,
      required,
      now: Math.floor(Date.now() / 1000),
    });
    if (seq !== runSeq) return;
    const seen = r.checkpoint.cosignatures;
    const list = el("ul", { id: "log-witnesses-seen" }, ...seen.map((c) => el("li", {}, `${names.get(c.witness) || c.witness}, cosigned ${utc(c.timestamp)}`)));
    setLogVerdict(
      "seen",
      `Seen by ${seen.length} independent witness${seen.length === 1 ? "" : "es"}.`,
      [
        `Snapshot ${m.manifest.snapshot_id} is entry ${r.index + 1} of ${r.checkpoint.size} in the log ${r.checkpoint.origin}, signed by its pinned key and cosigned by:`,
        list,
        "Each witness cosigns only a log that extends the one it saw before, so everyone who checks sees this same history.",
        changed,
      ],
      `checkpoint size ${r.checkpoint.size}, root ${Log.b64(r.checkpoint.root)}; ${required} cosignature(s) required`,
    );
  } catch (e) {
    if (seq !== runSeq) return;
    const plain = e instanceof Log.LogError ? LOG_PLAIN[e.check] || LOG_PLAIN.parse : e.plain || "The witnessed log could not be checked.";
    setLogVerdict(
      "warning",
      "Warning: the witnessed log does not confirm this snapshot.",
      [plain, "Your proof matches the manifest, but without the witnesses this page cannot rule out that you are shown a different history than other users.", changed],
      e instanceof Log.LogError ? e.message : e.tech || String(e && e.message),
    );
    if (e instanceof Log.LogError) $("log-verdict").dataset.check = e.check;
  }
}

// ---------------------------------------------------------------------------
// dispute file (por-dispute/1, docs/dispute.md)

let verifierHash = null;
/** SHA-256 of the verify.js this page runs (fetched from the cache it was loaded from). */
function verifierSha256() {
  verifierHash ??= fetch(new URL("./verify.js", import.meta.url), { credentials: "same-origin" })
    .then((res) => (res.ok ? res.arrayBuffer() : Promise.reject(new Error(`HTTP ${res.status}`))))
    .then((buf) => sha256(new Uint8Array(buf)))
    .then(bytesToHex)
    .catch(() => null);
  return verifierHash;
}

function utcSeconds(d) {
  return d.toISOString().replace(/\.\d+Z$/, "Z");
}

/** The dispute file of one verdict: the exact proof text, the manifest compared with, the outcome. */
async function disputeBundle(text, r, m, verdict, now = new Date()) {
  const id = (r.proof && r.proof.snapshot_id) || (m && m.manifest && m.manifest.snapshot_id) || null;
  const form = $("verify-form");
  return {
    format: DISPUTE_FORMAT,
    checked_at: utcSeconds(now),
    verifier: {
      name: "por verify.js",
      version: (form && form.dataset.verifierVersion) || null,
      script_sha256: await verifierSha256(),
    },
    proof: text,
    manifest: {
      snapshot_id: id,
      url: m && m.url ? m.url : id ? manifestUrl(id).href : null,
      sha256: m && m.sha256 ? m.sha256 : null,
      source: m && m.kind ? m.kind : "unavailable",
      file_name: m && m.kind === "file" ? m.name : null,
      index_check: m && m.indexCheck ? m.indexCheck.state : "not-run",
    },
    verdict: {
      result: verdict.result,
      check: verdict.result === "invalid" ? r.check : null,
      step: verdict.result === "invalid" ? r.step : null,
      reason: verdict.result === "invalid" ? r.reason : verdict.error ? `${verdict.error}: ${m.error.tech || m.error.message}` : null,
      error: verdict.error || null,
    },
  };
}

function offerDispute(text, r, m, verdict) {
  const box = $("dispute");
  if (!box) return;
  const seq = runSeq;
  // Right under an invalid verdict or an error; after the details of a valid one.
  if (verdict.result === "valid") $("details").after(box);
  else $("verdict").after(box);
  disputeBundle(text, r, m, verdict).then((bundle) => {
    if (seq !== runSeq) return;
    const text = JSON.stringify(bundle, null, 2) + "\n";
    const blob = new Blob([text], { type: "application/json" });
    const name = `por-dispute-${bundle.manifest.snapshot_id || "unknown"}-${verdict.result}.json`;
    const link = el("a", { id: "dispute-download", class: "button", href: URL.createObjectURL(blob), download: name }, "Download a dispute file");
    link.disputeText = text; // for tests: the page's CSP (connect-src 'self') forbids fetching the blob: URL
    box.replaceChildren(
      el(
        "div",
        { class: "card dispute-box" },
        el("h3", {}, "Dispute this result"),
        el(
          "p",
          {},
          `If you think this result is wrong, send ${r.proof ? r.proof.exchange : "the exchange"} a dispute file: one JSON file with your proof, the manifest it was compared with (its address and SHA-256), this verdict, the verifier's version and the time.`,
        ),
        el(
          "p",
          { class: "notice", id: "dispute-warning" },
          el("strong", {}, "Before you share it: "),
          "the dispute file contains your proof with its secret salt. Anyone who has it can link your account to its leaf in the published tree and read your balances. ",
          "Send it only to the exchange's support or to whoever handles your dispute; never post it publicly.",
        ),
        el("p", {}, link),
      ),
    );
    link.setAttribute("aria-describedby", "dispute-warning");
  });
}

// ---------------------------------------------------------------------------
// wiring

function init() {
  const form = $("verify-form");
  if (!form) return;
  if (!(globalThis.crypto && crypto.subtle)) {
    showError("no-webcrypto", "This browser cannot check proofs here.", ["Open this page over https (Web Crypto is only available in a secure context)."]);
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
      runSeq++; // a check still running is about the old text
      setVerdict("", { title: "The proof changed. Press Verify to check it.", cls: "" });
      $("details").replaceChildren();
      $("dispute").replaceChildren();
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
