from common import T, Q, B, S

TICKETS = [

T("acct_0017", S, "email", "2026-01-14 10:30", "Adding 30 seats for the agency merger",
"""Hi there,

Copperleaf is merging with another small agency in February and we'll be bringing roughly 30 of their people onto our Tsunagu workspace. Before I just start inviting them, a few questions:

1. Is there any discount when we go from 30 to 60 seats?
2. They have about 40 projects in Asana. Can you help with the import?
3. Would it make sense to do annual at this point?

Thanks!
Dana Whitfield
Ops Director, Copperleaf Marketing
dana.w@copperleaf-mktg.com | 646-555-0119""",
"""Hi Dana,

Congrats on the merger! Quick answers:

1. At 60 seats there's room for volume pricing, which our account team handles.
2. The Asana importer (Projects > Import > Asana CSV) handles one CSV per project and matches people by email automatically, so 40 projects is very doable. I'd suggest inviting the new people first so assignees map correctly. Guide: https://help.tsunagu.example/articles/import-asana
3. Annual gives you 2 months free compared to monthly, and locking in the seat count at renewal is usually simpler for a merger like this.

I've looped in our account team with your numbers (30 to ~60 seats, annual, Asana migration). They'll reach out in the next couple of days with a quote and can set up a migration call with one of our onboarding specialists.

Best,
Maya"""),

T("acct_0001", S, "email", "2026-02-10 14:15", "Business for SSO?",
"""Hi,

We're about to go through SOC 2 and our auditor wants SSO enforced for all SaaS tools. We're on Team with 18 seats and use Okta. Looks like SSO is Business only. If we upgrade mid-cycle, how is it charged? And can we trial it first to make sure Okta works?

Ken""",
"""Hi Ken,

Yes, SAML SSO (plus SCIM and the audit log, which SOC 2 auditors usually also like) is in Business.

- Trial: you can start a 14-day Business trial from Workspace settings > Billing > Start free trial and set up Okta fully during it. If you upgrade before the trial ends, the configuration carries over untouched. Okta guide: https://help.tsunagu.example/articles/saml-sso-okta
- Mid-cycle upgrade: you're credited for the unused part of your Team subscription and charged the prorated Business price for the rest of the cycle, so you never pay twice for the same days.

For 18 seats that's 24 USD/seat/month (or 240/seat/year annually). I've also let our account team know you're heading into SOC 2; they can share our own SOC 2 report and help with vendor questionnaires. Expect an email from them this week.

Best,
Daniel"""),

T("acct_0002", S, "email", "2026-03-13 10:45", "人事部での利用について",
"""お世話になっております。
株式会社ミナト物流 情報システム部の藤井でございます。

現在は物流部門中心に利用しておりますが、人事部（約15名）からも
採用管理や入社手続きのタスク管理に使いたいとの相談がございました。

ただし、人事の情報は他部署から見えないようにする必要がございます。
同じワークスペースで運用可能でしょうか。それとも別のワークスペースを作成すべきでしょうか。
費用面も含めてご相談させてください。""",
"""藤井様

お世話になっております。Tsunaguサポートの佐藤でございます。
人事部でのご利用のご検討、ありがとうございます。

同じワークスペースでの運用が可能でございます。御社のBusinessプランでは以下の方法で人事情報を保護できます。
・人事部のプロジェクトを「非公開」に設定し、人事部のメンバーのみを追加する
・高度な権限設定で、管理者であっても参加していない非公開プロジェクトを閲覧できないよう制限する
・誰がいつ閲覧・変更したかは監査ログで確認可能

同じワークスペースであれば、請求・SSO・SCIMの設定を共通化でき、管理の手間も少なくなります。
費用は15席追加分（Business：1席あたり月額2,900円・税抜）となり、御社の請求書払いにそのまま含まれます。

人事情報の取り扱いについて詳しくご説明できるよう、営業担当より改めてご連絡し、必要に応じてお打ち合わせの場を設けさせていただきます。

よろしくお願いいたします。"""),

T("acct_0013", S, "email", "2026-03-24 09:20", "お見積もりのお願い",
"""お世話になっております。
株式会社アオバ設計 総務部の山口でございます。

4月から新卒・中途あわせて15名が入社する予定のため、
現在の25席から40席へ増やすことを検討しております。
年払いへの切り替えも含めた見積書をお願いできますでしょうか。

宛名：株式会社アオバ設計 総務部
ご担当：山口

何卒よろしくお願いいたします。""",
"""山口様

お世話になっております。Tsunaguサポートの田中でございます。
ご利用拡大のご検討、誠にありがとうございます。

ご参考までに、Teamプラン40席を年払いにした場合の金額は以下のとおりです。
・1席あたり年額12,000円（税抜）× 40席 ＝ 年額480,000円（税抜）
・月払いの場合（1席あたり月額1,200円）と比べ、2か月分お得になります

正式なお見積書は、営業担当より「株式会社アオバ設計 総務部 山口様」宛にて、2営業日以内にPDFでお送りいたします。年払いへの切り替え時期（4月1日開始など）のご希望がございましたら、あわせてお知らせください。

よろしくお願いいたします。"""),

T("acct_0010", S, "email", "2026-04-02 15:40", "Second workspace in Tokyo region",
"""Hi,

We're setting up a Japanese subsidiary (Lumen Analytics KK), around 60 people. Their clients need data stored in Japan. Our current Enterprise workspace is in the US region. Can we spin up a second Enterprise workspace in the Tokyo region under the same contract and SSO?

Elena Vasquez
Lumen Analytics""",
"""Hi Elena,

Yes. Each workspace has its own data residency region, so the subsidiary can have a separate workspace hosted in Tokyo. It can use the same Okta tenant (a second Tsunagu app in Okta, or the same app with a second ACS URL) and be added to your existing Enterprise agreement as an addendum.

Your CSM, Sam, is the right person to set this up since it's a contract change; I've forwarded this thread to Sam with the details (60 seats, Tokyo region, shared SSO). They'll be in touch this week. If the subsidiary also wants Japanese-language invoices in JPY, mention it on that call.

Best,
Priya"""),

T("acct_0034", S, "email", "2026-04-09 11:05", "席数追加と請求書払いへの切り替え",
"""お世話になっております。
株式会社カワセミ広告 管理部の長谷川でございます。

5月より新たにクリエイティブ部門（15名）も利用を開始するため、
35席から50席に増やしたいと考えております。

あわせて、これを機にクレジットカード払いから請求書払いに切り替えたいのですが、可能でしょうか。
稟議のため、見積書もいただけますと幸いです。""",
"""長谷川様

お世話になっております。Tsunaguサポートの中村でございます。
クリエイティブ部門でのご利用開始のご検討、ありがとうございます。

・席数追加：15席追加で、Businessプラン月額2,900円×15席＝月額43,500円（税抜）の増額となります。月の途中で追加された場合は日割り計算です。
・請求書払い：Businessプラン10席以上のお客様が対象となりますので、切り替え可能でございます。

見積書の発行と請求書払いへの切り替え手続き（お申し込み後、審査に通常3営業日）につきましては、営業担当より2営業日以内にご連絡いたします。席数の追加は見積書のご承認後でも、先行して「ワークスペース設定」>「請求」>「席数」から行っていただいても問題ございません。

よろしくお願いいたします。"""),

T("acct_0032", S, "email", "2026-04-20 13:00", "API rate limit increase for data warehouse sync",
"""Hey,

We're building a nightly sync from Tsunagu into Snowflake for our studio analytics (tasks, time entries, comments across ~200 projects). At 300 req/min per token, a full sync takes ~4 hours. We'd like to get to under an hour. Can the limit be raised? We're on Business. Happy to talk pricing.

Also: is there a bulk/export endpoint that'd be smarter than paging everything?

Chris Yamada
Platform Eng, Nimbus Games""",
"""Hi Chris,

Nice project! A couple of options:

- Smarter than paging everything: use incremental syncs. The list endpoints accept updated_since, so after the first full load you only fetch what changed (usually a tiny fraction). Add webhooks (task.updated, comment.created, time_entry.created) if you want near-real-time. With incremental sync, 300 req/min is usually plenty.
- For a full dump, the Full export (JSON) in Workspace settings > Data export has no rate limit and could seed Snowflake initially.
- Higher per-token limits beyond 300/min are available on Enterprise. Please don't spread requests over multiple tokens to get around the limit, since that's against the API terms.

Since you mentioned pricing, I've looped in our account team to talk about Enterprise and what limit would fit your sync. They'll reach out this week.

Docs: https://help.tsunagu.example/articles/api-tokens-and-rate-limits

Best,
Tom"""),

T("acct_0042", S, "email", "2026-05-19 10:00", "Audit log for HR compliance",
"""Hi,

We're on Team. Our legal counsel says we need an audit trail of who accessed employee records in the system (we track onboarding/offboarding tasks which include personal info). I think that means Business? What's the cost difference for 19 seats, and does audit log cover views or just changes?

Tanya Brooks
Juniper HR""",
"""Hi Tanya,

Yes, the audit log is a Business feature. It records security-relevant and admin events: sign-ins (with IP and device), invites, removals and role changes, security settings, exports and imports, API token activity, and project deletions. It doesn't log views or regular content edits (those are in each task's Activity tab), so for employee records the usual pattern is to keep them in Private projects that only named people can see, and use the audit log to show who had access and who exported data. It's kept for 1 year and exportable as CSV.

Cost for 19 seats: Team is 190 USD/month, Business is 456 USD/month (or 4,560 USD/year on yearly billing, which is 2 months free).

Since your earlier trial has ended, I've asked our account team to reach out; they can arrange a fresh trial if you'd like your counsel to see the audit log in action, and talk through the compliance side.

Best,
Priya"""),

T("acct_0018", S, "web_form", "2026-05-21 08:12", "Opening second cafe",
"""We're opening a second location in June and will go from 5 to about 12 staff who need access. What plan do we need? Is there a discount for small businesses? Mostly shift checklists and supplier orders.

Andre, Driftwood Coffee""",
"""Hi Andre,

Congrats on the new cafe! With 12 people you'd need to move from Free (max 5 members) to Team, which is 10 USD per seat per month (or 100 USD per seat per year with yearly billing). You don't necessarily need a seat for everyone: suppliers could join as free guests on just the ordering project (5 guests per paid seat).

Team also removes the 3-project limit, so you can have one checklist project per location, and gives you recurring tasks for daily opening/closing checklists plus 5,000 automation runs a month.

I've passed your note to our sales team so they can check whether any small-business offer applies. You can upgrade any time from Workspace settings > Billing > Change plan; seats are prorated.

Best,
Maya"""),

T("acct_0008", S, "email", "2026-05-26 14:10", "自動化の実行回数上限について",
"""お世話になっております。さくらウェブの岡田です。

「自動化の実行回数が上限の80%に達しました」というメールが届きました。
クライアントごとにSlack通知の自動化を設定しており、今後もクライアントが増える予定です。
上限を超えるとどうなりますか？上限を増やす方法はありますか？""",
"""岡田様

お世話になっております。Tsunaguサポートの佐藤でございます。

Teamプランの自動化の実行回数は、ワークスペース全体で月5,000回まででございます。上限に達した場合、その月の残りの期間は自動化がスキップされ（後から実行されることはございません）、毎月1日（UTC 0時）にリセットされます。使用状況は「ワークスペース設定」>「請求」>「使用状況」でご確認いただけます。

上限を増やす方法は以下のとおりです。
・Businessプランへのアップグレード：月50,000回まで実行可能となり、アップグレード後すぐに新しい上限が適用されます
・条件を設定して実行回数を節約する：条件に一致しない場合は回数にカウントされませんので、「タグに○○を含む」などの条件で対象を絞り込む

今後クライアント数が増える見込みとのことですので、Businessプランのお見積もりもご用意可能です。営業担当よりご連絡を差し上げてもよろしいでしょうか。ご希望でしたら本メールにご返信ください。

参考：https://help.tsunagu.example/articles/automations

よろしくお願いいたします。"""),

T("acct_0012", S, "email", "2026-06-04 11:35", "Storage almost full",
"""Hi,

Got a warning that we're at 92 GB of 100 GB. We're a video production studio, so our attachments are big and it's only going to grow. What are the options? Business seems to be 1 TB — is that the only way? 15 seats.

Mark Tennant
Greywater Studios""",
"""Hi Mark,

Yes, Business is the main option: it raises storage to 1 TB for the workspace, and also gives you 50,000 automation runs, SSO and the audit log. For 15 seats it's 24 USD/seat/month versus 10 on Team.

A couple of things that can help right away or alongside:
- Attach large rushes and masters from Google Drive (task > Attach > Google Drive). Tsunagu stores a link, so those files don't count toward your storage.
- Check which projects use the most space under Workspace settings > Billing > Usage > Storage. Archived projects' files still count; you can export and delete old ones.

If you'd like to talk through what 1 TB vs more would look like for your growth (Enterprise storage is custom), I've let our account team know and they'll reach out this week.

Best,
Daniel"""),

T("acct_0016", S, "email", "2026-06-11 10:50", "SLAについて",
"""お世話になっております。ひかりソフトの加藤でございます。

弊社の顧客（金融機関）との開発案件で、Tsunaguを顧客と共有するプロジェクト管理基盤として使いたいと考えております。
顧客から、利用するSaaSについて稼働率のSLAを提示するよう求められております。
Businessプランには SLA はございますでしょうか。

よろしくお願いいたします。""",
"""加藤様

お世話になっております。Tsunaguサポートの田中でございます。

稼働率99.9%のSLAは、Enterpriseプランで個別契約としてご提供しております。Businessプランでは、優先サポートはございますが、稼働率のSLAは含まれておりません。過去の稼働実績は status.tsunagu.example にてご確認いただけます。

金融機関のお客様との案件では、SLAのほか、IPアドレス制限、データ保管リージョン（東京）、監査ログの無期限保持などを求められることも多く、いずれもEnterpriseプランでご利用いただけます。

案件の要件に合わせたご提案をさせていただきたく、法人営業チームに本件を引き継ぎました。担当者より2営業日以内にご連絡いたします。セキュリティチェックシートへのご回答もあわせて対応可能です。

よろしくお願いいたします。"""),

T("acct_0014", S, "chat", "2026-06-17 09:30", None,
"""we hit the guest limit (40). festival season coming and we'll have like 80 vendors. cheapest way?""",
"""Each paid seat gives you 5 guests, so for 80 vendors you'd need 16 seats (you have 8). Adding 8 seats on Team is 80 USD/month, prorated for this cycle. Another option: remove guests from past events (Workspace settings > Members > Guests) before the season. I can also have our sales team check if there's a seasonal arrangement; want me to loop them in?"""),

T("acct_0019", S, "email", "2026-06-23 09:10", "新工場立ち上げに伴う席数追加",
"""お世話になっております。
東邦精機株式会社 情報システム部の佐々木でございます。

10月に稼働予定の九州新工場で、約200名の利用を予定しております。
現在の契約（800席）に追加する形で、以下をご相談させてください。
・席数追加の時期と費用（10月開始、現契約の更新は翌年3月）
・新工場は別ドメインのメールアドレスを使用予定のため、SSOの設定方法
・新工場用のIPアドレスを許可リストに追加する際の手順

担当CSMの小野様にもご共有いただけますと幸いです。""",
"""佐々木様

お世話になっております。Tsunaguサポートの田中でございます。
九州新工場の立ち上げ、誠におめでとうございます。

本件、御社担当CSMの小野に共有いたしました。席数追加は契約変更での対応となりますので、小野より10月開始・3月更新に合わせた日割りのお見積もりをご提示いたします。

あらかじめ技術的な点をご案内いたします。
・別ドメインのSSO：「ワークスペース設定」>「セキュリティ」> SAML SSO >「検証済みドメイン」に新しいドメインを追加・検証いただければ、既存のIdP設定のまま新ドメインのユーザーもSSOでログインできます
・IP許可リスト：「ワークスペース設定」>「セキュリティ」>「IP許可リスト」に新工場の固定IPを追加してください。稼働前に追加しておくことをおすすめいたします

小野より今週中にご連絡いたします。

よろしくお願いいたします。"""),

T("acct_0023", S, "email", "2026-07-02 16:05", "Merging an acquired company's workspace",
"""Hi,

Ironbark has acquired Southern Cross Couriers. They use Tsunagu too (their own workspace, Team plan, ~35 users). We want to bring everyone into our Business workspace and cancel theirs. Can projects be moved between workspaces? How do we handle their subscription (they're paid up annually until December)?

Bronwyn Hughes
Ironbark Logistics""",
"""Hi Bronwyn,

Congratulations on the acquisition. This is a common one:

- Moving projects: there's no one-click move between workspaces today, but we do migrations like this with our onboarding team: they export Southern Cross's workspace and import it into yours with people, comments and attachments mapped. Alternatively you can do it yourself per project with the CSV export/import, though comments and attachments wouldn't carry over that way.
- Their annual Team subscription: since they've prepaid until December, the account team can credit the unused Team time against the 35 new Business seats in your workspace, so you're not paying twice.
- SSO/SCIM: once they're in your workspace, adding their email domain to Verified domains lets them sign in through your IdP.

I've looped in our account team with both workspace names; they'll contact you to plan the migration and the billing credit.

Best,
Maya"""),

T("acct_0037", S, "email", "2026-07-10 10:15", "新規利用者向けの導入研修について",
"""お世話になっております。
大和テクノサービス株式会社 DX推進室の石川でございます。

10月より協力会社を含め約100名が新たに利用を開始する予定です。
貴社で導入研修（オンライン）のようなサービスはございますでしょうか。
有償でも構いません。

あわせて、席数の追加についてもご相談させてください。""",
"""石川様

お世話になっております。Tsunaguサポートの中村でございます。
利用拡大のご計画、誠にありがとうございます。

導入研修につきましては、弊社のオンボーディングチームによるオンライン研修（管理者向け・一般利用者向け）をご用意しております。実施形式や費用は規模によって異なりますので、席数追加のご相談とあわせて営業担当よりご案内いたします。

なお、協力会社の方々につきましては、特定のプロジェクトのみご利用であれば「ゲスト」として招待いただくことで、席を消費せずにご利用いただけます（有料席1つにつきゲスト5名まで）。社員の方は席の追加、協力会社の方はゲスト、といった組み合わせで費用を抑えられる場合もございますので、営業担当にご相談ください。

担当者より数日以内にご連絡いたします。

よろしくお願いいたします。"""),

T("acct_0026", S, "email", "2026-07-16 12:40", "Dedicated CSM?",
"""Hey,

We've grown to 70 seats and honestly we'd benefit from someone who knows our setup — we keep asking support the same questions about automations and permissions as new teams onboard. Is a dedicated CSM something we can get on Business, or is that Enterprise only?

Ryan""",
"""Hi Ryan,

A dedicated CSM is part of Enterprise. On Business you get priority support (faster response times), and we're always happy to answer the same questions again, but a named CSM who learns your setup and runs regular check-ins is an Enterprise thing.

You'd previously asked about a Tokyo-region workspace for your Japanese client too, so it may make sense to look at both together. I've looped in our account team; they'll reach out to talk through Enterprise options for your main workspace and the client workspace.

In the meantime, if it helps your new teams, I'm happy to run a 30-minute call on automations and permissions. Just reply with a couple of times that work.

Best,
Tom"""),

T("acct_0051", S, "email", "2026-07-24 14:20", "グループ会社のSSO設定について",
"""お世話になっております。
日本リンクス株式会社 IT企画部の清水です。

子会社統合の件で追加した150席について、子会社側は別のIdP（Google Workspace）を利用しております。
1つのワークスペースで、親会社はEntra ID、子会社はGoogle WorkspaceでSSOを利用することは可能でしょうか。
不可の場合、どのような構成がおすすめか伺えますでしょうか。""",
"""清水様

お世話になっております。Tsunaguサポートの田中でございます。

Enterpriseプランでは、1つのワークスペースに複数のSAML IdPを設定し、メールドメインごとにIdPを振り分けることが可能です。
「ワークスペース設定」>「セキュリティ」> SAML SSO >「IdPを追加」で2つ目のIdP（Google Workspace）を登録し、子会社のドメインを紐付けてください。ドメインは事前に「検証済みドメイン」への追加・検証が必要です。

SCIMプロビジョニングにつきましても、IdPごとにトークンを発行できます。

設定に際しては、ご担当CSMの小野が立ち会うことも可能です。また、将来的にIdPを統合されるご予定がある場合の移行方法についても、小野よりご説明いたします。本件は小野に共有済みですので、改めてご連絡いたします。

よろしくお願いいたします。"""),

T("acct_0057", S, "email", "2026-08-04 10:00", "派遣スタッフ向けの利用について（見積依頼）",
"""お世話になっております。
株式会社オリオン人材の松本でございます。

今後、派遣スタッフ（約100名）にもTsunaguで業務連絡やシフト確認を行ってもらうことを検討しております。
ゲストで運用するべきか、メンバーとして席を追加するべきか迷っております。
それぞれの場合の費用感と、メンバーとして100席追加した場合の見積書をいただけますでしょうか。""",
"""松本様

お世話になっております。Tsunaguサポートの佐藤でございます。

それぞれの違いは以下のとおりです。
・ゲストとして運用：費用はかかりません（御社60席の場合、最大300名まで招待可能）。ただし、招待されたプロジェクトのみ閲覧可能で、プロジェクトの作成やメンバー一覧の閲覧はできません。SSO必須の対象外となり、メールアドレスとパスワードでのログインになります
・メンバーとして運用：1席あたり月額2,900円（Businessプラン・税抜）、100席で月額290,000円（税抜）。SSO・SCIMでの一括管理が可能で、退職時のアカウント停止も自動化できます

派遣スタッフの方の入れ替わりが多い場合は、SCIMでの管理ができるメンバー運用が、管理の手間やセキュリティの面でおすすめとなるケースが多いです。

100席追加のお見積書につきましては、営業担当より2営業日以内にお送りいたします。ボリュームディスカウントについてもあわせてご案内いたします。

よろしくお願いいたします。"""),

T("acct_0045", S, "email", "2026-08-12 09:30", "Adding two charter schools",
"""Hi,

Two charter schools in our area (about 180 staff combined) have asked to join our Tsunagu instance through a shared services agreement with the district. They'd have their own email domains. Can they be added to our Enterprise contract at the same education rate? They also need to be kept separate from district projects.

Dwayne Carter
Maplewood School District""",
"""Hi Dwayne,

That's great to hear, and yes, this can be set up. Options your CSM Jordan will go through with you:

- Same workspace: add their domains to Verified domains (Workspace settings > Security > SAML SSO), and keep separation with Private projects and advanced permissions. Simplest to administer.
- Separate workspace(s) under your Enterprise agreement: full separation, their own admins, still on your contract and rate. Often better when the schools are separate legal entities.

Pricing for the additional ~180 seats and whether the education rate applies is a contract question, so I've forwarded this to Jordan, who will reach out this week.

Best,
Priya"""),

T("acct_0055", S, "email", "2026-08-20 15:15", "Business trial + annual quote",
"""Hi,

We'd like to trial Business to test advanced permissions (we need viewer-only access for some stakeholders) and the audit log. If it works we'll move our 26 seats to Business on an annual plan. Can you also send an annual quote so finance can pre-approve? We're an Irish company, VAT IE3344556WH.

Siobhan Keane
Polaris Support Desk""",
"""Hi Siobhan,

Great, you can start the 14-day Business trial any time from Workspace settings > Billing > Start free trial; no card needed, and all Business features (advanced permissions with Viewer/Commenter roles, audit log, SSO) are on during the trial.

Annual Business for 26 seats would be 26 x 240 USD = 6,240 USD per year before VAT (reverse charge applies with your VAT number in Billing details).

I've asked our account team to send a formal annual quote to you for finance, including your VAT number. They'll email it within 2 business days, and can extend the trial a few days if finance needs longer.

Best regards,
Daniel"""),

T("acct_0031", S, "email", "2026-08-26 11:20", "Businessプランへの変更検討（Google Workspace SSO）",
"""お世話になっております。
株式会社ミライ教育の西村です。

教室長から、退職した講師のアカウントを確実に止めたいという要望が上がっており、
Google WorkspaceでのSSOを検討しています。
現在Teamプランの20席ですが、Businessに変更した場合の費用と、
Google WorkspaceでのSSO設定が難しくないか教えていただけますか。""",
"""西村様

お世話になっております。Tsunaguサポートの中村でございます。

SAML SSOはBusinessプランの機能でございます。
・費用：Businessプラン1席あたり月額2,900円（税抜）× 20席 ＝ 月額58,000円（税抜）。年払いの場合は2か月分無料となります
・設定：Google Workspaceの管理コンソールで「カスタムSAMLアプリ」を作成し、Tsunagu側にメタデータを登録する手順で、通常30分〜1時間程度で完了します

退職者のアカウント停止をより確実に行いたい場合は、「メンバーにSSOを必須にする」を有効にすることで、Google Workspace側でアカウントを停止すれば、Tsunaguにもログインできなくなります。

まずは14日間の無料トライアル（「ワークスペース設定」>「請求」>「無料トライアルを開始」）で設定をお試しいただけます。トライアル中に設定した内容は、アップグレード後もそのまま引き継がれます。

また、教育機関向けのご提案も可能ですので、営業担当より改めてご連絡いたします。

よろしくお願いいたします。"""),

T("acct_0047", S, "chat", "2026-09-02 21:05", "",
"""we need time tracking for client billing, free doesnt have it right? how much for 3 ppl""",
"""Right, time tracking is on Team and up. For 3 people on Team it's 30 USD/month, or 300 USD/year on yearly billing. You also get unlimited projects and guests for your clients. You can upgrade from Workspace settings > Billing > Change plan. Want me to start a 14-day Business trial instead so you can try it first?"""),

T("acct_0025", S, "email", "2026-09-08 10:30", "分院開設に伴う見積もりのお願い",
"""お世話になっております。
医療法人社団みどり会 事務局の井上でございます。

来年1月に分院を開設する予定で、職員約30名がTsunaguを利用する見込みです。
現在のBusinessプラン48席に30席を追加した場合のお見積もりをお願いできますでしょうか。
また、請求書払いへの切り替えも可能であれば検討したく存じます。

宛名：医療法人社団みどり会 事務局

よろしくお願いいたします。""",
"""井上様

お世話になっております。Tsunaguサポートの佐藤でございます。
分院の開設、誠におめでとうございます。

ご参考までに、Businessプランで30席追加した場合は月額87,000円（税抜）の増額（合計78席で月額226,200円・税抜）となります。
請求書払いは、Businessプラン10席以上のお客様にご利用いただけますので、切り替えが可能でございます。

正式なお見積書（「医療法人社団みどり会 事務局」宛）と、請求書払いへの切り替え手続きのご案内は、営業担当より2営業日以内にお送りいたします。1月開設に合わせた席の追加時期についても、担当者とご相談ください。

よろしくお願いいたします。"""),

T("acct_0056", S, "email", "2026-09-16 10:05", "SCIM with Okta + growing to 35",
"""Hi,

We're growing from 14 to ~35 by year end (new studio in Osaka). We already use Okta for everything else and I'd really like automatic provisioning/deprovisioning. That's SCIM on Business, correct? Can you send numbers for 35 seats Business, yearly, in JPY?

Haruto Fujimoto
Kinoko Games""",
"""Hi Haruto,

Correct, SCIM provisioning (together with SAML SSO) is on Business. With Okta, users assigned to the Tsunagu app are created automatically and deactivated when unassigned, including ending their sessions and API tokens.

In JPY, Business yearly is ¥29,000 per seat per year (2 months free versus ¥2,900/month), so 35 seats would be about ¥1,015,000 per year plus consumption tax. Since you're in Japan and would be over 10 seats, invoice billing (請求書払い / bank transfer) is also available if you prefer it to card.

I've looped in our account team to send a formal quote for 35 seats yearly in JPY; they'll be in touch within 2 business days.

Best,
Maya"""),

T("acct_0041", S, "email", "2026-09-22 08:45", "Field techs on mobile - volume pricing",
"""Hi,

We're evaluating rolling Tsunagu out to our ~200 field technicians (mobile only, work orders + photos + time tracking). Currently 52 office seats on Business. At 250 seats, what kind of pricing could we get? Also do you have any offline mode for techs in areas with no signal?

Kevin Mrozek
Ops Systems, Atlas Field Services""",
"""Hi Kevin,

Good to hear! On offline mode: the mobile apps keep recently opened tasks and docs available offline, and changes made offline (new tasks, comments, status changes, photos) sync when the device is back online. Techs should open their day's work orders while they have signal. Details: https://help.tsunagu.example/articles/mobile-apps

Time tracking works on mobile too (Timer in the task panel), and guests can't replace seats here because your techs need to see many projects.

At 250 seats there's definitely room for volume pricing, and possibly Enterprise if you'd like a dedicated CSM for the rollout. I've looped in our account team with your numbers; they'll reach out this week to talk pricing and a rollout plan.

Best,
Tom"""),

T("acct_0011", S, "email", "2026-09-29 10:20", "IT導入補助金用の見積書",
"""お世話になっております。
有限会社たかはし工務店の高橋でございます。

以前お問い合わせした件ですが、IT導入補助金を使って有料プランに変更したいと考えております。
申請にあたり、Teamプラン8名・1年分の見積書が必要です。
発行していただくことは可能でしょうか。
また、補助金の対象になるかどうかもわかれば教えてください。""",
"""高橋様

お世話になっております。Tsunaguサポートの佐藤でございます。
再度お問い合わせいただきありがとうございます。

Teamプラン8席・年払いの場合、1席あたり年額12,000円×8席＝年額96,000円（税抜）となります。
正式なお見積書は、営業担当より「有限会社たかはし工務店 高橋様」宛に2営業日以内にお送りいたします。

IT導入補助金の対象可否につきましては、申請枠や年度によって要件が異なるため、恐れ入りますがサポート窓口では確定的なご回答ができかねます。営業担当より、これまでの申請実績も含めてご案内いたしますので、あわせてご相談ください。

よろしくお願いいたします。"""),

T("acct_0036", S, "email", "2026-10-05 13:30", "Security review for new subsidiary",
"""Hi,

Cobalt is spinning up a regulated payments subsidiary (~40 people) that needs its own workspace with stricter controls: IP allowlist, 4-hour session max, and US data residency. Their compliance team will send a vendor security questionnaire (~200 questions). Who should that go to? Would this be a new Enterprise agreement or an addendum?

Fiona""",
"""Hi Fiona,

All of those controls (IP allowlist, maximum session length, US data residency) are available on Enterprise and can be configured per workspace, so the subsidiary can have stricter settings than your main workspace.

Whether it's an addendum or a separate agreement usually depends on whether the subsidiary is a separate legal entity that will be invoiced separately. Alex (your CSM) will sort that with you, and our security team handles questionnaires directly, usually within 10 business days.

I've forwarded this to Alex with the requirements; please send the questionnaire to him when it's ready and he'll route it.

Best regards,
Priya"""),

]
