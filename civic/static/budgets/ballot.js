/* Ballot page enhancement: update the "your choice so far" figures as the
   voter ticks, types points or picks ranks. The server computes the same
   figures with the "Check my ballot" button and checks everything again at
   submission, so the page works the same without this script. */
(function () {
  "use strict";
  var form = document.getElementById("ballot-form");
  var panel = document.getElementById("ballot-feedback");
  if (!form || !panel) { return; }
  var rule = panel.getAttribute("data-rule");
  var amount = parseInt(panel.getAttribute("data-amount"), 10) || 0;
  var points = parseInt(panel.getAttribute("data-points"), 10) || 0;
  // Same shape as the server's money filter ("#,##0 ¤": "20,000 €", "20 000 €"),
  // so a figure reads the same before and after "Check my ballot".
  var locale = panel.getAttribute("data-locale") || undefined;
  var currency = panel.getAttribute("data-currency") || "EUR";
  var money;
  try {
    var digits = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
    var symbol = new Intl.NumberFormat(locale, { style: "currency", currency: currency })
      .formatToParts(0).filter(function (p) { return p.type === "currency"; })[0].value;
    money = { format: function (n) { return digits.format(n) + " " + symbol; } };
  } catch (e) {
    money = { format: function (n) { return String(n) + " " + currency; } };
  }

  function out(name, text) {
    var el = panel.querySelector('[data-out="' + name + '"]');
    if (el) { el.textContent = text; }
  }

  function update() {
    var chosen = 0, total = 0, used = 0, seen = {};
    if (rule === "cumulative") {
      form.querySelectorAll("[data-points-input]").forEach(function (input) {
        var n = parseInt(input.value, 10);
        if (n > 0) { chosen += 1; used += n; }
      });
      out("chosen", String(chosen));
      out("used", String(used));
      out("left", String(points - used));
      return;
    }
    if (rule === "ranking") {
      form.querySelectorAll("[data-rank]").forEach(function (select) {
        var opt = select.options[select.selectedIndex];
        if (opt && opt.value && !seen[opt.value]) {
          seen[opt.value] = true;
          chosen += 1;
          total += parseInt(opt.getAttribute("data-cost"), 10) || 0;
        }
      });
    } else {
      form.querySelectorAll('input[type="checkbox"][name="project"]').forEach(function (box) {
        if (box.checked) { chosen += 1; total += parseInt(box.getAttribute("data-cost"), 10) || 0; }
      });
    }
    out("chosen", String(chosen));
    out("total", money.format(total));
    out("remaining", money.format(amount - total));
  }

  form.addEventListener("change", update);
  form.addEventListener("input", update);
})();
