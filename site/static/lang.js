// por — the language of the site's pages. Every page exists in each language at a
// stable URL (English at the root, the others under /<lang>/) and names them in its
// <link rel="alternate" hreflang> tags; the switch in the header links to them.
//
// Choosing a language with the switch stores it in localStorage ("por-lang") and it
// sticks: a page in another language sends the reader to the chosen one. Without a
// choice, only the default (root, English) pages look at the browser's
// navigator.languages and send a reader who prefers another language there; the
// other languages' pages never redirect on their own, so a shared link to one stays
// put and no redirect can loop (the stored choice always names the page it lands on).
// Loaded in <head>, before the page is drawn; needs no network.
"use strict";
(function () {
  const KEY = "por-lang";
  const here = document.documentElement.lang;
  const alternates = new Map(
    Array.from(document.querySelectorAll('link[rel="alternate"][hreflang]'), (l) => [l.hreflang, l.href]),
  );
  const langs = Array.from(alternates.keys());
  const isDefault = langs[0] === here;

  /** The supported language a browser tag asks for (`zh`, `zh-Hans-CN`, `zh-SG` → `zh-CN`; `en-GB` → `en`), or null. */
  function supported(tag) {
    const t = String(tag || "").toLowerCase();
    const exact = langs.find((l) => l.toLowerCase() === t);
    if (exact) return exact;
    const [base, ...rest] = t.split("-");
    if (base === "zh") {
      // Simplified Chinese only: Traditional (zh-TW, zh-HK, zh-Hant) readers keep the default.
      const traditional = rest.some((s) => s === "hant" || s === "tw" || s === "hk" || s === "mo");
      return !traditional && langs.includes("zh-CN") ? "zh-CN" : null;
    }
    return langs.find((l) => l.toLowerCase().split("-")[0] === base) || null;
  }

  function go(lang) {
    const target = alternates.get(lang);
    if (!target || lang === here) return;
    location.replace(target + location.hash);
  }

  let stored = null;
  try {
    stored = localStorage.getItem(KEY);
  } catch {
    /* storage blocked: no remembered choice */
  }
  if (stored && alternates.has(stored)) {
    go(stored);
  } else if (isDefault) {
    for (const tag of navigator.languages || [navigator.language]) {
      const lang = supported(tag);
      if (lang) {
        go(lang);
        break;
      }
    }
  }

  document.addEventListener("click", (e) => {
    const a = e.target instanceof Element ? e.target.closest("a[data-lang]") : null;
    if (!a) return;
    try {
      localStorage.setItem(KEY, a.dataset.lang);
    } catch {
      /* the link still leads there; the choice is just not remembered */
    }
  });
})();
