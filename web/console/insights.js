/* Kotae console: the Insights page (content performance; topics, bug clusters and knowledge
 * gaps where the server offers them) and the Accounts page (account health for CSMs).
 * Registered with console.js, which loads after this file and lends its helpers (`k`).
 * Customers' words and account names are only ever set as text. */
(function () {
  "use strict";

  var PARTS = {
    en: {
      volume_trend: "Inquiry trend", negative_sentiment: "Negative sentiment",
      repeated_contacts: "Repeated contacts", reopenings: "Reopenings",
      unhelpful_answers: "Unhelpful answers (👎)", bugs_hit: "Bugs hit",
      open_escalations: "Open escalations", churn_signals: "Churn signals",
      expansion_signals: "Expansion signals", success_questions: "Success-opportunity questions",
      healthy: "Healthy", watch: "Watch", at_risk: "At risk"
    },
    ja: {
      volume_trend: "問い合わせの増加", negative_sentiment: "強い不満",
      repeated_contacts: "繰り返しの問い合わせ", reopenings: "再オープン",
      unhelpful_answers: "役に立たなかった回答（👎）", bugs_hit: "遭遇した不具合",
      open_escalations: "未解決のエスカレーション", churn_signals: "解約リスクのシグナル",
      expansion_signals: "拡大機会のシグナル", success_questions: "拡大機会の質問",
      healthy: "良好", watch: "要注意", at_risk: "リスクあり"
    }
  };

  var STRINGS = {
    en: {
      insights: "Insights", accounts: "Accounts", days: "Period", d7: "Last 7 days", d30: "Last 30 days",
      d90: "Last 90 days", content: "Content performance",
      contentHint: "Each source answers cited: how often, how often the answer helped, and how often the conversation went wrong after it (a 👎 or an escalation).",
      article: "Article", cited: "Cited", helpfulRate: "Helpful", trouble: "Then 👎 or escalated",
      mostCited: "Most cited", topics: "Topics", bugs: "Bug clusters", gaps: "Knowledge gaps",
      notOffered: "Not available on this server.", needsRole: "Your role does not include this section.",
      nothingYet: "Nothing yet: it fills in as inquiries arrive.", volume: "Volume",
      accountsTitle: "Account health", sort: "Sort by", byRisk: "Risk (lowest score first)",
      byExpansion: "Expansion potential", byName: "Name", band: "Band", anyBand: "Any",
      score: "Health", expansion: "Expansion", plan: "Plan", inquiriesCol: "Inquiries",
      mainCauses: "Main causes", bands: "Accounts by band", accountCount: "Accounts: {n}",
      computed: "Computed {when}", scoreHint: "Every account starts at 100; each part takes off at most its weight: weight × min(1, value ÷ full at). Nothing else goes into the score.",
      part: "Part", value: "Value", weight: "Weight", fullAt: "Full at", contribution: "Contribution",
      howBuilt: "How the score is built", growth: "Expansion potential", recent: "Latest inquiries",
      recentSignals: "Latest signals", backToAccounts: "Back to accounts", prev: "previous {n}",
      bandSince: "In this band since {when}", noAccounts: "No account has asked anything yet.",
      exportAccounts: "Export CSV",
      gapTitle: "Article title", gapDraft: "Article text", gapApprove: "Approve as article",
      gapDismiss: "Dismiss", gapEvidence: "{lang} · {signals} signals · {resolutions} agents' answers",
      gapEditHint: "Edit the draft, then approve it: it becomes a knowledge-base article and the next such question is answered from it.",
      gapApproved: "Published as knowledge-base article {doc}.", gapDismissed: "Dismissed: this gap is not raised again.",
      gapFailed: "Not saved: {why}", gapWorking: "Saving…"
    },
    ja: {
      insights: "インサイト", accounts: "アカウント", days: "期間", d7: "過去7日間", d30: "過去30日間",
      d90: "過去90日間", content: "コンテンツの効果",
      contentHint: "回答に引用された情報源ごとに、引用回数、役に立った率、回答後に会話がうまくいかなかった割合（👎またはエスカレーション）を示します。",
      article: "記事", cited: "引用回数", helpfulRate: "役に立った率", trouble: "その後👎またはエスカレーション",
      mostCited: "引用の多い記事", topics: "トピック", bugs: "不具合クラスター", gaps: "ナレッジの不足",
      notOffered: "このサーバーでは利用できません。", needsRole: "この項目はあなたの権限では表示されません。",
      nothingYet: "まだありません。問い合わせが届くと表示されます。", volume: "件数",
      accountsTitle: "アカウントの健全性", sort: "並び順", byRisk: "リスク（スコアの低い順）",
      byExpansion: "拡大の可能性", byName: "名前", band: "区分", anyBand: "すべて",
      score: "健全性", expansion: "拡大", plan: "プラン", inquiriesCol: "問い合わせ",
      mainCauses: "主な要因", bands: "区分別のアカウント数", accountCount: "アカウント：{n}件",
      computed: "{when} に計算", scoreHint: "各アカウントは100から始まり、各要素が最大でその重みまで差し引きます：重み × min(1, 値 ÷ 上限値)。スコアにはそれ以外何も入りません。",
      part: "要素", value: "値", weight: "重み", fullAt: "上限値", contribution: "寄与",
      howBuilt: "スコアの内訳", growth: "拡大の可能性", recent: "最近の問い合わせ",
      recentSignals: "最近のシグナル", backToAccounts: "アカウント一覧に戻る", prev: "前期間 {n}",
      bandSince: "{when} からこの区分", noAccounts: "まだ問い合わせのあるアカウントはありません。",
      exportAccounts: "CSVをエクスポート",
      gapTitle: "記事のタイトル", gapDraft: "記事の本文", gapApprove: "記事として承認",
      gapDismiss: "却下", gapEvidence: "{lang}・シグナル{signals}件・担当者の回答{resolutions}件",
      gapEditHint: "下書きを編集して承認すると、ナレッジベースの記事になり、次の同じ質問にはその記事で回答します。",
      gapApproved: "ナレッジベースの記事 {doc} として公開しました。", gapDismissed: "却下しました。このナレッジの不足は今後表示されません。",
      gapFailed: "保存できませんでした：{why}", gapWorking: "保存中…"
    }
  };

  // The API's own description says which routes this server offers (null: unknown).
  var offeredPaths = null;
  function offered() {
    if (!offeredPaths) {
      offeredPaths = fetch("/openapi.json").then(function (res) { return res.ok ? res.json() : null; })
        .then(function (doc) { return doc && doc.paths ? doc.paths : null; }, function () { return null; });
    }
    return offeredPaths;
  }

  function number(x, digits) {
    if (x == null) return "—";
    var f = Math.pow(10, digits || 0);
    return String(Math.round(x * f) / f);
  }
  function signed(x) { return (x > 0 ? "+" : x < 0 ? "−" : "") + number(Math.abs(x), 1); }

  // ------------------------------------------------------------------ Insights

  function insightsView(k, _rest, moved) {
    var h = k.h, t = k.t;
    var v = k.view(t("insights"));
    var days = 30;
    var body = h("div", { id: "insights-body" });
    v.main.appendChild(h("form", { class: "filters", "aria-label": t("filters"),
                                   onsubmit: function (e) { e.preventDefault(); load(); } },
      k.select("i-days", t("days"), [["7", t("d7")], ["30", t("d30")], ["90", t("d90")]], String(days),
               function (e) { days = Number(e.target.value); load(); })));
    v.main.appendChild(body);

    function section(id, title) {
      var box = h("section", { class: "panel insight", id: id, "aria-labelledby": id + "-title" },
        h("h3", { id: id + "-title", text: title }));
      body.appendChild(box);
      return box;
    }

    // A section whose route this server may not offer, or that the caller's role may not
    // read: say so plainly instead of asking (a refused request is an error in the browser).
    function optional(box, path, roles, draw) {
      var holder = h("div", { "aria-busy": "true" });
      box.appendChild(holder);
      function empty(text) {
        holder.removeAttribute("aria-busy");
        holder.appendChild(h("p", { class: "muted empty", text: text }));
      }
      var mine = k.roles();
      if (!roles.some(function (r) { return mine.indexOf(r) >= 0; })) { empty(t("needsRole")); return; }
      offered().then(function (paths) {
        if (paths && !paths[path.split("?")[0]]) { empty(t("notOffered")); return; }
        return k.json("GET", path).then(function (data) {
          holder.removeAttribute("aria-busy");
          draw(holder, data);
        }, function (err) {
          if (err instanceof k.ApiError && err.status === 404) empty(t("notOffered"));
          else if (err instanceof k.ApiError && err.status === 403) empty(t("needsRole"));
          else { holder.removeAttribute("aria-busy"); k.failed(err); }
        });
      });
    }

    function items(data) { return (data && (data.items || data.topics || data.clusters || data.gaps)) || []; }
    function nameOf(x) { return x.name || x.label || x.title || x.question || x.id || "—"; }
    function countOf(x) {
      var n = x.volume != null ? x.volume : x.count != null ? x.count : x.size != null ? x.size : x.inquiries;
      return typeof n === "object" && n ? (n.current != null ? n.current : n.count) : n;
    }

    function generic(holder, data) {
      var list = items(data);
      if (!list.length) { holder.appendChild(h("p", { class: "muted empty", text: t("nothingYet") })); return; }
      var counted = list.slice(0, 10).map(function (x) { return [nameOf(x), Number(countOf(x)) || 0]; });
      // In a .chart like every other chart: without it the bars were black and the names
      // larger than their column.
      if (counted.some(function (x) { return x[1] > 0; })) {
        holder.appendChild(h("figure", { class: "chart" }, namedBars(k, counted)));
      }
      holder.appendChild(h("ol", { class: "insight-list" }, list.slice(0, 10).map(function (x) {
        var said = x.representative || x.example || (x.examples && x.examples[0]) ||
          (x.draft ? String(x.draft).slice(0, 240) : "");
        if (said && typeof said === "object") said = said.text || said.question || "";
        return h("li", {}, h("strong", { text: nameOf(x) }),
          countOf(x) != null ? h("span", { class: "muted", text: " · " + countOf(x) }) : null,
          said ? h("p", { class: "muted quote", text: String(said) }) : null);
      })));
    }

    // Admins edit each gap's draft and publish it as an article, or set the gap aside.
    function gapEditors(holder, data) {
      var list = items(data);
      if (!list.length) { holder.appendChild(h("p", { class: "muted empty", text: t("nothingYet") })); return; }
      holder.appendChild(h("p", { class: "hint", text: t("gapEditHint") }));
      list.forEach(function (gap) { holder.appendChild(gapEditor(gap)); });
    }

    function gapEditor(gap) {
      var id = "gap-" + gap.id, ev = gap.evidence || {};
      var title = h("input", { id: id + "-title", name: "title", type: "text", value: gap.title,
                               required: true, maxlength: "300" });
      var draft = h("textarea", { id: id + "-draft", name: "draft", rows: "8", required: true,
                                  maxlength: "50000" });
      draft.value = gap.draft;
      var approve = h("button", { type: "submit", class: "primary", text: t("gapApprove") });
      var dismiss = h("button", { type: "button", text: t("gapDismiss"), onclick: function () {
        act("dismiss", {});
      } });
      var said = h("p", { class: "gap-outcome", role: "status", "aria-live": "polite" });
      var form = h("form", { class: "gap-editor", id: id, "aria-labelledby": id + "-head",
                             onsubmit: function (e) {
                               e.preventDefault();
                               act("approve", { title: title.value, draft: draft.value });
                             } },
        h("h4", { id: id + "-head", text: gap.title }),
        h("p", { class: "muted small", text: t("gapEvidence", {
          lang: k.label(gap.language), signals: ev.signals != null ? ev.signals : "—",
          resolutions: ev.resolutions != null ? ev.resolutions : "—" }) }),
        h("div", { class: "field" }, h("label", { for: id + "-title", text: t("gapTitle") }), title),
        h("div", { class: "field" }, h("label", { for: id + "-draft", text: t("gapDraft") }), draft),
        h("div", { class: "actions" }, approve, " ", dismiss),
        said);

      function act(what, body) {
        var controls = [title, draft, approve, dismiss];
        controls.forEach(function (c) { c.disabled = true; });
        said.className = "gap-outcome";
        said.textContent = t("gapWorking");
        k.json("POST", "/v1/insights/gaps/" + encodeURIComponent(gap.id) + "/" + what, body)
          .then(function (done) {
            var text = what === "approve" ? t("gapApproved", { doc: done.doc_id }) : t("gapDismissed");
            said.className = "gap-outcome ok";
            said.textContent = text;
            form.classList.add("gap-" + done.status);
            k.flash(text, "ok");
          }, function (err) {
            controls.forEach(function (c) { c.disabled = false; });
            said.className = "gap-outcome error";
            said.textContent = t("gapFailed", { why: reason(err) });
            k.failed(err);
          });
      }
      return form;
    }

    function reason(err) {
      if (!(err instanceof k.ApiError)) return String(err);
      if (err.status === 0) return t("offline");
      if (typeof err.detail === "string" && err.detail) return err.detail;
      return Array.isArray(err.detail) ? err.detail.map(function (d) { return d.msg; }).join("; ")
                                       : String(err.status);
    }

    function content(holder, page) {
      if (!page.items.length) { holder.appendChild(h("p", { class: "muted empty", text: t("nothingYet") })); return; }
      holder.appendChild(h("figure", { class: "chart", id: "chart-cited", "aria-labelledby": "chart-cited-cap" },
        h("figcaption", { id: "chart-cited-cap", text: t("mostCited") }),
        namedBars(k, page.items.slice(0, 8).map(function (a) { return [a.title, a.cited]; }))));
      holder.appendChild(h("div", { class: "table-wrap" }, h("table", { class: "content-table" },
        h("thead", {}, h("tr", {}, [t("article"), t("cited"), t("helpfulRate"), t("trouble")].map(function (c) {
          return h("th", { scope: "col", text: c });
        }))),
        h("tbody", {}, page.items.map(function (a) {
          var href = a.url && k.safeUrl(a.url);
          return h("tr", {},
            h("td", {}, href ? h("a", { href: href, target: "_blank", rel: "noopener noreferrer", text: a.title })
                             : h("span", { text: a.title }),
              h("span", { class: "muted small", text: " · " + a.source + " · " + a.doc_id })),
            h("td", { text: String(a.cited) }),
            h("td", { text: k.pct(a.helpful_rate) + (a.helpful + a.unhelpful ? " (" + a.helpful + "/" + (a.helpful + a.unhelpful) + ")" : "") }),
            h("td", {}, meter(k, a.trouble_rate, "trouble"), " " + k.pct(a.trouble_rate)));
        })))));
    }

    function load() {
      body.textContent = "";
      var q = "?days=" + days;
      var since = "?since=" + encodeURIComponent(new Date(Date.now() - days * 86400000).toISOString());
      optional(section("insights-content", t("content")), "/v1/insights/content" + q, ["agent"], content);
      body.querySelector("#insights-content").insertBefore(
        h("p", { class: "hint", text: t("contentHint") }), body.querySelector("#insights-content > div"));
      optional(section("insights-topics", t("topics")), "/v1/insights/topics" + q, ["csm"], generic);
      optional(section("insights-bugs", t("bugs")), "/v1/insights/bugs" + since, ["agent"], generic);
      optional(section("insights-gaps", t("gaps")), "/v1/insights/gaps", ["agent"],
               k.role() === "admin" ? gapEditors : generic);
    }
    load();
    k.focusHeading(v, moved);
  }

  // Horizontal bars for [name, count] pairs whose names may be long (article titles, topic
  // names): each name is cut to fit its column, and the whole name is the bar's tooltip.
  function namedBars(k, items) {
    var row = 26, width = 560, labelW = 250, max = Math.max.apply(null, items.map(function (x) { return x[1]; })) || 1;
    var svg = k.svgEl("svg", { viewBox: "0 0 " + width + " " + items.length * row, width: width,
                               height: items.length * row, role: "img",
                               "aria-label": items.map(function (x) { return x[0] + ": " + x[1]; }).join(", ") });
    items.forEach(function (x, i) {
      var name = String(x[0]), w = Math.max(2, (width - labelW - 40) * x[1] / max), y = i * row;
      var wide = 0, cut = "";
      for (var c = 0; c < name.length && wide < 34; c++) {
        cut += name[c];
        wide += name.charCodeAt(c) > 0x2e80 ? 2 : 1;  // CJK characters are about twice as wide
      }
      var label = k.svgEl("text", { x: 0, y: y + 17, class: "bar-label" }, cut.length < name.length ? cut + "…" : cut);
      label.appendChild(k.svgEl("title", {}, name));
      svg.appendChild(label);
      var rect = k.svgEl("rect", { x: labelW, y: y + 4, width: w, height: row - 8, rx: 3, class: "bar" });
      rect.appendChild(k.svgEl("title", {}, name + ": " + x[1]));
      svg.appendChild(rect);
      svg.appendChild(k.svgEl("text", { x: labelW + w + 6, y: y + 17, class: "bar-value" }, String(x[1])));
    });
    return svg;
  }

  // A small horizontal meter (0..1) drawn in SVG.
  function meter(k, share, kind) {
    var w = 80, filled = Math.max(0, Math.min(1, share || 0)) * w;
    var svg = k.svgEl("svg", { width: w, height: 10, viewBox: "0 0 " + w + " 10", class: "meter " + kind,
                               "aria-hidden": "true" });
    svg.appendChild(k.svgEl("rect", { x: 0, y: 0, width: w, height: 10, rx: 3, class: "meter-back" }));
    svg.appendChild(k.svgEl("rect", { x: 0, y: 0, width: filled, height: 10, rx: 3, class: "meter-fill" }));
    return svg;
  }

  // ------------------------------------------------------------------ Accounts

  function accountsView(k, rest, moved) {
    if (rest[0]) { accountView(k, rest[0], moved); return; }
    var h = k.h, t = k.t;
    var v = k.view(t("accountsTitle"));
    var f = { sort: "risk", band: "" };
    try { f = JSON.parse(sessionStorage.getItem("kotae-console-accounts") || "null") || f; } catch (_e) { /* ignore */ }
    var body = h("div", { id: "accounts-body", "aria-live": "polite" });
    function update(name) {
      return function (e) {
        f[name] = e.target.value;
        try { sessionStorage.setItem("kotae-console-accounts", JSON.stringify(f)); } catch (_e) { /* ignore */ }
        load();
      };
    }
    function query() { return "sort=" + f.sort + (f.band ? "&band=" + f.band : ""); }
    v.main.appendChild(h("p", { class: "hint", text: t("scoreHint") }));
    v.main.appendChild(h("form", { class: "filters", "aria-label": t("filters"),
                                   onsubmit: function (e) { e.preventDefault(); load(); } },
      k.select("a-sort", t("sort"), [["risk", t("byRisk")], ["expansion", t("byExpansion")], ["name", t("byName")]],
               f.sort, update("sort")),
      k.select("a-band", t("band"), [["", t("anyBand")], ["at_risk", k.label("at_risk")], ["watch", k.label("watch")],
                                     ["healthy", k.label("healthy")]], f.band, update("band")),
      h("a", { href: "/v1/accounts.csv", class: "button", id: "export-accounts", text: t("exportAccounts"),
               onclick: exportCsv })));
    v.main.appendChild(body);

    function exportCsv(e) {
      e.preventDefault();
      k.api("GET", "/v1/accounts.csv?" + query()).then(function (res) { return res.blob(); })
        .then(function (blob) {
          var url = URL.createObjectURL(blob);
          var a = h("a", { href: url, download: "accounts.csv", hidden: true });
          document.body.appendChild(a);
          a.click();
          a.remove();
          setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
          k.flash(t("exportReady"), "ok");
        }, k.failed);
    }

    // Only the latest request draws: a slower answer to an earlier filter must not replace it.
    var latest = 0;
    function load() {
      var mine = ++latest;
      return k.json("GET", "/v1/accounts?limit=500&" + query())
        .then(function (page) { if (mine === latest) draw(page); }, k.failed);
    }

    function draw(page) {
      body.textContent = "";
      var bandCounts = {};
      ["at_risk", "watch", "healthy"].forEach(function (b) { bandCounts[b] = page.bands[b] || 0; });
      var charts = h("div", { class: "charts" },
        h("figure", { class: "chart", id: "chart-bands", "aria-labelledby": "chart-bands-cap" },
          h("figcaption", { id: "chart-bands-cap", text: t("bands") }), bandBars(k, bandCounts)));
      body.appendChild(charts);
      body.appendChild(h("p", { class: "count", text: t("accountCount", { n: page.total }) +
        (page.computed_at ? " · " + t("computed", { when: k.when(page.computed_at) }) : "") }));
      if (!page.items.length) { body.appendChild(h("p", { class: "empty", text: t("noAccounts") })); return; }
      body.appendChild(h("div", { class: "table-wrap" }, h("table", { class: "queue accounts-table" },
        h("thead", {}, h("tr", {}, [t("account"), t("plan"), t("band"), t("score"), t("expansion"),
                                    t("inquiriesCol"), t("mainCauses")].map(function (c) {
          return h("th", { scope: "col", text: c });
        }))),
        h("tbody", {}, page.items.map(function (a) {
          var causes = a.parts.filter(function (p) { return p.contribution < 0; })
            .sort(function (x, y) { return x.contribution - y.contribution; }).slice(0, 2);
          return h("tr", { class: "band-row-" + a.band },
            h("td", { class: "question" },
              h("a", { class: "row-link", href: "#/accounts/" + encodeURIComponent(a.account_id),
                       text: a.name || a.account_id }),
              h("span", { class: "detail", text: a.account_id })),
            h("td", { text: a.plan || "—" }),
            h("td", {}, h("span", { class: "pill band-" + a.band, text: k.label(a.band) })),
            h("td", { class: "nowrap" }, meter(k, a.score / 100, "health band-" + a.band), " " + number(a.score)),
            h("td", { class: "nowrap" }, meter(k, a.expansion / 100, "expansion"), " " + number(a.expansion)),
            h("td", { class: "nowrap", text: a.inquiries + " (" + t("prev", { n: a.previous_inquiries }) + ")" }),
            h("td", { text: causes.map(function (p) { return k.label(p.name) + " " + signed(p.contribution); }).join(" · ") || "—" }));
        })))));
    }
    load();
    k.focusHeading(v, moved);
  }

  // Accounts per band as coloured bars (at risk, watch, healthy).
  function bandBars(k, counts) {
    var names = Object.keys(counts), max = Math.max.apply(null, names.map(function (n) { return counts[n]; })) || 1;
    var row = 26, width = 360, labelW = 110;
    var svg = k.svgEl("svg", { viewBox: "0 0 " + width + " " + names.length * row, width: width,
                               height: names.length * row, role: "img",
                               "aria-label": names.map(function (n) { return k.label(n) + ": " + counts[n]; }).join(", ") });
    names.forEach(function (n, i) {
      var w = counts[n] ? Math.max(2, (width - labelW - 40) * counts[n] / max) : 0, y = i * row;
      svg.appendChild(k.svgEl("text", { x: 0, y: y + 17, class: "bar-label" }, k.label(n)));
      svg.appendChild(k.svgEl("rect", { x: labelW, y: y + 4, width: w, height: row - 8, rx: 3, class: "bar band-" + n }));
      svg.appendChild(k.svgEl("text", { x: labelW + w + 6, y: y + 17, class: "bar-value" }, String(counts[n])));
    });
    return svg;
  }

  // Contributions as bars left (taking away) or right (adding) of zero.
  function contributions(k, parts) {
    var row = 26, width = 520, labelW = 210, mid = labelW + 150, scale = 140 / 25;
    var svg = k.svgEl("svg", { viewBox: "0 0 " + width + " " + parts.length * row, width: width,
                               height: parts.length * row, role: "img",
                               "aria-label": parts.map(function (p) { return k.label(p.name) + ": " + signed(p.contribution); }).join(", ") });
    svg.appendChild(k.svgEl("line", { x1: mid, x2: mid, y1: 0, y2: parts.length * row, class: "axis" }));
    parts.forEach(function (p, i) {
      var y = i * row, w = Math.min(150, Math.abs(p.contribution) * scale);
      svg.appendChild(k.svgEl("text", { x: 0, y: y + 17, class: "bar-label" }, k.label(p.name)));
      if (w) svg.appendChild(k.svgEl("rect", { x: p.contribution < 0 ? mid - w : mid, y: y + 5, width: w,
                                               height: row - 10, rx: 3, class: p.contribution < 0 ? "bar minus" : "bar plus" }));
      svg.appendChild(k.svgEl("text", { x: p.contribution < 0 ? mid + 6 : mid + w + 6, y: y + 17, class: "bar-value" },
                              signed(p.contribution)));
    });
    return svg;
  }

  function accountView(k, id, moved) {
    var h = k.h, t = k.t;
    var v = k.view(t("accounts"));
    v.main.insertBefore(h("p", {}, h("a", { href: "#/accounts", text: "← " + t("backToAccounts") })), v.heading);
    var body = h("div", { class: "escalation", id: "account-body" });
    v.main.appendChild(body);

    function table(parts) {
      return h("div", { class: "table-wrap" }, h("table", { class: "parts-table" },
        h("thead", {}, h("tr", {}, [t("part"), t("value"), t("weight"), t("fullAt"), t("contribution")].map(function (c) {
          return h("th", { scope: "col", text: c });
        }))),
        h("tbody", {}, parts.map(function (p) {
          return h("tr", {}, h("td", { text: k.label(p.name) }), h("td", { text: number(p.value, 2) }),
                   h("td", { text: number(p.weight, 1) }), h("td", { text: number(p.full_at, 2) }),
                   h("td", { class: "contribution", text: signed(p.contribution) }));
        }))));
    }

    function draw(a) {
      v.heading.textContent = (a.name || a.account_id) + " · " + k.label(a.band);
      body.textContent = "";
      body.appendChild(h("dl", { class: "facts" },
        fact(t("account"), a.account_id), fact(t("plan"), a.plan || "—"),
        fact(t("score"), h("span", {}, h("span", { class: "pill band-" + a.band, text: k.label(a.band) }), " " + number(a.score))),
        fact(t("expansion"), number(a.expansion)),
        fact(t("inquiriesCol"), a.inquiries + " (" + t("prev", { n: a.previous_inquiries }) + ")"),
        fact(t("band"), a.band_since ? t("bandSince", { when: k.when(a.band_since) }) : "—")));
      body.appendChild(h("section", { class: "panel", "aria-labelledby": "built-title" },
        h("h3", { id: "built-title", text: t("howBuilt") }),
        h("p", { class: "hint", text: t("scoreHint") }),
        h("figure", { class: "chart", id: "chart-parts" }, contributions(k, a.parts)),
        table(a.parts)));
      body.appendChild(h("section", { class: "panel", "aria-labelledby": "growth-title" },
        h("h3", { id: "growth-title", text: t("growth") }), table(a.expansion_parts)));
      body.appendChild(h("section", { class: "panel", "aria-labelledby": "recent-title" },
        h("h3", { id: "recent-title", text: t("recent") }),
        h("ol", { class: "conversation" }, a.recent_inquiries.map(function (i) {
          return h("li", { class: "turn customer" },
            h("span", { class: "turn-who", text: k.when(i.created_at) + " · " + k.label(i.tag) +
              " · " + (i.action === "answer" ? t("answered") : k.label(i.reason)) }),
            h("p", { class: "turn-text", text: i.text }));
        }))));
      if (a.recent_signals.length) {
        body.appendChild(h("section", { class: "panel", "aria-labelledby": "sig-title" },
          h("h3", { id: "sig-title", text: t("recentSignals") }),
          h("ul", { class: "signals" }, a.recent_signals.map(function (s) {
            var said = (s.localized && s.localized[k.lang()]) || s;
            return h("li", { class: "signal kind-" + s.kind },
              h("div", { class: "signal-head" }, h("span", { class: "pill kind-" + s.kind, text: k.label(s.kind) }),
                h("span", { class: "muted", text: k.when(s.created_at) })),
              h("blockquote", { class: "evidence" }, h("p", { text: s.evidence })),
              h("p", { text: t("why") + ": " + said.why }));
          }))));
      }
    }
    function fact(name, value) { return h("div", {}, h("dt", { text: name }), h("dd", {}, value)); }

    k.json("GET", "/v1/accounts/" + encodeURIComponent(id)).then(draw, k.failed)
      .then(function () { k.focusHeading(v, moved); });
  }

  var pages = window.KotaeConsolePages = window.KotaeConsolePages || [];
  pages.push({ name: "insights", roles: ["agent", "csm"], strings: STRINGS, labels: PARTS, view: insightsView });
  pages.push({ name: "accounts", roles: ["csm"], strings: STRINGS, labels: PARTS, view: accountsView });
})();
