/* Parley inbox: keyboard shortcuts (issue 14, point 7), listed in the "?" dialog (templates/inbox/_shortcuts.html).
 *
 * Single keys act only outside text fields (so typing is never taken over); Esc leaves a field; Alt+Down/Up move
 * between chats from anywhere. Each shortcut does what a click would do (the same link, button or field), so the
 * rules behind them (who may close, transfer) stay the server's.
 */
(function () {
  "use strict";

  function typing(el) {
    if (!el) { return false; }
    var tag = el.tagName;
    return el.isContentEditable || tag === "TEXTAREA" || tag === "SELECT" ||
      (tag === "INPUT" && !/^(button|submit|checkbox|radio|reset)$/i.test(el.type || ""));
  }

  function myChats() { return Array.prototype.slice.call(document.querySelectorAll(".my-chats .chat-item a, .internal-chats .chat-item a")); }

  function step(by) {
    var links = myChats();
    if (!links.length) { return; }
    var current = links.findIndex(function (a) { return a.closest(".chat-item").classList.contains("is-current"); });
    var next = current === -1 ? (by > 0 ? 0 : links.length - 1) : (current + by + links.length) % links.length;
    links[next].click();
  }

  function focusReply(text) {
    var box = document.querySelector("#composer textarea");
    if (!box) { return false; }
    box.focus();
    if (text) {
      box.value = text;
      box.setSelectionRange(text.length, text.length);
      box.dispatchEvent(new Event("input", { bubbles: true }));  // the canned responses' picker listens for it
    }
    return true;
  }

  function press(selector) {
    var el = document.querySelector(selector);
    if (!el) { return false; }
    if (el.tagName === "SELECT") { el.focus(); } else { el.click(); }
    return true;
  }

  function help() {
    var dialog = document.getElementById("shortcuts");
    if (dialog && !dialog.open) { dialog.showModal(); }
  }

  var KEYS = {
    j: function () { step(1); return true; },
    k: function () { step(-1); return true; },
    r: function () { return focusReply(""); },
    "/": function () { return focusReply("/"); },
    t: function () { return press("[data-testid=transfer-target]"); },
    c: function () { return press("[data-testid=close-chat]"); },
    s: function () {
      var field = document.querySelector("[data-testid=search-input]");
      if (!field) { return false; }
      field.focus();
      field.select();
      return true;
    },
    "?": function () { help(); return true; }
  };

  document.addEventListener("keydown", function (evt) {
    if (evt.defaultPrevented || evt.isComposing || evt.ctrlKey || evt.metaKey) { return; }
    if (evt.altKey && (evt.key === "ArrowDown" || evt.key === "ArrowUp")) {
      evt.preventDefault();
      step(evt.key === "ArrowDown" ? 1 : -1);
      return;
    }
    if (evt.altKey) { return; }
    var target = evt.target;
    if (evt.key === "Escape" && typing(target) && !document.querySelector("dialog[open]")) {
      target.blur();
      return;
    }
    if (typing(target) || document.querySelector("dialog[open]")) { return; }
    var action = KEYS[evt.key];
    if (action && action()) { evt.preventDefault(); }
  });

})();
