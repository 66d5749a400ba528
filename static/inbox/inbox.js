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

  // --- Canned responses: "/" in the reply box (docs/inbox.md, "Canned responses") -----------------------------
  // "/" at the start of the box or after a space opens a listbox of the responses that apply in this chat; what
  // follows the "/" filters it (the server matches shortcut and title). Arrow keys move, Tab or Enter inserts the
  // text (filled in by the server: visitor's name, agent's name, queue), Escape closes. The reply box keeps the
  // focus throughout; the highlighted option is announced through aria-activedescendant.
  var canned = { start: -1, items: [], active: -1, seq: 0 };

  function pickerOf(ta) { return ta && ta.form ? ta.form.querySelector(".canned-picker") : null; }
  function pickerOpen(ta) { var ul = pickerOf(ta); return !!(ul && !ul.hidden); }

  function cannedClose(ta) {
    var ul = pickerOf(ta);
    canned.start = -1; canned.items = []; canned.active = -1; canned.seq += 1;
    if (ul) { ul.hidden = true; ul.textContent = ""; }
    if (ta) { ta.removeAttribute("aria-activedescendant"); }
  }

  function cannedHighlight(ta, index) {
    var ul = pickerOf(ta);
    if (!ul) { return; }
    canned.active = index;
    ul.querySelectorAll("[role=option]").forEach(function (li, i) {
      li.classList.toggle("is-active", i === index);
      li.setAttribute("aria-selected", i === index ? "true" : "false");
      if (i === index) { ta.setAttribute("aria-activedescendant", li.id); li.scrollIntoView({ block: "nearest" }); }
    });
  }

  function cannedRender(ta, items) {
    var ul = pickerOf(ta);
    if (!ul) { return; }
    canned.items = items;
    ul.textContent = "";
    if (!items.length) {
      var none = document.createElement("li");
      none.className = "canned-empty";
      none.setAttribute("role", "presentation");
      none.textContent = ta.form.getAttribute("data-canned-none") || "";
      ul.appendChild(none);
      ta.removeAttribute("aria-activedescendant");
    }
    items.forEach(function (item, i) {
      var li = document.createElement("li");
      li.id = "canned-option-" + i;
      li.className = "canned-option";
      li.setAttribute("role", "option");
      li.setAttribute("data-index", String(i));
      var head = document.createElement("span");
      head.className = "canned-head";
      var code = document.createElement("code");
      code.textContent = "/" + item.shortcut;
      var title = document.createElement("span");
      title.textContent = item.title;
      var scope = document.createElement("small");
      scope.className = "muted";
      scope.textContent = item.scope;
      head.appendChild(code); head.appendChild(title); head.appendChild(scope);
      var text = document.createElement("span");
      text.className = "canned-text";
      text.textContent = item.text;
      li.appendChild(head); li.appendChild(text);
      ul.appendChild(li);
    });
    ul.hidden = false;
    if (items.length) { cannedHighlight(ta, 0); } else { canned.active = -1; }
  }

  function cannedQuery(ta) {
    // The "/word" just before the caret, when the "/" starts the box or follows whitespace.
    var upto = ta.value.slice(0, ta.selectionStart);
    var m = /(^|\s)\/([^\s\/]*)$/.exec(upto);
    if (!m || ta.selectionStart !== ta.selectionEnd) { return null; }
    return { start: upto.length - m[2].length - 1, q: m[2] };
  }

  function cannedUpdate(ta) {
    var found = cannedQuery(ta);
    var url = ta.form && ta.form.getAttribute("data-canned-url");
    if (!found || !url) { if (pickerOpen(ta) || canned.start >= 0) { cannedClose(ta); } return; }
    canned.start = found.start;
    var seq = ++canned.seq;
    fetch(url + "?q=" + encodeURIComponent(found.q), { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { items: [] }; })
      .then(function (data) { if (seq === canned.seq && canned.start >= 0) { cannedRender(ta, data.items || []); } })
      .catch(function () { /* the picker stays closed; typing goes on */ });
  }

  function cannedInsert(ta, index) {
    var item = canned.items[index];
    if (!item || canned.start < 0) { return; }
    var before = ta.value.slice(0, canned.start);
    var after = ta.value.slice(ta.selectionEnd);
    ta.value = before + item.text + after;
    var caret = before.length + item.text.length;
    ta.setSelectionRange(caret, caret);
    cannedClose(ta);
    ta.focus();
  }

  document.addEventListener("input", function (evt) {
    var t = evt.target;
    if (t && t.matches && t.matches(".reply textarea")) { cannedUpdate(t); }
  });

  // In the capture phase, so that Enter inserts instead of sending while the picker is open.
  document.addEventListener("keydown", function (evt) {
    var ta = evt.target;
    if (!ta || !ta.matches || !ta.matches(".reply textarea") || !pickerOpen(ta) || evt.isComposing) { return; }
    var n = canned.items.length;
    if (evt.key === "Escape") {
      evt.preventDefault(); evt.stopPropagation(); cannedClose(ta);
    } else if ((evt.key === "ArrowDown" || evt.key === "ArrowUp") && n) {
      evt.preventDefault(); evt.stopPropagation();
      cannedHighlight(ta, (canned.active + (evt.key === "ArrowDown" ? 1 : n - 1)) % n);
    } else if ((evt.key === "Enter" || evt.key === "Tab") && !evt.shiftKey && n && canned.active >= 0) {
      evt.preventDefault(); evt.stopPropagation(); cannedInsert(ta, canned.active);
    }
  }, true);

  // A click (or tap) on an option inserts it; mousedown is cancelled so that the reply box keeps the focus.
  document.addEventListener("mousedown", function (evt) {
    var li = evt.target && evt.target.closest ? evt.target.closest(".canned-picker [role=option]") : null;
    if (!li) { return; }
    evt.preventDefault();
    var ta = li.closest("form").querySelector("textarea");
    cannedInsert(ta, parseInt(li.getAttribute("data-index"), 10));
  });
  document.addEventListener("focusout", function (evt) {
    var t = evt.target;
    if (t && t.matches && t.matches(".reply textarea") && pickerOpen(t)) { cannedClose(t); }
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

  // Close the pause menu when clicking elsewhere, and once a pause is chosen.
  document.addEventListener("click", function (evt) {
    document.querySelectorAll("details.menu[open]").forEach(function (d) {
      if (!d.contains(evt.target) || (evt.target.closest && evt.target.closest(".menu-item"))) {
        d.removeAttribute("open");
      }
    });
  });

  // The pause menu stays open across live updates: every change of the sidebar draws the presence bar again
  // (out of band), and the new <details> would come closed. Whether the agent has it open is remembered from
  // its own toggles (a replaced element fires none), and given back to the new one after each swap.
  var openMenus = {};
  document.addEventListener("toggle", function (evt) {
    var d = evt.target;
    if (d && d.matches && d.matches("details.menu[id]")) { openMenus[d.id] = d.open; }
  }, true);
  function reopenMenus() {
    Object.keys(openMenus).forEach(function (id) {
      var d = document.getElementById(id);
      if (openMenus[id] && d && !d.open) { d.open = true; }
    });
  }
  document.addEventListener("htmx:afterSwap", reopenMenus);
  document.addEventListener("htmx:oobAfterSwap", reopenMenus);
  document.addEventListener("htmx:afterSettle", reopenMenus);

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
  function pollChat() { poll("chat-poll"); }
  function pollSidebar() { poll("sidebar-live"); }

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

  // One request at a time per poll, and no nudge lost. A poll asked for while its request is on the way (a nudge
  // for a message stored after the server read the chat) must run once that request has landed. htmx would queue
  // it on the poll element, which the answer replaces (hx-swap="outerHTML"), and drop it with that element; and
  // for the settle delay after such a swap (20 ms) the new element is not processed yet, so a nudge then reaches
  // no listener. Either way the message waited for the safety poll (up to 30 s). So the page keeps the wish
  // itself and asks again once the answer is on the page: at once after a 204 (nothing swapped), else when htmx
  // has processed the new poll element (htmx:load). docs/live.md, "Fallback and catch-up".
  var POLL_EVENTS = { "chat-poll": "parley:poll", "sidebar-live": "parley:sidebar" };
  var inFlight = {};  // id -> { xhr, elt }: the poll's request on its way
  var again = {};     // id -> true: asked for while it could not run

  function onTheWay(id) {
    var req = inFlight[id];
    var state = req ? req.xhr.readyState : 0;
    return state > 0 && state < 4;  // sent, answer not in yet (an aborted one is back to 0: over too)
  }
  function poll(id) {
    var el = document.getElementById(id);
    if (el && (onTheWay(id) || !el.parleyReady)) { again[id] = true; return; }
    htmx.trigger(document.body, POLL_EVENTS[id]);
  }

  // A poll element is ready once htmx has processed it: htmx:load on it or on what was swapped in around it
  // (the body at first, a chat's pane when the agent opens it).
  document.addEventListener("htmx:load", function (evt) {
    var root = evt.target;
    Object.keys(POLL_EVENTS).forEach(function (id) {
      var el = document.getElementById(id);
      if (!el || !root || !(root === el || (root.contains && root.contains(el)))) { return; }
      el.parleyReady = true;
      if (again[id] && !onTheWay(id)) { poll(id); }
    });
  });

  // The timed polls stand down while the socket is open; the nudged ones (a triggering event) always run.
  document.addEventListener("htmx:confirm", function (evt) {
    var elt = evt.detail.elt;
    if (!elt || !POLL_EVENTS[elt.id]) { return; }
    elt.parleyReady = true;  // it could not ask unless processed
    if (onTheWay(elt.id)) {
      evt.preventDefault();
      again[elt.id] = true;
      return;
    }
    var now = Date.now();
    if (live.open && !evt.detail.triggeringEvent && now - (lastPoll[elt.id] || 0) < SAFETY_MS) {
      evt.preventDefault();
      return;
    }
    lastPoll[elt.id] = now;
  });
  document.addEventListener("htmx:beforeSend", function (evt) {
    var elt = evt.detail.elt;
    if (!elt || !POLL_EVENTS[elt.id]) { return; }
    inFlight[elt.id] = { xhr: evt.detail.xhr, elt: elt };
    again[elt.id] = false;  // this request starts after every wish so far: it brings what they were for
  });
  // After the answer (or an error). When the answer replaced the element, htmx tells an ancestor still on the
  // page, so the request is known by its XMLHttpRequest; the new element asks on its htmx:load.
  document.addEventListener("htmx:afterRequest", function (evt) {
    Object.keys(inFlight).forEach(function (id) {
      var req = inFlight[id];
      if (!req || req.xhr !== evt.detail.xhr) { return; }
      inFlight[id] = null;
      if (again[id] && document.body.contains(req.elt)) { poll(id); }  // nothing swapped: the same element asks
    });
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
