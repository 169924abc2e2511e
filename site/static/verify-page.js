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
  parse: () => t("js.plain.parse"),
  fold: () => t("js.plain.fold"),
  root: () => t("js.plain.root"),
  manifest: (p) => (p ? t("js.plain.manifest", { exchange: p.exchange, id: p.snapshot_id }) : t("js.plain.manifest_unknown")),
  internal: () => t("js.plain.internal"),
};

const $ = (id) => document.getElementById(id);

// ---------------------------------------------------------------------------
// messages: the page's language's catalogue (site/i18n/<lang>.json, its `js.*`
// keys), which the renderer puts in the page as a JSON data block (#por-i18n)

const MESSAGES = (() => {
  try {
    return JSON.parse($("por-i18n").textContent);
  } catch {
    return {};
  }
})();

/** The message under `key` with each `{name}` replaced by `vars[name]` (the key itself if the catalogue lacks it). */
function t(key, vars = {}) {
  const m = MESSAGES[key];
  if (typeof m !== "string") return key;
  return m.replace(/\{(\w+)\}/g, (all, name) => (name in vars ? String(vars[name]) : all));
}

/** `key_one` when `n` is 1, else `key_other` (every language has both; Chinese says them alike). */
function tn(key, n, vars = {}) {
  return t(`${key}_${n === 1 ? "one" : "other"}`, { n, ...vars });
}
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
    return el("span", { title: t("js.amount_title", { units, symbol: asset.symbol, base: amount }) }, groupedEl(units), ` ${asset.symbol}`);
  } catch {
    return document.createTextNode(t("js.base_units", { amount, symbol: asset.symbol }));
  }
}

