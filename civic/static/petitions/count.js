/* Refresh an open petition's signature count without reloading the page.
   Progressive enhancement: without JavaScript the count shown is the one of
   the page load. Polls the cacheable count endpoint, only while the tab is
   visible, and updates the aria-live region (screen readers hear the change). */
(function () {
  "use strict";
  var region = document.getElementById("petition-count");
  if (!region || !region.dataset.countUrl || !window.fetch) { return; }
  var number = region.querySelector("[data-count]");
  var progress = document.querySelector("[data-progress]");
  var format = new Intl.NumberFormat(region.dataset.locale || document.documentElement.lang || "en");
  var current = null;
  var INTERVAL = 10000;

  function refresh() {
    if (document.hidden) { return; }
    fetch(region.dataset.countUrl, { headers: { "Accept": "application/json" } })
      .then(function (resp) { return resp.ok ? resp.json() : null; })
      .then(function (data) {
        if (!data || typeof data.signature_count !== "number" || data.signature_count === current) { return; }
        current = data.signature_count;
        number.textContent = format.format(current);
        if (progress) { progress.value = Math.min(current, Number(progress.max)); }
        if (data.state !== "open") { window.clearInterval(timer); }
      })
      .catch(function () { /* offline or server busy: keep the last count */ });
  }

  var timer = window.setInterval(refresh, INTERVAL);
})();
