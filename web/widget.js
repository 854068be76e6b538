/*! Kotae chat widget: one script tag adds a support chat to any page.
 *
 *   <script src="https://kotae.example/widget.js" data-key="pk_..." async></script>
 *
 * data-key      the public widget key (required)
 * data-api      the API's base URL (default: where this script was loaded from)
 * data-lang     "en" or "ja" (default: <html lang>, then the browser's language)
 * data-title    the panel's heading (default: "Support"); data-title-ja in Japanese
 * data-account, data-customer, data-email, data-plan
 *               who is asking, sent with each inquiry (optional)
 * data-color    the accent colour (default #0b5cad)
 * data-human    when to offer "Talk to a human": "always" (default, up front),
 *               "after-answer" (once Kotae has answered) or "never" (a customer can
 *               still ask for a person in words)
 *
 * Everything lives in a shadow root so the host page's CSS cannot break it, and the
 * host page's scripts see only window.Kotae (open, close).
 */
(function () {
  "use strict";
  if (window.Kotae && window.Kotae.version) return; // loaded twice: keep the first

  var script = document.currentScript ||
    document.querySelector("script[data-key][src*='widget.js']");
  if (!script) return;
  var data = script.dataset;
  var KEY = (data.key || "").trim();
  var API = (data.api || new URL(script.src, location.href).origin).replace(/\/+$/, "");
  var HUMAN = ["always", "after-answer", "never"].indexOf(data.human) >= 0 ? data.human : "always";
  var POLL_OPEN_MS = 3000;
  var POLL_CLOSED_MS = 15000;

  var STRINGS = {
    en: {
      chat: "Support chat", close: "Close support chat", title: "Support",
      newChat: "Start a new conversation",
      intro: "Hi! Ask us anything about the product. A person is always one click away.",
      label: "Your message", placeholder: "Ask a question…", send: "Send",
      hint: "Enter to send, Shift+Enter for a new line",
      human: "Talk to a human", humanText: "I'd like to talk to a person, please.",
      you: "You", bot: "Assistant", agent: "Support agent", log: "Conversation",
      sources: "Sources", helpful: "Did this help?", yes: "Yes, this helped",
      no: "No, this did not help", thanks: "Thanks for your feedback.",
      handed: "Passed to our support team", writing: "Writing an answer…",
      unread: "new reply",
      offline: "You appear to be offline. Your message is kept: send it again when you are back online.",
      network: "We could not reach support. Your message is kept: please try again.",
      rate: "Too many messages right now. Please wait {s} seconds, then send again. Your message is kept.",
      server: "Support is unavailable right now (error {code}). Your message is kept: please try again in a moment.",
      auth: "This chat is not set up correctly: the site key was refused.",
      invalid: "The message could not be sent: {detail}",
      failed: "Something went wrong while answering. Your message is kept: please try again.",
      notSent: "Feedback could not be sent; please try again."
    },
    ja: {
      chat: "サポートチャット", close: "サポートチャットを閉じる", title: "サポート",
      newChat: "新しい会話を始める",
      intro: "こんにちは。製品について何でもお気軽にご質問ください。担当者にもいつでもおつなぎできます。",
      label: "メッセージ", placeholder: "質問を入力してください…", send: "送信",
      hint: "Enterで送信、Shift+Enterで改行",
      human: "担当者と話す", humanText: "担当者と話したいです。",
      you: "あなた", bot: "アシスタント", agent: "サポート担当者", log: "会話",
      sources: "参考情報", helpful: "この回答は役に立ちましたか？", yes: "役に立った",
      no: "役に立たなかった", thanks: "フィードバックありがとうございます。",
      handed: "サポート担当者に引き継ぎました", writing: "回答を作成しています…",
      unread: "件の新しい返信",
      offline: "オフラインのようです。メッセージは残してあります。接続が戻ったら、もう一度送信してください。",
      network: "サポートに接続できませんでした。メッセージは残してあります。もう一度お試しください。",
      rate: "送信が集中しています。{s}秒ほど待ってから、もう一度送信してください。メッセージは残してあります。",
      server: "現在サポートをご利用いただけません（エラー {code}）。メッセージは残してあります。しばらくしてから、もう一度お試しください。",
      auth: "このチャットは正しく設定されていません（サイトキーが拒否されました）。",
      invalid: "メッセージを送信できませんでした：{detail}",
      failed: "回答中に問題が発生しました。メッセージは残してあります。もう一度お試しください。",
      notSent: "フィードバックを送信できませんでした。もう一度お試しください。"
    }
  };

  function pickLang() {
    var wanted = data.lang || document.documentElement.lang || navigator.language || "en";
    return /^ja\b/i.test(wanted) ? "ja" : "en";
  }
  var LANG = pickLang();
  var T = STRINGS[LANG];
  function t(name, values) {
    return T[name].replace(/\{(\w+)\}/g, function (_m, k) {
      return values && values[k] != null ? String(values[k]) : "";
    });
  }

  var CSS =
    ":host{all:initial}" +
    "*{box-sizing:border-box}" +
    ".k{--a:" + (/^#[0-9a-f]{3,8}$/i.test(data.color || "") ? data.color : "#0b5cad") + ";" +
    "font:15px/1.45 system-ui,-apple-system,'Segoe UI','Hiragino Sans','Noto Sans JP',Meiryo,sans-serif;color:#1c1e21}" +
    "button,textarea{font:inherit;color:inherit}" +
    ".bubble{position:fixed;right:20px;bottom:20px;z-index:2147483000;width:60px;height:60px;border-radius:50%;border:0;" +
    "background:var(--a);color:#fff;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25);display:grid;place-items:center}" +
    ".bubble svg{width:28px;height:28px;fill:currentColor}" +
    ".badge{position:absolute;top:-2px;right:-2px;min-width:20px;height:20px;border-radius:10px;background:#c62828;color:#fff;font-size:12px;line-height:20px;text-align:center;padding:0 5px}" +
    ":focus-visible{outline:3px solid #f5a623;outline-offset:2px}" +
    ".panel{position:fixed;right:20px;bottom:92px;z-index:2147483000;width:380px;max-width:calc(100vw - 24px);" +
    "height:600px;max-height:calc(100vh - 112px);background:#fff;border-radius:14px;box-shadow:0 8px 30px rgba(0,0,0,.25);" +
    "display:flex;flex-direction:column;overflow:hidden;border:1px solid #d0d4da}" +
    ".panel[hidden]{display:none}" +
    "header{display:flex;align-items:center;gap:8px;padding:10px 12px;background:var(--a);color:#fff}" +
    "h2{flex:1;margin:0;font-size:16px;font-weight:600}" +
    ".icon{background:transparent;border:0;color:#fff;width:36px;height:36px;border-radius:8px;cursor:pointer;font-size:20px;line-height:1}" +
    ".icon:hover{background:rgba(255,255,255,.18)}" +
    ".log{position:relative;flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:10px;background:#f6f7f9}" +
    ".m{max-width:88%;padding:8px 11px;border-radius:12px;white-space:pre-wrap;overflow-wrap:anywhere;word-break:break-word}" +
    ".html{white-space:normal}.html>:first-child{margin-top:0}.html>:last-child{margin-bottom:0}" +
    ".html p{margin:0 0 .5em}.html ol,.html ul{margin:.3em 0 .5em;padding-left:1.4em}.html li{margin:.15em 0}" +
    ".html h3,.html h4,.html h5,.html h6{font-size:15px;margin:.6em 0 .25em}" +
    ".html table{display:block;overflow-x:auto;max-width:100%;border-collapse:collapse;margin:.4em 0;font-size:13px}" +
    ".html th,.html td{border:1px solid #d5d9df;padding:3px 6px;text-align:left;vertical-align:top;overflow-wrap:normal;word-break:normal}.html th{background:#f0f3f7}" +
    ".html code{font:13px ui-monospace,Menlo,Consolas,monospace;background:#f0f2f5;border-radius:3px;padding:0 3px}" +
    ".html pre{overflow-x:auto;white-space:pre}.html blockquote{margin:.4em 0;padding-left:8px;border-left:3px solid #d5d9df;color:#4a4f57}" +
    ".m.customer{align-self:flex-end;background:var(--a);color:#fff;border-bottom-right-radius:4px}" +
    ".m.assistant,.m.agent{align-self:flex-start;background:#fff;border:1px solid #dde1e6;border-bottom-left-radius:4px}" +
    ".m.agent{border-color:#2e7d32;border-left-width:4px}" +
    ".m.intro{align-self:stretch;max-width:none;background:transparent;color:#4a4f57;font-size:14px;padding:0 2px}" +
    ".who{display:block;font-size:12px;font-weight:600;color:#2e7d32;margin-bottom:2px}" +
    ".m a{color:#0a4f96}.m.customer a{color:#fff}" +
    ".src{margin:8px 0 0;padding:6px 0 0;border-top:1px solid #e3e6ea;font-size:13px;white-space:normal}" +
    ".src ul{margin:2px 0 0;padding-left:18px}" +
    ".fb{display:flex;align-items:center;gap:6px;margin-top:8px;font-size:13px;white-space:normal;flex-wrap:wrap}" +
    ".fb button{border:1px solid #c3c8cf;background:#fff;color:#3d434b;border-radius:16px;padding:3px 10px;cursor:pointer;line-height:0}" +
    ".fb svg{width:18px;height:18px;fill:currentColor}.fb .no svg{transform:rotate(180deg)}" +
    ".fb button:hover{background:#eef2f7}.votes{display:inline-flex;gap:6px}" +
    ".notice{align-self:stretch;max-width:none;background:#fff8e1;border:1px solid #e0b000;color:#3d3000;border-radius:10px}" +
    ".notice strong{display:block}" +
    ".writing{color:#5a606a;font-style:italic}" +
    ".err{margin:0;padding:8px 12px;background:#fdecea;color:#8a1c1c;border-top:1px solid #f5c2c0;font-size:14px}" +
    ".err:empty{display:none}" +
    "form{padding:10px 12px 12px;border-top:1px solid #e3e6ea;background:#fff;display:grid;gap:6px}" +
    "label{font-size:13px;font-weight:600}" +
    ".sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}" +
    ".row{display:flex;gap:8px;align-items:flex-end}" +
    "textarea{flex:1;min-height:44px;max-height:140px;resize:vertical;padding:9px 10px;border:1px solid #8a919b;border-radius:8px;font-size:16px;background:#fff}" +
    ".send{background:var(--a);color:#fff;border:0;border-radius:8px;padding:0 16px;height:44px;cursor:pointer;font-weight:600}" +
    ".send:disabled{opacity:.6;cursor:progress}" +
    ".human{justify-self:start;background:#fff;border:1px solid var(--a);color:var(--a);border-radius:8px;padding:6px 12px;cursor:pointer;font-weight:600}" +
    ".human:hover{background:#eef4fb}" +
    ".human[hidden]{display:none}" +
    ".hint{font-size:12px;color:#5a606a}" +
    "@media (max-width:480px){.panel{right:8px;left:8px;width:auto;max-width:none;bottom:84px;height:calc(100vh - 96px);max-height:none}" +
    ".bubble{right:14px;bottom:14px}.m.assistant,.m.agent{max-width:100%}" +
    ".m.assistant:has(table),.m.agent:has(table){align-self:stretch}}";

  // ------------------------------------------------------------------ DOM helpers

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    for (var name in attrs || {}) {
      var value = attrs[name];
      if (value == null || value === false) continue;
      if (name === "text") node.textContent = value;
      else if (name.slice(0, 2) === "on") node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? "" : value);
    }
    (children || []).forEach(function (c) {
      if (c != null) node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return node;
  }

  function safeUrl(url) {
    try {
      var u = new URL(url);
      return u.protocol === "https:" || u.protocol === "http:" ? u.href : null;
    } catch (_e) { return null; }
  }

  function link(url, label) {
    var href = safeUrl(url);
    return href ? el("a", { href: href, target: "_blank", rel: "noopener noreferrer", text: label })
                : document.createTextNode(label);
  }

  // ------------------------------------------------------------------ storage

  var STORE_KEY = "kotae:" + API + ":" + KEY.slice(0, 24);
  function load() {
    try { return JSON.parse(localStorage.getItem(STORE_KEY) || "null") || {}; } catch (_e) { return {}; }
  }
  function save() {
    try { localStorage.setItem(STORE_KEY, JSON.stringify(state.saved)); } catch (_e) { /* private mode */ }
  }

  // ------------------------------------------------------------------ HTTP

  function ApiError(kind, status, detail, retryAfter) {
    this.kind = kind; this.status = status; this.detail = detail; this.retryAfter = retryAfter;
  }

  function headers(extra) {
    var h = { Authorization: "Bearer " + KEY };
    if (state.saved.token) h["X-Conversation-Token"] = state.saved.token;
    for (var k in extra || {}) h[k] = extra[k];
    return h;
  }

  function request(method, path, body, extra) {
    var init = { method: method, headers: headers(extra), mode: "cors", credentials: "omit" };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(API + path, init).then(function (res) {
      if (res.ok) return res;
      return res.json().catch(function () { return {}; }).then(function (err) {
        throw new ApiError("http", res.status, err.detail || res.statusText,
                           res.headers.get("Retry-After"));
      });
    }, function () {
      throw new ApiError(navigator.onLine === false ? "offline" : "network", 0);
    });
  }

  function describe(err) {
    if (!(err instanceof ApiError)) return t("failed");
    if (err.kind === "offline") return t("offline");
    if (err.kind === "network") return t("network");
    var s = err.status;
    if (s === 429) return t("rate", { s: Math.max(1, parseInt(err.retryAfter, 10) || 5) });
    if (s === 401 || s === 403) return t("auth");
    if (s === 422 || s === 400 || s === 413) return t("invalid", { detail: err.detail || s });
    return t("server", { code: s });
  }

  // Read `event:`/`data:` blocks from a text/event-stream response body.
  function readEvents(res, onEvent) {
    if (!res.body || !res.body.getReader) {
      return res.text().then(function (text) { parseBlocks(text + "\n\n", onEvent); });
    }
    var reader = res.body.getReader(), decoder = new TextDecoder(), buffer = "";
    function pump() {
      return reader.read().then(function (chunk) {
        buffer += decoder.decode(chunk.value || new Uint8Array(), { stream: !chunk.done });
        buffer = parseBlocks(buffer.replace(/\r\n?/g, "\n"), onEvent);
        if (!chunk.done) return pump();
        parseBlocks(buffer + "\n\n", onEvent);
      });
    }
    return pump();
  }

  function parseBlocks(buffer, onEvent) {
    var end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      var block = buffer.slice(0, end), name = "message", lines = [];
      buffer = buffer.slice(end + 2);
      block.split("\n").forEach(function (line) {
        if (line.indexOf("event:") === 0) name = line.slice(6).trim();
        else if (line.indexOf("data:") === 0) lines.push(line.slice(5).replace(/^ /, ""));
      });
      if (lines.length) {
        var payload;
        try { payload = JSON.parse(lines.join("\n")); } catch (_e) { payload = null; }
        if (payload) onEvent(name, payload);
      }
    }
    return buffer;
  }

  // 128 random bits as hex. crypto.getRandomValues, unlike crypto.randomUUID, exists on plain
  // http pages too; Math.random is not random enough for a key that must never repeat.
  function uuid() {
    var bytes = new Uint8Array(16), out = "";
    crypto.getRandomValues(bytes);
    for (var i = 0; i < bytes.length; i++) out += (bytes[i] + 256).toString(16).slice(1);
    return out;
  }

  // ------------------------------------------------------------------ state and UI

  var state = {
    saved: load(), open: false, busy: false, lastId: 0, local: {}, notices: {}, pending: null,
    unread: 0, timer: null, rendered: false, answered: false, escalated: false
  };
  var ui = {};

  function build() {
    var host = el("div", { id: "kotae-widget", "data-kotae": "" });
    var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
    root.appendChild(el("style", { text: CSS }));
    var wrap = el("div", { class: "k", lang: LANG });
    ui.badge = el("span", { class: "badge", hidden: true, "aria-hidden": "true" });
    ui.bubble = el("button", {
      type: "button", class: "bubble", "aria-label": t("chat"), "aria-expanded": "false",
      "aria-controls": "kotae-panel", onclick: function () { toggle(); }
    });
    ui.bubble.innerHTML = '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zm3 6.5a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3zm5 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3zm5 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3z"/></svg>';
    ui.bubble.appendChild(ui.badge);

    ui.log = el("div", {
      class: "log", role: "log", "aria-live": "polite", "aria-label": t("log"), tabindex: "0"
    });
    ui.error = el("p", { class: "err", role: "alert" });
    ui.input = el("textarea", {
      id: "kotae-input", rows: "2", placeholder: t("placeholder"), maxlength: "20000",
      "aria-describedby": "kotae-hint", onkeydown: onKey
    });
    ui.send = el("button", { type: "submit", class: "send", text: t("send") });
    ui.human = el("button", { type: "button", class: "human", text: t("human"), onclick: askHuman,
                              hidden: HUMAN !== "always" });
    ui.form = el("form", { onsubmit: function (e) { e.preventDefault(); send(); } }, [
      el("label", { for: "kotae-input", text: t("label") }),
      el("div", { class: "row" }, [ui.input, ui.send]),
      el("span", { id: "kotae-hint", class: "hint", text: t("hint") }),
      ui.human
    ]);
    ui.title = el("h2", { id: "kotae-title",
                          text: (LANG === "ja" && data.titleJa) || data.title || t("title") });
    ui.panel = el("div", {
      id: "kotae-panel", class: "panel", role: "dialog", "aria-labelledby": "kotae-title",
      hidden: true, onkeydown: function (e) { if (e.key === "Escape") { e.preventDefault(); close(); } }
    }, [
      el("header", {}, [
        ui.title,
        el("button", { type: "button", class: "icon", "aria-label": t("newChat"), title: t("newChat"),
                       text: "⟲", onclick: reset }),
        el("button", { type: "button", class: "icon", "aria-label": t("close"), title: t("close"),
                       text: "×", onclick: function () { close(); } })
      ]),
      ui.log, ui.error, ui.form
    ]);
    wrap.appendChild(ui.bubble);
    wrap.appendChild(ui.panel);
    root.appendChild(wrap);
    document.body.appendChild(host);
    intro();
  }

  function intro() {
    ui.log.textContent = "";
    ui.log.appendChild(el("div", { class: "m intro", text: t("intro") }));
  }

  function scroll() { ui.log.scrollTop = ui.log.scrollHeight; }

  // Bring a message's start into view: a short one ends up at the bottom as usual, a long
  // answer is read from its first line rather than its last.
  function reveal(node) { ui.log.scrollTop = Math.max(0, node.offsetTop - 8); }

  function showError(text) { ui.error.textContent = text || ""; }

  function who(role) {
    if (role === "customer") return el("span", { class: "sr", text: t("you") + ": " });
    // Only "Support agent": the author field is the API key's label, not a name to show.
    if (role === "agent") return el("span", { class: "who", text: t("agent") });
    return el("span", { class: "sr", text: t("bot") + ": " });
  }

  // A message's words: the server's sanitised HTML (answers, agents' replies) or plain text
  // (the customer's own words, and an answer while it streams). Text is never parsed as HTML.
  function body(text, html) {
    var node = el("div", { class: html ? "body html" : "body" });
    if (html) node.innerHTML = html;
    else node.textContent = text || "";
    return node;
  }

  function addMessage(role, text, html) {
    var node = el("div", { class: "m " + role }, [who(role), body(text, role === "customer" ? null : html)]);
    ui.log.appendChild(node);
    return node;
  }

  function addNotice(text, html) {
    var node = el("div", { class: "m notice" }, [el("strong", { text: t("handed") }), body(text, html)]);
    ui.log.appendChild(node);
    reveal(node);
  }

  // Sources the answer does not already link to (KB answers name their article in the text).
  function addSources(node, citations) {
    var seen = {}, list = el("ul");
    node.querySelectorAll(".body a[href]").forEach(function (a) { seen[a.href] = 1; });
    (citations || []).forEach(function (c) {
      var href = safeUrl(c.url || "");
      if (!href || seen[href]) return;
      seen[href] = 1;
      list.appendChild(el("li", {}, [link(href, c.title || c.url)]));
    });
    if (list.firstChild) node.appendChild(el("div", { class: "src" }, [el("span", { text: t("sources") }), list]));
  }

  function addFeedback(node, inquiryId) {
    var box = el("div", { class: "fb", role: "group", "aria-label": t("helpful") });
    function vote(helpful) {
      return function () {
        request("POST", "/v1/inquiries/" + encodeURIComponent(inquiryId) + "/feedback",
                { helpful: helpful }).then(function () {
          box.textContent = t("thanks");
        }, function () { showError(t("notSent")); });
      };
    }
    // The two buttons wrap together: on a phone the question takes a line, not one button.
    var votes = el("span", { class: "votes" });
    box.appendChild(el("span", { text: t("helpful") }));
    box.appendChild(votes);
    [["yes", true], ["no", false]].forEach(function (v) {
      var button = el("button", { type: "button", class: v[0], "aria-label": t(v[0]), title: t(v[0]), onclick: vote(v[1]) });
      button.innerHTML = THUMB; // an icon of our own: emoji need a font the page may not have
      votes.appendChild(button);
    });
    node.appendChild(box);
  }

  // Material Design "thumb_up" (Apache-2.0); "no" shows it turned upside down.
  var THUMB = '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="M1 21h4V9H1v12zm22-11c0-1.1-.9-2-2-2h-6.31l.95-4.57.03-.32c0-.41-.17-.79-.44-1.06L14.17 1 7.59 7.59C7.22 7.95 7 8.45 7 9v10c0 1.1.9 2 2 2h9c.83 0 1.54-.5 1.84-1.22l3.02-7.05c.09-.23.14-.47.14-.73v-2z"/></svg>';

  // "Talk to a human" is not offered while the conversation already waits for one (pressed
  // again, it only repeated the hand-over notice), nor, with data-human="after-answer",
  // before Kotae has answered.
  function showHuman() {
    var hide = HUMAN === "never" || state.escalated || (HUMAN === "after-answer" && !state.answered);
    // A keyboard user who pressed it goes on in the message box, not lost on a hidden button.
    if (hide && ui.human.getRootNode().activeElement === ui.human) ui.input.focus();
    ui.human.hidden = hide;
  }

  function setBusy(busy) {
    state.busy = busy;
    ui.send.disabled = busy;
    ui.log.setAttribute("aria-busy", busy ? "true" : "false");
  }

  // ------------------------------------------------------------------ conversation

  function remember(result) {
    if (!state.saved.id || state.saved.id !== result.conversation_id) {
      state.saved = { id: result.conversation_id, token: result.conversation_token || state.saved.token };
    } else if (result.conversation_token) {
      state.saved.token = result.conversation_token;
    }
    save();
    state.local[result.inquiry_id] = 1;
  }

  // Send text as an inquiry and stream the answer; resolves with the decision (InquiryOut).
  function ask(text) {
    if (state.busy) return Promise.reject(null);
    showError("");
    var pending = state.pending && state.pending.text === text ? state.pending
      : (state.pending = { text: text, key: uuid() });
    var mine = addMessage("customer", text);
    scroll();
    var reply = null, streamed = "", result = null, failure = null;
    setBusy(true);
    var body = { text: text };
    if (state.saved.id) body.conversation_id = state.saved.id;
    var customer = {};
    [["id", data.customer], ["account_id", data.account], ["email", data.email], ["plan", data.plan]]
      .forEach(function (p) { if (p[1]) customer[p[0]] = p[1]; });
    if (customer.id || customer.account_id || customer.email || customer.plan) body.customer = customer;
    var waiting = el("div", { class: "m assistant writing", text: t("writing") });
    ui.log.appendChild(waiting);
    scroll();
    return request("POST", "/v1/inquiries", body, {
      Accept: "text/event-stream", "Idempotency-Key": pending.key
    }).then(function (res) {
      var type = res.headers.get("Content-Type") || "";
      if (type.indexOf("text/event-stream") < 0) return res.json().then(function (r) { result = r; });
      return readEvents(res, function (name, payload) {
        if (name === "token" && typeof payload.text === "string") {
          if (!reply) {
            waiting.remove();
            reply = addMessage("assistant", "");
          }
          streamed += payload.text;
          reply.lastChild.textContent = streamed; // plain text while streaming, HTML at the end
          reveal(reply);
        } else if (name === "decision") {
          result = payload;
        } else if (name === "error") {
          failure = new ApiError("stream", 0, payload.detail);
        }
      });
    }).then(function () {
      if (!result) throw failure || new ApiError("stream", 0);
      waiting.remove();
      if (reply) reply.remove();
      state.pending = null;
      remember(result);
      render(result);
      return result;
    }).catch(function (err) {
      waiting.remove();
      if (reply) reply.remove();
      mine.remove();
      // Never lose what the customer typed: put it back (ahead of anything typed since).
      var now = ui.input.value;
      if (now.indexOf(text) < 0) ui.input.value = now ? text + "\n" + now : text;
      showError(describe(err));
      throw err;
    }).finally(function () {
      setBusy(false);
      schedule(0);
    });
  }

  function render(result) {
    var d = result.decision || {};
    if (d.action === "escalate") {
      state.escalated = true;
      showHuman();
      addNotice(d.answer || result.notice || "", result.answer_html);
      return;
    }
    var node = addMessage("assistant", d.answer || "", result.answer_html);
    state.answered = true;
    showHuman();
    addSources(node, d.citations);
    addFeedback(node, result.inquiry_id);
    reveal(node);
  }

  function send() {
    var text = ui.input.value.trim();
    if (!text || state.busy) return;
    ui.input.value = "";
    ask(text).catch(function () { /* shown in the panel */ });
    ui.input.focus();
  }

  function askHuman() {
    if (state.busy) return;
    showError("");
    if (!state.saved.id) {
      var typed = ui.input.value.trim();
      ui.input.value = "";
      ask(typed || t("humanText")).then(function (result) {
        if (result.decision && result.decision.action !== "escalate") return handOver();
      }).catch(function () { /* shown in the panel */ });
      return;
    }
    handOver();
  }

  function handOver() {
    setBusy(true);
    return request("POST", "/v1/conversations/" + encodeURIComponent(state.saved.id) + "/human", {})
      .then(function (res) { return res.json(); })
      .then(function (out) {
        state.notices[out.notice] = 1; // stored as an assistant turn: do not show it twice
        state.escalated = true;
        showHuman();
        addNotice(out.notice);
      })
      .catch(function (err) { showError(describe(err)); })
      .finally(function () { setBusy(false); schedule(0); });
  }

  // Fetch the conversation; show messages not yet on screen (an agent's reply, or all of
  // them after a reload). Customer and assistant turns this page sent are already shown.
  function sync() {
    if (!state.saved.id || state.busy) return Promise.resolve();
    return request("GET", "/v1/conversations/" + encodeURIComponent(state.saved.id))
      .then(function (res) { return res.json(); })
      .then(function (conv) {
        var fresh = 0, last = null;
        (conv.messages || []).forEach(function (m) {
          if (m.id <= state.lastId) return;
          state.lastId = m.id;
          if (m.role !== "agent" && m.inquiry_id && state.local[m.inquiry_id]) return;
          if (m.role === "assistant" && !m.inquiry_id && state.notices[m.text]) {
            delete state.notices[m.text];
            return;
          }
          if (m.handed_over) { addNotice(m.text, m.text_html); last = ui.log.lastChild; return; }
          last = addMessage(m.role, m.text, m.text_html);
          if (m.role === "assistant") state.answered = true;
          if (m.role === "agent") fresh++;
        });
        if (last) reveal(last);
        state.escalated = !!conv.open_escalation_id;
        showHuman();
        if (fresh && !state.open) setUnread(state.unread + fresh);
        state.rendered = true;
      }, function (err) {
        if (err instanceof ApiError && (err.status === 403 || err.status === 404)) {
          state.saved = {}; // the conversation is gone or not ours any more: start afresh
          state.escalated = false;
          save();
          intro();
          showHuman();
        }
      });
  }

  function schedule(ms) {
    clearTimeout(state.timer);
    if (!state.saved.id) return;
    if (!state.open && !state.escalated && ms !== 0) return;
    state.timer = setTimeout(function () {
      sync().finally(function () {
        schedule(state.open ? POLL_OPEN_MS : POLL_CLOSED_MS);
      });
    }, ms == null ? POLL_OPEN_MS : ms);
  }

  function setUnread(n) {
    state.unread = n;
    ui.badge.hidden = !n;
    ui.badge.textContent = n ? String(n) : "";
    ui.bubble.setAttribute("aria-label", n ? t("chat") + " (" + n + " " + t("unread") + ")" : t("chat"));
  }

  function reset() {
    if (state.busy) return;
    state.saved = {}; state.lastId = 0; state.local = {}; state.escalated = false; state.answered = false;
    save();
    intro();
    showHuman();
    showError("");
    ui.input.focus();
  }

  function onKey(e) {
    // Enter sends; Shift+Enter is a new line; Enter confirming an IME conversion is not a send.
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      send();
    }
  }

  function open() {
    if (!ui.panel) return;
    state.open = true;
    ui.panel.hidden = false;
    ui.bubble.setAttribute("aria-expanded", "true");
    setUnread(0);
    try { sessionStorage.setItem(STORE_KEY + ":open", "1"); } catch (_e) { /* ignore */ }
    ui.input.focus();
    if (ui.log.lastChild) reveal(ui.log.lastChild);
    schedule(0);
  }

  function close() {
    if (!ui.panel) return;
    state.open = false;
    ui.panel.hidden = true;
    ui.bubble.setAttribute("aria-expanded", "false");
    setUnread(state.unread);
    try { sessionStorage.removeItem(STORE_KEY + ":open"); } catch (_e) { /* ignore */ }
    ui.bubble.focus();
    schedule(POLL_CLOSED_MS);
  }

  function toggle() { if (state.open) close(); else open(); }

  function start() {
    build();
    if (!KEY) showError(t("auth"));
    var wasOpen = false;
    try { wasOpen = sessionStorage.getItem(STORE_KEY + ":open") === "1"; } catch (_e) { /* ignore */ }
    if (state.saved.id) {
      // A conversation from before the reload: show it, then keep listening for replies.
      sync().then(function () { schedule(wasOpen ? POLL_OPEN_MS : POLL_CLOSED_MS); });
    }
    if (wasOpen) open();
  }

  window.Kotae = { version: "1", open: open, close: close, toggle: toggle, language: LANG };
  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();