function amountText(amount, asset) {
  try {
    return `${formatUnits(amount, asset.decimals)} ${asset.symbol}`;
  } catch {
    return t("js.base_units", { amount, symbol: asset.symbol });
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
    ...text.filter(Boolean).map((x) => (x instanceof Node ? x : el("p", { class: "verdict-reason" }, x))),
    ...(tech ? [el("details", { class: "tech" }, el("summary", {}, t("js.technical")), el("p", { class: "mono" }, tech))] : []),
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
  const heading = verified ? t("js.account.heading") : t("js.account.heading_unverified");

  details.append(
    el(
      "section",
      { class: "card account" },
      el("h3", {}, heading),
      el(
        "dl",
        { class: "facts" },
        el("dt", {}, t("js.account.uid")),
        el("dd", {}, el("strong", { class: "mono uid" }, p.uid)),
        el("dt", {}, t("js.account.exchange")),
        el("dd", {}, p.exchange),
        el("dt", {}, t("js.account.snapshot")),
        el("dd", { class: "mono" }, p.snapshot_id),
        r.account && el("dt", {}, t("js.account.commitment")),
        r.account && el("dd", {}, hashEl(r.account)),
        p.parts && el("dt", {}, t("js.account.parts")),
        p.parts && el("dd", {}, t("js.account.parts_value", { n: p.parts.length })),
      ),
      el(
        "p",
        { class: "notice" },
        el("strong", {}, t("js.account.yours")),
        t("js.account.yours_why"),
        p.parts ? t("js.account.private_salts") : t("js.account.private_salt"),
      ),
    ),
  );

  details.append(
    el(
      "section",
      { class: "card balances", ...scrollable(t("js.balances.caption")) },
      el(
        "table",
        { class: "table" },
        el("caption", {}, t("js.balances.caption")),
        el("thead", {}, el("tr", {}, el("th", { scope: "col" }, t("js.balances.asset")), el("th", { scope: "col", class: "num" }, t("js.balances.balance")), el("th", { scope: "col", class: "num" }, t("js.balances.base")))),
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
    [t("js.root.computed"), r.root.computed],
    [t("js.root.claimed"), r.root.claimed],
    [t("js.root.published"), r.root.published],
  ];
  return (
    el(
      "section",
      { class: "card root", ...scrollable(t("js.root.caption")) },
      el(
        "table",
        { class: "table stack" },
        el("caption", {}, t("js.root.caption")),
        el("thead", {}, el("tr", {}, el("th", { scope: "col" }, t("js.root.root")), el("th", { scope: "col" }, t("js.root.hash")), el("th", { scope: "col" }, t("js.root.total")))),
        el(
          "tbody",
          {},
          rows.map(([label, node]) =>
            el(
              "tr",
              {},
              el("th", { scope: "row" }, label),
              el("td", { "data-label": t("js.root.hash") }, node && typeof node.hash === "string" ? hashEl(node.hash) : "—"),
              el("td", { "data-label": t("js.root.total") }, node && Array.isArray(node.sums) && node.sums.length === p.assets.length ? sumsEl(node.sums.map(String), p.assets) : "—"),
            ),
          ),
        ),
      ),
      manifestInfo && el("p", { class: "hint" }, t("js.root.manifest_source", { source: manifestInfo.source })),
      manifestInfo && treeHint(manifestInfo.manifest.tree),
    )
  );
}

/** The table of one path: each level, its sibling and the running node after it. */
function levelsTable(path, levels, assets) {
  const label = (h) => t(`js.path.col_${h}`);
  // `stack`: on a phone each level becomes a card of labelled values (style.css),
  // still a table to assistive technology, so nothing scrolls sideways.
  return el(
    "table",
    { class: "table stack levels" },
    el("caption", {}, t("js.path.caption")),
    el("thead", {}, el("tr", {}, ["level", "side", "hash", "sums", "after"].map((h) => el("th", { scope: "col" }, label(h))))),
    el(
      "tbody",
      {},
      path.map((s, l) => {
        const lv = levels[l];
        return el(
          "tr",
          {},
          el("th", { scope: "row", "data-label": label("level") }, String(l)),
          el("td", { "data-label": label("side") }, s.side),
          el("td", { "data-label": label("hash") }, hashEl(s.hash)),
          el("td", { "data-label": label("sums") }, sumsEl(s.sums, assets)),
          el("td", { "data-label": label("after") }, lv ? hashEl(lv.node.hash) : t("js.path.not_computed")),
        );
      }),
    ),
  );
}

/** por/1: the one path from the account's leaf to the root. */
function pathEl(r, p) {
  const path = el("section", { class: "card path", ...scrollable(t("js.path.h3")) }, el("h3", {}, t("js.path.h3")));
  if (r.leaf) path.append(el("p", {}, t("js.path.leaf"), " ", hashEl(r.leaf.hash)));
  if (p.path.length === 0) {
    path.append(el("p", {}, t("js.path.empty")));
  } else {
    path.append(levelsTable(p.path, r.levels, p.assets));
  }
  return path;
}

/** por/2: one folded <details> per part (in the proof's order), each with its path. */
function partsEl(r, p) {
  const section = el(
    "section",
    { class: "card path parts", ...scrollable(t("js.parts.h3")) },
    el("h3", {}, t("js.parts.h3")),
    el("p", { class: "hint" }, tn("js.parts.about", p.parts.length)),
  );
  p.parts.forEach((part, a) => {
    const d = (r.parts && r.parts[a]) || null;
    const failedHere = !r.ok && r.part === a;
    const status = t(`js.parts.status_${d && d.computed && d.computed.hash === p.root.hash ? "root" : failedHere ? "failed" : d ? "checked" : "unchecked"}`);
    const amounts = part.balances.map((b, i) => amountText(b, p.assets[i])).join(t("js.list_sep"));
    const body = el(
      "div",
      { class: "part-body" },
      el(
        "dl",
        { class: "facts" },
        el("dt", {}, t("js.parts.amounts")),
        el("dd", {}, sumsEl(part.balances, p.assets)),
        d && el("dt", {}, t("js.parts.commitment")),
        d && el("dd", {}, hashEl(d.account)),
        d && el("dt", {}, t("js.parts.leaf")),
        d && el("dd", {}, hashEl(d.leaf.hash)),
        d && el("dt", {}, t("js.parts.position")),
        d && el("dd", { class: "mono" }, String(d.position)),
      ),
      part.path.length === 0
        ? el("p", {}, t("js.parts.empty"))
        : levelsTable(part.path, d ? d.levels : [], p.assets),
    );
    section.append(
      el(
        "details",
        { class: "part", "data-index": part.index, open: failedHere },
        el("summary", {}, el("strong", {}, t("js.parts.summary_part", { index: part.index })), t("js.parts.summary_rest", { amounts, status })),
        body,
      ),
    );
  });
  return section;
}

/** What the manifest says about the tree's size (por/2 counts leaves, not accounts). */
function treeHint(tree) {
  if (!tree || typeof tree !== "object" || !Number.isInteger(tree.leaves)) return null;
  if (tree.version === 2) {
    const accounts = Number.isInteger(tree.accounts) ? tn("js.tree.accounts", tree.accounts) : t("js.tree.accounts_hidden");
    return el("p", { class: "hint" }, t("js.tree.v2", { leaves: tree.leaves, split: tree.split, accounts, height: tree.height }));
  }
  return el("p", { class: "hint" }, tn("js.tree.v1", tree.leaves, { height: tree.height }));
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

const cap = (s) => s.charAt(0).toUpperCase() + s.slice(1);
const uncap = (s) => s.charAt(0).toLowerCase() + s.slice(1);

function manifestUrl(id) {
  return new URL(`snapshots/${encodeURIComponent(id)}/manifest.json`, siteRoot);
}


/**
 * GETs a JSON file from this site: `{ bytes, json }`, or throws a FetchFailure naming
 * `what` (a `js.what.*` message key, filled with `whatVars`).
 */
async function fetchJson(url, what, whatVars = {}) {
  let res;
  try {
    res = await fetch(url, { credentials: "same-origin", signal: AbortSignal.timeout(15000) });
  } catch (e) {
    const timedOut = e && (e.name === "TimeoutError" || e.name === "AbortError");
    throw new FetchFailure(
      cap(t(timedOut ? "js.fetch.slow" : "js.fetch.offline", { what: t(`js.what.${what}`, whatVars) })),
      `GET ${url.pathname}: ${e && e.name}: ${e && e.message}`,
    );
  }
  if (!res.ok) {
    throw new FetchFailure(
      cap(t(res.status === 404 ? "js.fetch.not_published" : "js.fetch.http", { what: t(`js.what.${what}`, whatVars), status: res.status })),
      `GET ${url.pathname}: HTTP ${res.status} ${res.statusText}`,
    );
  }
  const bytes = new Uint8Array(await res.arrayBuffer());
  try {
    return { bytes, json: JSON.parse(new TextDecoder().decode(bytes)) };
  } catch (e) {
    throw new FetchFailure(t("js.fetch.not_json", { what: t(`js.what.${what}`, whatVars) }), `GET ${url.pathname}: ${e.message}`);
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
      const { bytes, json } = await fetchJson(url, "manifest", { id });
      return {
        manifest: json,
        source: t("js.source.fetched", { path: url.pathname }),
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
    index = (await fetchJson(new URL("snapshots/index.json", siteRoot), "index")).json;
  } catch (e) {
    return {
      state: "unavailable",
      text: t("js.index.unavailable", { why: uncap(e.plain || t("js.index.unavailable_why")) }),
      tech: e.tech || e.message,
    };
  }
  const entry = index && Array.isArray(index.snapshots) ? index.snapshots.find((s) => s && s.snapshot_id === id) : null;
  if (!entry) {
    return {
      state: "unlisted",
      text: t("js.index.unlisted", { id }),
      tech: `no entry with snapshot_id ${JSON.stringify(id)} in snapshots/index.json`,
    };
  }
  if (entry.manifest_sha256 !== file.sha256) {
    return {
      state: "mismatch",
      text: t("js.index.mismatch", { id }),
      tech: `SHA-256 of ${file.name} is ${file.sha256}; snapshots/index.json lists ${entry.manifest_sha256}`,
    };
  }
  return {
    state: "match",
    text: t("js.index.match"),
    tech: `SHA-256 ${file.sha256}`,
  };
}

async function fileManifestInfo() {
  const f = manualManifest;
  return {
    manifest: f.manifest,
    source: t("js.source.file", { name: f.name }),
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
  if (file.size > MAX_FILE_BYTES) throw new Error(`${file.name} is ${file.size} bytes; a proof or manifest is far smaller`); // technical detail
  return new Uint8Array(await file.arrayBuffer());
}

function loadProofFile(file) {
  pending = (async () => {
    let text;
    try {
      text = new TextDecoder().decode(await readFile(file));
    } catch (e) {
      $("details").replaceChildren();
      showError("read", t("js.read.proof"), [t("js.read.proof_why", { name: file.name })], e.message);
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
      showError("read", t("js.read.manifest"), [t("js.read.manifest_why", { name: file.name })], e.message);
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
    showError("no-proof", t("js.no_proof"));
    return;
  }
  setVerdict("running", { title: t("js.checking"), cls: "" });
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
      t("js.unavailable.title"),
      [
        m.error.plain || t("js.unavailable.fetch", { id: local.proof.snapshot_id }),
        t("js.unavailable.consistent", { exchange: local.proof.exchange }),
        t("js.unavailable.choose", { id: local.proof.snapshot_id }),
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
  const exchange = r.proof ? r.proof.exchange : t("js.the_exchange");
  if (r.manifestFile || (r.check === "manifest" && m && m.kind === "file")) {
    return t("js.todo.manifest_file", { id: r.proof.snapshot_id, exchange });
  }
  return t("js.todo.again", { exchange });
}

function showResult(text, r, m) {
  renderDetails(r, m);
  $("verdict").scrollIntoView({ block: "start" });
  const manifestCheck = m ? m.indexCheck.state : null;
  if (r.ok && r.manifestChecked) {
    $("manifest-picker").classList.remove("needed");
    setVerdict("valid", {
      title: t("js.valid.title"),
      text: [
        t("js.valid.counted", { exchange: r.proof.exchange, id: r.proof.snapshot_id }),
        t("js.valid.yours"),
        m.kind === "file" ? el("p", { class: m.indexCheck.state === "match" ? "verdict-reason" : "verdict-reason caveat" }, m.indexCheck.text) : null,
      ],
      manifestCheck,
      tech: m.kind === "file" ? m.indexCheck.tech : null,
      cls: "ok",
    });
  } else {
    const plain = r.manifestFile ? m.indexCheck.text : (PLAIN[r.check] || PLAIN.internal)(r.proof);
    setVerdict("invalid", {
      title: t("js.invalid.title"),
      text: [plain, whatToDo(r, m), m && m.kind === "file" && !r.manifestFile ? m.indexCheck.text : null],
      check: r.check,
      manifestCheck,
      tech: t("js.invalid.tech", { step: r.step, check: r.check, reason: r.reason }),
      cls: "bad",
    });
  }
  offerDispute(text, r, m, { result: r.ok && r.manifestChecked ? "valid" : "invalid" });
  if (r.ok && r.manifestChecked) logCheck(m, runSeq);
  else if ($("log-verdict")) setLogVerdict("", t("js.log.later"));
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
    throw new FetchFailure(cap(t("js.fetch.offline", { what: t(`js.what.${what}`) })), `GET ${url.pathname}: ${e && e.name}: ${e && e.message}`);
  }
  if (!res.ok) throw new FetchFailure(cap(t("js.fetch.http", { what: t(`js.what.${what}`), status: res.status })), `GET ${url.pathname}: HTTP ${res.status}`);
  return res.text();
}

function utc(ts) {
  return new Date(ts * 1000).toISOString().replace("T", " ").replace(/\.000Z$/, " UTC");
}

/** The log checks (log.js `LogError.check`) that have their own plain words; any other is `parse`'s. */
const LOG_CHECKS = ["vkey", "note-format", "note-signature", "origin", "cosignature", "inclusion", "previous", "snapshot_id", "parse"];

function setLogVerdict(result, title, text = [], tech = null) {
  const v = $("log-verdict");
  if (!v) return;
  v.dataset.result = result;
  v.className = `log-verdict card ${result === "seen" ? "ok" : result === "warning" ? "warn" : ""}`;
  v.replaceChildren(
    el("p", { class: "verdict-title" }, el("strong", {}, title)),
    ...text.filter(Boolean).map((x) => (x instanceof Node ? x : el("p", {}, x))),
    ...(tech ? [el("details", { class: "tech" }, el("summary", {}, t("js.technical")), el("p", { class: "mono" }, tech))] : []),
  );
}

function pinsChangedNote(shown, p) {
  if (!p.changed) return null;
  const accept = el("button", { type: "button", class: "button", id: "log-pins-accept" }, t("js.log.accept"));
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
    el("p", {}, p.firstSeen ? t("js.log.changed_since", { date: p.firstSeen.slice(0, 10), origin: shown.origin }) : t("js.log.changed", { origin: shown.origin })),
    accept,
  );
}

/** After a valid proof: is its manifest in the witnessed log? */
async function logCheck(m, seq) {
  const shown = shownPins();
  if (!shown || !$("log-verdict")) return;
  const p = pinsFor(shown);
  const changed = pinsChangedNote(shown, p);
  setLogVerdict("running", t("js.log.checking"));
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
      fetchText(new URL("log/checkpoint", siteRoot), "checkpoint"),
      fetchText(new URL("snapshots/index.json", siteRoot), "index"),
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
    const list = el("ul", { id: "log-witnesses-seen" }, ...seen.map((c) => el("li", {}, t("js.log.cosigned", { witness: names.get(c.witness) || c.witness, time: utc(c.timestamp) }))));
    setLogVerdict(
      "seen",
      tn("js.log.seen", seen.length),
      [
        t("js.log.entry", { id: m.manifest.snapshot_id, entry: r.index + 1, size: r.checkpoint.size, origin: r.checkpoint.origin }),
        list,
        t("js.log.why"),
        changed,
      ],
      `checkpoint size ${r.checkpoint.size}, root ${Log.b64(r.checkpoint.root)}; ${required} cosignature(s) required`,
    );
  } catch (e) {
    if (seq !== runSeq) return;
    const plain = e instanceof Log.LogError ? t(`js.log.fail.${LOG_CHECKS.includes(e.check) ? e.check : "parse"}`) : e.plain || t("js.log.failed");
    setLogVerdict(
      "warning",
      t("js.log.warning"),
      [plain, t("js.log.warning_why"), changed],
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
    const link = el("a", { id: "dispute-download", class: "button", href: URL.createObjectURL(blob), download: name }, t("js.dispute.download"));
    link.disputeText = text; // for tests: the page's CSP (connect-src 'self') forbids fetching the blob: URL
    box.replaceChildren(
      el(
        "div",
        { class: "card dispute-box" },
        el("h3", {}, t("js.dispute.h3")),
        el("p", {}, t("js.dispute.about", { exchange: r.proof ? r.proof.exchange : t("js.the_exchange") })),
        el("p", { class: "notice", id: "dispute-warning" }, el("strong", {}, t("js.dispute.before")), t("js.dispute.warning")),
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
    showError("no-webcrypto", t("js.webcrypto.title"), [t("js.webcrypto.why")]);
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
      setVerdict("", { title: t("js.changed"), cls: "" });
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
