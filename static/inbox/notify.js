/* Parley inbox: nothing is missed (issue 14, point 2). No framework, no build step.
 *
 * The sidebar is the one source: after each of its swaps (pushed or polled alike) the page compares what it shows
 * with what it showed before. A chat new in "My chats" (assigned or transferred to me) and a grown unread count of
 * a chat that is not on my screen ring a short sound (when the agent's switch is on), raise a desktop notification
 * (when permission was given, from the button of the top bar, and the page is not in front) and flash the tab's
 * title until the page is looked at. The first sidebar of a page only sets what "before" means.
 * The countdowns of unanswered chats ("transfers in 0:42") count down here, from the seconds the server gave.
 */
(function () {
  "use strict";

  var before = null;
  var audio = null;
  var flash = { timer: null, on: false, title: "" };
  var root = document.documentElement;

  function controls() { return document.getElementById("notify-controls"); }
  function label(name) { var c = controls(); return (c && c.getAttribute("data-" + name)) || ""; }
  function soundOn() { var c = controls(); return !!c && c.getAttribute("data-sound") === "1"; }
  function currentChat() { var el = document.getElementById("live"); return el ? el.getAttribute("data-chat") || "" : ""; }
  function away() { return document.hidden || !document.hasFocus(); }

  function snapshot() {
    var s = { unread: {}, mine: {}, names: {}, links: {} };
    document.querySelectorAll("#sidebar-live li[data-chat-id][data-unread]").forEach(function (li) {
      var id = li.getAttribute("data-chat-id");
      var link = li.querySelector("a");
      s.unread[id] = parseInt(li.getAttribute("data-unread"), 10) || 0;
      s.names[id] = li.getAttribute("data-notify-name") || "";
      s.links[id] = link ? link.href : "";
      if (li.closest(".my-chats")) { s.mine[id] = true; }
    });
    return s;
  }

  function compare() {
    var now = snapshot();
    if (before === null) { before = now; return; }
    var notices = [];
    Object.keys(now.mine).forEach(function (id) {
      if (!before.mine[id]) { notices.push({ kind: "chat", id: id, name: now.names[id], link: now.links[id] }); }
    });
    Object.keys(now.unread).forEach(function (id) {
      if (now.mine[id] && !before.mine[id]) { return; }  // already told as a new chat
      var onScreen = id === currentChat() && !away();
      if (now.unread[id] > (before.unread[id] || 0) && !onScreen) {
        notices.push({ kind: "message", id: id, name: now.names[id], link: now.links[id] });
      }
    });
    before = now;
    if (notices.length) { notify(notices[0]); }
  }

  // After every swap: the sidebar may have changed (it is swapped whole, pushed or polled).
  document.addEventListener("htmx:afterSettle", compare);

  // A client's message that arrives in the open chat while the page is not in front is not on my screen either
  // (the open chat's poll marks it read at once, so the sidebar's count does not grow for it).
  function watchOpenChat() {
    var box = document.getElementById("messages");
    if (!box || !window.MutationObserver) { return; }
    new MutationObserver(function (records) {
      if (!away()) { return; }
      var arrived = records.some(function (r) {
        return Array.prototype.some.call(r.addedNodes, function (node) {
          // A client's message, or a note someone else wrote to me (a supervisor's whisper).
          return node.nodeType === 1 && node.matches && node.matches(".msg-client, .msg-note:not(.is-mine)");
        });
      });
      if (arrived) { notify({ kind: "message", id: currentChat(), name: flash.timer ? flash.title : document.title, link: location.href }); }
    }).observe(box, { childList: true });
  }

  var lastNotice = { key: "", at: 0 };
  function notify(notice) {
    var key = notice.kind + ":" + notice.id;
    if (key === lastNotice.key && Date.now() - lastNotice.at < 1500) { return; }  // told by both ways at once
    lastNotice = { key: key, at: Date.now() };
    var title = notice.kind === "chat" ? label("new-chat") : label("new-message");
    root.setAttribute("data-notices", String((parseInt(root.getAttribute("data-notices"), 10) || 0) + 1));
    root.setAttribute("data-last-notice", key);
    if (soundOn()) { ring(); }
    if (away()) {
      startFlash(title);
      desktop(title, notice);
    }
  }

  // A short two-tone chime made on the spot (no sound file). Browsers let a page play sound only after the person
  // has interacted with it; the context is made on the first click or key and resumed then.
  function context() {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) { return null; }
    if (!audio) { audio = new Ctx(); }
    if (audio.state === "suspended") { audio.resume(); }
    return audio;
  }
  ["pointerdown", "keydown"].forEach(function (name) {
    document.addEventListener(name, function () { context(); }, { once: true, capture: true });
  });
  function ring() {
    var ctx;
    try { ctx = context(); } catch (e) { return; }
    if (!ctx) { return; }
    [[880, 0], [1320, 0.16]].forEach(function (tone) {
      var osc = ctx.createOscillator();
      var gain = ctx.createGain();
      var at = ctx.currentTime + tone[1];
      osc.type = "sine";
      osc.frequency.value = tone[0];
      gain.gain.setValueAtTime(0.0001, at);
      gain.gain.exponentialRampToValueAtTime(0.25, at + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.3);
      osc.connect(gain);
      gain.connect(ctx.destination);
      osc.start(at);
      osc.stop(at + 0.32);
    });
    root.setAttribute("data-rings", String((parseInt(root.getAttribute("data-rings"), 10) || 0) + 1));
  }

  // The tab's title flashes until the page is in front again (inbox.js keeps the unread count in it meanwhile).
  function startFlash(title) {
    if (flash.timer) { return; }
    flash.title = document.title;
    flash.timer = setInterval(function () {
      if (!flash.on) { flash.title = document.title; }
      flash.on = !flash.on;
      document.title = flash.on ? "\u2605 " + title + " \u2605" : flash.title;
    }, 1000);
    root.setAttribute("data-title-flash", "on");
  }
  function stopFlash() {
    if (!flash.timer) { return; }
    clearInterval(flash.timer);
    flash.timer = null;
    if (flash.on) { document.title = flash.title; }
    flash.on = false;
    root.removeAttribute("data-title-flash");
  }
  window.addEventListener("focus", stopFlash);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) { stopFlash(); } });

  // Desktop notifications: asked for once, from the top bar's button (browsers refuse a request nobody clicked).
  function desktop(title, notice) {
    if (!("Notification" in window) || Notification.permission !== "granted") { return; }
    try {
      var n = new Notification(title, { body: notice.name, tag: "parley-" + notice.kind + "-" + notice.id });
      n.onclick = function () {
        window.focus();
        if (notice.link) { window.location.href = notice.link; }
        n.close();
      };
    } catch (e) { /* a browser that allows notifications only from a service worker: the sound and title stay */ }
  }
  function permissionButton() {
    var c = controls();
    var button = c && c.querySelector("[data-testid=notify-permission]");
    if (!button) { return; }
    button.hidden = !("Notification" in window) || Notification.permission !== "default";
  }
  document.addEventListener("click", function (evt) {
    var button = evt.target && evt.target.closest && evt.target.closest("[data-testid=notify-permission]");
    if (!button) { return; }
    Notification.requestPermission().then(permissionButton, permissionButton);
  });
  document.addEventListener("htmx:afterSettle", permissionButton);

  // The countdowns: each element carries the seconds left when the server drew it; the page counts from there
  // on its own clock (no clock skew between the two matters).
  var TICK_MS = 1000;
  function tick() {
    var now = Date.now();
    document.querySelectorAll(".countdown[data-left]").forEach(function (el) {
      var until = parseFloat(el.getAttribute("data-until"));
      if (isNaN(until)) {
        until = now + (parseInt(el.getAttribute("data-left"), 10) || 0) * 1000;
        el.setAttribute("data-until", String(until));
      }
      var left = Math.max(0, Math.ceil((until - now) / 1000));
      var text = Math.floor(left / 60) + ":" + ("0" + (left % 60)).slice(-2);
      el.textContent = (el.getAttribute("data-template") || "{time}").replace("{time}", text);
      el.classList.toggle("is-due", left === 0);
    });
  }
  setInterval(tick, TICK_MS);
  document.addEventListener("htmx:afterSettle", tick);

  document.addEventListener("DOMContentLoaded", function () { compare(); watchOpenChat(); permissionButton(); tick(); });
})();
