// por — Addresses page: turns the per-chain sections into a chain + asset filter.
// Without JavaScript the page lists every address and the chain links still work.
"use strict";
(function () {
  const form = document.getElementById("address-filter");
  if (!form) return;
  const chain = document.getElementById("filter-chain");
  const asset = document.getElementById("filter-asset");
  const count = document.getElementById("filter-count");
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
    count.textContent = `${shown} address${shown === 1 ? "" : "es"} shown`;
  };
  form.addEventListener("change", apply);
  form.addEventListener("submit", (e) => e.preventDefault());
  form.hidden = false;
  apply();
})();
