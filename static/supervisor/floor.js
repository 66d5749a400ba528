/* The live floor: drawn again by the server on every push nudge ("something changed"), a timed poll when the
   socket is down; the durations tick every second in between. No framework, no build step. */
(function () {
  "use strict";

  var state = { socket: null, open: false, retry: 1000, skew: 0, timer: null, busy: false, again: false };

  function status() { return document.getElementById("floor-live"); }
  function body() { return document.getElementById("floor-body"); }

  function setStatus(open) {
    var el = status();
    if (!el) { return; }
    state.open = open;
    el.textContent = el.getAttribute(open ? "data-open" : "data-closed");
    el.classList.toggle("is-open", open);
    document.documentElement.toggleAttribute("data-floor-live", open);
  }

  // A form control being used on the floor is never pulled from under the user: the refresh waits for it.
  function editing() {
    var el = document.activeElement, b = body();
    if (b && b.querySelector("details[open]")) { return true; }  // an agent's action menu is open
    return !!(el && b && b.contains(el) && /^(SELECT|INPUT|TEXTAREA)$/.test(el.tagName));
  }

  function refresh() {
    var el = status(), b = body();
    if (!el || !b) { return; }
    if (state.busy || editing()) { state.again = true; return; }
    state.busy = true;
    fetch(el.getAttribute("data-body"), { credentials: "same-origin", headers: { "HX-Request": "true" } })
      .then(function (response) {
        if (response.redirected || response.status === 401 || response.status === 403) {
          window.location.reload();
          return null;
        }
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        if (!html) { return; }
        var scrolls = Array.prototype.map.call(document.querySelectorAll("#floor-body .floor-scroll"),
          function (s) { return s.scrollTop; });
        var old = body();
        // An action menu opened while this answer was on its way stays open (and keeps the focus it had).
        var open = Array.prototype.map.call(document.querySelectorAll("#floor-body details[open]"), function (d) {
          var row = d.closest("[data-agent]");
          return row ? row.getAttribute("data-agent") : null;
        });
        var focusId = document.activeElement && old && old.contains(document.activeElement) ? document.activeElement.id : "";
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var fresh = holder.querySelector("#floor-body");
        if (old && fresh) {
          old.replaceWith(fresh);
          document.querySelectorAll("#floor-body .floor-scroll").forEach(function (s, i) {
            if (scrolls[i]) { s.scrollTop = scrolls[i]; }
          });
          open.forEach(function (id) {
            var d = id && fresh.querySelector("[data-agent='" + id + "'] details");
            if (d) { d.open = true; }
          });
          if (focusId && document.getElementById(focusId)) { document.getElementById(focusId).focus(); }
          clock();
          document.dispatchEvent(new CustomEvent("floor:refreshed"));
        }
      })
      .catch(function () {})
      .finally(function () {
        state.busy = false;
        if (state.again) { state.again = false; setTimeout(refresh, 200); }
      });
  }

  function connect() {
    var el = status();
    if (!el) { return; }
    var url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + el.getAttribute("data-socket");
    var socket = new WebSocket(url);
    state.socket = socket;
    socket.onopen = function () {
      state.retry = 1000;
      setStatus(true);
      refresh();  // what changed while it was connecting
    };
    socket.onmessage = function (evt) {
      var data;
      try { data = JSON.parse(evt.data); } catch (e) { return; }
      if (data.kind === "floor" || data.kind === "settings.changed") { refresh(); }
    };
    socket.onclose = function (evt) {
      setStatus(false);
      if (evt.code === 4401 || evt.code === 4403) { return; }  // not (or no longer) staff: no reconnecting
      setTimeout(connect, state.retry);
      state.retry = Math.min(state.retry * 2, 30000);
    };
  }

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  function duration(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    return h ? h + ":" + pad(m) + ":" + pad(s) : m + ":" + pad(s);
  }

  // Durations as h:mm:ss from the server's clock (the page's "now" against the browser's: no skew).
  function clock() {
    var now = Date.now() + state.skew;
    document.querySelectorAll("#floor-body [data-since]").forEach(function (el) {
      var since = Date.parse(el.getAttribute("data-since"));
      if (!isNaN(since)) { el.textContent = duration((now - since) / 1000); }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var b = body();
    if (!b) { return; }
    var serverNow = Date.parse(b.getAttribute("data-now"));
    if (!isNaN(serverNow)) { state.skew = serverNow - Date.now(); }
    clock();
    setInterval(clock, 1000);
    setInterval(function () { if (!state.open) { refresh(); } }, 10000);  // the fallback poll
    function later() { if (state.again && !state.busy) { setTimeout(refresh, 0); } }
    document.addEventListener("focusout", later);
    document.addEventListener("toggle", later, true);  // an action menu closed
    connect();
  });
})();
