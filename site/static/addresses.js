// por — Addresses page: turns the per-chain sections into a chain + asset filter.
// Without JavaScript the page lists every address and the chain links still work.
// Its words come from the page's language's catalogue (the #por-i18n data block).
"use strict";
(function () {
  const form = document.getElementById("address-filter");
  if (!form) return;
  const chain = document.getElementById("filter-chain");
  const asset = document.getElementById("filter-asset");
  const count = document.getElementById("filter-count");
  let messages = {};
  try {
    messages = JSON.parse(document.getElementById("por-i18n").textContent);
  } catch {
    /* the keys are shown instead */
  }
  const apply = () => {
    let shown = 0;
    for (const section of document.querySelectorAll("section[data-chain]")) {
      let visible = 0;
      for (const row of section.querySelectorAll("tbody tr")) {
        const ok = (!chain.value || row.dataset.chain === chain.value) &&
          (!asset.value || row.dataset.assets.split(" ").includes(asset.value));
        row.hidden = !ok;
        if (ok) visible += 1;
      }
      section.hidden = visible === 0;
      shown += visible;
    }
    const key = `js.addresses.shown_${shown === 1 ? "one" : "other"}`;
    count.textContent = typeof messages[key] === "string" ? messages[key].replace("{n}", String(shown)) : key;
  };
  form.addEventListener("change", apply);
  form.addEventListener("submit", (e) => e.preventDefault());
  form.hidden = false;
  apply();
})();
