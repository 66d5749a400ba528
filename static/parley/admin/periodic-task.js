/* The periodic task form (django-celery-beat): the chosen crontab in words under the crontab
   field, instead of the package's inline script that the Content-Security-Policy refuses. */
(function () {
  "use strict";
  var script = document.currentScript;
  var label = (script && script.getAttribute("data-label")) || "";

  function setUp() {
    var data = document.getElementById("readable-crontabs");
    var readable = data ? JSON.parse(data.textContent) : {};
    var copy = document.querySelector(".field-crontab_translation");
    if (copy) { copy.style.display = "none"; }
    var row = document.querySelector(".field-crontab");
    var select = document.getElementById("id_crontab");
    var help = row && row.querySelector(".help");
    if (!row || !select || !help) { return; }
    var words = document.createElement("div");
    words.className = "crontab-in-words";
    help.appendChild(words);
    function show() {
      var text = readable[select.value];
      words.textContent = text ? label + ": " + text : "";
    }
    row.addEventListener("change", show);
    show();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
