from common import T, Q, B, S

TICKETS = [

T("acct_0003", Q, "email", "2026-01-15 10:12", "Charged more than expected this month",
"""Hi,

Our plan is 12 seats at $10 so I expected $120. The charge on the card was $146.13. What's the extra? Nobody told me about this.

Peter Lindqvist
Northwind Design""",
"""Hi Peter,

I've checked your billing history. The extra $26.13 is proration for 4 seats that were added on January 9 when Amy, Raj, Colette and Hugo accepted their invitations. Seats added mid-cycle are charged only for the days remaining until your renewal date (January 28), so 4 seats x $10 x 20/30 days = $26.67, minus a small credit of $0.54 for a seat removed the same day.

From your next invoice you'll see the full 16 seats ($160/month). You can see this line by line on the invoice PDF under Workspace settings > Billing > Invoices.

How proration works: https://help.tsunagu.example/articles/add-seats-proration

Best,
Daniel, Tsunagu Support"""),

T("acct_0008", Q, "email", "2026-01-19 16:40", "請求書（領収書）の宛名変更について",
"""お世話になっております。
株式会社さくらウェブの岡田です。

経理より、領収書の宛名を会社名にしてほしいと言われました。
現在、私の個人名で発行されているようです。
宛名と住所の変更方法を教えていただけますか。
また、過去分の領収書も再発行可能でしょうか。

よろしくお願いいたします。""",
"""岡田様

お世話になっております。Tsunaguサポートの中村でございます。

宛名と住所は以下から変更いただけます。
アバターメニュー >「ワークスペース設定」>「請求」>「請求先情報」>「編集」
会社名・住所・適格請求書発行事業者登録番号（お持ちの場合）などをご入力ください。

変更後に発行される請求書・領収書に反映されます。過去分の再発行をご希望の場合は、対象の請求書番号（INV- から始まる番号）を本メールにご返信ください。新しい宛名で再発行いたします。

参考：https://help.tsunagu.example/articles/ja-qualified-invoice

ご不明点がございましたらお知らせください。
よろしくお願いいたします。"""),

T("acct_0021", Q, "web_form", "2026-01-21 13:00", "Nonprofit discount?",
"""We're a registered 501(c)(3) running a food bank network. We'd love to move from Free to Team but budget is tight. Do you offer a nonprofit discount?

Thanks so much,
Ruth Delacroix
Volunteer Coordinator, Tidewell""",
"""Hi Ruth,

Thank you for the work you do! Yes: registered nonprofits can ask for a 50% discount on Team or Business. To apply, reply to this email with a copy of your 501(c)(3) determination letter and your workspace name. Requests are reviewed by our sales team, who'll confirm by email and apply the discount to your workspace.

Once it's approved, you can upgrade from Workspace settings > Billing > Change plan. Details: https://help.tsunagu.example/articles/plans-and-pricing

Warmly,
Maya"""),

T("acct_0012", Q, "chat", "2026-01-27 11:05", None,
"""if we switch to annual now do we lose what we paid for this month""",
"""No, you won't lose it. When you switch from monthly to yearly mid-cycle, the unused part of your current month is credited against the yearly charge. You can do it from Workspace settings > Billing > Change plan (keep Team, pick yearly), and it'll show you the exact amount before you confirm. Yearly is 2 months free compared to monthly."""),

T("acct_0027", Q, "email", "2026-02-03 09:17", "downgrade to free",
"""Hello,

We're a tiny team and honestly only using a couple of projects now. If I downgrade to Free today, do we lose access immediately? And what happens to the 6 projects we have (free says max 3)?

Thanks
Imogen
Pebble & Co""",
"""Hi Imogen,

A downgrade takes effect at the end of your current billing cycle, so you keep Team features until your renewal date (February 21). Nothing changes before then.

Once you're on Free:
- Free allows 3 active projects. When you schedule the downgrade you choose which 3 stay active; the other 3 are archived (read-only, nothing deleted) and can be unarchived if you upgrade again.
- Free allows 5 members, 1 GB storage and 100 automation runs a month. You currently have 6 members, so you'll need to remove one before you can schedule the downgrade. You also have about 3.4 GB of files: nothing is deleted, but uploads are blocked until you're under 1 GB.
- Guests are removed automatically at the downgrade, as guests aren't available on Free.

You can schedule the downgrade under Workspace settings > Billing > Change plan.

https://help.tsunagu.example/articles/upgrade-downgrade

Best,
Priya"""),

T("acct_0049", Q, "email", "2026-02-04 10:30", "請求書払いへの切り替え",
"""お世話になっております。
株式会社ツバサ出版 管理部の吉田と申します。

現在クレジットカードでお支払いしておりますが、
弊社の経理規定上、請求書払い（銀行振込）に変更したく存じます。
必要な手続きをご教示いただけますでしょうか。

何卒よろしくお願い申し上げます。

吉田 恵子
株式会社ツバサ出版 管理部
〒101-0051 東京都千代田区神田神保町2-14
TEL 03-3261-0490""",
"""吉田様

お世話になっております。Tsunaguサポートの佐藤でございます。

Businessプランを10席以上でご利用のお客様は、請求書払い（銀行振込）をご利用いただけます。御社は32席のため対象でございます。

お手続きの流れは以下のとおりです。
1. 「ワークスペース設定」>「請求」>「支払い方法」>「請求書払いを申し込む」から、会社名（請求書の宛名）・部署名・ご担当者名・送付先の住所とメールアドレス・法人番号などをご入力ください
2. 審査には通常3営業日ほどいただき、結果をメールでお知らせいたします
3. 審査完了後の次の請求期間から請求書払いに切り替わります。月払いの場合は月末締め・翌月末までのお振込みとなります

切り替えが完了するまでは、現在のクレジットカードでの決済が継続されます。

参考：https://help.tsunagu.example/articles/ja-invoice-payment-application

よろしくお願いいたします。"""),

T("acct_0035", Q, "email", "2026-02-06 21:45", "REFUND NOW",
"""I cancelled our trial and you STILL charged my card $40 today. I never agreed to this. I want a full refund immediately or I'm disputing it with my bank.

Jonah Reyes
Redfern Media""",
"""Hi Jonah,

I'm sorry, I can see why that charge was a shock and I want to get it sorted quickly.

Here's what I found: the 14-day Business trial ended on February 4 and, because the workspace had been upgraded to Team (4 seats) on January 30 during the trial, the Team subscription started billing on February 6. The trial cancellation on February 5 reverted the Business trial but didn't cancel the separate Team subscription, which is a confusing flow and I've shared it with our product team.

Refunds are handled by our billing team, so I've escalated this to them with a note that you didn't intend to start a paid plan and have asked for a full refund of the $40. They'll reply to you directly by email, normally within 5 business days (usually sooner). I've also scheduled the workspace to go back to Free so there won't be any further charges.

Again, apologies for the hassle.
Tom, Tsunagu Support"""),

T("acct_0054", Q, "web_form", "2026-02-10 14:22", "",
"""年払いと月払いはどちらがお得ですか？途中で切り替えることはできますか？""",
"""お問い合わせありがとうございます。Tsunaguサポートでございます。

年払いは月払いと比べて2か月分無料となり、Teamプランの場合は1席あたり年額12,000円（月払いの場合は年14,400円相当）です。

月払いから年払いへは、「ワークスペース設定」>「請求」>「プランを変更」で年払いを選択いただくと、いつでも切り替え可能です。当月の未使用分は年額のお支払いに充当されます。
年払いから月払いへの切り替えは、次回の年次更新時に適用されます。

よろしくお願いいたします。"""),

T("acct_0006", Q, "chat", "2026-02-11 12:12", "",
"""do you take paypal?""",
"""We don't accept PayPal at the moment, sorry. We take Visa, Mastercard, American Express and JCB, and on the Business plan in Japan (10+ seats) invoice/bank transfer billing. You can add a card when upgrading under Workspace settings > Billing."""),

T("acct_0017", B, "email", "2026-02-12 10:48", "Invoice PDF download gives error",
"""Hi Tsunagu,

Trying to download last month's invoice for our finance team. Clicking Download on Workspace settings > Billing > Invoices opens a new tab that just says

{"error":"internal_error","message":"Something went wrong","request_id":"req_8f2c1e77a0"}

Other invoices download fine, only INV-2026-01-0392 fails. Can you email it to me?

Dana Whitfield
Copperleaf Marketing""",
"""Hi Dana,

Thanks for including the request ID, that made it quick to trace. The PDF for that invoice failed to render because the billing address had an emoji in the company line (copied from a signature, I think), which our PDF generator choked on.

I've attached INV-2026-01-0392 to this email. Our engineering team has a fix for the renderer going out in release 2026.03; in the meantime I cleaned up the address under Workspace settings > Billing > Billing details so future invoices won't hit this.

Sorry for the trouble!
Daniel"""),

T("acct_0004", S, "email", "2026-02-16 09:30", "お見積書発行のお願い（Enterpriseプラン）",
"""お世話になっております。
三葉商事株式会社 情報システム部の高木でございます。

現在Businessプランを140席で利用しておりますが、
来期よりグループ会社2社（計約200名）での利用を検討しております。
合わせて、情報セキュリティ部門より、データを国内（東京リージョン）に保管すること、
およびIPアドレス制限が必須との要件が出ております。

Enterpriseプランでの概算見積書を頂戴できますでしょうか。
あわせて、SLAの内容についても資料があればご共有ください。

何卒よろしくお願い申し上げます。

高木 誠
三葉商事株式会社 情報システム部
takagi.makoto@mitsuba-shoji.example""",
"""高木様

お世話になっております。Tsunaguサポートの田中でございます。
グループ会社でのご利用拡大のご検討、誠にありがとうございます。

ご要件について、以下のとおりご案内いたします。
・データ保管場所（データレジデンシー）：Enterpriseプランでは東京リージョンまたは米国リージョンを選択いただけます
・IPアドレス制限（IP allowlist）：Enterpriseプランでご利用いただけます
・SLA：Enterpriseプランでは稼働率99.9%のSLAをご提供しております
・その他、専任のカスタマーサクセスマネージャー、監査ログの無期限保持、個別契約にも対応しております

Enterpriseプランの価格は個別見積となりますため、本件を弊社法人営業チームに引き継ぎました。担当者より2営業日以内に、概算お見積書とSLA資料をお送りいたします。既存データの東京リージョンへの移行手順についても、担当者よりご説明いたします。

引き続きよろしくお願いいたします。"""),

T("acct_0050", Q, "email", "2026-02-18 08:40", "Can we get a receipt with our tax ID",
"""hello, our accountant needs the receipts to show our EIN and the clinic's legal name (Riverbend Veterinary Hospital LLC). where do i change this?

thanks, Connie""",
"""Hi Connie,

You can add both under Workspace settings > Billing > Billing details > Edit: put the legal name in "Company name" and your EIN in the "Tax ID" field. New invoices will pick it up automatically. For past ones, reply with the invoice numbers (INV-...) you need and I'll have them reissued with the new details.

Best,
Maya"""),

T("acct_0036", S, "email", "2026-02-19 14:55", "Adding the Dublin office",
"""Hi,

We're opening an office in Dublin next quarter, ~60 people joining our Enterprise workspace. A couple of things before we commit:
1. Our contract has a fixed seat count of 250. How do we add 60 mid-term and how is it priced?
2. Our DPO wants to confirm data stays in the region we've chosen (we're on the US region currently). Is there an EU region on the roadmap or would Dublin have to use US?

Regards,
Fiona Gallagher
Head of IT Operations, Cobalt Fintech
+44 20 7946 0321""",
"""Hi Fiona,

Thanks for the heads-up, and congratulations on the new office.

1. For Enterprise, seat changes are handled through your contract rather than self-service. Your CSM, Alex Moreno, can add a mid-term amendment for the extra 60 seats, prorated to your renewal date at your contracted per-seat rate.
2. Data residency today is offered in two regions: Tokyo and US. An EU region isn't something I can commit to here, so I've asked Alex to bring our product team into the conversation so your DPO gets an accurate answer on roadmap and on the contractual protections that apply for EU staff on the US region.

I've forwarded this thread to Alex, who will be in touch this week to set up a call.

Best regards,
Priya, Tsunagu Support"""),

T("acct_0059", Q, "email", "2026-02-20 17:25", "有料プランへの変更時期",
"""お世話になります。つばめ会計事務所の中島です。

確定申告の時期だけ人を増やしたいので、3月だけTeamプランにして、4月にまた無料に戻すということはできますか？
その場合、料金は1か月分だけでしょうか。""",
"""中島様

お問い合わせありがとうございます。Tsunaguサポートでございます。

はい、可能でございます。Teamプランに月払いでアップグレードいただき、ご利用後に無料プランへのダウングレードを予約いただく形になります。

・アップグレードは即時に反映され、その日から1か月分（月払い）が請求されます
・ダウングレードは請求期間の終了時に反映されますので、アップグレード後すぐにダウングレードを予約しても、期間終了まではTeamプランの機能をご利用いただけます
・無料プランに戻る際は、メンバー5名・プロジェクト3件・ストレージ1GBの範囲に収まるようご調整ください（4件目以降のプロジェクトはアーカイブされ、読み取り専用になります）

手順：「ワークスペース設定」>「請求」>「プランを変更」

よろしくお願いいたします。"""),

T("acct_0001", Q, "email", "2026-02-24 19:02", "Double charged??",
"""hey - I see two charges of $180 on Feb 22 on our company card from TSUNAGU INC. Our plan renewed that day. Did you charge us twice? pls fix

Ken""",
"""Hi Ken,

I looked into this: there's one successful charge of $180 on February 22, and a second authorisation attempt from the same minute that was declined by your bank and then released. Some banks show a declined or pending authorisation as a charge for a few days before it disappears. It should drop off your statement within 3-5 business days.

If it's still showing as a completed charge after that, reply here with a screenshot of the statement line and I'll escalate it to our billing team straight away, since they're the ones who handle refunds.

Best,
Maya"""),

T("acct_0031", Q, "chat", "2026-02-27 10:30", None,
"""月の途中で5人追加したら、料金ってどうなりますか？""",
"""月の途中で席を追加された場合は、次回更新日までの残り日数分が日割りで請求されます。たとえば更新日まで15日残っている時点で5席追加すると、約半月分（5席×1,200円×15/30日＝3,000円・税抜）が追加請求され、次回からは通常の席数分の請求になります。"""),

T("acct_0044", S, "email", "2026-03-03 11:02", "Switching to annual + 40 more seats",
"""Hi,

We're currently Business, monthly, 80 seats. Our CFO wants to move to annual billing, and at the same time add ~40 seats for our Jakarta and Manila hubs. Can you send a quote for 120 seats annual so we can raise a PO? We'd prefer to pay by invoice/wire rather than card, if possible.

Thanks,
Wei Ling Tan
Regional IT Lead, Orbital Freight""",
"""Hi Wei Ling,

Happy to help with this. For reference, Business annual is 24 USD x 10 months per seat (yearly billing gives 2 months free), so 120 seats annual would be around 28,800 USD per year before any volume discount and tax.

Invoice/wire billing outside Japan is arranged through our account team for annual contracts of this size, and at 120 seats there's usually room for volume pricing too. I've looped in our account team with your details; they'll send a formal quote for 120 annual seats and the PO/wire instructions within 2 business days.

Until the switch, your current monthly subscription continues unchanged. When you move to annual, the unused part of your current month is credited.

Best,
Tom, Tsunagu Support"""),

T("acct_0013", Q, "email", "2026-03-05 13:44", "インボイス制度の登録番号について",
"""お世話になっております。アオバ設計の山口です。

貴社の請求書に適格請求書発行事業者の登録番号は記載されていますでしょうか。
経理から確認してほしいと言われまして。
記載がない場合、別途ご発行いただくことは可能でしょうか。""",
"""山口様

お世話になっております。Tsunaguサポートの佐藤でございます。

弊社（株式会社つなぐ）は適格請求書発行事業者として登録しており、日本円建ての請求書・領収書にはすべて右上に登録番号（T1234567890123）と、税率ごとに区分した消費税額を記載しております。

「ワークスペース設定」>「請求」>「請求書」から各月のPDFをダウンロードいただき、ご確認ください。
なお、米ドル建てのご請求は米国法人の発行となり、適格請求書の対象外となります。御社は日本円建てでございますので問題ございません。

参考：https://help.tsunagu.example/articles/ja-qualified-invoice

よろしくお願いいたします。"""),

T("acct_0038", Q, "email", "2026-03-09 15:30", "Please cancel our subscription",
"""Hi,

Sadly we're closing one of our studios and consolidating, so we don't need Tsunagu anymore. Please cancel our subscription and make sure we aren't billed again. Can we keep read access to our stuff for a bit?

Thanks for everything,
Becca Morales
Wildflower Yoga Studios""",
"""Hi Becca,

Sorry to hear about the studio, and thanks for being with us.

You can cancel yourself under Workspace settings > Billing > Change plan > Free (as the Owner). I've checked and there's nothing else needed:
- The change takes effect at the end of your current cycle (March 27), so you won't be charged again and you keep everything until then.
- After that the workspace stays on Free: you can still log in and read or export your data. You'll choose 3 projects to stay active and the rest are archived (read-only), and you'll need to be at 5 members or fewer before you can schedule it.
- If you want a copy of everything, Workspace settings > Data export > Full workspace export (JSON) emails you a download link valid for 7 days.

If you'd rather delete the workspace entirely, that's under Workspace settings > General > Delete workspace, with a 30-day recovery window.

Wishing you all the best,
Priya"""),

T("acct_0022", Q, "email", "2026-03-10 09:05", "解約について",
"""お世話になっております。
株式会社ネクストリンクの池田です。

社内ツールの統一に伴い、3月末でTsunaguの利用を終了することになりました。
解約手続きの方法と、データのバックアップ方法を教えてください。
年払いで契約しており、残りの期間分の返金があるかも知りたいです。

よろしくお願いいたします。""",
"""池田様

お世話になっております。Tsunaguサポートの中村でございます。
これまでTsunaguをご利用いただき、誠にありがとうございました。

1. データのバックアップ
「ワークスペース設定」>「データエクスポート」から、ワークスペース全体のJSONエクスポート、またはプロジェクトごとのCSVエクスポートが可能です。ダウンロードリンクはメールで届き、7日間有効です。

2. 解約方法
「ワークスペース設定」>「請求」>「プランを変更」から無料プランを選択してください。変更は現在の契約期間の終了日（御社の場合は2026年9月14日）に反映され、それまではTeamプランの機能をご利用いただけます。

3. 返金について
年払いの残期間分の返金は原則として行っておりませんが、返金・請求に関するご相談は請求担当チームが個別に対応しております。本件は請求担当チームに引き継ぎましたので、担当者より改めてご連絡いたします。

よろしくお願いいたします。"""),

T("acct_0029", S, "email", "2026-03-16 10:22", "District-wide rollout question",
"""Hi Priya,

Thanks for the help last time. Our pilot went really well and the superintendent's office wants to roll out to all 6 schools next school year, maybe 250 staff. A couple of questions:

- we need SSO with our Entra ID (Azure AD), the IT director won't approve anything without it
- can we be billed on a PO / invoice, our district can't use credit cards
- is there education pricing

Janelle""",
"""Hi Janelle,

That's great news about the pilot!

- SSO: SAML SSO with Microsoft Entra ID (and SCIM provisioning so accounts are created/removed from Entra automatically) is included in the Business plan. Your workspace is on Team today, so a rollout with SSO would mean moving to Business; you can try it with a 14-day Business trial from Workspace settings > Billing to let your IT director test the Entra setup.
- PO / invoice billing: for a contract of this size our account team can set up invoice billing against a PO.
- Education pricing: we do offer discounts for schools and districts; the account team will include it in the quote.

I've looped in our account team with your requirements (about 250 seats, Entra SSO, PO billing, education pricing). They'll reach out within 2 business days to set up a call, ideally with your IT director.

Cheers,
Priya"""),

T("acct_0046", Q, "web_form", "2026-03-18 11:11", "",
"""クレジットカードの有効期限が切れていたようで「お支払いに失敗しました」というメールが来ました。カードを変更したいのですが、どこからできますか？また、利用停止になりますか？""",
"""お問い合わせありがとうございます。Tsunaguサポートでございます。

カード情報は「ワークスペース設定」>「請求」>「支払い方法」>「更新」から変更いただけます。更新後、未払いの金額はすぐに決済されます。

決済に失敗した場合も、7日間で3回自動的に再決済を試み、最初の失敗から14日間はそのままご利用いただけます。14日を過ぎてもお支払いが確認できない場合はワークスペースが読み取り専用になりますが、データが削除されることはございません。お早めにカード情報を更新いただければ問題ございません。

よろしくお願いいたします。"""),

T("acct_0053", Q, "chat", "2026-03-20 14:15", None,
"""hi, can i lower seats from 7 to 5? 2 people left""",
"""Sure! First remove the two people under Workspace settings > Members (their tasks stay). Then in Workspace settings > Billing > Seats, set the count to 5. The lower seat count takes effect at your next renewal; we don't refund partial months, but you won't be billed for 7 again."""),

T("acct_0009", Q, "email", "2026-03-23 16:47", "Re: Re: charged for removed users",
"""> On Mar 20, Maya (Tsunagu Support) wrote:
> Removing a member doesn't lower the seat count automatically, you can reduce seats in Billing.

Ok but that's a pretty terrible design honestly. We removed 4 people in January and have paid for them for 2 extra months because nobody told us. I'd like those two months back. That's $80.

Marcus Bell
Oakridge Dental Group""",
"""Hi Marcus,

That's fair feedback, and I'm sorry it cost you money. I've passed it to our product team: the Remove dialog should make it obvious that the seat stays on the bill.

Refunds are decided by our billing team, so I've escalated your request for the $80 (4 seats x $10 x 2 months) to them with the full context, including that the seats were unused since January. You'll hear from them directly by email, normally within 5 business days.

In the meantime I've lowered your seat count to 18 so March's renewal onwards reflects the current team.

Best,
Maya"""),

T("acct_0028", Q, "email", "2026-03-25 10:18", "領収書の発行タイミング",
"""お世話になっております。合同会社カケハシの村上です。

クレジットカードで支払っているのですが、領収書は自動で送られてくるのでしょうか。
それとも毎回ダウンロードが必要でしょうか。
経理担当の別のメールアドレスにも送ってほしいのですが、可能ですか。""",
"""村上様

お世話になっております。Tsunaguサポートの田中でございます。

決済完了時に、請求先メールアドレス宛に領収書（PDF）を自動でお送りしております。過去分は「ワークスペース設定」>「請求」>「請求書」からいつでもダウンロード可能です。

経理ご担当者様宛に届くようにするには、「ワークスペース設定」>「請求」>「請求先情報」の「請求先メールアドレス」を経理部門のアドレス（例：keiri@〜）に変更してください。ワークスペースのメンバーでない方のアドレスでも問題ございません。村上様にも届くようにしたい場合は、社内の共有アドレスやメーリングリストのご利用をおすすめいたします。

よろしくお願いいたします。"""),

T("acct_0020", S, "email", "2026-04-01 09:45", "Yearly quote for 50 seats",
"""Hi,

Our fiscal year starts in May. Finance would like a formal quote for Business, yearly, 50 seats (we're at 38 now and hiring), in GBP if you can. Also can the invoice show our VAT number?

Nadia Kaur
Saltmarsh Architecture""",
"""Hi Nadia,

Thanks for planning ahead. Business yearly works out at 240 USD per seat per year (2 months free versus monthly). We bill in USD or JPY only, so a GBP quote isn't available, but the account team can give you a fixed USD figure for finance to convert.

Your VAT number can go in Workspace settings > Billing > Billing details > Tax ID; it will then appear on all invoices, and the reverse-charge note is added automatically for UK businesses.

I've passed your request for a formal 50-seat yearly quote to our account team; they'll send it over within 2 business days, timed for a May 1 start.

Best,
Tom"""),

T("acct_0040", S, "email", "2026-04-03 11:38", "有料プランの比較について",
"""お世話になっております。
株式会社ユニゾンの原田です。

現在無料プランで5名で使っておりますが、4月から新入社員が4名入るため有料プランを検討しています。
TeamとBusinessの違いがよく分かりません。
10名程度の会社だとどちらがおすすめでしょうか。
また、お見積書を発行いただけますか。""",
"""原田様

お世話になっております。Tsunaguサポートの佐藤でございます。
ご検討いただきありがとうございます。

主な違いは以下のとおりです（価格は1席あたり月額・税抜）。
・Team（1,200円）：プロジェクト無制限、ストレージ100GB、自動化5,000回／月、ゲスト招待（1席につき5名）、タイムトラッキング
・Business（2,900円）：Teamの機能に加え、SAML SSO、SCIMプロビジョニング、監査ログ（1年）、高度な権限設定、自動化50,000回／月、ストレージ1TB、優先サポート、請求書払い（10席以上）

10名程度で、シングルサインオンや監査ログなどの要件が特にない場合は、Teamプランで十分にご利用いただけるケースが多いです。Businessの機能は14日間の無料トライアルでお試しいただけます（「ワークスペース設定」>「請求」）。

お見積書につきましては、営業担当より9名・10名それぞれのパターンでお送りいたします。2営業日以内にご連絡いたしますので、少々お待ちください。

よろしくお願いいたします。"""),

T("acct_0024", Q, "email", "2026-04-07 08:20", "VAT charged incorrectly",
"""Hallo,

We are a German GmbH with a valid VAT ID (DE318845512) entered in billing, but our last invoice added 19% VAT. For B2B within EU this should be reverse charge. Can you correct the invoice and refund the VAT?

Mit freundlichen Grüßen
Jonas Becker
Foxglove Software GmbH""",
"""Hi Jonas,

Thanks for the detail. I checked your billing details: the VAT ID was added on April 2, after the April 1 invoice had already been issued, which is why VAT was applied to that one. Invoices from now on will show reverse charge.

Correcting an issued invoice and refunding the VAT is something only our billing team can do, so I've escalated it to them with your VAT ID and invoice number (INV-2026-04-1187). They'll issue a credit note and corrected invoice and contact you directly, usually within 2 business days.

Best regards,
Daniel"""),

T("acct_0056", Q, "chat", "2026-04-09 17:02", None,
"""we're a US LLC but based in Tokyo. can we pay in JPY instead of USD? our card is a japanese card and the FX fees are annoying""",
"""Yes. Since your company is based in Japan, your billing country should be Japan, which means JPY billing (Team is ¥1,200/seat/month plus 10% consumption tax). I've flagged it for our billing team: the currency switch applies from your next renewal, not mid-cycle. Update the address under Workspace settings > Billing > Billing details to your Tokyo address in the meantime."""),

T("acct_0042", Q, "email", "2026-04-14 12:55", "Trial ended and we got downgraded?",
"""Hi,

We started the Business trial two weeks ago to test SSO and now the SSO login button is gone and people are getting "SSO is not available on your plan". We're on Team. Did we lose the SSO config? We're still deciding on Business.

Tanya Brooks
Juniper HR""",
"""Hi Tanya,

Your 14-day Business trial ended on April 13, so the workspace went back to Team, and SAML SSO is a Business feature. Your SSO configuration isn't lost: it's saved but inactive, and everyone can sign in with email/password (or Google/Microsoft) in the meantime.

If you upgrade to Business (Workspace settings > Billing > Change plan), SSO will switch back on with the same settings, no reconfiguration needed. If you need a few more days to decide, let me know and I can ask our account team about a short trial extension.

Best,
Priya"""),

T("acct_0037", S, "email", "2026-04-16 10:10", "ストレージ容量の追加について",
"""お世話になっております。
大和テクノサービス株式会社 DX推進室の石川でございます。

現在Businessプラン（120席）を利用しておりますが、図面データや現場写真の添付が多く、
ストレージ使用量が1TBの8割を超えてまいりました。
追加ストレージのオプション、もしくは上位プランでの対応について伺えますでしょうか。
来年度は協力会社を含めて利用者がさらに増える見込みです。

よろしくお願いいたします。""",
"""石川様

お世話になっております。Tsunaguサポートの中村でございます。
日頃よりご活用いただきありがとうございます。

ストレージの状況を確認いたしました。現在約820GBをご利用中です。
Businessプランのストレージ上限は1TBで、追加ストレージは個別契約のEnterpriseプランにてご相談いただけます。Enterpriseプランでは、ストレージ容量のほか、データ保管リージョンの選択（東京／米国）、稼働率99.9%のSLA、専任カスタマーサクセスマネージャー、IPアドレス制限などもご利用いただけます。

来年度の利用者増加のご予定も含め、最適な構成をご提案できるよう、弊社法人営業チームに本件を共有いたしました。担当者より数日以内にご連絡いたします。

当面の対策としては、「ワークスペース設定」>「請求」>「使用状況」でプロジェクト別の使用量と容量の大きいファイルをご確認いただけます。ゴミ箱内のファイルも容量に含まれますので、不要な場合はゴミ箱を空にしてください。

よろしくお願いいたします。"""),

T("acct_0058", Q, "email", "2026-04-20 08:33", "Charged for Business but we're on Team?",
"""Our invoice this month says Business x 21 seats = $504. We are on Team!! Nobody approved an upgrade. Please explain and refund the difference.

Carla Ruiz
Westgate Property Management""",
"""Hi Carla,

I understand the concern. Looking at the audit trail on your billing page: on April 2 the Business trial was started by Greg Novak (your workspace Owner) and, on April 16, he clicked "Keep Business" in the end-of-trial dialog, which converted the workspace to Business. That's why the April 16 invoice is for Business.

If that wasn't intended, I've already done two things:
1. Scheduled the workspace to move back to Team. Since you haven't used Business-only features, I asked for it to take effect immediately rather than at cycle end.
2. Escalated the difference ($504 - $210 = $294) to our billing team as a refund request. They handle all refunds and will confirm with you directly by email, normally within 5 business days.

Could you also check with Greg in case he did want Business? If so, just let me know and I'll cancel both.

Best,
Daniel"""),

T("acct_0016", Q, "email", "2026-04-22 14:00", "請求書の発行日と支払期限",
"""お世話になっております。ひかりソフト経理部の野口と申します。

請求書払いに切り替えていただいたのですが、請求書の発行日と支払期限を教えていただけますでしょうか。
また、振込手数料はどちらの負担になりますか。
弊社は月末締め翌月末払いが基本となっております。""",
"""野口様

お世話になっております。Tsunaguサポートの佐藤でございます。

月払いの請求書払いは「月末締め、翌月末までにお振込み」となっておりますので、御社の「月末締め翌月末払い」のサイクルに合わせてお支払いいただけます。請求書は締め日後に、請求先メールアドレス宛にPDFでお送りいたします。お振込みの際は、請求書に記載の「お客様番号」を会社名の前に付けてください。

振込手数料は誠に恐れ入りますが、お客様のご負担でお願いしております。

請求書は「ワークスペース設定」>「請求」>「請求書」からもダウンロードいただけます。

参考：https://help.tsunagu.example/articles/ja-invoice-payment-application

よろしくお願いいたします。"""),

T("acct_0033", Q, "chat", "2026-04-24 09:48", "",
"""where can I find old invoices? need jan-march for taxes""",
"""Workspace settings > Billing > Invoices lists every invoice; click Download PDF next to each one. You need to be an Owner or Admin to see the Billing page. Every invoice is also emailed to your billing email when it's issued, so your inbox may be quicker for Jan-March."""),

T("acct_0051", S, "email", "2026-04-27 09:20", "契約更新と席数の見直しについて",
"""お世話になっております。
日本リンクス株式会社 IT企画部の清水です。

7月の契約更新に向けて、以下をご相談させてください。
・現在500席ですが、子会社の統合により650席程度に増やしたい
・APIの利用が増えており、現在のレート制限では夜間バッチが429で止まることがある。上限の引き上げは可能か
・監査ログをSIEM（Splunk）に連携したい

担当CSMの方と一度お打ち合わせできればと思います。

清水 亮
日本リンクス株式会社 IT企画部
03-6705-2214""",
"""清水様

お世話になっております。Tsunaguサポートの田中でございます。

ご相談内容を、御社担当のカスタマーサクセスマネージャー（CSM）小野に共有いたしました。小野より日程調整のご連絡を差し上げます。

あらかじめ概要をご案内いたします。
・席数の追加：Enterpriseプランでは契約の変更（アメンドメント）で対応いたします。更新時に650席での契約とすることも、更新前に追加することも可能です
・APIのレート制限：Enterpriseプランでは、ご利用状況に応じてトークン単位の上限引き上げをご相談いただけます。夜間バッチの処理量（リクエスト数／分の目安）をお打ち合わせ時にお知らせください。なお、429エラーの際は「Retry-After」ヘッダーの秒数待ってから再試行する実装にしていただくと、処理が止まらなくなります
・監査ログのSIEM連携：監査ログはCSVエクスポートに加え、APIからも取得可能です。Splunkへの取り込み方法については小野よりご説明いたします

引き続きよろしくお願いいたします。"""),

T("acct_0014", Q, "email", "2026-05-04 18:05", "Pause subscription over winter?",
"""Hi,
Our events are seasonal (Oct to March mostly). Can we pause our subscription for the quiet months and keep our data? Paying for 8 seats while nobody logs in feels wasteful.
Cheers
Lachlan""",
"""Hi Lachlan,

We don't have a "pause" button as such, but you can get close to it:

1. Schedule a downgrade to Free under Workspace settings > Billing > Change plan. It takes effect at the end of your current cycle.
2. On Free, all your data stays. Projects beyond 3 become read-only and guests lose access until you upgrade again, but nothing is deleted.
3. When the season starts, upgrade back to Team and everything unlocks immediately.

Before downgrading, you'd need to be at 5 members or fewer (you have 8), so you'd remove 3 people; they can be re-invited later. Storage over 1 GB stays but blocks new uploads while on Free.

Cheers,
Tom"""),

T("acct_0025", Q, "email", "2026-05-12 11:30", "決済が二重になっている件",
"""お世話になっております。
医療法人社団みどり会 事務局の井上です。

5月分の請求が2回カードから引き落とされているようです（5/1に139,200円が2件）。
至急ご確認いただき、返金をお願いいたします。
経理から強く言われており困っております。""",
"""井上様

お世話になっております。Tsunaguサポートの中村でございます。
ご心配をおかけし、大変申し訳ございません。

確認いたしましたところ、5月1日に決済処理が重複して実行されており、同額が2回請求されておりました。弊社側のシステムの問題でございます。

返金につきましては請求担当チームが対応しておりますため、本件を最優先で引き継ぎました。重複分（139,200円）の返金処理が完了しましたら、担当者より改めてご連絡いたします。カード会社によっては返金の反映まで1〜2週間ほどかかる場合がございます。

また、本件は原因調査のためエンジニアチームにも報告いたしました。
ご迷惑をおかけしましたことを重ねてお詫び申し上げます。"""),

T("acct_0047", Q, "web_form", "2026-05-15 22:10", "student/startup credits",
"""We're a 3 person startup in an accelerator (batch S26). Do you have startup credits or discounts? Want to use Team but money is tight""",
"""Hi,

We don't have a startup program at the moment, sorry. Our only standing discounts are for registered nonprofits and accredited schools. Two things that may help:

- Free covers up to 5 members and 3 active projects, which may be enough while you're 3 people.
- When you do upgrade, yearly billing gives you 2 months free (Team is 100 USD per seat per year instead of 120).

You can also try all the Business features with the 14-day trial from Workspace settings > Billing, no card needed.

Best,
Maya"""),

T("acct_0060", Q, "email", "2026-05-19 10:02", "Why is proration charge on a separate invoice",
"""Hi,

We added 3 seats last Wednesday and got a separate invoice for $39.48 rather than it appearing on the monthly one. Our AP system needs a PO reference on every invoice. Can the proration be rolled into the next regular invoice instead? And can we add our PO number?

Thanks,
Kaori Mitchell
Operations, Sora Translation Services""",
"""Hi Kaori,

With card payment, seats added mid-cycle are always charged straight away with their own prorated invoice, so that can't be rolled into the monthly one. (Since you're billed from Japan, one alternative: Business workspaces in Japan with 10+ seats can switch to invoice billing (請求書払い) in JPY, where prorated amounts are added to the next invoice instead.)

For the PO number, there's a "PO number or reference" field under Workspace settings > Billing > Billing details. Anything you put there is printed on future invoices. I've reissued the $39.48 invoice with your PO number; you'll find it attached.

Best,
Tom"""),

]
