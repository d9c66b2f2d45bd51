// Progressive enhancement of the proposal form: while the title is typed,
// show similar existing proposals. Without JavaScript the server shows them
// on the first submission instead.
(function () {
  "use strict";
  var form = document.getElementById("proposal-form");
  if (!form || !form.dataset.similarUrl || !window.fetch) { return; }
  var title = form.querySelector("#title");
  var live = document.getElementById("similar-live");
  if (!title || !live) { return; }
  var timer = null;
  var last = "";
  function check() {
    var q = title.value.trim();
    if (q.length < 8 || q === last) { return; }
    last = q;
    fetch(form.dataset.similarUrl + "?q=" + encodeURIComponent(q), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : ""; })
      .then(function (html) { live.innerHTML = html; })
      .catch(function () { /* the server-side check still runs on submit */ });
  }
  title.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(check, 600);
  });
}());
