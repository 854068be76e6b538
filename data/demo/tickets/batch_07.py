from common import T, Q, B, S

TICKETS = [

T("acct_0050", S, "email", "2026-03-27 12:10", "second clinic + annual",
"""Hi,

We're opening a second clinic in Oak Park in May. Probably going from 9 to 16 users. If we switch to annual at the same time what would that look like cost-wise? Also is there any paperwork we need for that or can I do it myself in the settings?

Connie Ramirez
Practice Manager, Riverbend Veterinary""",
"""Hi Connie,

Congrats on the new clinic! You can do all of it yourself:

1. Add seats: Workspace settings > Billing > Seats > Add seats (or they're added as people accept invites). Mid-cycle seats are prorated.
2. Switch to yearly: Workspace settings > Billing > Change plan, keep Team and choose yearly. The unused part of your current month is credited.

Cost-wise, 16 seats on Team yearly is 16 x 100 USD = 1,600 USD per year (versus 1,920 USD if you stayed monthly), before any sales tax.

If you'd like the new clinic's projects kept separate from the first, Private projects work well for that. I've also let our sales team know you're growing in case they have anything to add. They may drop you a short note, no obligation.

Best,
Maya"""),

T("acct_0033", S, "chat", "2026-01-30 15:40", None,
"""tax season: we need 8 extra people feb-april only. can we add seats and then drop them in may without penalty?""",
"""Yes! Add the 8 seats now (Workspace settings > Billing > Seats), they're prorated for the rest of this month. In late April remove the temps and lower the seat count in Billing > Seats; the lower count takes effect from your next renewal, with no penalty. Just note there's no partial refund for the month you lower it in, so do it before your renewal date (the 28th)."""),

T("acct_0058", S, "email", "2026-05-05 09:40", "Owners portal - viewer access",
"""Hi Daniel,

Following the billing mix-up last month we stayed on Team, but now the owners of the buildings we manage want read-only access to their property's maintenance project. From what I read, "Viewer" guests are a Business thing? We'd be looking at ~25 owners. What would you suggest?

Carla""",
"""Hi Carla,

Good to hear from you again (on a happier topic!). You read it right: on Team, guests are always editors, so an owner could change or close work orders. Viewer and Commenter roles come with Business's advanced permissions.

Options:
- Stay on Team and invite owners as guests, accepting they can edit (some customers mitigate this with a separate "owner updates" project containing only what owners need to see).
- Move to Business (24 USD/seat/month for your 21 seats) and invite owners as Viewer guests. 25 owners is well within your guest allowance (5 per paid seat, so up to 105).

Since your one Business trial has already been used, I've asked our account team to reach out; they can help you compare the two options and discuss a short evaluation period if you want to test Viewer access with a couple of owners first.

Best,
Daniel"""),

T("acct_0005", S, "email", "2026-06-18 11:00", "New Denver office - SLA?",
"""Hello Priya,

We are opening a Denver office in September, roughly 20 additional attorneys and staff. Our COO is asking two things before approving the added seats:
1. Whether Tsunagu has a contractual uptime commitment (our court filing deadlines rely on it)
2. Whether a multi-year agreement with price protection is possible

Thank you,
Gloria Mensah
Harbor & Pine Legal LLP""",
"""Hi Gloria,

Thanks for thinking of us for the Denver office.

1. A contractual 99.9% uptime SLA is part of Enterprise. On Business, which you're on now, there's priority support but no uptime SLA; our historical uptime is public at status.tsunagu.example if that helps your COO in the meantime.
2. Multi-year terms with price protection are also something we do through Enterprise's custom contracts.

Enterprise also includes a dedicated CSM, unlimited audit log retention and an IP allowlist, which firms often value for client confidentiality. I've looped in our account team with your context (about 65 seats from September, SLA, multi-year). They'll reach out this week to set up a call with you and your COO.

Best regards,
Priya"""),

T("acct_0060", S, "email", "2026-06-25 10:30", "TMS integration - API limits",
"""Hello,

We're connecting our translation management system (Memsource-like, in-house) to Tsunagu: each translation job creates a task, and every segment status change updates a custom field. At peak we'd send maybe 600-800 requests/minute. We're on Business (300/min). What are our options?

Kaori Mitchell
Sora Translation Services""",
"""Hi Kaori,

Thanks for the detail. A few suggestions before talking limits:

- Batch the segment updates: instead of updating a custom field on every segment change, update progress once a minute per job (e.g. "62% translated"). That usually cuts request volume by 10x or more.
- Use webhooks in the other direction so your TMS doesn't poll Tsunagu.
- Respect 429 responses: wait the seconds in Retry-After before retrying; requests retried earlier are also rejected.

If you still need sustained volume above 300/min per token, that's something we offer on Enterprise, where limits are agreed in the contract. Please don't create extra tokens to spread the load, as that's against the API terms.

I've passed your requirements to our account team so they can talk through Enterprise and what limit would suit your peak. They'll be in touch within 2 business days.

https://help.tsunagu.example/articles/api-tokens-and-rate-limits

Best,
Tom"""),

T("acct_0043", S, "email", "2026-07-01 10:40", "クライアントに閲覧だけしてもらいたい",
"""お世話になっております。しずくデザインの森です。

制作物の進捗をクライアントに見てもらうため、ゲストとして招待しているのですが、
クライアントが誤ってタスクを完了にしてしまうことが何度かありました。
閲覧のみの権限にすることはできますか？""",
"""森様

お世話になっております。Tsunaguサポートの田中でございます。

現在ご利用のTeamプランでは、ゲストの権限は「編集者」のみとなっており、閲覧のみに制限することができません。
ゲストを「閲覧者」や「コメント可」として招待できるのは、Businessプランの高度な権限設定の機能でございます。

Teamプランのままでの回避策としては、以下がございます。
・クライアント共有用のプロジェクトを別に作成し、共有したい内容のみを掲載する
・フォームで修正依頼を受け付け、クライアントには直接タスクを操作いただかない運用にする

Businessプラン（1席あたり月額2,900円・税抜）では閲覧者ゲストのほか、監査ログや自動化の上限拡大（月50,000回）などもご利用いただけます。14日間の無料トライアル（「ワークスペース設定」>「請求」>「無料トライアルを開始」）でお試しいただけますので、ご検討ください。
ご希望であれば、営業担当より御社の規模に合わせたご提案をお送りいたします。

よろしくお願いいたします。"""),

T("acct_0046", S, "email", "2026-07-15 14:20", "請求書払いにしたい",
"""お世話になっております。ふじみ不動産の今井です。

経理から、カード払いではなく請求書払いにしてほしいと言われています。
うちは13人なのですが、Teamプランでも請求書払いはできますか？""",
"""今井様

お世話になっております。Tsunaguサポートの中村でございます。

恐れ入りますが、請求書払い（銀行振込）はBusinessプランまたはEnterpriseプランで、10席以上ご契約のお客様が対象となっており、Teamプランではクレジットカード払いのみとなります。

御社は13席でございますので、Businessプランに変更いただいた場合は請求書払いをご利用いただけます。
・Businessプラン：1席あたり月額2,900円（税抜）、13席で月額37,700円（税抜）
・あわせてSAML SSO、監査ログ、高度な権限設定（閲覧のみのゲストなど）、ストレージ1TBなどがご利用いただけます

プラン変更と請求書払いのお申し込み（審査に通常3営業日）を同時に進めることも可能です。費用面のご相談も含め、営業担当よりご連絡させていただいてもよろしいでしょうか。

参考：https://help.tsunagu.example/articles/ja-invoice-payment-application

よろしくお願いいたします。"""),

T("acct_0054", S, "email", "2026-07-28 09:45", "監査ログ機能について（食品安全認証）",
"""お世話になっております。
株式会社はるか食品 品質保証部の小松でございます。

FSSC 22000の認証更新にあたり、是正処置の記録をTsunaguで管理しているのですが、
審査員から「誰がいつ記録を変更したか」の証跡を求められました。
Teamプランで対応できる機能はありますか。
Businessプランの監査ログが必要であれば、24名分の費用も教えてください。""",
"""小松様

お世話になっております。Tsunaguサポートの佐藤でございます。

「誰がいつ記録を変更したか」については、Teamプランでも各タスクの「アクティビティ」タブで、タスクの作成・変更・コメントの履歴（変更者と日時）をご確認いただけます。是正処置の記録単位での証跡としては、こちらが適しております。

Businessプランの監査ログは、ログイン、メンバーやロールの変更、データのエクスポート、プロジェクトの削除など、ワークスペース全体の管理・セキュリティ操作を記録するもので、1年間保持・CSV出力が可能です。「記録へのアクセス権限を誰が持っていたか」を示す証跡として、審査でご活用いただけます。

Businessプランの費用は、24名の場合は月額69,600円（税抜）、年払いでは年額696,000円（税抜）となります。10席以上のため、請求書払いもご利用いただけます。

審査要件に照らしてどちらが適切か、営業担当からもご説明できますので、担当者よりご連絡いたします。

よろしくお願いいたします。"""),

T("acct_0028", S, "email", "2026-08-06 10:15", "席数追加のお見積もり",
"""お世話になっております。合同会社カケハシの村上です。

秋から業務委託のメンバーも含めて15名体制になります。
7名から15名に増やして年払いにした場合のお見積書をいただけますか。
宛名は「合同会社カケハシ」でお願いします。""",
"""村上様

お世話になっております。Tsunaguサポートの田中でございます。
体制拡大のご予定、ありがとうございます。

Teamプラン15名・年払いの場合は、1席あたり年額12,000円×15名＝年額180,000円（税抜）となります。
正式なお見積書は「合同会社カケハシ」宛にて、営業担当より2営業日以内にお送りいたします。

なお、業務委託の方が特定のプロジェクトのみご利用の場合は、ゲスト（有料席1つにつき5名まで無料）として招待いただくことで、席数を抑えられる場合もございます。ただしゲストはプロジェクトの作成やメンバー一覧の閲覧ができませんので、業務内容に合わせてご検討ください。

よろしくお願いいたします。"""),

T("acct_0004", S, "email", "2026-08-17 15:30", "Enterpriseプラン移行およびデータ移行のスケジュールについて",
"""お世話になっております。三葉商事の高木でございます。

先日はお見積もりをありがとうございました。社内承認が下りましたので、Enterpriseプランへの移行を進めたいと考えております。
既存ワークスペース（米国リージョン）を東京リージョンに移行する際の、
・業務への影響（停止時間）
・移行のスケジュール感
についてご教示ください。10月の連休中の実施を希望しております。""",
"""高木様

お世話になっております。Tsunaguサポートの佐藤でございます。
Enterpriseプランへのご移行のご決定、誠にありがとうございます。

東京リージョンへの移行についてご案内いたします。
・業務への影響：移行作業中はワークスペースが閲覧のみ（読み取り専用）となります。多くのワークスペースは1〜4時間で完了しますが、御社の規模（140席・添付ファイル多数）の場合はもう少しお時間をいただく可能性がございます
・移行後も、ワークスペースのURL、APIのベースURL、タスクIDは変わらず、連携やWebhookもそのままご利用いただけます
・旧リージョンのデータ（バックアップを含む）は移行後30日以内に削除されます
・移行はEnterprise契約に含まれております（年1回）

具体的な日程は、ご契約開始後に担当CSMが御社と調整いたします。10月の連休中の実施についても、担当CSMに希望としてお伝えいたしました。担当者より近日中にご連絡いたします。

参考：https://help.tsunagu.example/articles/ja-data-residency

よろしくお願いいたします。"""),

T("acct_0024", S, "email", "2026-05-28 13:05", "Hitting 100 req/min with CI integration",
"""Hi,

We built a CI job that creates/updates Tsunagu tasks for every failed test. On busy days it gets 429s constantly because of the 100 requests/min limit. Would Business give us 300/min? Anything else we should know before upgrading 11 seats?

Jonas""",
"""Hi Jonas,

Yes, on Business the limit is 300 requests per minute per token (up from 100 on Team), and it applies immediately after upgrading. Some tips that might mean you don't even need it:

- On 429, wait for the number of seconds in Retry-After before retrying. Retrying earlier is also rejected and keeps you throttled.
- Group failures: one task per failing test suite per run, with the failing tests listed in the description, rather than one request per test.
- Watch X-RateLimit-Remaining in the responses and slow down before you hit zero.

If you do upgrade, the prorated difference for the rest of your cycle is charged immediately and the 11 seats would be 24 USD/seat/month. You'd also get SSO/SCIM and the audit log. I've let our sales team know in case you want a quote for yearly billing; reply here if you'd like them to send one.

Best,
Daniel"""),

T("acct_0048", S, "email", "2026-08-24 16:10", "Enterprise for IP allowlist",
"""Hi,

Customer contracts now require us to restrict access to our project tooling to corporate IPs. I believe IP allowlist is Enterprise. 44 seats, currently Business. Can someone from sales contact me? Ideally we'd move before Oct 1.

Marcus Oyelaran
Blackthorn Security
m.oyelaran@blackthorn-sec.example""",
"""Hi Marcus,

You're right, the IP allowlist is an Enterprise feature. It restricts the web app, mobile apps, API and export links to your listed ranges (IPv4 and IPv6, up to 100 entries), with the option to exempt guests. Tsunagu's own integrations (Slack, GitHub, etc.) keep working since they call from our servers.

I've looped in our account team with your timeline (44 seats, IP allowlist needed before October 1). They'll contact you at m.oyelaran@blackthorn-sec.example within 2 business days.

Setup guide for when you're ready: https://help.tsunagu.example/articles/ip-allowlist

Best,
Tom"""),

T("acct_0052", S, "email", "2026-09-10 11:50", "Lab operations team joining",
"""Hi,

Our lab operations group (~40 people) wants to start using Tsunagu for equipment maintenance schedules and sample tracking. They'd join our existing Business workspace. Should we talk to someone about pricing at 105 seats, or just add seats? Also, since we talked about Enterprise last time for IP allowlisting — is it worth revisiting now?

Helen Park
Crescent Biotech""",
"""Hi Helen,

Great news about lab ops! You can simply add seats (Workspace settings > Billing > Seats), prorated for the current cycle. But at 105 seats, and with the IP allowlist requirement your compliance team raised in February, it's a good moment to revisit Enterprise: you'd get the allowlist, a 99.9% SLA, a dedicated CSM who can help onboard lab ops, and unlimited audit log retention.

For recurring equipment maintenance, recurring tasks with "On schedule" are a natural fit, and forms work well for sample intake requests.

I've looped in our account team so they can compare adding 40 Business seats versus Enterprise for you. They'll be in touch within 2 business days.

Best,
Maya"""),

T("acct_0044", S, "email", "2026-09-18 14:25", "Japanese customer requires Tokyo data residency",
"""Hi,

We just won a contract with a Japanese electronics manufacturer. Their security team requires that shared project data (we'll have about 30 of their staff as guests) is stored in Japan. Currently we're Business, 120 seats, hosted in US I assume. What are our options?

Wei Ling Tan
Orbital Freight""",
"""Hi Wei Ling,

Congratulations on the contract! You're right: Free, Team and Business workspaces are hosted in the US region. Data residency in Tokyo is an Enterprise feature, and there are two ways to do it:

1. Move your whole workspace to Enterprise and migrate it to Tokyo. The workspace is read-only during the migration (usually 1-4 hours), and the URL, API base URL and task IDs don't change.
2. Create a separate Enterprise workspace in Tokyo just for this customer's projects, keeping your main workspace on Business in the US. Your staff can belong to both with one login.

Option 2 is common when only one customer has the requirement. Note that account emails and sign-in data are stored globally in both cases, which some security teams ask about.

I've looped in our account team with the details; they'll reach out within 2 business days.

https://help.tsunagu.example/articles/data-residency

Best,
Priya"""),

T("acct_0035", S, "web_form", "2026-08-11 20:30", "",
"""we're an agency, growing to 10 people and we want our clients to see their projects. free plan doesnt cut it anymore. what's the best plan + can clients be in it free?""",
"""Hi,

Team is usually the right fit for an agency your size: 10 USD per seat per month (or 100 per year), unlimited projects, 100 GB storage, time tracking for client billing, and guests. Clients can join for free as guests: 5 guests per paid seat, so with 10 seats you could have up to 50 clients, each seeing only their own projects.

If you'd like clients to have view-only access (so they can't edit tasks), that's Business (24 USD/seat/month) with advanced permissions. You can try Business free for 14 days from Workspace settings > Billing.

I've passed your details to our sales team as well; they'll email you in case you have questions about the plans.

Best,
Maya"""),

T("acct_0006", S, "email", "2026-06-29 09:15", "Upgrading for the autumn list",
"""Hello again,

We're taking on three freelance editors and a designer for our autumn list, which puts us at 8 people. I think we need to move to Team now. Is there anything special about upgrading — will our 3 projects and files carry over? And do the freelancers need full seats?

Harriet
Quillstone Publishing""",
"""Hi Harriet,

Lovely to hear the press is growing! Upgrading keeps everything exactly as it is: projects, tasks, docs and files all stay, and the Free limits simply lift (unlimited projects, 100 GB storage, 250 MB per file).

For the freelancers: if each works on specific titles only, invite them as guests (free, 5 per paid seat) on those projects. If they need to see everything or create projects, they'll need seats. A common set-up for presses like yours is 4 seats for the core team plus 4 guests, which would be 40 USD a month on Team.

Upgrade from Workspace settings > Billing > Change plan. I've let our sales team know too, in case they can help you choose monthly vs yearly.

Best,
Maya"""),

T("acct_0021", S, "email", "2026-04-16 14:35", "Re: Nonprofit discount?",
"""> Registered nonprofits can ask for a 50% discount on Team or Business.

Hi Maya,

Great news, we got a grant that covers software for the next two years. We'd like to move from Free to Team for about 20 coordinators across our food bank network. I've attached our 501(c)(3) letter. Can we also pay annually for two years upfront?

Ruth Delacroix
Tidewell""",
"""Hi Ruth,

Congratulations on the grant! Thank you for the letter; I've forwarded it to our sales team, who review nonprofit discount requests. Once approved, Team would be 50% off, so for 20 coordinators on yearly billing that's 20 x 50 USD = 1,000 USD per year.

Two-year upfront payment isn't something you can select in the app (yearly is the longest self-service term), but the sales team can check what's possible for a grant-funded prepayment. They'll email you within a few business days with the approved discount and options.

Once it's confirmed, you can upgrade from Workspace settings > Billing > Change plan.

Warmly,
Maya"""),

T("acct_0010", S, "email", "2026-07-21 09:55", "Data science team onboarding (+80 seats) and API",
"""Hi Sam,

Copying support as well. We're bringing our new data science group (80 people) into Tsunagu next month. They'll be heavy API users — automated experiment tracking pushing task updates from notebooks. Can we (a) add 80 seats mid-contract and (b) get a higher per-token API limit for a service account?

Elena Vasquez
Lumen Analytics""",
"""Hi Elena,

Thanks for copying us. Both are contract matters on Enterprise, so Sam (your CSM) will own this, but for context:

(a) Seats can be added mid-contract with an amendment, prorated to your renewal date.
(b) Per-token limits above the standard 300 requests/min can be agreed for a specific service-account token as part of your Enterprise contract. It helps to share expected peak requests per minute and which endpoints.

Tip for the notebooks: a dedicated service-account user (a seat) with its own token is easier to manage than personal tokens, and tokens can be listed and revoked under Workspace settings > Security > API tokens.

Sam has this thread and will follow up with the amendment and the API limit details this week.

Best,
Priya"""),

T("acct_0015", S, "email", "2026-09-03 08:20", "Affiliate hospital joining",
"""Hi,

Meridian is bringing an affiliate hospital (~300 staff) onto Tsunagu in Q1 2027. They use the same Entra ID tenant but a different email domain. Our CISO wants them in a separate workspace for data segregation but under our existing Enterprise agreement and BAA. Is that feasible and what's the lead time?

Karen Liu
Meridian Health Partners""",
"""Hi Karen,

Yes, that's feasible: a separate Enterprise workspace for the affiliate, under your existing agreement as an addendum, with its own data region, admins and audit log, and SSO through the same Entra tenant (a second enterprise app in Entra with that workspace's Entity ID and ACS URL). Their email domain gets verified in the new workspace.

Contract terms like the BAA extension are handled by your CSM, Alex, and our legal team. For lead time, setting up the workspace itself takes a day; the contract side usually takes a few weeks, so starting in Q4 is sensible for a Q1 go-live.

I've forwarded this to Alex, who will reach out to plan it with you and your CISO.

Best regards,
Priya"""),

T("acct_0030", S, "email", "2026-05-13 10:20", "Japan subsidiary onboarding",
"""Hi,

Vantage Retail's Japanese subsidiary (Vantage Retail Japan KK, ~45 people) will start using Tsunagu. Their staff will use the Japanese UI. Finance there wants invoices in JPY with a qualified invoice number for Japanese tax purposes. Can that be part of our existing Enterprise contract, or do they need their own?

Sandeep Rao
Vantage Retail Group""",
"""Hi Sandeep,

Good news on the Japanese side: each person chooses their own interface language (avatar menu > Profile > Language > 日本語), and Admins can make Japanese the default for new members of a workspace.

On invoicing: JPY invoices are issued by our Japanese entity and are qualified invoices (適格請求書) under Japan's invoice system, while USD invoices aren't. So if the subsidiary's finance team needs qualified invoices, their seats would need to be billed in JPY, which usually means a separate billing arrangement for the subsidiary, either a separate workspace or a separate invoice line under your agreement.

This is a contract question, so I've looped in your CSM and our account team. They'll propose the cleanest setup (including whether the subsidiary should be a separate workspace) within the next few days.

Best,
Maya""",),

T("acct_0039", S, "email", "2026-06-30 07:30", "Roofing division",
"""Hey Tom,

We're spinning up a roofing division, about 15 people, new foreman and office folks. Should they be in our workspace or their own? They'll have separate budgets. And how do we get them set up fast, they start July 14.

Rick""",
"""Hi Rick,

Congrats on the new division! Both work, but here's how I'd think about it:

- Same workspace (most common): add 15 seats, create their projects (you could keep them Private so they only see roofing jobs), and everyone shares templates and one login. Downside: one bill.
- Own workspace: fully separate bill and settings, which suits "separate budgets" if the budgets really mean separate invoices. People who work in both can switch workspaces from the top left.

Fast setup: invite them all at once by pasting the 15 emails into Workspace settings > Members > Invite members, and use your existing "Job site" project as a template.

If separate billing is the deciding factor, our account team can also help; I've let them know, and they'll reach out before the 14th.

Tom"""),

T("acct_0053", S, "chat", "2026-07-29 11:10", "",
"""hiring 2 designers next month. just add seats right? anything cheaper if we go yearly?""",
"""Yes, just invite them and seats are added automatically (prorated). Yearly is 2 months free: Team would be 100 USD per seat per year instead of 120, so for 7 seats that's 700/year. You can switch under Workspace settings > Billing > Change plan. Congrats on the hires!"""),

T("acct_0003", S, "email", "2026-08-20 10:00", "Berlin studio",
"""Hi Daniel,

We're opening a small studio in Berlin (10 people). Any issue with EU staff in our US-hosted workspace? Our Berlin lead asked about GDPR and a DPA. Also we'd add 10 seats.

Peter""",
"""Hi Peter,

Exciting! Adding 10 seats is straightforward (prorated, or added as people accept invites).

On GDPR: we offer a Data Processing Addendum (DPA) on all paid plans, and our security and compliance information is on https://help.tsunagu.example/articles/security-compliance. Your workspace is hosted in our US region; data residency options today are Tokyo or US only (Enterprise).

I've asked our account team to send you the DPA for signature and answer any specific questions from your Berlin lead. They'll be in touch this week.

Best,
Daniel"""),

T("acct_0007", S, "email", "2026-09-09 13:15", "Hardware team + GitLab",
"""Hi,

Our hardware team (25 people) uses GitLab rather than GitHub and they're finally ready to move off spreadsheets into Tsunagu. We'd add 25 seats to our Business workspace. Is the GitLab integration on par with GitHub (MRs linking, auto-close on merge)? Also, since we'll be at 85 seats, is it worth a conversation about pricing?

Dev Patel
Kestrel Robotics""",
"""Hi Dev,

Yes, GitLab works the same way as GitHub: mention the task ID (e.g. HW-42) in a branch name, commit message or merge request, and the MR shows on the task; merging can move the task to Done. An Admin connects it once under Workspace settings > Integrations > GitLab. Self-managed GitLab is supported too.

At 85 seats, a pricing conversation is worth having, especially if you're open to yearly billing. I've looped in our account team; they'll reach out this week.

Guide: https://help.tsunagu.example/articles/github-integration

Best,
Tom"""),

T("acct_0049", S, "email", "2026-10-07 10:25", "編集部での利用開始について",
"""お世話になっております。ツバサ出版の吉田です。

来月から第二編集部（約20名）でもTsunaguを使うことになりました。
現在32席で請求書払いを利用しておりますが、20席追加した場合の月額と、
追加分の請求がどのようになるか教えてください。
見積書もお願いできますでしょうか。""",
"""吉田様

お世話になっております。Tsunaguサポートの佐藤でございます。
第二編集部でのご利用開始、ありがとうございます。

・20席追加後の月額：Businessプラン52席で月額150,800円（税抜）（追加分は月額58,000円・税抜）
・追加分の請求：請求書払いの場合、期間途中で追加した席の日割り金額は、次回の請求書に加算されます

見積書は、営業担当より2営業日以内にお送りいたします。
席の追加は「ワークスペース設定」>「請求」>「席数」から行えるほか、招待した方が参加した時点でも自動的に追加されます。第二編集部のプロジェクトを既存の編集部と分けたい場合は、非公開プロジェクトのご利用もご検討ください。

よろしくお願いいたします。"""),

T("acct_0040", S, "chat", "2026-05-08 14:00", None,
"""以前見積もりをもらったユニゾンです。Teamプランで9名で申し込もうと思います。請求書払いってできますか？""",
"""ご検討いただきありがとうございます！恐れ入りますが、請求書払いはBusinessプラン以上・10席以上のお客様が対象のため、Teamプランではクレジットカード払いとなります。お申し込みは「ワークスペース設定」>「請求」>「プランを変更」から、Team・席数9で進めていただけます。年払いにすると2か月分お得です。ご不明点があれば営業担当からもご連絡しますね。"""),

T("acct_0017", S, "email", "2026-07-06 16:45", "Automation runs maxed out",
"""Hi Maya,

We got the "100% of automation runs used" email on the 24th. Since the merger our request forms + Slack automations are getting hammered and we'll hit 5,000 every month now. What's Business going to cost us at 60 seats? And would unused runs roll over?

Dana""",
"""Hi Dana,

Growing pains! When the limit is hit, automations are skipped (not queued) until the counter resets on the 1st (00:00 UTC), so the rest of June's form-to-Slack posts didn't happen. Runs don't roll over.

Business raises the limit to 50,000 runs per month, applied immediately after upgrading. At 60 seats it's 1,440 USD per month (or 14,400 USD per year on yearly billing), versus 600 USD on Team. A couple of free optimisations in the meantime: add conditions to automations (runs whose conditions don't match aren't counted), and keep an eye on Workspace settings > Billing > Usage.

Since we talked about volume pricing at the merger, I've looped in the account team again; they'll send a Business quote at 60 seats this week.

Best,
Maya"""),

]
