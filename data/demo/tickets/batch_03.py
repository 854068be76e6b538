from common import T, Q, B, S

TICKETS = [

T("acct_0007", Q, "email", "2026-01-12 13:20", "Okta SAML setup - audience mismatch",
"""Hi,

Setting up SAML with Okta. Test connection fails with:

  SAML response rejected: Audience mismatch (expected https://app.tsunagu.example/saml/ws_K3rT9pQa)

I copied the Entity ID straight from the SSO page, I'm fairly sure. Any ideas?

Thanks,
Dev Patel
IT, Kestrel Robotics""",
"""Hi Dev,

This one is almost always a trailing slash. In your Okta app (Applications > Tsunagu > General > SAML Settings > Edit), the Audience URI is set to:

  https://app.tsunagu.example/saml/ws_K3rT9pQa/

It needs to match the Entity ID exactly, without the final "/". Save it in Okta, then click Test connection again in Workspace settings > Security > SAML SSO.

While you're there, check that Name ID format is EmailAddress and that the attribute statements email, firstName and lastName are mapped, since that's the next thing Test connection checks.

Step-by-step guide: https://help.tsunagu.example/articles/saml-sso-okta

Best,
Daniel, Tsunagu Support"""),

T("acct_0016", Q, "email", "2026-01-16 10:05", "Entra IDでのSAML設定手順について",
"""お世話になっております。
株式会社ひかりソフト 情報システム部の加藤です。

Microsoft Entra ID（旧Azure AD）でSAML SSOを設定したいと考えております。
Okta向けの手順はヘルプセンターにありましたが、Entra ID向けの手順はございますでしょうか。
特に「識別子（エンティティID）」と「応答URL」に何を入れればよいか教えてください。

よろしくお願いいたします。""",
"""加藤様

お世話になっております。Tsunaguサポートの田中でございます。

Entra IDでの設定手順は以下のとおりです。

【事前準備（Tsunagu側）】
「ワークスペース設定」>「セキュリティ」> SAML SSO >「検証済みドメイン」でドメインを追加し、表示されるTXTレコードをDNSに登録して検証してください。同じ画面に「ACS URL」と「エンティティID」が表示されます。

【Entra ID側】
1. Entra管理センター >「エンタープライズ アプリケーション」>「新しいアプリケーション」>「独自のアプリケーションの作成」で「Tsunagu」を作成します
2. 「シングル サインオン」>「SAML」を選択します
3. 「基本的な SAML 構成」で以下を入力します
　・識別子（エンティティID）：Tsunaguの「エンティティID」（https://app.tsunagu.example/saml/<ワークスペースID>）
　・応答URL（ACS URL）：Tsunaguの「ACS URL」（https://app.tsunagu.example/saml/<ワークスペースID>/acs）
4. 「属性とクレーム」で、email（user.mail）、firstName（user.givenname）、lastName（user.surname）を追加します
5. 「アプリのフェデレーション メタデータ URL」をコピーします
6. 「ユーザーとグループ」で利用者を割り当てます

【Tsunagu側】
「SAML SSO」>「設定」でメタデータURLを貼り付け、「接続テスト」が成功したら「SAML SSOを有効化」をクリックしてください。

参考：https://help.tsunagu.example/articles/saml-sso-entra-id

よろしくお願いいたします。"""),

T("acct_0024", S, "web_form", "2026-01-19 09:14", "SSO on Team plan?",
"""Our security auditor is asking for SSO on all SaaS tools by Q2. We use Google Workspace. Is SSO available on Team or do we have to upgrade? We have 11 seats.""",
"""Hi,

SAML SSO (which works with Google Workspace as the identity provider) is part of the Business plan, not Team. For 11 seats that would be 24 USD/seat/month instead of 10, or 240 USD/seat/year on yearly billing. Business also includes SCIM provisioning and a 1-year audit log, which auditors usually ask for next.

Note that on every plan people can already use "Sign in with Google", and Owners/Admins can require two-step verification, but that's not enforced SSO in the sense auditors mean.

You can test the whole SSO setup with a 14-day Business trial from Workspace settings > Billing > Start free trial. I've also let our account team know you have a Q2 audit deadline; they'll follow up in case you need paperwork (security questionnaire, SOC 2 report) for the auditor.

Best,
Maya"""),

T("acct_0012", Q, "email", "2026-01-29 08:50", "Lost phone, can't log in (2FA)",
"""Hi,

My phone got stolen on Saturday. I had the authenticator on it for Tsunagu. Now it asks for a 6 digit code and I obviously don't have it. I didn't save the recovery codes (I know...). How do I get back in? I'm an admin in our workspace Greywater Studios.

Mark Tennant""",
"""Hi Mark,

Sorry about your phone! Since you're not the Owner, the quickest route is through your workspace Owner (Lucy Hart): she can go to Workspace settings > Members > click ... next to your name > Reset two-step verification. Next time you log in with your password, you'll be asked to set up a new authenticator.

Once you're back in, please:
1. Set up the new authenticator under avatar menu > Profile > Security > Two-step verification.
2. Download the new recovery codes and keep them somewhere safe (password manager is ideal).

If Lucy isn't available, reply from your account's email address and we'll run our identity verification process instead, which can take up to 2 business days.

Best,
Tom"""),

T("acct_0008", Q, "chat", "2026-02-02 11:33", None,
"""スマホを機種変更したら、2段階認証のコードが分からなくなってしまいました。ログインできません…""",
"""ご不便をおかけしております。
2段階認証を設定した際に保存した「リカバリーコード」をお持ちでしたら、ログイン画面で「リカバリーコードを使用」から入力してログインできます。
お持ちでない場合は、ワークスペースのオーナーまたは管理者の方に「ワークスペース設定」>「メンバー」> お名前の「…」>「2段階認証をリセット」を実行してもらってください。その後パスワードでログインすると、新しいスマホで認証アプリを再設定できます。"""),

T("acct_0045", Q, "email", "2026-02-04 07:45", "SCIM provisioning with Entra ID - 409 errors",
"""Hello,

We enabled SCIM provisioning from Microsoft Entra ID to Tsunagu yesterday as a test with 40 users. 12 were created fine, but 28 fail in the Entra provisioning log with "409 User already exists". Those people ARE already in Tsunagu (they were invited by email last year), but now we have no idea if they're linked. Do we need to delete them first? I really don't want to lose their tasks.

Dwayne Carter
Director of Instructional Technology
Maplewood School District""",
"""Hi Dwayne,

Please don't delete them; there's no need, and they'd lose their task assignments. A 409 means the person already exists in Tsunagu, and Entra links to the existing user only when the SCIM userName matches their Tsunagu email exactly.

I compared a few of the 28: in Tsunagu they're members under their mail address (e.g. dwayne.carter@maplewood-sd.example), but your Entra mapping sends userPrincipalName, which for your district is the staff ID format (dcarter4411@maplewood-sd.example). So Entra tries to create a second user and gets the 409.

Fix: in the Tsunagu enterprise app in Entra, Provisioning > Mappings > user attributes, map userName to mail instead of userPrincipalName, save, and run "Provision on demand" for one of the 28 to confirm. It should show as linked to the existing member. Then restart provisioning for the rest (Entra cycles about every 40 minutes).

Also note that with SCIM on, profile changes made directly in Tsunagu's Members page can be overwritten by the next sync.

SCIM guide: https://help.tsunagu.example/articles/scim-provisioning

Best regards,
Priya"""),

T("acct_0057", Q, "email", "2026-02-06 15:12", "SCIMトークンの再発行について",
"""お世話になっております。
株式会社オリオン人材の松本です。

Oktaとのユーザープロビジョニング（SCIM）を設定した担当者が退職し、
SCIMトークンの控えが見当たりません。
トークンを再発行した場合、既存のユーザーに影響はありますでしょうか。

よろしくお願いいたします。""",
"""松本様

お世話になっております。Tsunaguサポートの佐藤でございます。

SCIMトークンは「ワークスペース設定」>「セキュリティ」のSCIMセクションにある「トークンを再生成」から再発行できます。トークンは発行時に一度だけ表示されますので、必ず控えを保管してください。

再発行による影響は以下のとおりです。
・再発行した時点で古いトークンは無効になり、Oktaからの同期が一時的に失敗します
・新しいトークンをOktaのTsunaguアプリ（「Provisioning」>「Integration」> API Token）に設定し直すと、同期が再開されます
・既存のユーザー、そのデータ、SSOでのログインには影響ございません

作業は数分で完了しますので、Okta側の設定をすぐに更新できるタイミングで実施いただくことをおすすめいたします。

参考：https://help.tsunagu.example/articles/scim-provisioning

よろしくお願いいたします。"""),

T("acct_0026", B, "email", "2026-02-09 09:58", "SSO login loop",
"""Hi support,

Since this morning about a third of our people get stuck in a loop: click "Sign in with SSO" -> Okta -> back to app.tsunagu.example -> back to Okta -> ... forever. Others are fine. Same browsers (Chrome). Clearing cookies doesn't help. We haven't changed anything in Okta.

This is blocking a lot of people. Please escalate.

Ryan O'Connell
IT Manager, Stratus Cloud Consulting
ryan.oconnell@stratuscloud.example | +1 415 555 0172""",
"""Hi Ryan,

Thanks for escalating quickly. We reproduced this: users whose Okta email had uppercase letters (e.g. Jane.Doe@stratuscloud.example) were failing a case-sensitive match after a session-handling change we deployed at 07:40 PT today, so they were sent back to Okta in a loop.

Engineering rolled back that change at 10:25 PT and affected users can now sign in again (they may need to close the tab and start from app.tsunagu.example/login). A permanent fix with case-insensitive matching went out as a hotfix the following day.

We posted an incident on status.tsunagu.example. Sorry for the disruption to your morning.

Daniel, Tsunagu Support"""),

T("acct_0033", Q, "web_form", "2026-02-13 12:40", "",
"""Account locked. It says "Too many sign-in attempts. Try again later." How long is later?? I have client deadlines today""",
"""Hi,

Sorry for the stress on a deadline day. After 10 failed sign-in attempts in a row the account is locked for 15 minutes, and then you can try again. Unfortunately we can't unlock it sooner from our side. If you're not sure of the password, use "Forgot password" on the sign-in page rather than guessing; the reset link arrives within a couple of minutes and is valid for 1 hour.

If you didn't make those attempts yourself, let me know and I'll check the sign-in history for your account.

Best,
Maya"""),

T("acct_0037", Q, "email", "2026-02-17 10:30", "監査ログの保持期間",
"""お世話になっております。大和テクノサービスの石川でございます。

ISMSの審査対応で確認させてください。
監査ログはどのくらいの期間保存されますでしょうか。
また、1年より前のログを保存しておく方法はありますか。""",
"""石川様

お世話になっております。Tsunaguサポートの中村でございます。

Businessプランでは、監査ログは1年間保持されます（Enterpriseプランは無期限）。
1年を超えて保存が必要な場合は、以下の方法がございます。

・「ワークスペース設定」>「セキュリティ」>「監査ログ」から、期間を指定してCSVエクスポートし、社内で保管する（例：毎月1回エクスポート）
・APIで監査ログを定期的に取得し、SIEMやログ基盤に保存する

記録される主な操作は、ログイン、ロール変更、メンバーの招待・削除、APIトークンの作成・削除、データエクスポート、SSO・セキュリティ設定の変更などです。

ISMS審査でよくご質問いただく内容ですので、必要でしたら監査ログのサンプルCSVもお送りいたします。

よろしくお願いいたします。"""),

T("acct_0005", Q, "email", "2026-02-20 14:18", "Enforcing 2FA for everyone",
"""Hello,

Our malpractice insurer requires MFA on all systems that hold client info. We're not ready for SSO yet. Can we force everybody (including our outside co-counsel guests) to use two-factor?

Gloria Mensah
Harbor & Pine Legal LLP""",
"""Hi Gloria,

Yes. As an Owner or Admin go to Workspace settings > Security and turn on "Require two-step verification". It applies to everyone in the workspace, guests included, which covers your co-counsel.

What happens next:
- Anyone without 2-step verification is asked to set it up (any TOTP app: Google Authenticator, Microsoft Authenticator, 1Password, Authy) the next time they sign in. They can't access the workspace until they do.
- People set it up themselves at avatar menu > Profile > Security > Two-step verification.
- The change is logged in the audit log (Workspace settings > Security > Audit log), which you can export for your insurer.

https://help.tsunagu.example/articles/two-step-verification

Best regards,
Priya"""),

T("acct_0002", Q, "email", "2026-02-24 16:10", "SSO必須化後の外部委託先のログインについて",
"""お世話になっております。
株式会社ミナト物流 情報システム部の藤井でございます。

SAML SSOを「必須」に設定した場合、
現在ゲストとして参加している外部の運送会社の方々はログインできなくなりますでしょうか。
弊社のIdP（Okta）にはアカウントがございません。

ご確認のほどよろしくお願いいたします。""",
"""藤井様

お世話になっております。Tsunaguサポートの佐藤でございます。

ご安心ください。「メンバーにSSOを必須にする」を有効にしても、ゲストはSSO必須の対象外となります。外部の運送会社の方々は、これまでどおりメールアドレスとパスワード（またはGoogle／Microsoftアカウント）でログインいただけます。

なお、SSO必須の対象は、検証済みドメインのメールアドレスを持つメンバー・管理者となります。オーナー様は、Oktaに障害があった場合に備えて、パスワード＋2段階認証でのログインも引き続き可能です。

ゲストのセキュリティを高めたい場合は、「ワークスペース設定」>「セキュリティ」で、ゲストを含む全員に2段階認証を必須にすることも可能です。

参考：https://help.tsunagu.example/articles/saml-sso-okta

よろしくお願いいたします。"""),

T("acct_0052", S, "email", "2026-02-26 11:25", "IP restriction",
"""Hi,

Our compliance team (we're a clinical-stage biotech, GxP) wants to restrict Tsunagu access to our corporate network and VPN IP ranges. Is IP allowlisting possible on Business? If not what does it take?

Also, do you sign BAAs?

Thanks,
Helen Park
IT Security, Crescent Biotech
helen.park@crescentbio.example""",
"""Hi Helen,

IP allowlisting is an Enterprise feature; it isn't available on Business. Enterprise also adds data residency (Tokyo or US region), a 99.9% SLA, a dedicated CSM, unlimited audit log retention and custom contract terms, which is usually where questions like BAAs and GxP-specific paperwork get addressed.

I'm not able to commit to contract terms like a BAA from support, so I've looped in our account team with your requirements (IP allowlist for corporate + VPN ranges, BAA, GxP). They'll reach out within 2 business days to set up a call, and can bring our security team for your compliance questions.

Best,
Tom"""),

T("acct_0019", Q, "email", "2026-03-02 09:00", "IPアドレス制限の設定方法",
"""お世話になっております。
東邦精機株式会社 情報システム部の佐々木でございます。

Enterpriseプランで利用可能なIPアドレス制限について、
設定方法と、設定時の注意点（モバイルアプリでの利用など）をご教示ください。
工場拠点が複数あり、それぞれ固定IPがございます。

よろしくお願いいたします。""",
"""佐々木様

お世話になっております。Tsunaguサポートの田中でございます。

IPアドレス制限は以下から設定いただけます。
「ワークスペース設定」>「セキュリティ」>「IP許可リスト」>「IPアドレスを追加」
IPアドレスまたはCIDR形式（例：203.0.113.0/24）で、IPv4・IPv6あわせて最大100件まで登録できます。拠点ごとにラベル（例：「名古屋工場」）を付けておくと管理しやすくなります。最後に「保存して適用」をクリックします。

設定時の注意点：
・現在操作している端末のIPが許可リストに含まれていない場合は、締め出し防止のため保存できません
・モバイルアプリとAPIにも同じ制限が適用されます。社外からモバイルで利用する場合は、VPN経由でのアクセスが必要になりますので、適用前に現場の皆様への周知をおすすめいたします
・Slack・Teams・カレンダー連携など、Tsunaguのサーバーから行われる連携や、公開フォームは制限の対象外です
・適用範囲は「全員」または「ゲスト以外の全員」から選択できます
・回線変更などで全員がアクセスできなくなった場合は、オーナー様のメールアドレスからサポートまでご連絡ください。確認後、一時的に許可リストを無効化いたします

参考：https://help.tsunagu.example/articles/ip-allowlist

導入時のご不安があれば、専任CSMの小野が設定に立ち会うことも可能ですので、お申し付けください。

よろしくお願いいたします。"""),

T("acct_0041", Q, "chat", "2026-03-04 08:15", None,
"""how do i see who deleted a project? someone deleted our "Q1 Dispatch" project and nobody admits to it lol""",
"""Ha, the audit log will tell you! Workspace settings > Security > Audit log, filter Event type = "Project deleted" (or search "Q1 Dispatch"). It shows who, when and the IP. Also good news: deleted projects go to Trash for 30 days, so an Admin can restore it from Projects > Trash."""),

T("acct_0055", Q, "email", "2026-03-06 13:02", "Password reset email not arriving",
"""Hi,

Three of our agents have tried "Forgot password" this morning and none of them receive the reset email. I tried myself too, nothing. Is email down? We're on Microsoft 365.

Siobhan""",
"""Hi Siobhan,

Our email delivery is working normally (nothing on status.tsunagu.example). I checked our logs for your domain: the four reset emails this morning were accepted by Microsoft 365 and then quarantined by your tenant's Defender policy, which is why nobody saw them.

Please ask your M365 admin to release them or, better, allow our sending domains: no-reply@tsunagu.example (account and security emails) and notifications@tsunagu.example (notifications). Once allowed, request the reset again; each link is valid for 1 hour, so the quarantined ones will have expired.

Best regards,
Daniel"""),

T("acct_0013", Q, "email", "2026-03-09 09:40", "パスワードを忘れてしまいました",
"""いつもお世話になっております。
アオバ設計の木下と申します。

パスワードを忘れてしまい、ログインできません。
「パスワードをお忘れですか」から再設定メールを送信したのですが、メールが届きません。
迷惑メールフォルダも確認しました。
どうすればよいでしょうか。

木下""",
"""木下様

お世話になっております。Tsunaguサポートでございます。

確認いたしましたところ、木下様のアカウントは「kinoshita@aoba-sekkei.example」で登録されておりますが、再設定メールは「kinoshita@aoba-sekkei.co.jp.example」宛に送信の操作がされておりました（ドメインの一部が異なっておりました）。

お手数ですが、再度ログイン画面の「パスワードをお忘れですか？」から、登録メールアドレスを正確にご入力のうえ再設定メールをお送りください。再設定リンクの有効期限は1時間です。

それでも届かない場合は、社内のメールフィルタで no-reply@tsunagu.example からのメールが止められていないか、システムご担当者様にご確認いただけますと幸いです。

よろしくお願いいたします。"""),

T("acct_0048", B, "email", "2026-03-12 16:22", "Audit log CSV export broken",
"""Exporting the audit log as CSV for a date range > 3 months gives me a file with only the header row. Smaller ranges work. Tried in Chrome and Firefox. We need this for a SOC 2 evidence request due Friday.

Marcus Oyelaran
Blackthorn Security""",
"""Hi Marcus,

We reproduced this: audit log exports spanning more than 90 days were hitting a query timeout on our side, and instead of an error the export returned an empty file. I've escalated it to engineering as a bug.

To get you unblocked for Friday, export in 90-day chunks (e.g. Jan 1–Mar 31, Apr 1–Jun 29, ...) and concatenate the files; each chunk exports correctly. I've also generated the full 12-month export for your workspace on our side and attached it here.

I'll update you when the fix ships.

Update (March 24): fixed in release 2026.03.3 — long-range exports now run in the background and are emailed to you when ready.

Best,
Priya"""),

T("acct_0034", Q, "web_form", "2026-03-13 18:00", "",
"""2段階認証の認証アプリは何が使えますか？SMSでの認証はありますか？""",
"""お問い合わせありがとうございます。Tsunaguサポートでございます。

2段階認証は、TOTP方式の認証アプリに対応しております。Google Authenticator、Microsoft Authenticator、1Password、Authyなど、一般的な認証アプリをご利用いただけます。
セキュリティ上の理由から、SMSによる認証には対応しておりません。

設定方法：アバターメニュー >「プロフィール」>「セキュリティ」>「2段階認証」

設定時に表示されるリカバリーコードは、端末の紛失時に必要となりますので、必ず保管してください。

よろしくお願いいたします。"""),

T("acct_0030", Q, "email", "2026-03-17 10:45", "Okta group to role mapping",
"""Hi,

We have SAML + SCIM with Okta working fine. Is there a way to map Okta groups to Tsunagu roles, so that members of "tsunagu-admins" become Admin automatically? Right now everyone provisioned comes in as Member.

Thanks,
Sandeep Rao
Identity & Access, Vantage Retail Group""",
"""Hi Sandeep,

Unfortunately not today: SCIM creates everyone with the Member role, and roles (Admin, Guest) are managed in Tsunagu rather than through SCIM. Guests can't be provisioned by SCIM at all.

What you can do:
1. Push the "tsunagu-admins" group from Okta (Push Groups). It appears in Tsunagu under Workspace settings > Members > Groups and its membership stays in sync.
2. Use that group as your source of truth and change those people to Admin in Workspace settings > Members (you can filter by group and select them all). Role changes made in Tsunagu aren't overwritten by SCIM, since SCIM only manages profile fields and activation.

I've added your request for group-to-role mapping to our product feedback; it comes up fairly often with larger Okta setups.

Details: https://help.tsunagu.example/articles/scim-provisioning

Best,
Maya"""),

T("acct_0001", Q, "chat", "2026-03-19 09:03", "",
"""can i turn on 2fa for my own account without the whole workspace needing it""",
"""Yes, 2-step verification is per person by default. Go to avatar menu > Profile > Security > Two-step verification, scan the QR code with an authenticator app, enter the code, and save your recovery codes. Only you are affected."""),

T("acct_0023", B, "email", "2026-03-23 11:17", "SCIM deprovisioning not removing users",
"""Hi team,

We use Okta SCIM. When we unassign a user in Okta they show as deactivated in Okta's log, but in Tsunagu they're still listed as active Members and can still log in via password (we haven't enforced SSO yet). This is a security problem for us — offboarded staff keeping access.

Example: Liam Walsh, unassigned 14 March, still active.

Regards,
Bronwyn Hughes
Systems Administrator | Ironbark Logistics | +61 3 9001 2288""",
"""Hi Bronwyn,

Thank you for flagging this, we treated it as urgent.

We reproduced it: when a user had been invited manually before SCIM was set up and the invite email differed in case from the Okta username, the SCIM deactivate call matched no user and returned 204 without doing anything. Engineering shipped a fix in release 2026.03.3 (March 24) that matches case-insensitively and returns 404 when no user is found, so Okta will show an error instead of silent success.

I've manually deactivated the 6 accounts in your workspace affected by this (list attached, including Liam Walsh) and ended their sessions. I'd also recommend turning on "Require SSO for members" in Workspace settings > Security > SAML SSO so that offboarding in Okta also blocks password sign-in immediately.

Sorry for the worry this caused.
Daniel"""),

T("acct_0049", Q, "email", "2026-03-26 14:40", "ログイン履歴の確認",
"""お世話になっております。ツバサ出版の吉田です。

退職した社員のアカウントから、退職後にログインがあったように見えると報告がありました。
ログイン履歴を確認する方法はありますか。""",
"""吉田様

お世話になっております。Tsunaguサポートの佐藤でございます。

御社のBusinessプランでは、監査ログでログイン履歴をご確認いただけます。
「ワークスペース設定」>「セキュリティ」>「監査ログ」で、イベント種別「ログイン」と対象ユーザーで絞り込むと、日時・IPアドレス・ログイン方法（パスワード／SSO／API）が表示されます。

確認いたしましたところ、該当アカウントでは退職日以降もAPIトークン経由のアクセスがございました。ログインではなく、ご本人が作成していたAPIトークンを使った連携（スプレッドシートの自動更新）からのアクセスと思われます。

対応として、以下をおすすめいたします。
1. 「ワークスペース設定」>「メンバー」から該当アカウントを削除する（削除するとそのアカウントのAPIトークンは即時に無効になります）
2. 「ワークスペース設定」>「セキュリティ」>「APIトークン」で、他に不要なトークンがないか確認する

よろしくお願いいたします。"""),

T("acct_0010", Q, "email", "2026-03-30 12:00", "Session length for SSO users",
"""Hi,

Our security policy requires re-authentication every 12 hours. How long do Tsunagu sessions last for SSO users, and can we change it? Also for mobile.

Elena Vasquez
Security Engineering, Lumen Analytics""",
"""Hi Elena,

By default, web and mobile sessions last up to 14 days. On Enterprise, your CSM can set a shorter maximum session length for your workspace as part of your contract configuration (for example 12 hours), separately for web and for mobile if needed. I've asked Sam, your CSM, to set it up with you. With SSO, when a session expires the user is sent back through your IdP, so your IdP's own policies apply as well.

After the change, existing sessions keep their old expiry unless you click "Sign out everyone" on the SAML SSO page (Workspace settings > Security > SAML SSO), which forces everyone to re-authenticate.

Best,
Priya"""),

T("acct_0028", Q, "chat", "2026-04-02 13:30", None,
"""Googleアカウントでログインしてたんですが、メールアドレスとパスワードでもログインできるようにしたいです""",
"""はい、可能です！ログアウトした状態でログイン画面の「パスワードをお忘れですか？」に、Googleアカウントと同じメールアドレスを入力してください。届いたメールからパスワードを設定すると、以降はGoogleログインとパスワードのどちらでもログインできます。"""),

T("acct_0044", B, "web_form", "2026-04-06 10:12", "Can't verify domain for SSO",
"""Added TXT record tsunagu-verification=4f9a... to orbitalfreight.example 3 days ago. dig shows it. Tsunagu still says "Verification pending" and the Verify button does nothing. Screenshot attached.""",
"""Hi,

Thanks for the screenshot and the dig output. We reproduced the problem: domains whose DNS returns the TXT record split into two strings (your provider splits long TXT values at 255 characters, which is valid DNS) weren't being joined before comparison, so verification never succeeded.

Engineering fixed this in release 2026.04.1 (April 8). I've re-run verification for orbitalfreight.example and it's now Verified, so you can continue with the SSO configuration under Workspace settings > Security > SAML SSO.

Sorry for the delay this caused.
Tom"""),

T("acct_0031", Q, "email", "2026-04-08 16:20", "2段階認証の解除について",
"""お世話になっております。ミライ教育の西村です。

講師の1名が2段階認証を設定したのですが、
スマホを持っていない日があるのでログインできず困っているようです。
本人の設定を解除することはできますか？
管理者の私から操作できますか？""",
"""西村様

お世話になっております。Tsunaguサポートの中村でございます。

管理者の方から、該当の講師の方の2段階認証をリセット（解除）していただけます。
「ワークスペース設定」>「メンバー」> 対象者の「…」>「2段階認証をリセット」

ただし、ワークスペースで「全員に2段階認証を必須にする」が有効な場合は、次回ログイン時に再設定が求められます（御社では現在、必須設定は無効です）。

スマホをお持ちでない日もある場合は、パソコン用の認証アプリ（1Passwordなど）を使う、またはリカバリーコードを手元に保管しておく方法もございますので、あわせてご案内いただけますと幸いです。

よろしくお願いいたします。"""),

T("acct_0015", B, "email", "2026-04-13 08:05", "Audit log missing entries",
"""Hi,

During an internal investigation we noticed that the audit log doesn't show role changes made via SCIM between April 1 and April 9. Changes made in the UI are logged. We rely on this log for HIPAA access reviews. Please treat as high priority.

Karen Liu
Compliance Officer, Meridian Health Partners""",
"""Hi Karen,

Thank you for reporting this, and I understand why it's critical for your access reviews.

We confirmed that between April 1 and April 9 a change in our SCIM service stopped writing role-change events ("member.role_changed" with actor "SCIM") to the audit log for all workspaces. The role changes themselves were applied correctly; only the log entries were missing.

Engineering fixed it with a hotfix on April 10 and backfilled the missing events from our SCIM request logs. Your audit log now shows 37 backfilled entries for that period, marked with "source: backfill". Your CSM, Alex, will send a short written incident summary you can attach to your access review.

Best regards,
Priya"""),

T("acct_0004", Q, "email", "2026-04-15 11:45", "退職者のSSOアカウント停止と同時にTsunaguも停止されるか",
"""お世話になっております。三葉商事の高木でございます。

Entra IDでSSOを設定しておりますが、SCIMは未設定です。
Entra ID側で退職者のアカウントを無効化した場合、Tsunaguにもログインできなくなるのでしょうか。
それとも別途Tsunagu側で削除が必要でしょうか。""",
"""高木様

お世話になっております。Tsunaguサポートの田中でございます。

「メンバーにSSOを必須にする」が有効な場合、Entra ID側でアカウントを無効化すると、新たにTsunaguへログインすることはできなくなります。ただし、以下の点にご注意ください。

・既存のログインセッションは有効期限（最大14日）まで継続します。すぐに遮断したい場合は、Tsunagu側でメンバーを削除してください
・Tsunagu上のメンバーとしては残り続けるため、席数を消費したままになります
・本人が作成したAPIトークンは、メンバーを削除するまで有効です

SCIMプロビジョニングを設定いただくと、Entra ID側での無効化と同時にTsunaguのメンバーも自動で無効化され、セッションとAPIトークンも停止されます。御社のBusinessプランでご利用いただけますので、設定をおすすめいたします。

参考：https://help.tsunagu.example/articles/scim-provisioning

よろしくお願いいたします。"""),

T("acct_0053", Q, "email", "2026-04-21 10:09", "Locked out - 2FA + lost recovery codes + I'm the owner",
"""Hello,

I'm the owner of our workspace (Alder & Finch Studio). My phone died completely and I can't find the recovery codes. There's nobody else with admin rights, it's just me and my business partner (Member). PLEASE help, all our client work is in there.

Ollie Finch
ollie@alderfinch.example
07700 900412""",
"""Hi Ollie,

I'm sorry, that's a horrible situation, but we can get you back in.

Because you're the Owner and nobody else can reset your 2-step verification, we need to verify your identity before we remove it. Please reply to this email (from ollie@alderfinch.example) with:

1. The last 4 digits and expiry month of the card used for your Tsunagu subscription, and the amount of your most recent invoice.
2. The approximate date you created the workspace.
3. The names of two projects in the workspace.

Once verified, we'll reset 2-step verification on your account, within 2 business days at most (usually much sooner). Then please set it up again at avatar menu > Profile > Security > Two-step verification and store the new recovery codes somewhere safe. It's also a good idea to make your partner an Admin so there's a backup.

Priya

Update: verified on April 21 and 2-step verification reset; Ollie confirmed he's back in."""),

T("acct_0060", Q, "chat", "2026-04-28 15:50", None,
"""Is there a way to see all API tokens that members have created? Want to audit before our ISO renewal""",
"""Yes: as an Owner or Admin go to Workspace settings > Security > API tokens. It lists every token in the workspace with its creator, scope, created date, last used and expiry, and you can revoke any of them. On Business, token creation and revocation also show up in the audit log."""),

T("acct_0020", S, "email", "2026-05-06 13:33", "Unlimited audit log retention",
"""Hi,

Our ISO 27001 auditor flagged that our audit log only goes back 12 months and wants 3 years for some records. I see Enterprise has unlimited audit log. What would moving to Enterprise involve for us at ~40 seats? Is there an add-on for just longer retention instead?

Nadia""",
"""Hi Nadia,

There isn't a standalone retention add-on today; unlimited audit log retention is part of Enterprise. A couple of things you can do right now on Business to cover the gap:
- Export the audit log as CSV regularly (Workspace settings > Security > Audit log > Export CSV) and archive it in your own storage. Many auditors accept this as long as the archive is access-controlled.
- Pull audit events via the API into your SIEM or log storage on a schedule.

If you'd rather have it handled natively, Enterprise pricing is custom, so I've looped in our account team with your context (~40 seats, ISO 27001, 3-year retention). They'll get in touch this week with options.

Best,
Tom"""),

T("acct_0025", Q, "email", "2026-05-20 09:15", "アカウントがロックされました",
"""お世話になっております。みどり会の井上です。

看護師長の1名が、パスワードを何度か間違えたところ
「サインインの試行回数が多すぎます」と表示されてログインできなくなりました。
至急解除していただけますでしょうか。""",
"""井上様

お世話になっております。Tsunaguサポートの中村でございます。

サインインに連続10回失敗すると、アカウントは15分間ロックされ、15分経過後に自動で解除されます。誠に恐れ入りますが、サポート側でロックを早めに解除することはできかねます。
パスワードがご不明な場合は、ロック解除後に推測で入力せず、ログイン画面の「パスワードをお忘れですか？」から再設定いただくことをおすすめいたします（再設定リンクの有効期限は1時間です）。

なお、御社ではSAML SSOを設定されておりますので、SSO（「SSOでログイン」ボタン）からログインいただくと、Tsunaguのパスワードを入力する必要はございません。看護師長様がSSOではなくパスワードでログインしようとされていた可能性がございますので、あわせてご案内いただけますと幸いです。

よろしくお願いいたします。"""),

T("acct_0036", Q, "email", "2026-05-26 08:30", "SSO certificate rotation",
"""Hi,

Our Entra ID SAML signing certificate expires on 15 June. What's the procedure to rotate without locking everyone out? Can Tsunagu hold two certificates during the switchover?

Fiona""",
"""Hi Fiona,

Good news: I checked your SAML configuration and it uses the Entra App Federation Metadata URL rather than an uploaded XML file. That means Tsunagu picks up the new certificate automatically once you make it active in Entra, so there's nothing to change on our side.

Suggested order:
1. In Entra, create the new certificate for the Tsunagu app.
2. Make it active a few days before June 15, at a quiet time.
3. Ask one person to sign in to Tsunagu via SSO to confirm it works.

If a workspace uses an uploaded XML file instead, the new metadata has to be uploaded in Workspace settings > Security > SAML SSO > Configure before the old certificate expires, or sign-ins fail with "Invalid signature". As a safety net, the Owner can always sign in with password + 2-step verification.

https://help.tsunagu.example/articles/saml-sso-entra-id

Best regards,
Maya"""),

T("acct_0032", B, "chat", "2026-06-02 19:40", "",
"""getting "Invalid SAML response: NotOnOrAfter condition failed" for everyone since like 20 min ago. nothing changed on our side (okta)""",
"""Thanks for reporting. We're seeing this across several workspaces: one of our SAML servers had clock drift of about 6 minutes, so fresh Okta assertions looked expired. Engineering pulled that server out of rotation at 19:52 PT and re-synced its clock; sign-ins are working again. We've posted an incident on status.tsunagu.example and are adding clock monitoring so this can't recur. Please retry and let me know if anyone is still blocked."""),

T("acct_0059", Q, "web_form", "2026-06-09 11:00", "",
"""ログインしようとすると「メールアドレスを確認してください」と出ます。登録したのに確認メールが来ていません。""",
"""お問い合わせありがとうございます。Tsunaguサポートでございます。

登録時の確認メールのリンクは24時間で有効期限が切れます。ログイン画面に表示される「確認メールを再送信」をクリックし、新しいメールのリンクを開いてください。

メールが届かない場合は、迷惑メールフォルダ、または no-reply@tsunagu.example からのメールが受信拒否されていないかご確認ください。フリーメールの場合は、受信まで数分かかることがございます。

よろしくお願いいたします。"""),

T("acct_0026", S, "email", "2026-06-15 10:20", "Moving to Enterprise for data residency",
"""Hi,

We're starting work with a Japanese client (large manufacturer) who requires that project data be stored in Japan. We'd create a separate workspace for this engagement, ~25 users. Is Tokyo data residency possible, and can that workspace be on Enterprise while our main one stays Business?

Ryan O'Connell
Stratus Cloud Consulting""",
"""Hi Ryan,

Yes to both: data residency in the Tokyo region is an Enterprise feature, and each workspace has its own plan, so you can run a separate Enterprise workspace in Tokyo while your main workspace stays on Business. People can belong to both with the same login and switch from the workspace name in the top left.

A few things the account team will want to go through with you: the client's specific requirements (some also need backups and support access to stay in Japan), the 99.9% SLA, whether you want SSO/SCIM shared with your main Okta setup, and pricing for a ~25-seat Enterprise workspace.

I've looped in our account team with this context; they'll reach out within 2 business days.

Best,
Daniel"""),

T("acct_0046", Q, "chat", "2026-07-07 12:45", None,
"""スマホのアプリだけログアウトさせることってできますか？社用携帯をなくしたスタッフがいて""",
"""ご不安な状況かと思います。該当スタッフの方ご本人が、パソコンのブラウザから アバターメニュー >「プロフィール」>「セキュリティ」>「ログイン中のデバイス」を開き、なくした携帯の「ログアウト」をクリックすると、そのデバイスのセッションだけ終了できます。念のためパスワードの変更もおすすめします。"""),

]
