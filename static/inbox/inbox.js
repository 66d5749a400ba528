/* Parley inbox: small behaviours on top of htmx. No framework, no build step. */
(function () {
  "use strict";

  function messagesBox() { return document.getElementById("messages"); }

  function nearBottom(el) { return el.scrollHeight - el.scrollTop - el.clientHeight < 120; }

  function scrollToBottom() {
    var box = messagesBox();
    if (box) { box.scrollTop = box.scrollHeight; }
  }

  var stick = true;
  document.addEventListener("htmx:beforeSwap", function () {
    var box = messagesBox();
    stick = box ? nearBottom(box) : true;
  });
  document.addEventListener("htmx:afterSettle", function (evt) {
    if (stick) { scrollToBottom(); }
    var empty = document.querySelector("#messages .no-messages");
    if (empty && document.querySelector("#messages .msg")) { empty.remove(); }
  });

  // A file over the limit the page knows is refused before a byte is sent, as in the widget
  // (the server refuses it too, before reading it, when the card changed since).
  document.addEventListener("htmx:confirm", function (evt) {
    var form = evt.target;
    if (!form || !form.matches || !form.matches("form.upload[data-max-mb]")) { return; }
    var input = form.querySelector("input[type=file]");
    var file = input && input.files && input.files[0];
    var max = (parseInt(form.getAttribute("data-max-mb"), 10) || 0) * 1024 * 1024;
    if (!file || !max || file.size <= max) { return; }
    evt.preventDefault();
    input.value = "";
    var error = form.querySelector("[data-testid=upload-error]");
    if (!error) {
      error = document.createElement("p");
      error.className = "error";
      error.setAttribute("data-testid", "upload-error");
      form.appendChild(error);
    }
    error.textContent = form.getAttribute("data-too-large");
  });

  // A file over the card's limit answers 413 with the composer and its message (htmx
  // swaps no 4xx by default): show it like any other refusal of the form.
  document.addEventListener("htmx:beforeSwap", function (evt) {
    if (evt.detail.xhr && evt.detail.xhr.status === 413 && evt.detail.target && evt.detail.target.id === "composer") {
      evt.detail.shouldSwap = true;
      evt.detail.isError = false;
    }
  });

  // Enter sends the reply, Shift+Enter makes a new line.
  document.addEventListener("keydown", function (evt) {
    var t = evt.target;
    if (t && t.matches && t.matches(".reply textarea") && evt.key === "Enter" && !evt.shiftKey && !evt.isComposing) {
      evt.preventDefault();
      if (t.value.trim()) { t.form.requestSubmit(); }
    }
  });

  // Keep the focus in the reply box after sending.
  document.addEventListener("htmx:afterSwap", function (evt) {
    if (evt.target && evt.target.id === "composer") {
      var ta = document.querySelector("#composer textarea");
      if (ta && !document.querySelector("#composer .error")) { ta.focus(); }
    }
  });

  // Close the pause menu when clicking elsewhere.
  document.addEventListener("click", function (evt) {
    document.querySelectorAll("details.menu[open]").forEach(function (d) {
      if (!d.contains(evt.target)) { d.removeAttribute("open"); }
    });
  });

  // Flash messages fade away.
  setTimeout(function () {
    document.querySelectorAll(".flash-success, .flash-info").forEach(function (el) { el.classList.add("is-gone"); });
  }, 6000);

  // The tab's title counts unread messages, so a waiting answer shows in another tab too.
  var baseTitle = null;
  function updateTitle() {
    var el = document.getElementById("unread-total");
    if (baseTitle === null) { baseTitle = document.title; }
    var n = el ? parseInt(el.getAttribute("data-count"), 10) || 0 : 0;
    document.title = (n ? "(" + n + ") " : "") + baseTitle;
  }
  document.addEventListener("htmx:afterSettle", updateTitle);

  document.addEventListener("DOMContentLoaded", function () { scrollToBottom(); updateTitle(); });
})();
