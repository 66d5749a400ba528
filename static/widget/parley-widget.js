/*!
 * Parley chat widget. Embed on any page with one tag:
 *   <script src="https://parley.example.com/static/widget/parley-widget.js"
 *           data-server="https://parley.example.com" data-queue="1" async></script>
 * data-queue: the queue id (optional; the first active queue otherwise).
 * data-lang: "pl" or "en" (optional; the page's or the browser's language otherwise).
 * data-email, data-email-signature (optional): the logged-in visitor's e-mail and its signature, the hex
 *   HMAC-SHA256 of the lower-cased e-mail with the widget secret, computed by the host page's SERVER
 *   (never in the browser). The pre-chat form then shows the e-mail read-only and the chat starts with a
 *   verified identity. Pages that learn who is logged in later call
 *   window.ParleyWidget.identify(email, signature) (and identify(null) on log-out).
 *   Without a signature a typed e-mail is only a claim (docs/inbox.md, "Signed identities").
 *
 * It talks only to <server>/widget/v1/ with the chat's visitor token in the
 * X-Visitor-Token header; it keeps the chat across page loads of the same site
 * (localStorage); its markup and styles live in a Shadow DOM so the host page's
 * CSS cannot reach them and its own CSS cannot leak out.
 */
(function () {
  "use strict";
  if (window.__parleyWidget) { return; }
  window.__parleyWidget = true;

  var script = document.currentScript || (function () {
    var all = document.querySelectorAll("script[src*='parley-widget']");
    return all[all.length - 1];
  })();
  if (!script) { return; }
  var CLIP = '<svg viewBox="0 0 24 24" width="14" height="14" aria-hidden="true"><path fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" d="M21 11.5l-8.6 8.6a5.5 5.5 0 0 1-7.8-7.8l8.6-8.6a3.7 3.7 0 0 1 5.2 5.2l-8.6 8.6a1.8 1.8 0 0 1-2.6-2.6l7.9-7.9"/></svg>';
  var SERVER = (script.getAttribute("data-server") || new URL(script.src).origin).replace(/\/+$/, "");
  var QUEUE = (script.getAttribute("data-queue") || "").trim();
  var identity = null;  // {email, signature} of a visitor the host page vouches for
  if ((script.getAttribute("data-email") || "").trim() && (script.getAttribute("data-email-signature") || "").trim()) {
    identity = { email: script.getAttribute("data-email").trim(), signature: script.getAttribute("data-email-signature").trim() };
  }
  var API = SERVER + "/widget/v1";
  var STORE = "parley-widget:" + SERVER;
  var POLL_OPEN_MS = 2000, POLL_CLOSED_MS = 5000, STATE_EVERY = 4, HEARTBEAT_MS = 30000;

  var LANG = (script.getAttribute("data-lang") || document.documentElement.lang || navigator.language || "en")
    .slice(0, 2).toLowerCase() === "pl" ? "pl" : "en";
  var T = {
    pl: {
      title: "Czat z nami", intro: "Przedstaw się, a połączymy Cię z konsultantem. Możesz też wysłać nam plik.", subtitle: "Zwykle odpowiadamy w kilka minut.", name: "Imię", email: "E-mail",
      optional: "(opcjonalnie)", start: "Rozpocznij czat", placeholder: "Napisz wiadomość…", send: "Wyślij",
      attach: "Załącz plik", closed: "Rozmowa została zakończona.", again: "Rozpocznij nową rozmowę",
      tooLarge: "Plik jest za duży: limit to {mb} MB.", gone: "Ten plik nie jest już dostępny.",
      waiting: "Czekasz na konsultanta…", agent: "Rozmawiasz z: {name}", failed: "Nie udało się połączyć. Spróbuj ponownie.",
      nameRequired: "Podaj swoje imię.", you: "Ty", open: "Otwórz czat", close: "Zamknij okno czatu",
      end: "Zakończ rozmowę", uploading: "Wysyłanie pliku…", filesOff: "Przesyłanie plików jest wyłączone.",
      typing: "{name} pisze…", endAsk: "Zakończyć tę rozmowę?", endYes: "Zakończ", endNo: "Wróć do rozmowy"
    },
    en: {
      title: "Chat with us", intro: "Tell us who you are and we will connect you with an agent. You can send us files too.", subtitle: "We usually answer within minutes.", name: "Name", email: "E-mail",
      optional: "(optional)", start: "Start the chat", placeholder: "Write a message…", send: "Send",
      attach: "Attach a file", closed: "The conversation has ended.", again: "Start a new conversation",
      tooLarge: "The file is too large: the limit is {mb} MB.", gone: "This file is no longer available.",
      waiting: "Waiting for an agent…", agent: "You are talking to {name}", failed: "Could not connect. Please try again.",
      nameRequired: "Tell us your name.", you: "You", open: "Open the chat", close: "Close the chat window",
      end: "End the conversation", uploading: "Uploading the file…", filesOff: "File transfer is switched off.",
      typing: "{name} is typing…", endAsk: "End this conversation?", endYes: "End it", endNo: "Keep chatting"
    }
  }[LANG];
  function t(key, params) {
    return (T[key] || key).replace(/\{(\w+)\}/g, function (_m, k) { return params && params[k] != null ? params[k] : ""; });
  }

  // --- state kept across page loads of this site -------------------------------------------
  function load() { try { return JSON.parse(localStorage.getItem(STORE)) || {}; } catch (e) { return {}; } }
  var state = load();
  function save() { try { localStorage.setItem(STORE, JSON.stringify(state)); } catch (e) { /* private mode */ } }
  if (!state.visitorKey) {
    var bytes = new Uint8Array(24);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    state.visitorKey = Array.prototype.map.call(bytes, function (b) {
      return "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[b & 63];
    }).join("");
    save();
  }

  // --- the Shadow DOM ------------------------------------------------------------------------
  var host = document.createElement("div");
  host.id = "parley-widget";
  host.setAttribute("data-parley", "");
  host.style.cssText = "all: initial !important; position: fixed !important; right: 20px !important; " +
    "bottom: 20px !important; z-index: 2147483000 !important; display: block !important;";
  var root = host.attachShadow({ mode: "open" });
  root.innerHTML =
    '<link rel="stylesheet" href="' + SERVER + '/static/widget/parley-widget.css">' +
    '<div class="pw" part="widget">' +
    '  <section class="panel" hidden role="dialog" aria-label="' + esc(t("title")) + '">' +
    '    <header><div class="head-text"><b class="title">' + esc(t("title")) + '</b><small class="sub">' + esc(t("subtitle")) + '</small></div>' +
    '      <button type="button" class="icon end" title="' + esc(t("end")) + '" aria-label="' + esc(t("end")) + '" hidden><svg viewBox="0 0 24 24" width="16" height="16" aria-hidden="true"><path fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round" d="M12 3v8M6.3 6.3a8 8 0 1 0 11.4 0"/></svg></button>' +
    '      <button type="button" class="icon hide" title="' + esc(t("close")) + '" aria-label="' + esc(t("close")) + '"><svg viewBox="0 0 24 24" width="16" height="16" aria-hidden="true"><path fill="none" stroke="currentColor" stroke-width="2.4" stroke-linecap="round" d="M6 6l12 12M18 6L6 18"/></svg></button></header>' +
    '    <form class="prechat" novalidate>' +
    '      <p class="intro">' + esc(t("intro")) + '</p>' +
    '      <label>' + esc(t("name")) + '<input name="name" autocomplete="name" maxlength="200" required></label>' +
    '      <label><span>' + esc(t("email")) + ' <small>' + esc(t("optional")) + '</small></span><input name="email" type="email" autocomplete="email" maxlength="254"></label>' +
    '      <p class="error" role="alert" hidden></p>' +
    '      <button type="submit" class="primary">' + esc(t("start")) + '</button>' +
    '    </form>' +
    '    <div class="conversation" hidden>' +
    '      <p class="place" role="status" aria-live="polite" hidden></p>' +
    '      <div class="log" aria-live="polite"></div>' +
    '      <p class="typing" hidden></p>' +
    '      <div class="confirm-end" role="alertdialog" hidden><p>' + esc(t("endAsk")) + '</p>' +
    '        <button type="button" class="primary end-yes">' + esc(t("endYes")) + '</button> ' +
    '        <button type="button" class="secondary end-no">' + esc(t("endNo")) + '</button></div>' +
    '      <div class="closed" hidden><p>' + esc(t("closed")) + '</p><button type="button" class="primary again">' + esc(t("again")) + '</button></div>' +
    '      <form class="composer">' +
    '        <p class="error" role="alert" hidden></p>' +
    '        <div class="row"><label class="attach" title="' + esc(t("attach")) + '"><input type="file" name="file" hidden><svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true"><path fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" d="M21 11.5l-8.6 8.6a5.5 5.5 0 0 1-7.8-7.8l8.6-8.6a3.7 3.7 0 0 1 5.2 5.2l-8.6 8.6a1.8 1.8 0 0 1-2.6-2.6l7.9-7.9"/></svg><span class="sr">' + esc(t("attach")) + '</span></label>' +
    '        <textarea name="body" rows="1" maxlength="10000" placeholder="' + esc(t("placeholder")) + '"></textarea>' +
    '        <button type="submit" class="primary send">' + esc(t("send")) + '</button></div>' +
    '      </form>' +
    '    </div>' +
    '  </section>' +
    '  <button type="button" class="launcher" aria-label="' + esc(t("open")) + '">' +
    '    <svg viewBox="0 0 24 24" width="28" height="28" aria-hidden="true"><path fill="currentColor" d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z"/></svg>' +
    '    <span class="dot" hidden></span></button>' +
    '</div>';

  // Hidden until its stylesheet has loaded (no flash of unstyled markup). Set through the CSSOM, not
  // an inline <style>: a host page whose Content-Security-Policy refuses inline styles allows this.
  root.querySelector(".pw").style.visibility = "hidden";

  function $(sel) { return root.querySelector(sel); }
  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  var panel = $(".panel"), launcher = $(".launcher"), prechat = $(".prechat"), conversation = $(".conversation"),
    log = $(".log"), composer = $(".composer"), closedBox = $(".closed"), dot = $(".dot"), endBtn = $(".end"),
    confirmEnd = $(".confirm-end");

  function mount() { (document.body || document.documentElement).appendChild(host); }
  if (document.body) { mount(); } else { document.addEventListener("DOMContentLoaded", mount); }

  // --- HTTP ----------------------------------------------------------------------------------
  function request(method, path, body, opts) {
    opts = opts || {};
    // The widget's language, not the browser's: the server's refusals ("Enter a valid email address.") come in
    // the language the widget speaks (a Polish widget in an English browser answered in English).
    var headers = { "Accept-Language": LANG };
    if (state.token) { headers["X-Visitor-Token"] = state.token; }
    var init = { method: method, headers: headers, mode: "cors", credentials: "omit", keepalive: !!opts.keepalive };
    if (body instanceof FormData) { init.body = body; } else if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(API + path, init);
  }
  function errorText(data) {
    if (!data || typeof data !== "object") { return t("failed"); }
    var keys = Object.keys(data).filter(function (k) { return k !== "code"; });
    for (var i = 0; i < keys.length; i++) {
      var v = data[keys[i]];
      if (Array.isArray(v) && v.length) { return String(v[0]); }
      if (typeof v === "string") { return v; }
    }
    return t("failed");
  }
  function showError(el, text) { el.textContent = text || ""; el.hidden = !text; }

  // --- rendering -----------------------------------------------------------------------------
  var seen = {};
  var chatInfo = null;

  function fmtSize(n) {
    if (n < 1024) { return n + " B"; }
    if (n < 1048576) { return (n / 1024).toFixed(0) + " KB"; }
    return (n / 1048576).toFixed(1) + " MB";
  }
  function fmtTime(iso) {
    var d = new Date(iso);
    return isNaN(d) ? "" : ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2);
  }
  // ``own``: the visitor's own message, from his POST's answer. It does not move the poll's cursor (state.lastId):
  // an agent's reply stored before it but not fetched yet (a poll that failed, a socket that was down) would fall
  // behind the cursor and never show. The next poll brings it again (``seen`` skips it) and moves the cursor.
  function renderMessage(m, own) {
    if (!own && m.id > (state.lastId || 0)) { state.lastId = m.id; }
    if (seen[m.id]) { return; }
    seen[m.id] = true;
    var el = document.createElement("div");
    el.className = "msg msg-" + m.sender;
    el.setAttribute("data-id", m.id);
    var html = "";
    if (m.sender !== "system") {
      html += '<div class="meta">' + esc(m.sender === "client" ? t("you") : (m.author_name || "")) +
        ' <time>' + esc(fmtTime(m.created_at)) + '</time></div>';
    }
    if (m.body) { html += '<div class="body">' + esc(m.body).replace(/\n/g, "<br>") + '</div>'; }
    (m.attachments || []).forEach(function (a) {
      html += '<button type="button" class="file' + (a.expired ? ' expired' : '') + '" data-url="' + esc(a.download_url) +
        '" data-name="' + esc(a.name) + '">' + CLIP + ' <span>' + esc(a.name) + '</span> <small>' + esc(fmtSize(a.size)) + '</small></button>';
    });
    el.innerHTML = html;
    var stick = log.scrollHeight - log.scrollTop - log.clientHeight < 80;
    log.appendChild(el);
    if (stick || m.sender === "client") { log.scrollTop = log.scrollHeight; }
    if (panel.hidden && m.sender !== "client") { dot.hidden = false; }
    // The header follows the conversation at once: an agent's reply means somebody is talking with the visitor,
    // whatever the last state said ("waiting" until the next state poll). The state is asked again to be exact.
    if (m.sender === "agent" && m.author_name && !(chatInfo && chatInfo.status === "closed")) {
      $(".sub").textContent = t("agent", { name: m.author_name });
      if (!(chatInfo && chatInfo.status === "assigned" && chatInfo.agent_name === m.author_name)) { stateSoon(); }
    }
  }
  var stateTimer = null;
  function stateSoon() { clearTimeout(stateTimer); stateTimer = setTimeout(function () { if (state.chatId) { refreshState(); } }, 0); }

  // The visitor's place in the queue ("You are 3rd in line, about 2 minutes."), in the widget's language: the server
  // writes the sentence (the chat's queue_place, or the socket's "queue.place"). Shown only while the chat waits.
  function renderPlace(place) {
    var el = $(".place"), text = place && place.text ? place.text : "";
    if (el.textContent !== text) { el.textContent = text; }
    el.hidden = !text;
  }

  function renderState(info) {
    chatInfo = info;
    renderPlace(info.status === "waiting" ? info.queue_place : null);
    var sub = $(".sub");
    if (info.status === "assigned" && info.agent_name) { sub.textContent = t("agent", { name: info.agent_name }); }
    else if (info.status === "waiting") { sub.textContent = t("waiting"); }
    else { sub.textContent = t("subtitle"); }
    var closed = info.status === "closed";
    var wasHidden = closedBox.hidden;
    closedBox.hidden = !closed;
    composer.hidden = closed;
    endBtn.hidden = closed;
    if (closed) { confirmEnd.hidden = true; }
    $(".attach").hidden = !info.file_upload_enabled;
    renderRating(info);
    if (closed) {
      stopTimers();
      // The closed box takes room under the log: keep its last line ("The conversation was closed.") in view.
      if (wasHidden) { log.scrollTop = log.scrollHeight; }
    }
  }

  function showConversation() {
    panel.classList.remove("is-prechat");
    prechat.hidden = true;
    offlineHide();
    conversation.hidden = false;
  }
  function showPrechat() {
    panel.classList.add("is-prechat");
    conversation.hidden = true;
    prechat.hidden = false;
    endBtn.hidden = true;
    $(".sub").textContent = t("subtitle");
    if (state.name) { prechat.elements.name.value = state.name; }
    if (state.email) { prechat.elements.email.value = state.email; }
    applyIdentity();
    offlineCheck();  // offline (closed, or nobody there): the offline form instead
  }
  // A signed e-mail cannot be edited: the signature is valid for this e-mail only.
  function applyIdentity() {
    var field = prechat.elements.email;
    field.readOnly = !!identity;
    if (identity) { field.value = identity.email; }
  }
  window.ParleyWidget = {
    identify: function (email, signature) {
      identity = email && signature ? { email: String(email).trim(), signature: String(signature).trim() } : null;
      if (!identity) { prechat.elements.email.value = ""; }
      applyIdentity();
    }
  };

  // --- polling, heartbeat, page close ----------------------------------------------------------
  var pollTimer = null, heartbeatTimer = null, tick = 0, polling = false, pollAgain = false;
  // The chat's version from the last answer (X-Parley-Version), and for which chat and last message id it holds:
  // sent back, it lets the server answer "nothing new" from its cache alone.
  var known = { chat: null, last: null, v: "" };

  function poll() {
    if (polling) { pollAgain = true; return; }
    if (!state.chatId) { return schedule(); }
    polling = true;
    var wantState = tick++ % STATE_EVERY === 0, moved = false;
    var since = state.lastId || 0, chat = state.chatId;
    var v = known.chat === chat && known.last === since ? known.v : "";
    request("GET", "/chats/" + chat + "/messages/?since=" + since + (v ? "&v=" + encodeURIComponent(v) : ""))
      .then(function (r) {
        if (r.status === 401 || r.status === 403 || r.status === 404) { forget(); throw new Error("gone"); }
        var got = r.headers.get("X-Parley-Version") || "";
        moved = !!(v && got && got !== v);
        if (got) { known = { chat: chat, last: null, v: got }; }
        return r.ok ? r.json() : [];
      })
      .then(function (list) {
        list.forEach(renderMessage);
        save();
        if (known.chat === chat && known.last === null) { known.last = state.lastId || 0; }
        // A system line (a close, a transfer) or a reply: the header follows.
        var closing = list.some(function (m) { return m.sender === "system" || m.sender === "agent"; });
        // The version moved without a message: the chat itself changed (an agent took it, a transfer).
        if (wantState || closing || (moved && !list.length)) { return refreshState(); }
      })
      .catch(function () { /* offline for a moment: try again at the next tick */ })
      .then(function () {
        polling = false;
        if (pollAgain) { pollAgain = false; poll(); } else { schedule(); }
      });
  }
  function schedule() {
    clearTimeout(pollTimer);
    if (state.chatId && !(chatInfo && chatInfo.status === "closed")) {
      pollTimer = setTimeout(poll, live.ready ? SAFETY_MS : (panel.hidden ? POLL_CLOSED_MS : POLL_OPEN_MS));
    }
  }
  function refreshState() {
    return request("GET", "/chats/" + state.chatId + "/").then(function (r) {
      if (r.status === 401 || r.status === 403 || r.status === 404) { forget(); return null; }
      return r.ok ? r.json() : null;
    }).then(function (info) { if (info) { renderState(info); } });
  }
  function heartbeat() {
    if (state.chatId && state.token) { request("POST", "/chats/" + state.chatId + "/heartbeat/").catch(function () {}); }
  }
  function startTimers() {
    liveConnect();
    schedule();
    clearInterval(heartbeatTimer);
    heartbeatTimer = setInterval(heartbeat, HEARTBEAT_MS);
  }
  function stopTimers() { clearTimeout(pollTimer); clearInterval(heartbeatTimer); liveClose(); }

  // --- the push channel (docs/live.md) ------------------------------------------------------------
  // A WebSocket to /ws/widget/; the token goes in its first message, never in the URL. Each message is a nudge
  // ("a new message", "the chat was transferred"): the widget answers it with its usual requests, so nothing is
  // shown that the API would not give. While the socket is open, the timed poll runs once every SAFETY_MS; when
  // it closes or never opens (a proxy that blocks WebSockets) the widget polls every 2 s as before and says
  // nothing, and tries the socket again with a growing pause. Each open resyncs (a poll from the last message).
  var SAFETY_MS = 30000;
  var live = { socket: null, ready: false, retry: 0, timer: null, typingAt: 0, typingTimer: null };
  function liveConnect() {
    if (live.socket || !state.chatId || !state.token || !("WebSocket" in window)) { return; }
    var socket;
    try { socket = new WebSocket(SERVER.replace(/^http/, "ws") + "/ws/widget/"); } catch (e) { return liveRetry(); }
    live.socket = socket;
    socket.onopen = function () { socket.send(JSON.stringify({ type: "auth", chat: state.chatId, token: state.token, lang: LANG })); };
    socket.onmessage = function (e) {
      var m;
      try { m = JSON.parse(e.data); } catch (x) { return; }
      if (m.kind === "ready") {
        live.ready = true; live.retry = 0;
        host.setAttribute("data-live", "open");  // for the curious (and the browser tests)
        poll(); refreshState();
        return;
      }
      if (m.kind === "typing") { showTyping(m.name); return; }
      if (m.kind === "queue.place") {  // the queue moved: the socket sends the new place, no request needed
        if (chatInfo && chatInfo.status === "waiting") { chatInfo.queue_place = m.place; renderPlace(m.place); }
        return;
      }
      hideTyping();
      if (m.kind === "chat.message" && m.message) {
        // The message came with the nudge (as the API's list gives it): shown without a request.
        renderMessage(m.message);
        save();
        if (m.message.sender === "system") { refreshState(); }  // a closing note: the header follows
        return;
      }
      poll();
      if (m.kind !== "chat.message") { refreshState(); }
    };
    socket.onclose = function (e) {
      if (live.socket !== socket) { return; }
      live.socket = null; live.ready = false;
      host.removeAttribute("data-live");
      schedule();  // back to polling every 2 s
      if (e.code !== 4401 && e.code !== 4403 && state.chatId) { liveRetry(); }
    };
  }
  function liveRetry() {
    clearTimeout(live.timer);
    var delay = Math.min(30000, 1000 * Math.pow(2, live.retry++)) * (0.5 + Math.random() / 2);
    live.timer = setTimeout(liveConnect, delay);
  }
  function liveClose() {
    clearTimeout(live.timer);
    var socket = live.socket;
    live.socket = null; live.ready = false; live.retry = 0;
    host.removeAttribute("data-live");
    if (socket) { try { socket.close(1000); } catch (e) { /* ignore */ } }
  }
  function liveTyping() {
    var now = Date.now();
    if (live.ready && live.socket && now - live.typingAt >= 2000) {
      live.typingAt = now;
      live.socket.send(JSON.stringify({ type: "typing" }));
    }
  }
  function showTyping(name) {
    var el = $(".typing");
    el.textContent = t("typing", { name: name || "" });
    el.hidden = false;
    clearTimeout(live.typingTimer);
    live.typingTimer = setTimeout(hideTyping, 3500);
  }
  function hideTyping() { $(".typing").hidden = true; }
  function forget() {
    var stored = load();
    if (stored.token && stored.token !== state.token) {
      // Another tab of this site started a newer chat: follow it instead of forgetting it.
      liveClose();
      state = stored; state.lastId = 0; seen = {}; log.innerHTML = "";
      refreshState().then(function () { if (state.chatId) { startTimers(); poll(); } });
      return;
    }
    stopTimers();
    delete state.chatId; delete state.token; delete state.lastId;
    save();
    seen = {}; chatInfo = null; log.innerHTML = ""; renderPlace(null);
    showPrechat();
  }

  // The page is going away: start the "page closed" inactivity clock. A keepalive fetch
  // (not sendBeacon) because the token goes in a header, never in the URL or the body.
  window.addEventListener("pagehide", function () {
    if (state.chatId && state.token && !(chatInfo && chatInfo.status === "closed")) {
      try { request("POST", "/chats/" + state.chatId + "/page-closed/", undefined, { keepalive: true }); } catch (e) { /* ignore */ }
    }
  });
  // Back on the page (tab shown again, or restored from the back/forward cache): the visitor returned.
  document.addEventListener("visibilitychange", function () { if (document.visibilityState === "visible") { heartbeat(); } });
  window.addEventListener("pageshow", function (e) { if (e.persisted) { heartbeat(); } });

  // --- user actions --------------------------------------------------------------------------
  function setOpen(open) {
    panel.hidden = !open;
    launcher.classList.toggle("is-open", open);
    state.open = open;
    save();
    if (open) {
      dot.hidden = true;
      log.scrollTop = log.scrollHeight;
      if (!state.chatId && offline.shown) { offlineFocus(); } else {
        var focus = state.chatId ? composer.elements.body : prechat.elements.name;
        setTimeout(function () { try { focus.focus(); } catch (e) { /* ignore */ } }, 0);
      }
      if (!state.chatId) { offlineCheck(); }  // the queue may have closed or opened since the page loaded
      schedule();
    }
  }
  launcher.addEventListener("click", function () { setOpen(panel.hidden); });
  $(".hide").addEventListener("click", function () { setOpen(false); });

  prechat.addEventListener("submit", function (e) {
    e.preventDefault();
    var err = prechat.querySelector(".error");
    var name = prechat.elements.name.value.trim(), email = prechat.elements.email.value.trim();
    if (!name) { showError(err, t("nameRequired")); return; }
    var payload = { name: name, email: email, page: location.href.slice(0, 1000), visitor_key: state.visitorKey };
    if (identity) { payload.email = identity.email; payload.email_signature = identity.signature; }
    if (/^\d+$/.test(QUEUE)) { payload.queue = parseInt(QUEUE, 10); }
    var btn = prechat.querySelector("button");
    btn.disabled = true;
    request("POST", "/chats/", payload).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        if (!r.ok) { throw new Error(errorText(data)); }
        showError(err, "");
        state.chatId = data.chat.id; state.token = data.token; state.name = name; state.email = email;
        state.lastId = 0; seen = {}; log.innerHTML = "";
        save();
        renderState(data.chat);
        showConversation();
        startTimers();
        poll();
        composer.elements.body.focus();
      });
    }).catch(function (ex) { showError(err, ex.message || t("failed")); })
      .then(function () { btn.disabled = false; });
  });

  function send() {
    var ta = composer.elements.body, body = ta.value.trim(), err = composer.querySelector(".error");
    if (!body || !state.chatId) { return; }
    ta.disabled = true;
    request("POST", "/chats/" + state.chatId + "/messages/", { body: body }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        if (!r.ok) { throw new Error(errorText(data)); }
        ta.value = ""; showError(err, "");
        renderMessage(data, true); save();
      });
    }).catch(function (ex) { showError(err, ex.message || t("failed")); refreshState(); })
      .then(function () { ta.disabled = false; ta.focus(); });
  }
  composer.addEventListener("submit", function (e) { e.preventDefault(); send(); });
  composer.elements.body.addEventListener("input", liveTyping);
  composer.elements.body.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); send(); }
  });

  var fileInput = composer.querySelector("input[type=file]");
  fileInput.addEventListener("change", function () {
    var file = fileInput.files && fileInput.files[0], err = composer.querySelector(".error");
    fileInput.value = "";
    if (!file || !state.chatId) { return; }
    if (chatInfo && !chatInfo.file_upload_enabled) { showError(err, t("filesOff")); return; }
    var limit = chatInfo && chatInfo.file_max_size_mb;
    if (limit && file.size > limit * 1024 * 1024) {  // refused before anything is sent (the server checks too)
      showError(err, t("tooLarge", { mb: limit }));
      return;
    }
    var form = new FormData();
    form.append("file", file, file.name);
    showError(err, t("uploading"));
    request("POST", "/chats/" + state.chatId + "/files/", form).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        if (!r.ok) { throw new Error(errorText(data)); }
        showError(err, "");
        renderMessage(data, true); save();
      });
    }).catch(function (ex) { showError(err, ex.message || t("failed")); });
  });

  log.addEventListener("click", function (e) {
    var btn = e.target.closest && e.target.closest("button.file");
    if (!btn) { return; }
    var err = composer.querySelector(".error");
    request("GET", btn.getAttribute("data-url").replace(/^\/widget\/v1/, "")).then(function (r) {
      if (r.status === 410) { btn.classList.add("expired"); throw new Error(t("gone")); }
      if (!r.ok) { return r.json().catch(function () { return {}; }).then(function (d) { throw new Error(errorText(d)); }); }
      return r.blob();
    }).then(function (blob) {
      var url = URL.createObjectURL(blob);
      var a = document.createElement("a");
      a.href = url; a.download = btn.getAttribute("data-name") || "file";
      root.appendChild(a); a.click(); a.remove();
      setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
    }).catch(function (ex) { showError(err, ex.message || t("failed")); });
  });

  // Ending asks first: a click on the power icon by mistake must not end the visitor's conversation.
  endBtn.addEventListener("click", function () {
    if (!state.chatId) { return; }
    confirmEnd.hidden = false;
    log.scrollTop = log.scrollHeight;
    $(".end-no").focus();
  });
  $(".end-no").addEventListener("click", function () { confirmEnd.hidden = true; composer.elements.body.focus(); });
  $(".end-yes").addEventListener("click", function () {
    confirmEnd.hidden = true;
    if (!state.chatId) { return; }
    request("POST", "/chats/" + state.chatId + "/close/").then(function (r) { return r.ok ? r.json() : null; })
      .then(function (info) { if (info) { renderState(info); } poll(); });
  });
  $(".again").addEventListener("click", function () { forget(); prechat.elements.name.focus(); });

  // --- the rating prompt (issue 17, docs/ratings.md) ---------------------------------------------
  // Once the chat is closed (by the agent, inactivity or the visitor) and the server says it may be rated
  // (rating_open), five buttons 1-5, an optional comment and "Send"; afterwards "Thank you". The server keeps the
  // rating (one per chat), so the prompt is not shown again after a reload. Self-contained: its strings, markup
  // and handlers are here; renderState calls renderRating(info).
  var RT = {
    pl: {
      question: "Jak oceniasz tę rozmowę?", comment: "Komentarz", send: "Wyślij ocenę",
      thanks: "Dziękujemy za ocenę!", poor: "Bardzo źle", excellent: "Świetnie",
      score: "{n} z 5: {label}", labels: ["bardzo źle", "źle", "przeciętnie", "dobrze", "świetnie"]
    },
    en: {
      question: "How would you rate this conversation?", comment: "Comment", send: "Send the rating",
      thanks: "Thank you for your rating!", poor: "Very poor", excellent: "Excellent",
      score: "{n} of 5: {label}", labels: ["very poor", "poor", "okay", "good", "excellent"]
    }
  }[LANG];
  var rating = { chat: null, score: 0, sending: false };
  var rateForm = document.createElement("form"), rateThanks = document.createElement("p");
  rateForm.className = "rate";
  rateForm.noValidate = true;
  rateForm.hidden = true;
  rateForm.setAttribute("aria-labelledby", "pw-rate-q");
  rateForm.innerHTML =
    '<p class="rate-q" id="pw-rate-q">' + esc(RT.question) + '</p>' +
    '<div class="rate-scores" role="group" aria-labelledby="pw-rate-q">' +
    [1, 2, 3, 4, 5].map(function (n) {
      return '<button type="button" class="rate-score" data-score="' + n + '" aria-pressed="false" aria-label="' +
        esc(RT.score.replace("{n}", n).replace("{label}", RT.labels[n - 1])) + '">' + n + '</button>';
    }).join("") + '</div>' +
    '<p class="rate-scale" aria-hidden="true"><span>' + esc(RT.poor) + '</span><span>' + esc(RT.excellent) + '</span></p>' +
    '<div class="rate-more" hidden>' +
    '  <label><span>' + esc(RT.comment) + ' <small>' + esc(t("optional")) + '</small></span><textarea name="comment" rows="2" maxlength="1000"></textarea></label>' +
    '  <p class="error" role="alert" hidden></p>' +
    '  <button type="submit" class="primary rate-send">' + esc(RT.send) + '</button>' +
    '</div>';
  rateThanks.className = "rate-thanks";
  rateThanks.setAttribute("role", "status");
  rateThanks.hidden = true;
  rateThanks.textContent = RT.thanks;
  conversation.insertBefore(rateForm, closedBox);
  conversation.insertBefore(rateThanks, closedBox);

  function ratingPick(score) {
    rating.score = score;
    Array.prototype.forEach.call(rateForm.querySelectorAll(".rate-score"), function (b) {
      b.setAttribute("aria-pressed", String(Number(b.getAttribute("data-score")) === score));
    });
    rateForm.querySelector(".rate-more").hidden = false;
    log.scrollTop = log.scrollHeight;
  }
  function ratingReset(chatId) {
    rating = { chat: chatId, score: 0, sending: false };
    rateForm.reset();
    ratingPick(0);
    rateForm.querySelector(".rate-more").hidden = true;
    showError(rateForm.querySelector(".error"), "");
  }
  function renderRating(info) {
    if (!info || info.id !== rating.chat) { ratingReset(info ? info.id : null); }
    var closed = !!info && info.status === "closed";
    var wasHidden = rateForm.hidden;
    rateForm.hidden = !(closed && info.rating_open);
    rateThanks.hidden = !(closed && info.rating != null);
    if (wasHidden && !rateForm.hidden) { log.scrollTop = log.scrollHeight; }
  }
  function ratingDone(score) {
    if (chatInfo) { chatInfo.rating = score; chatInfo.rating_open = false; renderRating(chatInfo); }
  }
  rateForm.querySelector(".rate-scores").addEventListener("click", function (e) {
    var btn = e.target.closest && e.target.closest(".rate-score");
    if (btn) { ratingPick(Number(btn.getAttribute("data-score"))); }
  });
  rateForm.addEventListener("submit", function (e) {
    e.preventDefault();
    var err = rateForm.querySelector(".error"), btn = rateForm.querySelector(".rate-send");
    if (!state.chatId || !rating.score || rating.sending) { return; }
    rating.sending = true; btn.disabled = true;
    var score = rating.score, payload = { score: score, comment: rateForm.elements.comment.value.trim() };
    request("POST", "/chats/" + state.chatId + "/rating/", payload).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        if (r.ok) { showError(err, ""); ratingDone(data.score || score); return; }
        if (data && data.code === "already_rated") { showError(err, ""); refreshState(); return; }
        throw new Error(errorText(data));
      });
    }).catch(function (ex) { showError(err, ex.message || t("failed")); })
      .then(function () { rating.sending = false; btn.disabled = false; });
  });

  // --- the offline form (issue 17): outside business hours, or nobody of the queue logged in -------------------
  // Before the pre-chat form the widget asks GET config/ whether the queue is live. Offline, it shows this form
  // instead: name, e-mail and the message (files by the card's rules). The message becomes an offline chat that is
  // answered by e-mail (POST offline-messages/); the widget then says thank you and keeps no chat. Everything of it
  // is in this section; the rest of the widget calls offlineCheck() (pre-chat shown, panel opened) and
  // offlineHide() (a conversation shown).
  var OFFLINE_T = {
    pl: {
      offSub: "Zostaw nam wiadomość", offIntro: "Napisz do nas, a odpowiemy e-mailem.", offMessage: "Wiadomość",
      offFiles: "Pliki", offFilesHint: "Najwyżej {n} pliki, razem do {mb} MB.", offSend: "Wyślij wiadomość",
      offSending: "Wysyłanie…", offThanks: "Dziękujemy!", offAgain: "Napisz kolejną wiadomość",
      offEmailRequired: "Podaj swój adres e-mail: tam odpowiemy.", offEmailInvalid: "Wpisz poprawny adres e-mail.",
      offMessageRequired: "Napisz swoją wiadomość.", offTooLong: "Wiadomość jest za długa (najwyżej {n} znaków).",
      offTooMany: "Załącz najwyżej {n} pliki.", offTooLargeAll: "Pliki razem są za duże: limit to {mb} MB."
    },
    en: {
      offSub: "Leave us a message", offIntro: "Write to us and we will answer you by e-mail.", offMessage: "Message",
      offFiles: "Files", offFilesHint: "Up to {n} files, {mb} MB in all.", offSend: "Send the message",
      offSending: "Sending…", offThanks: "Thank you!", offAgain: "Write another message",
      offEmailRequired: "Give your e-mail address: we will answer there.", offEmailInvalid: "Enter a valid e-mail address.",
      offMessageRequired: "Write your message.", offTooLong: "The message is too long (at most {n} characters).",
      offTooMany: "Attach at most {n} files.", offTooLargeAll: "The files together are too large: the limit is {mb} MB."
    }
  }[LANG];
  Object.keys(OFFLINE_T).forEach(function (k) { T[k] = OFFLINE_T[k]; });

  function offlineField(name, label, control) {
    return '<div class="field"><label for="pw-off-' + name + '">' + esc(label) + '</label>' + control +
      '<p class="field-error" id="pw-off-' + name + '-err" hidden></p></div>';
  }
  prechat.insertAdjacentHTML("afterend",
    '<form class="offline" novalidate hidden>' +
    '  <p class="offline-status" role="status"></p>' +
    '  <p class="intro">' + esc(t("offIntro")) + '</p>' +
    offlineField("name", t("name"), '<input id="pw-off-name" name="name" autocomplete="name" maxlength="200" required aria-describedby="pw-off-name-err">') +
    offlineField("email", t("email"), '<input id="pw-off-email" name="email" type="email" autocomplete="email" maxlength="254" required aria-describedby="pw-off-email-err">') +
    offlineField("message", t("offMessage"), '<textarea id="pw-off-message" name="message" rows="5" required aria-describedby="pw-off-message-err"></textarea>') +
    '  <div class="field files"><label for="pw-off-file">' + esc(t("offFiles")) + ' <small>' + esc(t("optional")) + '</small></label>' +
    '    <input id="pw-off-file" name="file" type="file" multiple aria-describedby="pw-off-file-hint pw-off-file-err">' +
    '    <p class="hint" id="pw-off-file-hint"></p><p class="field-error" id="pw-off-file-err" hidden></p></div>' +
    '  <p class="error" role="alert" hidden></p>' +
    '  <button type="submit" class="primary">' + esc(t("offSend")) + '</button>' +
    '</form>' +
    '<div class="offline-thanks" role="status" tabindex="-1" hidden>' +
    '  <span class="check" aria-hidden="true"><svg viewBox="0 0 24 24" width="26" height="26"><path fill="none" stroke="currentColor" stroke-width="2.6" stroke-linecap="round" stroke-linejoin="round" d="M5 12.5l4.5 4.5L19 7.5"/></svg></span>' +
    '  <h3>' + esc(t("offThanks")) + '</h3><p class="thanks-text"></p><p class="thanks-when"></p>' +
    '  <button type="button" class="secondary off-again">' + esc(t("offAgain")) + '</button>' +
    '</div>');
  var offlineForm = $(".offline"), offlineThanks = $(".offline-thanks");
  var offline = { info: null, shown: false, sent: false, asking: null };

  function offlineCheck() {
    if (state.chatId || offline.asking) { return; }
    var query = /^\d+$/.test(QUEUE) ? "?queue=" + QUEUE : "";
    offline.asking = request("GET", "/config/" + query).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (info) {
        if (!info || state.chatId) { return; }
        offline.info = info;
        if (!info.live) { offlineShow(info); return; }
        if (offline.shown) { offlineHide(); prechat.hidden = false; $(".sub").textContent = t("subtitle"); }
      })
      .catch(function () { /* unreachable for a moment: the pre-chat form stays */ })
      .then(function () { offline.asking = null; });
  }
  function offlineShow(info) {
    var wasShown = offline.shown;
    offline.shown = true;
    panel.classList.add("is-prechat");
    prechat.hidden = true;
    conversation.hidden = true;
    endBtn.hidden = true;
    $(".sub").textContent = t("offSub");
    offlineForm.querySelector(".offline-status").textContent = info.text || "";
    var files = offlineForm.querySelector(".files");
    files.hidden = !info.file_upload_enabled;
    offlineForm.querySelector(".hint").textContent = t("offFilesHint", { n: info.files_max, mb: info.file_max_size_mb });
    offlineForm.elements.message.maxLength = info.message_max_length;
    if (offline.sent) { offlineForm.hidden = true; offlineThanks.hidden = false; return; }
    offlineThanks.hidden = true;
    offlineForm.hidden = false;
    if (!wasShown) {
      if (state.name && !offlineForm.elements.name.value) { offlineForm.elements.name.value = state.name; }
      if (identity) { offlineForm.elements.email.value = identity.email; }
      else if (state.email && !offlineForm.elements.email.value) { offlineForm.elements.email.value = state.email; }
      if (!panel.hidden && root.activeElement !== offlineForm.elements.message) { offlineFocus(); }
    }
  }
  function offlineHide() {
    offline.shown = false;
    offlineForm.hidden = true;
    offlineThanks.hidden = true;
  }
  function offlineFocus() {
    var el = offline.sent ? offlineThanks : (offlineForm.elements.name.value ? offlineForm.elements.email.value ?
      offlineForm.elements.message : offlineForm.elements.email : offlineForm.elements.name);
    setTimeout(function () { try { el.focus(); } catch (e) { /* ignore */ } }, 0);
  }
  function offlineFieldError(name, text) {
    var input = offlineForm.elements[name], err = root.getElementById("pw-off-" + name + "-err");
    if (!err) { return false; }
    err.textContent = text || ""; err.hidden = !text;
    if (input) { if (text) { input.setAttribute("aria-invalid", "true"); } else { input.removeAttribute("aria-invalid"); } }
    return !!text;
  }
  function offlineErrors(errors) {
    // {field: message}: shown next to their fields (the first one focused); others above the button.
    var first = null, general = "";
    ["name", "email", "message", "file"].forEach(function (name) {
      if (offlineFieldError(name, errors[name]) && !first) { first = offlineForm.elements[name]; }
    });
    Object.keys(errors).forEach(function (k) { if (["name", "email", "message", "file"].indexOf(k) < 0) { general = errors[k]; } });
    showError(offlineForm.querySelector(".error"), general);
    if (first) { try { first.focus(); } catch (e) { /* ignore */ } }
    return !!(first || general);
  }
  function offlineValidate(fields, files) {
    var info = offline.info || {}, errors = {};
    if (!fields.name) { errors.name = t("nameRequired"); }
    if (!fields.email) { errors.email = t("offEmailRequired"); }
    else if (offlineForm.elements.email.validity.typeMismatch || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(fields.email)) {
      errors.email = t("offEmailInvalid");
    }
    if (!fields.message) { errors.message = t("offMessageRequired"); }
    else if (info.message_max_length && fields.message.length > info.message_max_length) {
      errors.message = t("offTooLong", { n: info.message_max_length });
    }
    if (files.length) {
      var limit = (info.file_max_size_mb || 0) * 1024 * 1024, total = 0;
      files.forEach(function (f) { total += f.size; });
      if (!info.file_upload_enabled) { errors.file = t("filesOff"); }
      else if (files.length > info.files_max) { errors.file = t("offTooMany", { n: info.files_max }); }
      else if (files.some(function (f) { return f.size > limit; })) { errors.file = t("tooLarge", { mb: info.file_max_size_mb }); }
      else if (total > limit) { errors.file = t("offTooLargeAll", { mb: info.file_max_size_mb }); }
    }
    return errors;
  }
  offlineForm.addEventListener("submit", function (e) {
    e.preventDefault();
    var el = offlineForm.elements, files = Array.prototype.slice.call(el.file.files || []);
    var fields = { name: el.name.value.trim(), email: el.email.value.trim(), message: el.message.value.trim() };
    if (offlineErrors(offlineValidate(fields, files))) { return; }
    var payload = { name: fields.name, email: fields.email, message: fields.message, page: location.href.slice(0, 1000),
      visitor_key: state.visitorKey };
    if (/^\d+$/.test(QUEUE)) { payload.queue = parseInt(QUEUE, 10); }
    var body = payload;
    if (files.length) {
      body = new FormData();
      Object.keys(payload).forEach(function (k) { body.append(k, payload[k]); });
      files.forEach(function (f) { body.append("file", f, f.name); });
    }
    var btn = offlineForm.querySelector("button[type=submit]");
    btn.disabled = true; btn.textContent = t("offSending");
    request("POST", "/offline-messages/", body).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        if (!r.ok) {
          var errors = {};
          Object.keys(data || {}).forEach(function (k) {
            if (k !== "code" && k !== "limit_bytes") { errors[k] = Array.isArray(data[k]) ? String(data[k][0]) : String(data[k]); }
          });
          if (!Object.keys(errors).length) { errors.detail = t("failed"); }
          offlineErrors(errors);
          return;
        }
        state.name = fields.name; state.email = fields.email; save();
        offline.sent = true;
        offlineThanks.querySelector(".thanks-text").textContent = data.text || "";
        offlineThanks.querySelector(".thanks-when").textContent = data.held && offline.info ? offline.info.text : "";
        el.message.value = ""; el.file.value = "";
        offlineErrors({});
        offlineForm.hidden = true; offlineThanks.hidden = false;
        offlineThanks.focus();
      });
    }).catch(function () { offlineErrors({ detail: t("failed") }); })
      .then(function () { btn.disabled = false; btn.textContent = t("offSend"); });
  });
  ["name", "email", "message", "file"].forEach(function (name) {
    offlineForm.elements[name].addEventListener(name === "file" ? "change" : "input", function () { offlineFieldError(name, ""); });
  });
  $(".off-again").addEventListener("click", function () {
    offline.sent = false;
    offlineThanks.hidden = true; offlineForm.hidden = false;
    offlineFocus();
  });

  // --- start: resume the chat of an earlier page load ------------------------------------------
  var css = root.querySelector("link");
  function reveal() { var pw = root.querySelector(".pw"); pw.classList.add("ready"); pw.style.visibility = ""; }
  css.addEventListener("load", reveal);
  css.addEventListener("error", reveal);

  if (state.chatId && state.token) {
    state.lastId = 0;  // a new page: show the whole conversation again
    showConversation();
    refreshState().then(function () {
      if (!state.chatId) { return; }
      heartbeat();
      // The previous page's "page closed" report may still be on its way: say "back" once more.
      setTimeout(heartbeat, 1500);
      startTimers();
      poll();
    });
    if (state.open) { setOpen(true); }
  } else {
    showPrechat();
  }
})();
