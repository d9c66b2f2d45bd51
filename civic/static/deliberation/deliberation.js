// Progressive enhancement for comment threads: the page works without it.
// - "Useful" / "Not useful" are sent without reloading the page; counts update (aria-live).
// - A live character counter under the comment text.
(function () {
  "use strict";

  function enhanceReactions(form) {
    form.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-choice]");
      if (!button) { return; }
      event.preventDefault();
      var body = new FormData(form);
      body.append("value", button.value);
      fetch(form.action, {
        method: "POST", body: body, credentials: "same-origin",
        headers: { "Accept": "application/json" }
      }).then(function (resp) {
        if (!resp.ok) { throw new Error(String(resp.status)); }
        return resp.json();
      }).then(function (data) {
        form.querySelectorAll("button[data-choice]").forEach(function (b) {
          var pressed = data.mine === b.getAttribute("data-choice");
          b.setAttribute("aria-pressed", pressed ? "true" : "false");
          b.value = pressed ? "none" : b.getAttribute("data-choice");
        });
        var summary = form.querySelector("[data-summary]");
        if (summary) { summary.textContent = data.summary; }
      }).catch(function () {
        // Fall back to the ordinary form submission: the server answers with a page.
        var hidden = document.createElement("input");
        hidden.type = "hidden"; hidden.name = "value"; hidden.value = button.value;
        form.appendChild(hidden);
        form.submit();
      });
    });
  }

  function enhanceCounter(textarea) {
    var out = document.getElementById(textarea.getAttribute("data-counter"));
    var max = parseInt(textarea.getAttribute("data-maxlength"), 10);
    if (!out || !max) { return; }
    var template = out.getAttribute("data-template") || "{n}";
    var timer = null;
    function update() {
      out.textContent = template.replace("{n}", String(textarea.value.length));
    }
    out.hidden = false;
    update();
    // Debounced so that screen readers are not interrupted at every key press.
    textarea.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(update, 600);
    });
  }

  document.querySelectorAll("form[data-reactions]").forEach(enhanceReactions);
  document.querySelectorAll("textarea[data-counter]").forEach(enhanceCounter);
}());
