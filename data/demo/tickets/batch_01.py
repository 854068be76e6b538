from common import T, Q, B, S

TICKETS = [

T("acct_0001", Q, "email", "2026-01-06 09:41", "How do I add my team?",
"""Hi there,

We just signed up for Team and I'm trying to get the rest of the engineering group in. I can't find where to invite people. Is there a bulk invite or do I have to do it one by one? We have about 15 people.

Thanks,
Ken Aldridge
Bluefin Labs""",
"""Hi Ken,

Welcome to Tsunagu! You can invite people from avatar menu (top right) > Workspace settings > Members > Invite members.

1. Paste a list of email addresses into the invite box (comma- or newline-separated, up to 100 at a time).
2. Pick the role for the whole batch (Member is the usual choice; you can change individual roles later).
3. Click Send invitations.

Each person gets an email link valid for 7 days. Seats are added to your subscription as people accept, prorated for the rest of the billing cycle.

More detail here: https://help.tsunagu.example/articles/invite-members-and-roles

Best,
Maya, Tsunagu Support"""),

T("acct_0003", Q, "chat", "2026-01-08 14:05", None,
"""hey how do i invite someone""",
"""Hi! Go to your avatar (top right) > Workspace settings > Members and click "Invite members". Type their email, choose a role (Member is the default) and hit Send. They'll get an email with a join link. Anything else I can help with?"""),

T("acct_0008", Q, "email", "2026-01-09 10:20", "メンバーの招待方法について",
"""お世話になっております。
株式会社さくらウェブの岡田です。

先日Teamプランに申し込みました。社内のデザイナー3名を追加したいのですが、
招待の方法が分からず困っております。
お手数ですがご教示いただけますでしょうか。

よろしくお願いいたします。

岡田 美咲
株式会社さくらウェブ
TEL: 03-5512-7788""",
"""岡田様

お世話になっております。Tsunaguサポートの佐藤でございます。
お問い合わせいただきありがとうございます。

メンバーの招待は以下の手順で行えます。

1. 画面右上のアバターメニュー >「ワークスペース設定」を開きます
2. 「メンバー」を選択し、「メンバーを招待」をクリックします
3. 招待したい方のメールアドレスを入力し、ロール（通常は「メンバー」）を選択して送信します

招待メールのリンクの有効期限は7日間です。参加された時点で席数が追加され、請求期間の残り日数分が日割りで計算されます。

詳しくはこちらもご覧ください：https://help.tsunagu.example/articles/invite-members-and-roles

ご不明な点がございましたら、お気軽にお問い合わせください。
引き続きよろしくお願いいたします。"""),

T("acct_0012", Q, "web_form", "2026-01-13 11:30", "Invite email never arrived",
"""I invited our new producer (sam.k@greywaterstudios.co.uk) two days ago and she says she never got anything. Checked spam. Can you resend or is there another way to get her in?""",
"""Hi,

Thanks for flagging. I checked our mail logs: the invite to sam.k@greywaterstudios.co.uk was delivered but your mail server quarantined it (it was accepted and then held by your filter). Two options:

1. Ask your IT team to allowlist mail from tsunagu.example, then resend from Workspace settings > Members > Pending > ... > Resend.
2. Or copy the invite link from the same menu (... > Copy invite link) and send it to Sam directly over Slack or email. The link is valid for 7 days.

Let me know if she still can't get in.

Daniel
Tsunagu Support"""),

T("acct_0027", Q, "chat", "2026-01-14 16:48", "",
"""hi, invited my colleague but typo'd her email, how do I cancel it""",
"""No problem! Workspace settings > Members > Pending tab, find the wrong address, click the ... menu and choose "Revoke". Then send a fresh one to the correct email. You won't be charged for a seat on an invite that was never accepted."""),

T("acct_0029", Q, "email", "2026-01-20 08:15", "Difference between Admin and Owner?",
"""Hello,

We're setting up Tsunagu for our curriculum team. I'm the Owner (I set up billing) and I want to give two coordinators the ability to manage people but NOT touch billing. Is that what Admin does? The docs are a bit vague on what Admin can and can't do.

Regards,
Janelle Ortiz
Operations Manager, Brightline Education""",
"""Hi Janelle,

Good question, and I'm sorry the docs weren't clearer. Here's the short version of the four roles:

- Owner: everything, including deleting the workspace and transferring ownership. There is exactly one Owner per workspace.
- Admin: manage members and guests, roles, integrations, security settings and Billing (plan, seats, invoices). Admins can't delete the workspace or transfer ownership.
- Member: create projects and work in the projects they can see; they can request invites but not send them.
- Guest: access only to the specific projects they're invited to.

So unfortunately Admin does include Billing today, and there isn't a role that can manage people but not billing. Some customers handle this by keeping coordinators as Members and having them "request" invites, which an Admin then approves in one click from Workspace settings > Members > Pending. I've also logged your request for a billing-free admin role with our product team.

To change a role: Workspace settings > Members, click the role next to their name and pick a new one.

Full table: https://help.tsunagu.example/articles/invite-members-and-roles

Cheers,
Priya, Tsunagu Support"""),

T("acct_0013", Q, "email", "2026-01-21 13:02", "管理者権限の付与について",
"""お世話になっております。
株式会社アオバ設計 総務部の山口でございます。

現在オーナーは私1名のみなのですが、
休暇中でもメンバー追加ができるよう、もう1名に管理者権限を付与したいと考えております。
「管理者」と「オーナー」ではどのような違いがありますでしょうか。
また、請求情報は管理者にも見えてしまいますか。

以上、よろしくお願いいたします。""",
"""山口様

お世話になっております。Tsunaguサポートの田中でございます。

ロールの違いは以下のとおりです。

・オーナー：すべての操作が可能（ワークスペースの削除・オーナー権限の移譲を含む）。オーナーはワークスペースに1名のみです
・管理者：メンバー／ゲストの招待・削除、ロール変更、連携、セキュリティ設定、請求（プラン・席数・請求書）の管理が可能。ワークスペースの削除とオーナー権限の移譲はできません
・メンバー：プロジェクトの作成、参加しているプロジェクトでの作業
・ゲスト：招待された特定のプロジェクトのみ閲覧・作業

恐れ入りますが、管理者は請求情報の閲覧・変更も可能となっております。現時点では「メンバー管理のみ可能で請求は見えない」ロールはございません。
ご休暇中のメンバー追加が主な目的でしたら、管理者の付与が最も確実な方法となります。

設定はアバターメニュー >「ワークスペース設定」>「メンバー」から、対象の方のロールをクリックして「管理者」を選択してください。

参考：https://help.tsunagu.example/articles/invite-members-and-roles

何卒よろしくお願いいたします。"""),

T("acct_0014", Q, "email", "2026-01-22 19:30", "Guests - do they cost money?",
"""Hi team,
We run events and work with a lot of venues and freelance caterers. I'd like to let them see just one project each. Do guests count as paid seats? How many can we have? We're on Team with 8 seats.
Cheers
Lachlan
Papertrail Events | +61 2 9011 4432""",
"""Hi Lachlan,

Guests are free on Team and above. You get 5 guests per paid seat, so with 8 seats you can have up to 40 guests in the workspace at once.

Guests only see the projects you invite them to, can't see the member list and can't create new projects. To add one, open the project > Share, enter their email and choose Guest. You can also do it from Workspace settings > Members > Invite members, choosing the Guest role and the projects they should see.

If you go over 40, you'll be asked to either remove a guest or add a seat.

More info: https://help.tsunagu.example/articles/guest-access

Best,
Tom, Tsunagu Support"""),

T("acct_0022", Q, "chat", "2026-01-23 15:12", None,
"""すみません、社外の協力会社さんを1プロジェクトだけ見られるようにしたいんですが、ゲストって何人まで招待できますか？有料ですか？""",
"""お問い合わせありがとうございます！
ゲストは無料でご利用いただけます。Teamプランでは有料席1つにつき5名まで招待でき、御社（16席）の場合は最大80名となります。
プロジェクト右上の「共有」>「ゲストを招待」から、そのプロジェクトだけにアクセスできる形で招待できますよ。"""),

T("acct_0006", Q, "web_form", "2026-01-26 10:05", "Can't invite 6th person",
"""We're a small press, 4 of us plus now a freelance editor. When I try to invite her it says "Your workspace has reached the member limit for the Free plan". Can she be a guest instead? We don't really need to pay for her.

Harriet, Quillstone Publishing""",
"""Hi Harriet,

The Free plan allows up to 5 members in total (that includes pending invites), and guest access is a Team feature, so unfortunately on Free there isn't a way to add her as a guest.

It's worth checking Workspace settings > Members > Pending: if there's an old invite sitting there it counts toward the 5, and revoking it may free up a spot for your editor.

If you need more people than that, Team is 10 USD per seat per month and comes with 5 free guests per paid seat, so your editor could join as a guest on any single project. You can start a 14-day Business trial from Workspace settings > Billing if you'd like to try it first.

Best,
Maya"""),

T("acct_0017", Q, "email", "2026-01-27 09:55", "remove user + what happens to their tasks",
"""Hi,

One of our account managers left last week. If I remove her from the workspace, do her tasks get deleted? Also do we stop paying for her seat right away?

Dana Whitfield
Copperleaf Marketing
dana.w@copperleaf-mktg.com""",
"""Hi Dana,

Removing someone does not delete anything they created. Their tasks, comments and files stay where they are; tasks assigned to them just show as "Unassigned (former member)" so you can filter for them and reassign. A quick way: Workspace settings > Members > her name > Remove, and in the dialog choose "Reassign open tasks to..." to move them all to a colleague in one go.

On billing: removing someone doesn't lower your seat count automatically, so the empty seat stays on your bill and can be reused by the next person you invite at no extra charge. If you don't plan to backfill, lower the seat count in Workspace settings > Billing > Seats; the reduction applies from your next renewal (we don't refund partial cycles).

https://help.tsunagu.example/articles/invite-members-and-roles

Best,
Daniel"""),

T("acct_0031", Q, "email", "2026-01-28 11:40", "退職者のアカウント削除について",
"""いつもお世話になっております。
株式会社ミライ教育の西村です。

3月末で退職予定の講師が2名おります。
アカウントを削除した場合、その方が作成したタスクやドキュメントも消えてしまうのでしょうか。
また、削除した分の料金は返金されますか？

お手数ですがご確認のほどよろしくお願いいたします。""",
"""西村様

いつもお世話になっております。Tsunaguサポートの中村でございます。

メンバーを削除しても、その方が作成したタスク・コメント・ドキュメント・ファイルは削除されず、そのまま残ります。担当タスクは「未割り当て（元メンバー）」と表示されますので、フィルターで抽出して再割り当てが可能です。
削除時のダイアログで「未完了タスクを別のメンバーに再割り当て」を選ぶと、一括で引き継ぐこともできます。

料金につきましては、メンバーを削除しても席数は自動的には減りません。空いた席は、次に招待される方が追加料金なしでご利用いただけます。
補充のご予定がない場合は、「ワークスペース設定」>「請求」>「席数」から席数を減らしてください。変更は次回更新日から適用され、請求期間途中の返金は行っておりません。

手順：アバターメニュー >「ワークスペース設定」>「メンバー」> 対象者 >「削除」

よろしくお願いいたします。"""),

T("acct_0038", Q, "chat", "2026-02-02 07:22", "owner transfer",
"""I'm leaving the studio end of month. How do I make Becca the owner instead of me?""",
"""Sorry to see you go! First make Becca an Admin (Workspace settings > Members, click her role > Admin). Then go to Workspace settings > General > Transfer ownership and pick her. You'll become an Admin, and she can remove you once you've left. If you're the one who set up billing, also ask her to update the payment method under Workspace settings > Billing so the card on file isn't yours."""),

T("acct_0043", Q, "email", "2026-02-03 14:18", "オーナーの変更",
"""お世話になっております。しずくデザインの森です。

代表の石田がワークスペースのオーナーになっているのですが、
実務は私が担当しているため、オーナーを私に変更したいです。
可能でしょうか？""",
"""森様

お世話になっております。Tsunaguサポートでございます。

オーナーはワークスペースに1名のみで、変更（移譲）は現在のオーナーである石田様の操作でのみ可能です。

1. 移譲先は管理者である必要がございますので、まず石田様に「ワークスペース設定」>「メンバー」で森様のロールを「管理者」に変更していただきます
2. 続いて石田様に「ワークスペース設定」>「一般」>「オーナー権限の移譲」から森様を選択していただきます

変更後、石田様は自動的に「管理者」となります。あわせて、「請求」画面のお支払い方法・請求先メールアドレスの変更もご検討ください。

よろしくお願いいたします。"""),

T("acct_0053", Q, "email", "2026-02-05 12:01", "Guest can see other projects??",
"""Hi,

I invited a client as a guest to our "Harbourside rebrand" project but she says she can see the name of our other projects in the sidebar. That would be bad, some of those are for her competitors. Is this a setting?

Thanks
Ollie Finch
Alder & Finch Studio""",
"""Hi Ollie,

I looked at your workspace and your client's account is actually a Member, not a Guest. It looks like she was first invited to the workspace from the Members page with the default Member role, and later added to the project. Members can see every project that's set to "Workspace" visibility.

To fix it: Workspace settings > Members > her name > change role to Guest, then confirm which projects she should keep (just Harbourside rebrand). Guests only ever see the projects they've been explicitly added to.

As a belt-and-braces step you can also set sensitive projects to Private (in the project's Share dialog) so only people you add can see them, even among Members.

Sorry for the scare!
Priya"""),

T("acct_0049", Q, "web_form", "2026-02-09 10:44", "",
"""ゲストで招待した取引先の方が、タスクを作成できないと言っています。ゲストは閲覧だけなのでしょうか？""",
"""お問い合わせありがとうございます。Tsunaguサポートでございます。

ゲストは、招待されたプロジェクト内でタスクの作成・編集・コメントが可能です。ただし、御社のBusinessプランでは高度な権限設定により、ゲストごとに「編集者／コメント可／閲覧者」を選べるようになっており、該当のゲストは「閲覧者」として招待されておりました。

プロジェクト右上の「共有」を開き、該当ゲストの権限を「編集者」に変更してください。
それでも作成できない場合は、お手数ですが画面のスクリーンショットをお送りいただけますと幸いです。

よろしくお願いいたします。"""),

T("acct_0039", Q, "email", "2026-02-10 06:50", "Site supers need access on phones only",
"""Hey, we've got about 10 site superintendents who would only use the phone app to check their task lists and upload photos. Do they each need a paid seat or can they be guests? They're our employees not outside people. Trying to keep cost down.

Rick Halvorsen
Summit Ridge Construction
(720) 555-0143""",
"""Hi Rick,

Technically guests work on the mobile apps too, so you could invite your superintendents as guests on the specific job-site projects. A few things to weigh up though:

- Guests can only see projects they're explicitly added to, so every new job needs them added.
- Guests can comment, upload photos and track time on those projects, but they can't create projects or see the member list.
- You have 28 seats, so up to 140 guests are available.

Our terms don't prohibit employees as guests, so it's really about whether the restrictions fit how they work. The apps need iOS 16+ or Android 10+.

Happy to help set it up either way.
Tom"""),

T("acct_0002", S, "email", "2026-02-12 10:03", "席数追加と請求書払いについて",
"""お世話になっております。
株式会社ミナト物流 情報システム部の藤井でございます。

4月より大阪営業所（約30名）でもTsunaguを利用することになりました。
つきましては、以下2点ご教示いただけますでしょうか。

1. 30席を追加した場合の費用（年払いの場合）
2. 現在クレジットカード払いですが、請求書払い（銀行振込）への切り替えは可能か

社内稟議に必要なため、お見積書もいただけますと大変助かります。

何卒よろしくお願いいたします。

藤井 健一
株式会社ミナト物流 情報システム部
TEL: 045-210-3381""",
"""藤井様

お世話になっております。Tsunaguサポートの佐藤でございます。
大阪営業所でのご利用拡大のご検討、誠にありがとうございます。

1. Businessプランは1席あたり月額2,900円（税抜）で、年払いの場合は2か月分無料（1席あたり年額29,000円）となります。30席追加の場合、年額870,000円（税抜）が目安です。年度途中で追加された場合は、次回更新日までの日割り計算となります。
2. Businessプランで10席以上ご利用の場合、請求書払い（銀行振込）に切り替えが可能です。御社は現在85席でございますので対象となります。

お見積書の発行と請求書払いへの切り替え手続きにつきましては、弊社の営業担当より2営業日以内に改めてご連絡いたします。担当者には本件の内容を共有済みでございます。

引き続きよろしくお願いいたします。"""),

T("acct_0024", Q, "chat", "2026-02-13 13:37", None,
"""Can a guest be in more than one project? We have a freelancer doing both our website and the app""",
"""Yes! A guest can be added to as many projects as you like. Open the second project > Share > Invite guest and enter the same email; they'll see both projects in their sidebar. They still count as just one guest."""),

T("acct_0055", Q, "email", "2026-02-16 09:12", "Change default role for invites?",
"""Hello Tsunagu support,

Every time one of our admins invites someone from the Members page it defaults to "Member". Half our invites are actually for contractors who should be guests and people keep forgetting to change the dropdown, so we end up paying for seats we don't need. Is there a way to set the default role to Guest?

Kind regards,
Siobhan Keane
IT & Workplace, Polaris Support Desk""",
"""Hi Siobhan,

There isn't a setting to change the default role in the invite dialog today; it's always Member. I've passed your request on to the product team as feedback.

Two things that help in the meantime:
- Invite contractors from the project instead: project > Share > enter their email and choose Guest. That way they're scoped to the one project from the start and never take a seat.
- If someone was invited as a Member by mistake, change them to Guest under Workspace settings > Members. Note the freed seat stays on your bill until you lower the seat count in Workspace settings > Billing > Seats (takes effect from the next renewal).

Guest details: https://help.tsunagu.example/articles/guest-access

Best regards,
Daniel, Tsunagu Support"""),

T("acct_0009", S, "email", "2026-02-17 15:20", "Adding 2 more clinics",
"""Hi,

We're acquiring two more dental practices in April, which will add roughly 25 staff. Few questions:
- can we just add seats or do we need a new subscription?
- is there any discount at that size?
- our new practice manager wants everyone on SSO with our Google Workspace. Is that on our plan?

Thanks,
Marcus Bell
Oakridge Dental Group""",
"""Hi Marcus,

Congratulations on the expansion!

- You can simply add seats to your existing workspace (Workspace settings > Billing > Seats, or they're added automatically as people accept invites). New seats are prorated to your current cycle.
- Volume pricing is something our account team handles; at ~47 seats it's worth a conversation, especially if you switch to yearly billing (which already gives you 2 months free).
- SAML SSO is a Business plan feature (24 USD/seat/month). Google Workspace works as a SAML identity provider, and Business also adds SCIM provisioning and the audit log, which practices handling patient-related work often ask for.

I've looped in our account team with the details above; they'll reach out this week with a quote for Team vs Business at ~47 seats. You can also try Business features right now with a 14-day trial from Workspace settings > Billing.

Best,
Maya"""),

T("acct_0016", Q, "email", "2026-02-18 17:45", "ゲストの招待上限",
"""お世話になっております。ひかりソフトの加藤です。

外部パートナーを多数ゲストとして招待しているのですが、
「ゲストの上限に達しました」と表示され、招待できなくなりました。
上限は何名でしょうか。Businessプランでも上限はありますか。

よろしくお願いいたします。""",
"""加藤様

お世話になっております。Tsunaguサポートの田中でございます。

ゲストの上限は、TeamプランおよびBusinessプランともに有料席1つにつき5名です。御社は現在55席のため、上限は275名となります。
確認いたしましたところ、現在ワークスペースには275名のゲスト（招待中を含む）が登録されておりました。

対応方法としては以下のいずれかとなります。
・不要になったゲストを「ワークスペース設定」>「メンバー」>「ゲスト」タブから削除する（招待中のまま期限切れになっているものも含まれます）
・席を追加する（1席追加ごとにゲスト枠が5名増えます）

よろしくお願いいたします。"""),

T("acct_0033", Q, "web_form", "2026-02-19 16:02", "multiple workspaces",
"""Our firm does bookkeeping for several clients. Is it better to have one workspace with a project per client, or one workspace per client? Can I switch between workspaces without logging out?""",
"""Hi,

Most accounting firms we work with use a single workspace with one project (or a folder of projects) per client. That keeps billing in one place and lets your staff see everything from one sidebar. If clients need access, invite them as guests to just their project.

Separate workspaces make sense only if clients need to own their own data or billing. You can belong to multiple workspaces with one login and switch from the workspace name in the top left, no logout needed. Note each workspace is billed separately.

Best,
Tom"""),

T("acct_0050", Q, "chat", "2026-02-20 12:30", "",
"""whats the max number of people on team plan""",
"""There's no maximum on Team: you can add as many paid seats as you need, plus 5 guests per paid seat. The 5-member limit only applies to the Free plan."""),

T("acct_0011", S, "web_form", "2026-02-24 08:10", "無料プランの人数",
"""現場の職人さんにも使ってもらいたいのですが、無料プランだと5人までですよね？
あと3人増やしたいのですが、有料にしたらいくらになりますか。スマホで使うだけです。

たかはし工務店 高橋""",
"""高橋様

お問い合わせありがとうございます。Tsunaguサポートでございます。

おっしゃるとおり、無料プランは5名までとなっております。
8名でご利用の場合は、Teamプラン（1席あたり月額1,200円・税抜）へのアップグレードが必要で、8席で月額9,600円（税抜）となります。年払いにすると2か月分が無料になります。

また、Teamプランでは有料席1つにつき5名までゲストを無料で招待できます。職人さんが特定の現場プロジェクトのみ見られればよい場合は、ゲストとしてご招待いただくことで費用を抑えられる可能性もございます。

アップグレードは「ワークスペース設定」>「請求」から行えます。構成についてのご相談は担当者からご連絡することも可能ですので、お気軽にお申し付けください。

よろしくお願いいたします。"""),

T("acct_0058", Q, "email", "2026-02-25 11:15", "Re: invite link expired",
"""Hi again,

> On Mon, Feb 23, 2026 at 9:02 AM Tsunagu Support wrote:
> Invite links are valid for 7 days. Please resend from Members > Pending.

I don't see a Pending tab at all? All I see is the list of people. I'm the office coordinator, not sure what my role is.

Carla Ruiz
Westgate Property Management""",
"""Hi Carla,

I checked and your account has the Member role. The Pending tab (and inviting in general) is only visible to Admins and the Owner, which is why it's missing for you.

Two options: ask your Owner (Greg, per your workspace) to make you an Admin under Workspace settings > Members, or ask him to resend the invite himself from Workspace settings > Members > Pending > ... > Resend. A resent invite gets a fresh 7-day link.

Daniel"""),

T("acct_0040", Q, "chat", "2026-02-26 18:20", None,
"""招待したメンバーが「招待リンクが無効です」と出て参加できないそうです。どうしたらいいですか""",
"""ご不便をおかけしております。
招待リンクの有効期限は7日間のため、期限が切れている可能性がございます。「ワークスペース設定」>「メンバー」>「招待中」タブで、該当の方の「…」メニューから「再送信」を行ってください。
また、無料プランは招待中の方も含めて5名までですので、上限に達している場合も参加できません。あわせてご確認ください。"""),

T("acct_0005", Q, "email", "2026-03-02 10:25", "Restricting what paralegals can see",
"""Hello,

We have matters that must be walled off ("ethical walls") so only certain attorneys and paralegals can see them. Right now it looks like all Members can see every project. How do we restrict a project to named people only? And can Admins still see everything?

Thank you,
Gloria Mensah
Practice Technology Lead
Harbor & Pine Legal LLP
312-555-0188""",
"""Hi Gloria,

For ethical walls, set each sensitive matter's project to Private (choose Private when creating the project, or change it in the project's Share dialog). Only people you explicitly add to the project can see it or find it in search.

On Business you also have advanced permissions, which let you:
- give per-project roles (Project admin / Editor / Commenter / Viewer) in the project's Share dialog,
- keep paralegals who only need to read a matter as Viewers, so they can't change anything.

Changes to membership and roles are recorded in the audit log (Workspace settings > Security > Audit log). Note that regular content views aren't logged there, so for ethical walls the key control is who is added to each Private project.

The audit log can be exported as CSV and covers 1 year on Business.

Guide: https://help.tsunagu.example/articles/projects

Best regards,
Priya"""),

T("acct_0034", Q, "email", "2026-03-03 13:50", "プロジェクトごとの権限設定",
"""お世話になっております。
株式会社カワセミ広告の長谷川と申します。

クライアントごとにプロジェクトを分けて運用しておりますが、
一部のプロジェクトは特定の担当者のみ閲覧できるようにしたいと考えております。
また、閲覧のみ可能なメンバーを設定することはできますでしょうか。

お手数ですがよろしくお願いいたします。""",
"""長谷川様

お世話になっております。Tsunaguサポートの中村でございます。

特定の担当者のみ閲覧可能にするには、プロジェクト右上の「共有」から公開範囲を「非公開」に変更してください。プロジェクトに追加されたメンバーのみが閲覧・検索できるようになります。

また、御社のBusinessプランでは高度な権限設定をご利用いただけます。プロジェクトごとに「プロジェクト管理者／編集者／コメント可／閲覧者」のロールを付与できますので、閲覧のみのメンバーを設定することが可能です。プロジェクト右上の「共有」から各メンバーのロールを変更してください。

参考：https://help.tsunagu.example/articles/projects

よろしくお願いいたします。"""),

T("acct_0047", Q, "web_form", "2026-03-04 20:11", "delete my account",
"""I joined a workspace by accident through a link a friend sent and want to leave it and delete my Tsunagu account entirely. How?""",
"""Hi,

To leave the workspace: Workspace settings > Members > your name > Leave workspace. To delete your personal Tsunagu account afterwards, go to avatar menu > Profile > Security > Delete account. You need to have left (or transferred ownership of) every workspace first, and deleting the account can't be undone.

https://help.tsunagu.example/articles/cancel-and-delete-workspace

Best,
Maya"""),

T("acct_0020", Q, "email", "2026-03-05 09:05", "Bulk change roles",
"""Hi,

We're tidying up after a reorg and need to change ~20 people from Admin back to Member. Clicking them one by one is tedious. Any bulk option or can you do it for us?

Cheers,
Nadia Kaur
Studio Manager, Saltmarsh Architecture""",
"""Hi Nadia,

There is a bulk option: in Workspace settings > Members, tick the checkboxes on the left of each person (or use the Role filter to show only Admins and tick the header checkbox to select all), then use "Change role" in the action bar at the top. Pick Member and confirm.

You'll need to be an Owner or Admin to do this, and you can't demote the last remaining Owner.

Since you're on Business, these changes will appear in Workspace settings > Security > Audit log if anyone asks later who changed what.

Cheers,
Tom"""),

T("acct_0054", Q, "email", "2026-03-06 15:33", "部署ごとにメンバーをまとめたい",
"""お世話になっております。はるか食品の小松でございます。

メンバーが増えてきたため、「製造部」「営業部」「品質管理部」のように
部署ごとにまとめて管理したいと考えております。
グループのような機能はございますか？
タスクの担当者に部署ごと割り当てることはできますか。""",
"""小松様

お世話になっております。Tsunaguサポートの佐藤でございます。

「グループ」機能をご利用いただけます。「ワークスペース設定」>「メンバー」>「グループ」から「グループを作成」をクリックし、部署名を付けてメンバーを追加してください。

作成したグループは以下のように使えます。
・プロジェクトの「共有」でグループ単位でメンバーを追加
・コメントで「@製造部」のようにメンションしてグループ全員に通知

なお、タスクの担当者は個人単位となっており、グループをそのまま担当者に設定することはできません。グループで対応するタスクは、代表者を担当者に設定のうえ、他のメンバーをフォロワーに追加する運用をおすすめしております。

よろしくお願いいたします。"""),

T("acct_0042", Q, "chat", "2026-03-09 10:02", None,
"""is there a way to see who has never logged in? trying to figure out who actually uses it before renewal""",
"""Yes: Workspace settings > Members, then sort by the "Last active" column. People who accepted an invite but never opened the app show "Never". You can also export the member list as CSV from the ... menu at the top of that page if you want to share it with finance."""),

T("acct_0057", Q, "email", "2026-03-10 11:48", "メンバー一覧のエクスポート",
"""お世話になっております。株式会社オリオン人材 情報システム課の松本でございます。

監査対応のため、ワークスペースに所属している全ユーザー（ロール、最終ログイン日時を含む）の一覧を取得したいです。
CSVなどで出力できますでしょうか。

よろしくお願いいたします。""",
"""松本様

お世話になっております。Tsunaguサポートの田中でございます。

メンバー一覧は以下の手順でCSV出力が可能です。
「ワークスペース設定」>「メンバー」> 画面上部の「…」メニュー >「CSVでエクスポート」

出力項目には、氏名・メールアドレス・ロール・ステータス・参加日・最終アクティブ日時が含まれます。

また、御社のBusinessプランでは監査ログ（「ワークスペース設定」>「セキュリティ」>「監査ログ」）で、ログインやロール変更などの操作履歴を過去1年分CSV出力いただけます。監査対応の証跡としてあわせてご活用ください。

よろしくお願いいたします。"""),

T("acct_0018", Q, "email", "2026-03-11 07:58", "i'm the owner but can't get in",
"""Our old manager set up Tsunagu with her email and she doesn't work here anymore. None of us are owners, I'm just a Member. How do we take over the workspace? We're on the free plan. Her email was jess@driftwoodcoffee.com which we still control actually.

Thanks
Andre""",
"""Hi Andre,

Good news: since you still control jess@driftwoodcoffee.com, the easiest path is:

1. Go to app.tsunagu.example/login and click "Forgot password" with jess@driftwoodcoffee.com.
2. Reset the password from the email that arrives in that mailbox.
3. Log in as Jess, go to Workspace settings > Members and make yourself an Admin.
4. Still as Jess, go to Workspace settings > General > Transfer ownership and choose yourself. Jess's account becomes an Admin, which you can then remove.

If her account has two-step verification on and nobody has the device, reply here from an email at your company domain and we'll start the ownership verification process instead.

Best,
Daniel"""),

T("acct_0025", Q, "web_form", "2026-03-12 09:30", "",
"""看護部の職員を招待したのですが、ログインしようとすると「このワークスペースではシングルサインオン（SSO）でのログインが必要です」と表示されて入れないそうです。
個人のGmailアドレスで招待した方です。どうすればよいでしょうか。

医療法人社団みどり会 事務局 井上""",
"""井上様

お問い合わせいただきありがとうございます。Tsunaguサポートでございます。

御社ワークスペースでは「ワークスペース設定」>「セキュリティ」> SAML SSOで「SSOを必須にする」が有効になっております。メンバーは御社のIDプロバイダー経由でログインする必要があり、IDプロバイダーに登録のない個人のGmailアドレスではログインできない状態です。

対応としては以下のいずれかとなります。
・法人のメールアドレス（IDプロバイダーのアカウント）を発行のうえ、そのアドレスでご招待いただく（推奨）
・外部の方として、特定プロジェクトのみアクセスできる「ゲスト」としてご招待いただく（ゲストはSSO必須の対象外で、メールアドレスとパスワードでログインできます）

なお、Gmailアドレスで送った招待は「ワークスペース設定」>「メンバー」>「招待中」タブから取り消すことができます。

患者情報を扱うプロジェクトがある場合は、法人アドレスでのご利用をおすすめいたします。

よろしくお願いいたします。"""),

]
