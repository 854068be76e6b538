/* Kotae console: the escalation queue for support agents, the signals feed and analytics
 * for customer-success managers. Plain JavaScript over the HTTP API; the API key lives in
 * sessionStorage (gone when the tab closes). Customers' words are only ever set as text. */
(function () {
  "use strict";

  var REASONS = ["low_confidence", "human_requested", "bug_report", "sensitive_topic",
                 "negative_sentiment", "injection_attempt", "llm_unavailable", "policy",
                 "repeated_question"];
  var TAGS = ["bug", "usage_question", "success_opportunity"];
  var REFRESH_MS = 10000;

  var STRINGS = {
    en: {
      console: "console", signIn: "Sign in", signOut: "Sign out", key: "API key",
      keyHint: "Support agents work the escalation queue; customer-success managers see signals and analytics.",
      keyUnknown: "This key is not known or was revoked.",
      widgetKey: "This is the chat widget's key. The console needs a support agent's, a CSM's or an admin's key.",
      roleAgent: "Support agent", roleCsm: "Customer-success manager", roleAdmin: "Admin",
      signedInAs: "Signed in: {roles}", language: "Interface language", skip: "Skip to content",
      escalations: "Escalations", signals: "Signals", analytics: "Analytics",
      queue: "Escalation queue", status: "Status", reason: "Reason", tag: "Tag",
      lang: "Language", account: "Account", age: "Waiting", assignee: "Assignee", questionCol: "Question",
      detail: "Detail", any: "Any", open: "Open", claimed: "Claimed", resolved: "Resolved",
      refresh: "Refresh", count: "Escalations: {n}", none: "Nothing here. 🎉",
      filters: "Filters", back: "Back to the queue", conversation: "Conversation",
      question: "Question", sources: "Retrieved sources", noSources: "Nothing was retrieved.",
      draft: "Reply to the customer", draftHint: "Starts from Kotae's draft; the customer sees exactly this, and Kotae learns from it.",
      resolveTag: "Tag for this resolution", keepTag: "Keep ({tag})",
      claim: "Claim", resolve: "Send reply and resolve", reopen: "Reopen",
      claimedOk: "Claimed.", resolvedOk: "Resolved: the customer will see your reply.",
      resolvedReview: "Resolved: the customer will see your reply. It answers other customers once approved under Precedents.",
      precedents: "Precedents", precedentsTitle: "Replies to reuse",
      precedentsHint: "A reply answers other customers who ask the same only once you approve it. It is shown cleaned: no greeting, names, signature, edit notes or personal data.",
      p_pending: "Pending review", p_approved: "Approved", p_rejected: "Rejected",
      precedentCount: "Replies: {n}", asked: "The customer asked", sent: "Sent to the customer",
      reusable: "Answer for other customers (edit before approving)",
      approve: "Approve", reject: "Reject", approvedOk: "Approved: it answers the same question from now on.",
      rejectedOk: "Rejected: it will not answer other customers.", reviewedBy: "{status} by {who}",
      emptyPrecedent: "Write the answer first.", openEscalation: "Open the escalation",
      reopenedOk: "Reopened.", emptyReply: "Write a reply first.",
      customer: "Customer", assistant: "Kotae", agent: "Agent",
      kind: "Kind", expansion: "Expansion", churn_risk: "Churn risk",
      acked: "Acknowledged", unacked: "Not acknowledged", all: "All",
      ack: "Acknowledge", ackedBy: "Acknowledged by {who}",
      ackedOk: "Acknowledged the {kind} signal for {account}. It is listed under “Acknowledged” now.", why: "Why", next: "Next step",
      confidence: "Confidence", exportCsv: "Export CSV", exportReady: "CSV downloaded.",
      signalCount: "Signals: {n}", inquiry: "Inquiry",
      period: "Period", last7: "Last 7 days", last30: "Last 30 days", allTime: "All time",
      inquiries: "Inquiries", deflection: "Deflection rate", helpful: "Helpful rate",
      latency: "Latency (median / p95)", cost: "LLM cost", pending: "pending",
      ratings: "{n} ratings", tokens: "{n} tokens",
      answered: "Answered", escalated: "Escalated", perDay: "Answered and escalated per day",
      reasons: "Escalation reasons", tags: "Tags", languages: "Languages",
      signalKinds: "Signals raised", noData: "No data yet.",
      resolution: "Resolution by channel", channel: "Channel", conversationsCol: "Conversations",
      contained: "Contained", confirmed: "Confirmed", durable: "Durable (7 days)",
      handoff: "Handed off", reopened: "Reopened", judged: "{n} judged",
      resolutionHint: "Contained: answered, no person involved. Confirmed: the customer said it helped. Durable: not reopened, no new inquiry on the topic within 7 days. Reopened: of the conversations a person resolved.",
      ch_widget: "Widget", ch_chatwoot: "Chatwoot", ch_email: "E-mail", ch_zendesk: "Zendesk", ch_all: "All channels",
      rateLimited: "Too many requests: wait {s} s and try again.",
      unavailable: "The service is unavailable ({code}); try again in a moment.",
      offline: "Cannot reach the API. Check the connection and try again.",
      refused: "Your key was refused; sign in again.",
      forbidden: "Your key's role may not do this.", conflict: "Not possible now: {detail}",
      invalid: "Invalid: {detail}", notFound: "Not found.",
      s: "{n} s", min: "{n} min", h: "{n} h", d: "{n} d"
    },
    ja: {
      console: "コンソール", signIn: "サインイン", signOut: "サインアウト", key: "APIキー",
      keyHint: "サポート担当者はエスカレーション一覧、カスタマーサクセス担当者はシグナルと分析を利用できます。",
      keyUnknown: "このキーは登録されていないか、無効化されています。",
      widgetKey: "これはチャットウィジェット用のキーです。コンソールには、サポート担当者、カスタマーサクセス担当者、または管理者のキーが必要です。",
      roleAgent: "サポート担当者", roleCsm: "カスタマーサクセス担当者", roleAdmin: "管理者",
      signedInAs: "サインイン中：{roles}", language: "表示言語", skip: "本文へ移動",
      escalations: "エスカレーション", signals: "シグナル", analytics: "分析",
      queue: "エスカレーション一覧", status: "状態", reason: "理由", tag: "タグ",
      lang: "言語", account: "アカウント", age: "待ち時間", assignee: "担当者", questionCol: "質問",
      detail: "詳細", any: "すべて", open: "未対応", claimed: "対応中", resolved: "解決済み",
      refresh: "更新", count: "エスカレーション：{n}件", none: "対象はありません。🎉",
      filters: "絞り込み", back: "一覧に戻る", conversation: "会話",
      question: "質問", sources: "検索された情報源", noSources: "情報源はありません。",
      draft: "お客様への返信", draftHint: "Kotaeが用意した下書きから始まります。お客様にはこの内容がそのまま表示され、Kotaeはこの回答から学習します。",
      resolveTag: "この対応のタグ", keepTag: "変更しない（{tag}）",
      claim: "担当する", resolve: "返信して解決", reopen: "再オープン",
      claimedOk: "担当になりました。", resolvedOk: "解決しました。お客様に返信が表示されます。",
      resolvedReview: "解決しました。お客様に返信が表示されます。「回答の再利用」で承認すると、同じ質問をした他のお客様にも回答されます。",
      precedents: "回答の再利用", precedentsTitle: "再利用する回答",
      precedentsHint: "承認した回答だけが、同じ質問をした他のお客様への回答に使われます。挨拶、氏名、署名、編集メモ、個人情報を除いた形で表示しています。",
      p_pending: "承認待ち", p_approved: "承認済み", p_rejected: "却下",
      precedentCount: "回答：{n}件", asked: "お客様の質問", sent: "お客様に送った返信",
      reusable: "他のお客様への回答（承認前に編集できます）",
      approve: "承認する", reject: "却下する", approvedOk: "承認しました。今後、同じ質問にこの回答が使われます。",
      rejectedOk: "却下しました。他のお客様への回答には使われません。", reviewedBy: "{who} が{status}",
      emptyPrecedent: "先に回答を入力してください。", openEscalation: "エスカレーションを開く",
      reopenedOk: "再オープンしました。", emptyReply: "先に返信を入力してください。",
      customer: "お客様", assistant: "Kotae", agent: "担当者",
      kind: "種類", expansion: "拡大機会", churn_risk: "解約リスク",
      acked: "確認済み", unacked: "未確認", all: "すべて",
      ack: "確認済みにする", ackedBy: "{who} が確認済み",
      ackedOk: "{account} の{kind}シグナルを確認済みにしました。「確認済み」に表示されます。", why: "理由", next: "次のアクション",
      confidence: "確度", exportCsv: "CSVをエクスポート", exportReady: "CSVをダウンロードしました。",
      signalCount: "シグナル：{n}件", inquiry: "問い合わせ",
      period: "期間", last7: "過去7日間", last30: "過去30日間", allTime: "全期間",
      inquiries: "問い合わせ数", deflection: "自己解決率", helpful: "役に立った率",
      latency: "応答時間（中央値 / p95）", cost: "LLM費用", pending: "処理中",
      ratings: "評価 {n}件", tokens: "{n}トークン",
      answered: "自動回答", escalated: "エスカレーション", perDay: "日別の自動回答とエスカレーション",
      reasons: "エスカレーション理由", tags: "タグ", languages: "言語",
      signalKinds: "シグナル", noData: "まだデータがありません。",
      resolution: "チャネル別の解決", channel: "チャネル", conversationsCol: "会話",
      contained: "自己完結", confirmed: "解決確認", durable: "持続（7日）",
      handoff: "引き継ぎ", reopened: "再オープン", judged: "判定 {n}件",
      resolutionHint: "自己完結：自動回答のみで担当者の関与なし。解決確認：お客様が解決したと伝えた。持続：7日以内に再オープンも同じ話題の問い合わせもない。再オープン：担当者が解決した会話のうち。",
      ch_widget: "ウィジェット", ch_chatwoot: "Chatwoot", ch_email: "メール", ch_zendesk: "Zendesk", ch_all: "全チャネル",
      rateLimited: "リクエストが多すぎます。{s}秒待ってから再度お試しください。",
      unavailable: "サービスを利用できません（{code}）。しばらくしてから再度お試しください。",
      offline: "APIに接続できません。接続を確認して再度お試しください。",
      refused: "キーが拒否されました。もう一度サインインしてください。",
      forbidden: "このキーの権限では実行できません。", conflict: "現在は実行できません：{detail}",
      invalid: "入力が正しくありません：{detail}", notFound: "見つかりません。",
      s: "{n}秒", min: "{n}分", h: "{n}時間", d: "{n}日"
    }
  };
  var LABELS = {
    en: {
      low_confidence: "Low confidence", human_requested: "Human requested", bug_report: "Bug report",
      sensitive_topic: "Sensitive topic", negative_sentiment: "Negative sentiment",
      injection_attempt: "Injection attempt", llm_unavailable: "LLM unavailable", policy: "Policy",
      repeated_question: "Repeated question",
      bug: "Bug", usage_question: "Usage question", success_opportunity: "Success opportunity",
      untagged: "Untagged", en: "English", ja: "Japanese", expansion: "Expansion", churn_risk: "Churn risk"
    },
    ja: {
      low_confidence: "確信度が低い", human_requested: "担当者を希望", bug_report: "不具合報告",
      sensitive_topic: "慎重な対応が必要", negative_sentiment: "強い不満",
      injection_attempt: "不正な指示の疑い", llm_unavailable: "LLM利用不可", policy: "ポリシー",
      repeated_question: "同じ質問の繰り返し",
      bug: "不具合", usage_question: "使い方の質問", success_opportunity: "拡大機会",
      untagged: "タグなし", en: "英語", ja: "日本語", expansion: "拡大機会", churn_risk: "解約リスク"
    }
  };

  // Pages defined in other scripts (insights.js), loaded before this one: each is
  // {name, roles, strings: {en, ja}, labels?: {en, ja}, view: function (kit, rest, moved)}.
  var PAGES = window.KotaeConsolePages || [];
  PAGES.forEach(function (page) {
    ["en", "ja"].forEach(function (l) {
      var extra = (page.strings || {})[l] || {}, more = (page.labels || {})[l] || {};
      for (var k in extra) STRINGS[l][k] = extra[k];
      for (var m in more) LABELS[l][m] = more[m];
    });
  });

  var SESSION = "kotae-console";
  var lang = pickLang();
  var session = readSession();
  var refreshTimer = null;

  function pickLang() {
    var saved = null;
    try { saved = localStorage.getItem("kotae-console-lang"); } catch (_e) { /* ignore */ }
    return saved === "ja" || saved === "en" ? saved
      : /^ja\b/i.test(navigator.language || "") ? "ja" : "en";
  }
  function t(name, values) {
    var text = STRINGS[lang][name] || name;
    return text.replace(/\{(\w+)\}/g, function (_m, k) {
      return values && values[k] != null ? String(values[k]) : "";
    });
  }
  function label(code) { return (code && LABELS[lang][code]) || code || "—"; }

  // Why Kotae escalated, as the API words it (in English, for logs and exports); the
  // Japanese interface says it in Japanese. Anything not listed here is shown as it came.
  var DETAIL_NAMES_JA = {
    billing_dispute: "請求に関する問い合わせ", refund: "返金", cancellation: "解約", security: "セキュリティ",
    legal: "法務", account_access: "アカウントへのアクセス", override: "指示の上書き",
    prompt_extraction: "プロンプトの聞き出し", role_override: "役割の書き換え", jailbreak: "制限の解除",
    data_exfiltration: "データの持ち出し", role_markup: "役割の偽装"
  };
  var DETAILS_JA = [
    [/^customer wrote (.*)$/, function (m) { return "お客様の文面：" + m[1]; }],
    [/^the customer asked for a person(?:: (.*))?$/, function (m) {
      return "お客様が担当者を希望" + (m[1] ? "：" + m[1] : ""); }],
    [/^sentiment (-?[\d.]+)$/, function (m) { return "感情スコア " + m[1]; }],
    [/^no documented workaround found$/, function () { return "記載された回避策なし"; }],
    [/^best grounding ([\d.]+) < ([\d.]+) \((.+)\)$/, function (m) {
      return "最も近い根拠の確度 " + m[1] + "（基準 " + m[2] + " 未満）・" +
        (m[3] === "nothing retrieved" ? "該当する情報源なし" : m[3]); }],
    [/^tag (\S+) always goes to a human$/, function (m) { return "タグ「" + label(m[1]) + "」は常に担当者が対応"; }],
    [/^rule (\S+): (.*)$/, function (m) { return "ルール " + m[1] + "：" + m[2]; }],
    [/^the customer asked the same thing (\d+) times in a row after Kotae's answers$/, function (m) {
      return "Kotaeの回答後、お客様が同じ質問を" + m[1] + "回続けて送信"; }],
    [/^model: (\w+)$/, function (m) { return "モデルの判断：" + label(m[1]); }],
    [/^model answer withheld \((\w+)\): (.*)$/, function (m) { return "モデルの回答を保留（" + m[1] + "）：" + m[2]; }],
    [/^(\w+) \(this message\): (.*)$/, function (m) {
      return (DETAIL_NAMES_JA[m[1]] || m[1]) + "（このメッセージ）：" + m[2]; }],
    [/^(\w+) \(earlier message (\d+)\): (.*)$/, function (m) {
      return (DETAIL_NAMES_JA[m[1]] || m[1]) + "（" + m[2] + "番目のメッセージ）：" + m[3]; }],
    [/^(\w+): (.*)$/, function (m) { return DETAIL_NAMES_JA[m[1]] ? DETAIL_NAMES_JA[m[1]] + "：" + m[2] : null; }]
  ];
  function detailText(detail) {
    if (!detail || lang !== "ja") return detail || "";
    for (var i = 0; i < DETAILS_JA.length; i++) {
      var m = DETAILS_JA[i][0].exec(detail), said = m && DETAILS_JA[i][1](m);
      if (said) return said;
    }
    return detail;
  }

  function readSession() {
    try { return JSON.parse(sessionStorage.getItem(SESSION) || "null"); } catch (_e) { return null; }
  }
  function writeSession(value) {
    session = value;
    try {
      if (value) sessionStorage.setItem(SESSION, JSON.stringify(value));
      else sessionStorage.removeItem(SESSION);
    } catch (_e) { /* private mode: the session lasts as long as the page */ }
  }

  // ------------------------------------------------------------------ DOM

  function h(tag, attrs) {
    var node = document.createElement(tag);
    for (var name in attrs || {}) {
      var value = attrs[name];
      if (value == null || value === false) continue;
      if (name === "text") node.textContent = value;
      else if (name.slice(0, 2) === "on") node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? "" : value);
    }
    for (var i = 2; i < arguments.length; i++) append(node, arguments[i]);
    return node;
  }
  function append(node, child) {
    if (child == null || child === false) return;
    if (Array.isArray(child)) { child.forEach(function (c) { append(node, c); }); return; }
    node.appendChild(typeof child === "string" || typeof child === "number"
      ? document.createTextNode(String(child)) : child);
  }
  function $(id) { return document.getElementById(id); }
  function safeUrl(url) {
    try {
      var u = new URL(url, location.href);
      return u.protocol === "https:" || u.protocol === "http:" ? u.href : null;
    } catch (_e) { return null; }
  }
  function flash(text, kind) {
    var box = $("flash");
    box.textContent = text || "";
    box.className = "flash" + (kind ? " " + kind : "");
    box.setAttribute("role", kind === "error" ? "alert" : "status");
  }
  function select(id, labelText, options, value, onchange) {
    return h("div", { class: "field" },
      h("label", { for: id, text: labelText }),
      h("select", { id: id, onchange: onchange }, options.map(function (o) {
        return h("option", { value: o[0], selected: o[0] === value, text: o[1] });
      })));
  }
  function age(seconds) {
    var s = Math.max(0, Math.round(seconds));
    if (s < 90) return t("s", { n: s });
    if (s < 5400) return t("min", { n: Math.round(s / 60) });
    if (s < 129600) return t("h", { n: Math.round(s / 3600) });
    return t("d", { n: Math.round(s / 86400) });
  }
  function when(iso) {
    try {
      return new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short" })
        .format(new Date(iso));
    } catch (_e) { return iso; }
  }
  function pct(x) { return x == null ? "—" : Math.round(x * 100) + "%"; }

  // ------------------------------------------------------------------ API

  function ApiError(status, detail, retryAfter) {
    this.status = status; this.detail = detail; this.retryAfter = retryAfter;
  }
  function api(method, path, body, key) {
    var headers = { Authorization: "Bearer " + (key || (session && session.key) || "") };
    var init = { method: method, headers: headers };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(path, init).then(function (res) {
      if (res.ok) return res;
      return res.json().catch(function () { return {}; }).then(function (e) {
        throw new ApiError(res.status, e.detail || res.statusText, res.headers.get("Retry-After"));
      });
    }, function () { throw new ApiError(0, ""); });
  }
  function json(method, path, body) {
    return api(method, path, body).then(function (res) { return res.json(); });
  }
  function explain(err) {
    if (!(err instanceof ApiError)) return String(err);
    if (err.status === 0) return t("offline");
    if (err.status === 401) return t("refused");
    if (err.status === 403) return t("forbidden");
    if (err.status === 404) return t("notFound");
    if (err.status === 409) return t("conflict", { detail: err.detail });
    if (err.status === 422) return t("invalid", { detail: err.detail });
    if (err.status === 429) return t("rateLimited", { s: err.retryAfter || 5 });
    return t("unavailable", { code: err.status });
  }
  function failed(err) {
    if (err instanceof ApiError && err.status === 401) {
      signOut();
    }
    flash(explain(err), "error");
  }

  // ------------------------------------------------------------------ shell

  function chrome() {
    document.documentElement.lang = lang;
    document.title = "Kotae " + t("console");
    $("brand-sub").textContent = t("console");
    $("lang-label").textContent = t("language");
    $("lang-select").value = lang;
    document.querySelector(".skip").textContent = t("skip");
    var out = $("sign-out");
    out.textContent = t("signOut");
    out.hidden = !session;
    var nav = $("nav");
    nav.textContent = "";
    nav.hidden = !session;
    var role = session && (session.role || session.roles[0]);
    $("who").textContent = session ? t("signedInAs", { roles: t("role" + role[0].toUpperCase() + role.slice(1)) }) : "";
    if (!session) return;
    var current = (location.hash.split("/")[1] || "");
    sections().forEach(function (s) {
      nav.appendChild(h("a", { href: "#/" + s, text: t(s),
                               "aria-current": current === s ? "page" : null }));
    });
  }

  function sections() {
    var roles = session ? session.roles : [];
    var out = [];
    if (roles.indexOf("agent") >= 0) out.push("escalations", "precedents");
    if (roles.indexOf("csm") >= 0) out.push("signals", "analytics");
    PAGES.forEach(function (page) {
      var admitted = page.roles.some(function (r) { return roles.indexOf(r) >= 0; });
      if (admitted && out.indexOf(page.name) < 0) out.push(page.name);
    });
    return out;
  }

  function view(title) {
    var main = $("main");
    main.textContent = "";
    var heading = h("h2", { tabindex: "-1", text: title });
    main.appendChild(heading);
    return { main: main, heading: heading };
  }

  function focusHeading(v, moved) { if (moved) v.heading.focus(); }

  function signOut() {
    writeSession(null);
    if (location.hash !== "#/signin") location.hash = "#/signin";
    else render(true);
  }

  // ------------------------------------------------------------------ sign in

  function signInView() {
    var v = view(t("signIn"));
    var error = h("p", { class: "error", role: "alert", id: "signin-error" });
    var input = h("input", { id: "api-key", type: "password", autocomplete: "off", spellcheck: "false",
                             required: true, "aria-describedby": "key-hint signin-error" });
    var button = h("button", { type: "submit", class: "primary", text: t("signIn") });
    var form = h("form", { class: "signin", onsubmit: function (e) {
      e.preventDefault();
      var key = input.value.trim();
      if (!key) return;
      button.disabled = true;
      error.textContent = "";
      // The key decides the role: ask the API what this one may do.
      api("GET", "/v1/me", undefined, key).then(function (res) { return res.json(); }).then(function (me) {
        if (me.role === "widget") { error.textContent = t("widgetKey"); input.focus(); return; }
        writeSession({ key: key, roles: me.role === "admin" ? ["agent", "csm"] : [me.role], role: me.role });
        flash("");
        location.hash = "#/" + sections()[0];
      }).catch(function (err) {
        error.textContent = err.status === 401 ? t("keyUnknown") : explain(err);
        input.focus();
      }).finally(function () { button.disabled = false; });
    } },
      h("label", { for: "api-key", text: t("key") }),
      input,
      h("p", { id: "key-hint", class: "hint", text: t("keyHint") }),
      button, error);
    v.main.appendChild(form);
    input.focus();
  }

  // An automatic refresh must not pull the row a keyboard user is on from under them. Asked
  // when a refresh starts and again when its answer arrives: they may have moved in between.
  function holdStill(body, auto) {
    return auto === true && body.contains(document.activeElement);
  }

  // ------------------------------------------------------------------ escalations

  function queueFilters() {
    var saved = {};
    try { saved = JSON.parse(sessionStorage.getItem("kotae-console-queue") || "{}"); } catch (_e) { /* ignore */ }
    return { status: saved.status == null ? "open" : saved.status, reason: saved.reason || "",
             tag: saved.tag || "", language: saved.language || "" };
  }

  function queueView(moved) {
    var v = view(t("queue"));
    var f = queueFilters();
    var body = h("div", { id: "queue-body", "aria-live": "polite" });
    function update(name) {
      return function (e) {
        f[name] = e.target.value;
        try { sessionStorage.setItem("kotae-console-queue", JSON.stringify(f)); } catch (_e) { /* ignore */ }
        load();
      };
    }
    var tagInput = h("input", { id: "f-tag", list: "tag-list", value: f.tag, onchange: update("tag") });
    v.main.appendChild(h("form", { class: "filters", "aria-label": t("filters"),
                                   onsubmit: function (e) { e.preventDefault(); load(); } },
      select("f-status", t("status"), [["", t("any")], ["open", t("open")], ["claimed", t("claimed")],
                                       ["resolved", t("resolved")]], f.status, update("status")),
      select("f-reason", t("reason"), [["", t("any")]].concat(REASONS.map(function (r) { return [r, label(r)]; })),
             f.reason, update("reason")),
      h("div", { class: "field" }, h("label", { for: "f-tag", text: t("tag") }), tagInput,
        h("datalist", { id: "tag-list" }, TAGS.map(function (x) { return h("option", { value: x, text: label(x) }); }))),
      select("f-language", t("lang"), [["", t("any")], ["en", label("en")], ["ja", label("ja")]],
             f.language, update("language")),
      h("button", { type: "submit", text: t("refresh") })));
    v.main.appendChild(body);

    function load(auto) {
      if (holdStill(body, auto)) return;
      var q = ["limit=200"];
      ["status", "reason", "tag", "language"].forEach(function (k) {
        if (f[k]) q.push(k + "=" + encodeURIComponent(f[k]));
      });
      return json("GET", "/v1/escalations?" + q.join("&")).then(function (page) {
        if (holdStill(body, auto)) return;
        body.textContent = "";
        body.appendChild(h("p", { class: "count", text: t("count", { n: page.total }) }));
        if (!page.items.length) { body.appendChild(h("p", { text: t("none") })); return; }
        body.appendChild(h("div", { class: "table-wrap" }, h("table", { class: "queue" },
          h("thead", {}, h("tr", {}, [t("questionCol"), t("age"), t("reason"), t("tag"), t("lang"),
                                      t("account"), t("status"), t("assignee")].map(function (c) {
            return h("th", { scope: "col", text: c });
          }))),
          h("tbody", {}, page.items.map(function (e) {
            // One link per row, named by the question; it covers the whole row (CSS), so a
            // click anywhere on the row opens the escalation.
            return h("tr", {},
              h("td", { class: "question" },
                h("a", { class: "row-link", href: "#/escalations/" + encodeURIComponent(e.id),
                         title: e.preview || "", text: e.preview || label(e.reason) }),
                h("span", { class: "detail", text: detailText(e.detail) })),
              // data-label: on a phone the row is a card and each value says what it is.
              h("td", { class: "nowrap", "data-label": t("age"), text: age(e.age_s) }),
              h("td", {}, h("span", { class: "pill reason-" + e.reason, text: label(e.reason) }),
                // The customer asked for a person while it was open for another reason.
                e.person_requested_at && e.reason !== "human_requested" ? [" ", h("span", {
                  class: "pill reason-human_requested", text: label("human_requested") })] : null),
              h("td", { "data-label": t("tag"), text: label(e.tag) }),
              h("td", { "data-label": t("lang"), text: e.language ? label(e.language) : "—" }),
              h("td", { "data-label": t("account"), text: e.account_id || "—" }),
              h("td", {}, h("span", { class: "pill status-" + e.status, text: t(e.status) })),
              h("td", { "data-label": t("assignee"), text: e.assignee || "—" }));
          })))));
      }, failed);
    }
    load();
    focusHeading(v, moved);
    refreshTimer = setInterval(function () { if (!document.hidden) load(true); }, REFRESH_MS);
  }

  function escalationView(id, moved) {
    var v = view(t("escalations"));
    v.main.insertBefore(h("p", {}, h("a", { href: "#/escalations", text: "← " + t("back") })), v.heading);
    var body = h("div", { class: "escalation" });
    v.main.appendChild(body);

    function load() {
      return json("GET", "/v1/escalations/" + encodeURIComponent(id)).then(draw, failed);
    }

    function act(action, payload, ok) {
      var buttons = body.querySelectorAll(".actions button");
      buttons.forEach(function (b) { b.disabled = true; });
      body.setAttribute("aria-busy", "true");
      return json("POST", "/v1/escalations/" + encodeURIComponent(id) + "/" + action, payload)
        .then(function () { flash(ok, "ok"); return load(); }, function (err) {
          buttons.forEach(function (b) { b.disabled = false; });
          failed(err);
        })
        .finally(function () { body.removeAttribute("aria-busy"); });
    }

    function draw(e) {
      v.heading.textContent = label(e.reason) + " · " + t(e.status);
      body.textContent = "";
      body.appendChild(h("dl", { class: "facts" },
        fact(t("status"), h("span", { class: "pill status-" + e.status, text: t(e.status) })),
        fact(t("reason"), label(e.reason) + (e.detail ? (lang === "ja" ? "：" : ": ") + detailText(e.detail) : "")),
        fact(t("tag"), label(e.tag) + (e.decision && !e.resolution_tag && e.decision.tag === e.tag
          ? " (" + pct(e.decision.tag_confidence) + ")" : "")),
        fact(t("lang"), e.language ? label(e.language) : "—"),
        fact(t("account"), e.account_id || "—"),
        fact(t("age"), age(e.age_s)),
        fact(t("assignee"), e.assignee || "—")));

      var messages = (e.conversation && e.conversation.messages) || [];
      body.appendChild(h("section", { "aria-labelledby": "conv-title", class: "panel" },
        h("h3", { id: "conv-title", text: t("conversation") }),
        h("ol", { class: "conversation" }, messages.map(function (m) {
          return h("li", { class: "turn " + m.role },
            h("span", { class: "turn-who", text: t(m.role) + (m.author ? " · " + m.author : "") + " · " + when(m.created_at) }),
            h("p", { class: "turn-text", text: m.text }));
        }))));

      var sources = e.sources || [];
      body.appendChild(h("section", { "aria-labelledby": "src-title", class: "panel" },
        h("h3", { id: "src-title", text: t("sources") }),
        sources.length ? h("ol", { class: "sources" }, sources.map(function (s) {
          var href = s.url && safeUrl(s.url);
          return h("li", {},
            href ? h("a", { href: href, target: "_blank", rel: "noopener noreferrer", text: s.title })
                 : h("span", { text: s.title }),
            h("span", { class: "muted", text: " · " + s.source + " · " + s.id + " · " + (Math.round(s.score * 1000) / 1000) }));
        })) : h("p", { class: "muted", text: t("noSources") })));

      var reply = h("textarea", { id: "reply", rows: "9", "aria-describedby": "reply-hint",
                                  readonly: e.status === "resolved" });
      reply.value = e.resolution || e.draft || "";
      var tagSelect = h("select", { id: "resolve-tag" },
        [h("option", { value: "", text: t("keepTag", { tag: label(e.tag) }) })].concat(
          TAGS.map(function (x) { return h("option", { value: x, text: label(x) }); })));
      var buttons = h("div", { class: "actions" });
      if (e.status === "open") {
        buttons.appendChild(h("button", { type: "button", text: t("claim"),
                                          onclick: function () { act("claim", {}, t("claimedOk")); } }));
      }
      if (e.status !== "resolved") {
        buttons.appendChild(h("button", { type: "submit", class: "primary", text: t("resolve") }));
      }
      if (e.status !== "open") {
        buttons.appendChild(h("button", { type: "button", text: t("reopen"),
                                          onclick: function () { act("reopen", undefined, t("reopenedOk")); } }));
      }
      body.appendChild(h("form", { class: "panel reply",
                                   onsubmit: function (ev) {
        ev.preventDefault();
        var answer = reply.value.trim();
        if (!answer) { flash(t("emptyReply"), "error"); reply.focus(); return; }
        var payload = { answer: answer };
        if (tagSelect.value) payload.tag = tagSelect.value;
        act("resolve", payload, t("resolvedReview"));
      } },
        h("label", { for: "reply", id: "reply-title", class: "h3", text: t("draft") }),
        reply,
        h("p", { id: "reply-hint", class: "hint", text: t("draftHint") }),
        e.status !== "resolved" ? h("div", { class: "field" },
          h("label", { for: "resolve-tag", text: t("resolveTag") }), tagSelect) : null,
        buttons));
    }

    function fact(name, value) {
      return h("div", {}, h("dt", { text: name }), h("dd", {}, value));
    }

    load().then(function () { focusHeading(v, moved); });
  }

  // ------------------------------------------------------------------ precedents

  // Replies waiting to answer other customers: approve (as shown or edited) or reject each.
  function precedentsView(moved) {
    var v = view(t("precedentsTitle"));
    var f = { status: "pending" };
    var body = h("div", { id: "precedents-body" });
    v.main.appendChild(h("p", { class: "hint", text: t("precedentsHint") }));
    v.main.appendChild(h("form", { class: "filters", "aria-label": t("filters"),
                                   onsubmit: function (e) { e.preventDefault(); load(); } },
      select("p-status", t("status"), [["pending", t("p_pending")], ["approved", t("p_approved")],
                                       ["rejected", t("p_rejected")]], f.status,
             function (e) { f.status = e.target.value; load(); }),
      h("button", { type: "submit", text: t("refresh") })));
    v.main.appendChild(body);

    function review(item, action, text, buttons) {
      buttons.forEach(function (b) { b.disabled = true; });
      var payload = action === "approve" ? { text: text } : undefined;
      return json("POST", "/v1/precedents/" + encodeURIComponent(item.escalation_id) + "/" + action, payload)
        .then(function () {
          flash(t(action === "approve" ? "approvedOk" : "rejectedOk"), "ok");
          return load();
        }, function (err) {
          buttons.forEach(function (b) { b.disabled = false; });
          failed(err);
        });
    }

    function card(item, i) {
      var id = "precedent-" + i;
      var text = h("textarea", { id: id, rows: "6", readonly: item.status === "approved" });
      text.value = item.precedent;
      var actions = h("div", { class: "actions" });
      var buttons = [];
      if (item.status !== "approved") {
        var approve = h("button", { type: "submit", class: "primary", text: t("approve") });
        buttons.push(approve);
        actions.appendChild(approve);
      }
      if (item.status === "pending") {
        var reject = h("button", { type: "button", text: t("reject"),
                                   onclick: function () { review(item, "reject", null, buttons); } });
        buttons.push(reject);
        actions.appendChild(reject);
      }
      return h("li", { class: "panel precedent" },
        h("div", { class: "signal-head" },
          h("span", { class: "pill status-" + item.status, text: t("p_" + item.status) }),
          h("strong", { text: label(item.tag) }),
          h("span", { class: "muted", text: (item.language ? label(item.language) + " · " : "") +
                                             (item.resolved_at ? when(item.resolved_at) : "") }),
          h("a", { href: "#/escalations/" + encodeURIComponent(item.escalation_id), text: t("openEscalation") })),
        item.question ? h("div", {}, h("span", { class: "turn-who", text: t("asked") }),
                          h("blockquote", { class: "evidence" }, h("p", { text: item.question }))) : null,
        h("details", {}, h("summary", { text: t("sent") + (item.assignee ? " · " + item.assignee : "") }),
          h("p", { class: "turn-text", text: item.resolution })),
        h("form", { class: "reply", onsubmit: function (e) {
          e.preventDefault();
          var answer = text.value.trim();
          if (!answer) { flash(t("emptyPrecedent"), "error"); text.focus(); return; }
          review(item, "approve", answer, buttons);
        } },
          h("label", { for: id, class: "h3", text: t("reusable") }), text, actions),
        item.reviewer ? h("p", { class: "muted", text: t("reviewedBy", { status: t("p_" + item.status),
                                                                          who: item.reviewer }) +
                                 (item.reviewed_at ? " · " + when(item.reviewed_at) : "") }) : null);
    }

    function load(auto) {
      if (holdStill(body, auto)) return;
      return json("GET", "/v1/precedents?limit=200&status=" + f.status).then(function (page) {
        if (holdStill(body, auto)) return;
        body.textContent = "";
        body.appendChild(h("p", { class: "count", text: t("precedentCount", { n: page.total }) }));
        if (!page.items.length) { body.appendChild(h("p", { text: t("none") })); return; }
        body.appendChild(h("ol", { class: "signals precedents" }, page.items.map(card)));
      }, failed);
    }
    load();
    focusHeading(v, moved);
    refreshTimer = setInterval(function () { if (!document.hidden) load(true); }, REFRESH_MS);
  }

  // ------------------------------------------------------------------ signals

  function signalsView(moved) {
    var v = view(t("signals"));
    var f = { kind: "", acked: "false", account: "" };
    var body = h("div", { id: "signals-body" });
    var exportLink = h("a", { href: "/v1/signals.csv", class: "button", download: "signals.csv",
                              id: "export-csv", text: t("exportCsv"), onclick: exportCsv });
    function update(name) { return function (e) { f[name] = e.target.value; load(); }; }
    v.main.appendChild(h("form", { class: "filters", "aria-label": t("filters"),
                                   onsubmit: function (e) { e.preventDefault(); load(); } },
      select("s-kind", t("kind"), [["", t("any")], ["expansion", t("expansion")], ["churn_risk", t("churn_risk")]],
             f.kind, update("kind")),
      select("s-acked", t("status"), [["false", t("unacked")], ["true", t("acked")], ["", t("all")]],
             f.acked, update("acked")),
      h("div", { class: "field" }, h("label", { for: "s-account", text: t("account") }),
        h("input", { id: "s-account", placeholder: "acct_…", onchange: update("account") })),
      h("button", { type: "submit", text: t("refresh") }),
      exportLink));
    v.main.appendChild(body);

    function query() {
      var q = [];
      if (f.kind) q.push("kind=" + f.kind);
      if (f.acked) q.push("acked=" + f.acked);
      if (f.account) q.push("account_id=" + encodeURIComponent(f.account));
      return q.join("&");
    }

    // The CSV needs the API key, which a plain link cannot send: fetch it, then save it.
    function exportCsv(e) {
      e.preventDefault();
      var q = query();
      api("GET", "/v1/signals.csv" + (q ? "?" + q : "")).then(function (res) { return res.blob(); })
        .then(function (blob) {
          var url = URL.createObjectURL(blob);
          var a = h("a", { href: url, download: "signals.csv", hidden: true });
          document.body.appendChild(a);
          a.click();
          a.remove();
          setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
          flash(t("exportReady"), "ok");
        }, failed);
    }

    // A CSM knows customers by name: the accounts' names (from the Accounts page's data, read
    // once for this view) go beside their ids, each a link to the account.
    var names = null;
    function accountNames() {
      if (names) return Promise.resolve(names);
      return json("GET", "/v1/accounts?limit=1000").then(function (page) {
        names = {};
        (page.items || []).forEach(function (a) { if (a.name) names[a.account_id] = a.name; });
        return names;
      }, function () { names = {}; return names; });
    }

    function load(auto) {
      if (holdStill(body, auto)) return;
      return Promise.all([json("GET", "/v1/signals?limit=200&" + query()), accountNames()]).then(function (got) {
        var page = got[0], known = got[1];
        if (holdStill(body, auto)) return;
        body.textContent = "";
        body.appendChild(h("p", { class: "count", text: t("signalCount", { n: page.total }) }));
        if (!page.items.length) { body.appendChild(h("p", { text: t("none") })); return; }
        body.appendChild(h("ul", { class: "signals" }, page.items.map(function (s) {
          // The policy's texts in the console's language; older signals have English only.
          var said = (s.localized && s.localized[lang]) || s;
          var ack = s.acked_at
            ? h("p", { class: "muted", text: t("ackedBy", { who: s.acked_by || "—" }) + " · " + when(s.acked_at) })
            : h("button", { type: "button", text: t("ack"),
                            "aria-label": t("ack") + ": " + (s.account_id || "") + " " + label(s.kind),
                            onclick: function () {
                json("POST", "/v1/signals/" + encodeURIComponent(s.id) + "/ack").then(function () {
                  flash(t("ackedOk", { kind: label(s.kind), account: s.account_id || "—" }), "ok");
                  return load();
                }, failed);
              } });
          return h("li", { class: "signal kind-" + s.kind },
            h("div", { class: "signal-head" },
              h("span", { class: "pill kind-" + s.kind, text: label(s.kind) }),
              s.account_id
                ? h("a", { class: "signal-account", href: "#/accounts/" + encodeURIComponent(s.account_id),
                           text: known[s.account_id] ? known[s.account_id] + " · " + s.account_id : s.account_id })
                : h("strong", { class: "signal-account", text: "—" }),
              h("span", { class: "muted", text: when(s.created_at) })),
            h("blockquote", { class: "evidence" }, h("p", { text: "“" + s.evidence + "”" })),
            h("dl", { class: "facts small" },
              h("div", {}, h("dt", { text: t("why") }), h("dd", { text: said.why })),
              h("div", {}, h("dt", { text: t("next") }), h("dd", { text: said.next_step })),
              h("div", {}, h("dt", { text: t("confidence") }), h("dd", { text: pct(s.confidence) }))),
            ack);
        })));
      }, failed);
    }
    load();
    focusHeading(v, moved);
    refreshTimer = setInterval(function () { if (!document.hidden) load(true); }, REFRESH_MS);
  }

  // ------------------------------------------------------------------ analytics

  function analyticsView(moved) {
    var v = view(t("analytics"));
    var days = 7;
    var body = h("div", { class: "analytics" });
    v.main.appendChild(h("form", { class: "filters", "aria-label": t("filters"),
                                   onsubmit: function (e) { e.preventDefault(); } },
      select("a-period", t("period"), [["7", t("last7")], ["30", t("last30")], ["0", t("allTime")]], "7",
             function (e) { days = parseInt(e.target.value, 10); load(); })));
    v.main.appendChild(body);

    function dayStart(offset) {
      var d = new Date();
      d.setHours(0, 0, 0, 0);
      d.setDate(d.getDate() - offset);
      return d;
    }

    // Only the latest request draws: a slower answer to an earlier period must not replace it.
    var latest = 0;
    function load() {
      var mine = ++latest;
      var since = days ? "?since=" + encodeURIComponent(dayStart(days - 1).toISOString()) : "";
      var total = json("GET", "/v1/analytics/summary" + since);
      var series = [];
      var n = Math.min(days || 7, 14);
      for (var i = n - 1; i >= 0; i--) {
        (function (start, end) {
          series.push(json("GET", "/v1/analytics/summary?since=" + encodeURIComponent(start.toISOString()) +
                               "&until=" + encodeURIComponent(end.toISOString()))
            .then(function (s) { return { day: start, answered: s.answered, escalated: s.escalated }; }));
        })(dayStart(i), dayStart(i - 1));
      }
      var resolution = json("GET", "/v1/analytics/resolution" + since);
      Promise.all([total, Promise.all(series), resolution]).then(function (r) {
        if (mine !== latest) return;
        draw(r[0], r[1]);
        body.appendChild(resolutionTable(r[2].channels));
      }, failed);
    }

    function resolutionTable(channels) {
      var names = Object.keys(channels).filter(function (k) { return k !== "all"; }).sort();
      if (names.length > 1) names.push("all");
      var cap = h("caption", { text: t("resolution") });
      var head = h("tr", {}, [t("channel"), t("conversationsCol"), t("contained"), t("confirmed"),
                              t("durable"), t("handoff"), t("reopened")].map(function (c) {
        return h("th", { scope: "col", text: c });
      }));
      var rows = names.map(function (name) {
        var c = channels[name];
        return h("tr", {}, h("th", { scope: "row", text: t("ch_" + name) === "ch_" + name ? name : t("ch_" + name) }),
          h("td", { text: String(c.conversations) }),
          h("td", { text: pct(c.containment_rate) }),
          h("td", { text: pct(c.confirmed_rate) }),
          h("td", { text: pct(c.durable_rate) + " · " + t("judged", { n: c.durable_judged }) }),
          h("td", { text: pct(c.handoff_rate) }),
          h("td", { text: pct(c.reopen_rate) }));
      });
      return h("section", { class: "resolution", id: "resolution" },
        h("div", { class: "table-wrap" },
          h("table", {}, cap, h("thead", {}, head), h("tbody", {}, rows))),
        h("p", { class: "muted", text: t("resolutionHint") }));
    }

    function draw(s, perDay) {
      body.textContent = "";
      body.appendChild(h("div", { class: "kpis" },
        kpi(t("inquiries"), String(s.inquiries), s.pending ? s.pending + " " + t("pending") : ""),
        kpi(t("deflection"), pct(s.deflection_rate), s.answered + " / " + s.decided),
        kpi(t("helpful"), pct(s.helpful_rate), t("ratings", { n: s.feedback })),
        kpi(t("latency"), s.latency_median_ms == null && s.latency_p95_ms == null ? "—"
          : ms(s.latency_median_ms) + " / " + ms(s.latency_p95_ms) + " ms", ""),  // one line in a tile
        kpi(t("cost"), "$" + (s.cost_usd || 0).toFixed(4), t("tokens", { n: s.prompt_tokens + s.completion_tokens }))));
      var fmt = new Intl.DateTimeFormat(lang, { month: "numeric", day: "numeric" });
      body.appendChild(figure("chart-days", t("perDay"), columns(perDay.map(function (d) {
        return { label: fmt.format(d.day), a: d.answered, b: d.escalated };
      }))));
      body.appendChild(h("div", { class: "charts" },
        figure("chart-reasons", t("reasons"), bars(s.escalation_reasons)),
        figure("chart-tags", t("tags"), bars(s.tags)),
        figure("chart-languages", t("languages"), bars(s.languages)),
        figure("chart-signals", t("signalKinds"), bars(s.signals))));
    }

    function ms(x) { return x == null ? "—" : String(Math.round(x)); }

    function kpi(name, value, sub) {
      return h("div", { class: "kpi" }, h("span", { class: "kpi-name", text: name }),
               h("strong", { class: "kpi-value", text: value }),
               sub ? h("span", { class: "kpi-sub", text: sub }) : null);
    }

    function figure(id, caption, chart) {
      return h("figure", { class: "chart", id: id, "aria-labelledby": id + "-cap" },
               h("figcaption", { id: id + "-cap", text: caption }), chart);
    }

    load();
    focusHeading(v, moved);
  }

  var SVG = "http://www.w3.org/2000/svg";
  function svgEl(tag, attrs, text) {
    var node = document.createElementNS(SVG, tag);
    for (var k in attrs) node.setAttribute(k, attrs[k]);
    if (text != null) node.textContent = text;
    return node;
  }

  // Horizontal bars, one per key of counts, largest first.
  function bars(counts) {
    var items = Object.keys(counts || {}).map(function (k) { return [k, counts[k]]; })
      .filter(function (x) { return x[1] > 0; }).sort(function (a, b) { return b[1] - a[1]; });
    if (!items.length) return h("p", { class: "muted", text: t("noData") });
    var max = items[0][1], row = 26, width = 360, labelW = 150;
    var svg = svgEl("svg", { viewBox: "0 0 " + width + " " + items.length * row, role: "img",
                         width: width, height: items.length * row, "aria-label": items.map(function (x) { return label(x[0]) + ": " + x[1]; }).join(", ") });
    items.forEach(function (x, i) {
      var w = Math.max(2, (width - labelW - 40) * x[1] / max), y = i * row;
      svg.appendChild(svgEl("text", { x: 0, y: y + 17, class: "bar-label" }, label(x[0])));
      var rect = svgEl("rect", { x: labelW, y: y + 4, width: w, height: row - 8, rx: 3, class: "bar" });
      rect.appendChild(svgEl("title", {}, label(x[0]) + ": " + x[1]));
      svg.appendChild(rect);
      svg.appendChild(svgEl("text", { x: labelW + w + 6, y: y + 17, class: "bar-value" }, String(x[1])));
    });
    return svg;
  }

  // Stacked columns per day: answered (a) under escalated (b).
  function columns(items) {
    var total = items.reduce(function (n, x) { return n + x.a + x.b; }, 0);
    if (!total) return h("p", { class: "muted", text: t("noData") });
    var max = Math.max.apply(null, items.map(function (x) { return x.a + x.b; }));
    var height = 160, colW = 40, gap = 10, base = height - 22;
    var width = items.length * (colW + gap);
    var svg = svgEl("svg", { viewBox: "0 0 " + width + " " + (height + 18), role: "img",
                         width: width, height: height + 18,
                         "aria-label": items.map(function (x) {
                           return x.label + ": " + t("answered") + " " + x.a + ", " + t("escalated") + " " + x.b;
                         }).join("; ") });
    items.forEach(function (x, i) {
      var left = i * (colW + gap) + gap / 2;
      var ha = (base - 14) * x.a / max, hb = (base - 14) * x.b / max;
      var ra = svgEl("rect", { x: left, y: base - ha, width: colW, height: ha, class: "bar" });
      ra.appendChild(svgEl("title", {}, x.label + " " + t("answered") + ": " + x.a));
      var rb = svgEl("rect", { x: left, y: base - ha - hb, width: colW, height: hb, class: "bar bar-b" });
      rb.appendChild(svgEl("title", {}, x.label + " " + t("escalated") + ": " + x.b));
      svg.appendChild(ra);
      svg.appendChild(rb);
      if (x.a + x.b) svg.appendChild(svgEl("text", { x: left + colW / 2, y: base - ha - hb - 4, class: "bar-value", "text-anchor": "middle" }, String(x.a + x.b)));
      svg.appendChild(svgEl("text", { x: left + colW / 2, y: base + 16, class: "bar-label", "text-anchor": "middle" }, x.label));
    });
    var legend = h("p", { class: "legend" },
      h("span", { class: "swatch" }), " " + t("answered") + "  ",
      h("span", { class: "swatch b" }), " " + t("escalated"));
    var wrap = h("div", {});
    wrap.appendChild(svg);
    wrap.appendChild(legend);
    return wrap;
  }

  // What pages from other scripts use: the same helpers the built-in pages do.
  var kit = {
    h: h, t: t, label: label, json: json, api: api, failed: failed, flash: flash, view: view,
    focusHeading: focusHeading, select: select, bars: bars, svgEl: svgEl, pct: pct, when: when,
    safeUrl: safeUrl, ApiError: ApiError, lang: function () { return lang; },
    roles: function () { return session ? session.roles : []; },
    role: function () { return session ? session.role || session.roles[0] : null; }
  };

  // ------------------------------------------------------------------ routing

  function render(moved) {
    clearInterval(refreshTimer);
    refreshTimer = null;
    chrome();
    var parts = location.hash.replace(/^#\/?/, "").split("/");
    if (!session) {
      if (parts[0] !== "signin") { location.replace("#/signin"); return; }
      signInView();
      return;
    }
    var allowed = sections();
    if (allowed.indexOf(parts[0]) < 0) { location.replace("#/" + allowed[0]); return; }
    if (parts[0] === "escalations" && parts[1]) escalationView(decodeURIComponent(parts[1]), moved);
    else if (parts[0] === "escalations") queueView(moved);
    else if (parts[0] === "precedents") precedentsView(moved);
    else if (parts[0] === "signals") signalsView(moved);
    else if (parts[0] === "analytics") analyticsView(moved);
    else {
      var page = PAGES.filter(function (p) { return p.name === parts[0]; })[0];
      page.view(kit, parts.slice(1).map(decodeURIComponent), moved);
    }
  }

  $("lang-select").addEventListener("change", function (e) {
    lang = e.target.value === "ja" ? "ja" : "en";
    try { localStorage.setItem("kotae-console-lang", lang); } catch (_e) { /* ignore */ }
    render(false);
  });
  $("sign-out").addEventListener("click", signOut);
  window.addEventListener("hashchange", function () { flash(""); render(true); });
  render(false);
})();
