// Progressive enhancement of the structured editors (templates/_macros/rows.html):
// "Add a row" clones the row template and "Remove" drops a row in the page,
// without a round trip. Without JavaScript the same buttons are answered by the
// server (civic.core.forms.RowEditor), which renumbers the rows it receives.
(function () {
  "use strict";

  function renumber(editor) {
    var rows = editor.querySelectorAll("[data-row-list] > [data-row]");
    var legend = editor.getAttribute("data-legend");
    var remove = editor.getAttribute("data-remove-label");
    for (var i = 0; i < rows.length; i++) {
      var n = String(i + 1);
      rows[i].querySelector("[data-legend]").textContent = legend.split("{n}").join(n);
      rows[i].querySelector("[data-remove]").textContent = remove.split("{n}").join(n);
    }
    return rows.length;
  }

  function nextIndex(editor) {
    // Indices only need to be distinct: the server reads them in order.
    var max = -1;
    var inputs = editor.querySelectorAll("[data-row-list] input[name]");
    var prefix = editor.getAttribute("data-rows") + "-";
    for (var i = 0; i < inputs.length; i++) {
      var index = parseInt(inputs[i].name.slice(prefix.length), 10);
      if (index > max) { max = index; }
    }
    return max + 1;
  }

  function add(editor) {
    var template = editor.querySelector("template[data-row-template]");
    var list = editor.querySelector("[data-row-list]");
    var index = String(nextIndex(editor));
    var row = template.content.firstElementChild.cloneNode(true);
    var named = row.querySelectorAll("[id], [name], [for], [aria-describedby], [value]");
    for (var i = 0; i < named.length; i++) {
      ["id", "name", "for", "aria-describedby", "value"].forEach(function (attr) {
        var v = named[i].getAttribute(attr);
        if (v !== null && v.indexOf("__i__") !== -1) { named[i].setAttribute(attr, v.split("__i__").join(index)); }
      });
    }
    list.appendChild(row);
    renumber(editor);
    var first = row.querySelector("input, select, textarea");
    if (first) { first.focus(); }
  }

  function remove(editor, row) {
    var rows = Array.prototype.slice.call(editor.querySelectorAll("[data-row-list] > [data-row]"));
    var position = rows.indexOf(row);
    row.parentNode.removeChild(row);
    var left = renumber(editor);
    // Keep the focus in the editor: on the row that took its place, else the add button.
    var rest = editor.querySelectorAll("[data-row-list] > [data-row]");
    var target = left ? rest[Math.min(position, left - 1)].querySelector("input, select, textarea") : editor.querySelector("[data-add]");
    if (target) { target.focus(); }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-add], [data-remove]") : null;
    if (!button) { return; }
    var editor = button.closest("[data-rows]");
    if (!editor || !editor.querySelector("template[data-row-template]")) { return; }
    if (button.hasAttribute("data-add")) {
      var count = editor.querySelectorAll("[data-row-list] > [data-row]").length;
      // At the limit the server answers, with its message next to the button.
      if (count >= parseInt(editor.getAttribute("data-max"), 10)) { return; }
      event.preventDefault();
      add(editor);
    } else {
      event.preventDefault();
      remove(editor, button.closest("[data-row]"));
    }
  });
}());
