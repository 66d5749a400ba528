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

  // A reply was sent (204 with HX-Trigger "parley:sent"): empty the reply box, keep the focus there.
  document.addEventListener("parley:sent", function () {
    var ta = document.querySelector("#composer textarea");
    if (ta) { ta.value = ""; ta.focus(); }
    var error = document.querySelector("#composer .reply .error");
    if (error) { error.remove(); }
  });

  // A private note: the reply box turns yellow while "Private note" is ticked (the box stays ticked after
  // sending, so that a second note cannot reach the visitor by surprise).
  document.addEventListener("change", function (evt) {
    var t = evt.target;
    if (t && t.matches && t.matches(".reply input[name=note]")) { t.form.classList.toggle("is-note", t.checked); }
  });
  function writingNote() {
    var box = document.querySelector("#composer .reply input[name=note]");
    return !!(box && box.checked);
  }

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


  // --- The push channel (docs/live.md) -----------------------------------------------------------------------
  // htmx's ws extension keeps a socket to /ws/inbox/ open (and reopens it, with back-off, after a drop). Each
  // message is a small JSON nudge ("chat 12 has a new message"); the page answers it with the same polls it runs
  // without a socket, so what it shows always comes from the views. While the socket is open the timed polls
  // stand down (one every SAFETY_MS at most); when it closes, or never opens (a proxy that blocks WebSockets),
  // they run every 2 s as before, and nothing is said to the agent. Each (re)open resyncs: both polls run at once,
  // asking for everything after what the page already shows, so an event missed while away is not lost.
  var live = { open: false, socket: null, typingAt: 0, typingTimer: null };
  var SAFETY_MS = 30000;
  var lastPoll = {};

  function liveElement() { return document.getElementById("live"); }
  function currentChat() {
    var el = liveElement();
    var id = el ? parseInt(el.getAttribute("data-chat"), 10) : NaN;
    return isNaN(id) ? null : id;
  }
  function send(message) {
    if (live.open && live.socket) { live.socket.send(JSON.stringify(message)); }
  }
  function pollChat() { htmx.trigger(document.body, "parley:poll"); }
  function pollSidebar() { htmx.trigger(document.body, "parley:sidebar"); }

  document.addEventListener("htmx:wsOpen", function (evt) {
    live.open = true;
    live.socket = evt.detail.socketWrapper;
    document.documentElement.setAttribute("data-live", "open");  // for the curious (and the browser tests)
    if (currentChat() !== null) { send({ type: "watch", chat: currentChat() }); }
    pollSidebar();
    pollChat();
  });
  document.addEventListener("htmx:wsClose", function () {
    live.open = false;
    live.socket = null;
    document.documentElement.removeAttribute("data-live");
  });

  document.addEventListener("htmx:wsBeforeMessage", function (evt) {
    evt.preventDefault();  // a JSON nudge, not HTML to swap
    var m;
    try { m = JSON.parse(evt.detail.message); } catch (e) { return; }
    if (m.kind === "pong") { return; }
    if (m.kind === "typing") { showTyping(); return; }
    if (m.kind === "chat.read") { pollSidebar(); return; }  // his unread counts: nothing in the open chat
    if (m.kind === "chat.message" && m.chat === currentChat()) {
      // The open chat's poll marks the message read, whose nudge (chat.read) then brings the sidebar: one
      // sidebar render per message instead of two.
      hideTyping(); pollChat(); return;
    }
    if (m.chat !== undefined && m.chat === currentChat()) { hideTyping(); pollChat(); }
    else if (m.kind === "refresh" && currentChat() !== null) { pollChat(); }
    pollSidebar();
  });

  // The timed polls stand down while the socket is open; the nudged ones (a triggering event) always run.
  document.addEventListener("htmx:confirm", function (evt) {
    var elt = evt.detail.elt;
    if (!elt || (elt.id !== "chat-poll" && elt.id !== "sidebar-live")) { return; }
    var now = Date.now();
    if (live.open && !evt.detail.triggeringEvent && now - (lastPoll[elt.id] || 0) < SAFETY_MS) {
      evt.preventDefault();
      return;
    }
    lastPoll[elt.id] = now;
  });

  // The heartbeat: presence follows the open inbox.
  setInterval(function () { send({ type: "ping" }); },
    (parseInt((liveElement() || { getAttribute: function () { return "20"; } }).getAttribute("data-heartbeat"), 10) || 20) * 1000);

  // Typing, both ways: at most one signal every 2 s (the server drops any more).
  document.addEventListener("input", function (evt) {
    var t = evt.target;
    if (!t || !t.matches || !t.matches(".reply textarea") || currentChat() === null) { return; }
    if (writingNote()) { return; }  // the visitor is not told that an agent writes a private note
    var now = Date.now();
    if (now - live.typingAt >= 2000) { live.typingAt = now; send({ type: "typing", chat: currentChat() }); }
  });
  function showTyping() {
    var el = document.getElementById("typing");
    if (!el) { return; }
    el.hidden = false;
    clearTimeout(live.typingTimer);
    live.typingTimer = setTimeout(hideTyping, 3500);
  }
  function hideTyping() {
    var el = document.getElementById("typing");
    if (el) { el.hidden = true; }
  }

  document.addEventListener("DOMContentLoaded", function () { scrollToBottom(); updateTitle(); });
})();
