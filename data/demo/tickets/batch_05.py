from common import T, Q, B, S

TICKETS = [

T("acct_0001", B, "email", "2026-01-22 11:02", "500 error opening project",
"""Hi,

Opening our "Firmware v3" project gives a blank page with "Something went wrong (500)". Every other project works. Started this morning. Several of us see it, so not just me.

Request ID from the error page: req_3b1d90c2ff

Ken Aldridge
Bluefin Labs""",
"""Hi Ken,

Thanks for the request ID, it let us go straight to the logs. The project page was failing because one task in the project had a custom dropdown field pointing at an option that had been deleted, and the board view didn't handle the missing option.

Engineering deployed a fix at 14:20 PT today (release 2026.01.4), and "Firmware v3" opens normally again; I just confirmed it on my side. No data was lost: the affected task (FW-412) now shows the field as empty, so you may want to set it again.

Sorry for the interruption!
Daniel"""),

T("acct_0012", B, "web_form", "2026-02-05 15:30", "Attachment upload stuck at 99%",
"""Trying to attach a 180MB ProRes clip to a task. Progress bar goes to 99% and sits there forever, then "Upload failed". Smaller files fine. We're on Team so limit should be 250MB right?""",
"""Hi,

Yes, the limit on Team is 250 MB per file, so this should work. We reproduced it: uploads between roughly 150 MB and 250 MB were failing at the final step because a server-side timeout for assembling the uploaded chunks was set too low.

Engineering raised the timeout in release 2026.02.2 (February 9). Please try the upload again; I tested with a 240 MB file on our side and it went through. If it still fails, send me the file size and the time you tried, and I'll check the logs.

Best,
Tom"""),

T("acct_0022", B, "email", "2026-02-25 10:15", "タイムレポートで「問題が発生しました」と表示される",
"""お世話になっております。ネクストリンクの池田です。

「レポート」>「時間」を開くと、「問題が発生しました。しばらくしてからもう一度お試しください」と表示されて何も見られません。
期間を「先月」にしたときだけ発生し、「今週」だと表示されます。
月次の工数集計に使っているので困っています。

よろしくお願いいたします。""",
"""池田様

お世話になっております。Tsunaguサポートの中村でございます。
ご不便をおかけし申し訳ございません。

こちらで再現を確認いたしました。先月の期間内に、すでに削除されたタスクに紐づく時間記録が含まれている場合に、レポートの集計処理がエラーになっておりました。エンジニアチームにて修正を行い、2月27日の2026.02.4リリースで修正済みでございます。

現在は「先月」を選択しても正常に表示されることを確認しております。お手数ですが、ページを再読み込みのうえご確認ください。
なお、削除されたタスクの時間記録は、レポート上では「（削除されたタスク）」として集計に含まれます。

よろしくお願いいたします。"""),

T("acct_0033", B, "email", "2026-03-03 17:45", "Time report totals are wrong",
"""Hello,

The Reports > Time total for February for our bookkeeper Linda shows 212.5 hours. That's impossible, she works part time. When I add up her entries in the CSV export I get 98.25. Which one is right and why don't they match? We bill clients from this.

Greg Hollowell
Hollowell Accounting""",
"""Hi Greg,

You're right to question it, and thank you for cross-checking with the CSV. The CSV (98.25 h) is correct. We reproduced the bug: when a timer ran across midnight (Linda had several late sessions), the report's grouped total counted the entry once for each day it touched, while the CSV export listed it correctly once.

Engineering fixed this in release 2026.03.1 (March 5). After the fix, Reports > Time shows 98.25 h for Linda in February. Only the on-screen totals were affected; the underlying time entries and the CSV export were always correct, so any invoices built from the CSV are fine.

Sorry for the scare.
Priya"""),

T("acct_0017", B, "email", "2026-03-10 09:20", "Slack notifications not posting for form submissions",
"""Hi,

We have an automation: trigger "Task created" in our Requests project -> action "Notify Slack" #marketing-requests. Tasks I create by hand post to Slack fine. Tasks that come in from our public form DON'T post. Automation history shows nothing for them at all. It worked in January.

Dana""",
"""Hi Dana,

Thanks for the clear description. We reproduced it: since release 2026.02.3, tasks created by form submissions in projects with a default section set on the form weren't firing the "Task created" trigger. That's why they don't appear in Automations > History at all.

Engineering fixed this in release 2026.03.2 (March 12). From then on, form submissions trigger your automation again. Submissions between February 18 and March 12 didn't post to Slack; if you need them, filter the project by "Created by form" and that date range.

Sorry about the missed requests.
Maya"""),

T("acct_0041", B, "chat", "2026-03-16 13:05", None,
"""when i drag a card to another column on the board it jumps back after a second. happens on every project. chrome latest""",
"""Sorry about that! We had an incident this afternoon where board moves weren't saving (the request failed and the card snapped back). Engineering deployed a fix at 13:18 CT, a few minutes after your message. Could you refresh the page and try again? If it still happens, tell me the project name and I'll dig in."""),

T("acct_0005", B, "email", "2026-03-19 18:30", "DOC CONTENT DISAPPEARED",
"""We had two associates editing the "Discovery plan - Whitaker matter" doc at the same time this afternoon and now about half of the doc is GONE. Several hours of work. This is unacceptable for a tool we pay for. I need this back today.

Gloria Mensah
Harbor & Pine Legal LLP""",
"""Hi Gloria,

I'm very sorry. Losing work like that is serious, and I've treated it as urgent.

First, the content is recoverable: docs keep a version history. I restored the version from 15:42 CT (the last one before the content dropped) as a new version, so nothing that came after is lost either. You can see it under the doc's ... menu > Version history. Please ask the associates to check everything is there.

What happened: one associate's browser had been offline for about 40 minutes and, when it reconnected, it sent an old copy of two sections that overwrote the newer text instead of being merged. We reproduced this with the same sequence. I've escalated it to engineering as a data-loss bug with high priority; they're changing the sync so a long-offline client can never overwrite newer content.

Update (March 24): the fix shipped in release 2026.03.3. Long-offline edits are now merged, and if a conflict can't be merged, both versions are kept.

Again, my apologies.
Priya, Tsunagu Support"""),

T("acct_0008", B, "email", "2026-04-01 11:10", "半角カタカナで検索できない",
"""お世話になっております。さくらウェブの岡田です。

クライアントから受け取ったデータをインポートしたタスクに、半角カタカナ（ｻｸﾗ など）が含まれているのですが、
検索で「サクラ」と全角で入力するとヒットしません。
半角で入力するとヒットします。仕様でしょうか？""",
"""岡田様

お世話になっております。Tsunaguサポートの佐藤でございます。

ご報告ありがとうございます。本来、検索では全角・半角カタカナを区別せずにヒットする仕様でございますが、CSVインポートで取り込まれたタスクのみ、検索用の正規化処理が行われていないことが判明いたしました。

エンジニアチームにて修正を行い、4月14日公開の2026.04.2リリースで修正されております。既存のインポート済みタスクについても、検索インデックスの再作成を行いましたので、現在は「サクラ」で検索しても「ｻｸﾗ」を含むタスクがヒットいたします。

ご不便をおかけし申し訳ございませんでした。

よろしくお願いいたします。"""),

T("acct_0024", B, "email", "2026-04-10 08:44", "API: POST /v1/tasks returns 500 with date custom field",
"""Hi,

Creating a task with a date custom field fails:

curl -X POST https://api.tsunagu.example/v1/tasks \\
  -H "Authorization: Bearer tsg_****" -H "Content-Type: application/json" \\
  -d '{"project":"APP","title":"Release 4.2","custom_fields":{"cf_release_date":"2026-05-01"}}'

-> HTTP 500 {"error":"internal_error","request_id":"req_77aa02de91"}

Without custom_fields it works. Same field set via UI works. Docs say ISO date string is fine.

Jonas""",
"""Hi Jonas,

Thanks for the perfect repro. Confirmed on our side: date-type custom fields were being parsed as datetimes when sent via the API, and a plain date without a time crashed the handler instead of returning a 400.

Engineering fixed it in release 2026.04.2 (April 14). Your exact request now returns 201. Until then, sending "2026-05-01T00:00:00Z" worked as a workaround, in case you need to backfill anything from before the fix.

Best,
Daniel"""),

T("acct_0038", B, "web_form", "2026-04-14 20:10", "due dates off by one day on phone",
"""On my iPhone app every task shows due one day earlier than on the website. E.g. website says Apr 20, app says Apr 19. I'm in Denver. Very confusing for my instructors.""",
"""Hi,

Thanks for reporting. We reproduced it: date-only due dates were converted from UTC midnight to local time in the iOS app, so anyone west of UTC saw the previous day. The web app and Android were correct.

It's fixed in iOS app version 4.12.1, released April 17. Please update from the App Store (the app needs iOS 16 or later). After updating, the dates will match the website.

Best,
Maya"""),

T("acct_0026", B, "email", "2026-04-22 12:35", "Automation 'task due' firing twice",
"""Hi,

Our automation "when task due in 1 day -> notify Slack #delivery" has posted every reminder twice since about Monday. The automation history shows two Success runs one second apart for each task. We haven't duplicated the automation (checked). This is eating our monthly runs too.

Ryan""",
"""Hi Ryan,

You're right, and thanks for checking for duplicates first. A change in release 2026.04.3 (April 20) caused the "Task due" trigger to be scheduled twice for tasks whose due date had been edited after creation. We've reproduced it and engineering shipped a fix on April 23 (2026.04.4).

I've also asked the billing team to credit the duplicate runs: 1,412 runs from your workspace this month were duplicates, and they've been removed from your usage counter, which you can see under Workspace settings > Billing > Usage.

Sorry for the noise in #delivery.
Tom"""),

T("acct_0034", B, "email", "2026-05-07 14:02", "Microsoft Teamsへの通知が止まりました",
"""お世話になっております。カワセミ広告の長谷川です。

GW明けから、Microsoft Teamsのチャネルへのタスク通知が一切届かなくなりました。
連携設定の画面では「接続済み」と表示されています。
GW中に社内でMicrosoft 365のテナント名変更を行ったのですが、関係ありますでしょうか。

よろしくお願いいたします。""",
"""長谷川様

お世話になっております。Tsunaguサポートの田中でございます。

ログを確認いたしましたところ、5月3日以降、Teamsへの送信時に認証エラーが発生しておりました。テナント名の変更に伴い、Tsunaguが保持していた接続情報が無効になったことが原因でございます。

本来であれば、接続が無効になった時点で「要再接続」と表示され、管理者の方にメールでお知らせすべきところ、「接続済み」のままになっておりました。この表示の不具合はエンジニアチームに報告し、修正を依頼いたしました（2026.05.2リリースで修正済み）。

お手数ですが、以下の手順で再接続をお願いいたします。
1. 「ワークスペース設定」>「連携」>「Microsoft Teams」>「接続を解除」
2. 再度「接続」をクリックし、Microsoft 365の管理者アカウントで承認
3. 各プロジェクトの通知先チャネルの設定は保持されておりますので、再設定は不要です

参考：https://help.tsunagu.example/articles/microsoft-teams-integration

よろしくお願いいたします。"""),

T("acct_0048", B, "email", "2026-05-13 09:50", "GitHub PR merge not closing tasks",
"""Hey,

We link PRs to tasks with "Fixes SEC-123" in the PR description. Until last week merging the PR moved the task to Done. Now the PR shows up on the task (linked), but merging does nothing. Happens across repos. Integration is connected.

Marcus O.""",
"""Hi Marcus,

Thanks for the report. We reproduced it: after GitHub changed the payload for merge events from repositories that use merge queues, our integration was ignoring merges that came through the queue. Your repos started using merge queue on May 5, which lines up.

Engineering shipped a fix in release 2026.05.2 (May 15); merges via the queue now move linked tasks to Done again. Tasks from PRs merged between May 5 and 15 weren't updated. You can find them by filtering the project for "Linked PR: merged" with status not Done.

Best,
Daniel"""),

T("acct_0025", B, "web_form", "2026-05-18 16:40", "",
"""フォームから写真をアップロードできないと職員から言われました。iPhoneで撮った写真です。「ファイルをアップロードできませんでした」と出ます。パソコンからは大丈夫です。""",
"""お問い合わせありがとうございます。Tsunaguサポートでございます。

こちらで再現を確認いたしました。iPhoneで撮影したHEIC形式の写真を、フォームのファイルアップロード欄から送信した場合にエラーとなる不具合でございました（タスクへの直接の添付では発生しません）。

エンジニアチームにて修正を行い、5月21日の2026.05.3リリースで修正済みです。現在はiPhoneの写真もフォームからアップロードいただけます。
なお、修正前にエラーとなった送信はタスクが作成されておりませんので、お手数ですが再送信をお願いいたします。

ご不便をおかけし申し訳ございませんでした。"""),

T("acct_0003", B, "email", "2026-05-27 08:30", "Safari keeps logging me out",
"""Since the update last week, Safari logs me out of Tsunagu every time I close the tab. I have to log in 10x a day. Chrome doesn't do it. macOS 15, Safari 19. Is there a setting?

Peter""",
"""Hi Peter,

Not a setting, it was a bug on our side. Release 2026.05.2 moved our session cookie to a new domain, and Safari's tracking prevention treated it as short-lived when the tab closed. We reproduced it on Safari 18 and 19.

Engineering fixed this in release 2026.05.4 (May 29), so sessions persist in Safari again. You'll need to log in once more after the fix; after that it should stay signed in as before (up to 14 days of inactivity).

Thanks for your patience!
Maya"""),

T("acct_0020", B, "email", "2026-06-01 10:10", "Timeline view is blank in Firefox",
"""Hi,

Timeline view shows just the header with dates and no bars at all in Firefox (128 ESR, which our company mandates). Works in Edge. Console shows:

TypeError: Intl.DurationFormat is not a constructor
    at timeline.4f2a9c.js:1:88231

Nadia""",
"""Hi Nadia,

Thank you, that console error made this very quick to pin down. Timeline started using Intl.DurationFormat in release 2026.05.4, which Firefox 128 ESR doesn't support yet, and we hadn't included a fallback.

Engineering added the fallback in release 2026.06.1 (June 3). Timeline works again in Firefox ESR; please hard-refresh (Ctrl+Shift+R) if you still see the blank view.

Best,
Tom"""),

T("acct_0054", B, "email", "2026-06-10 13:25", "Backlogのインポートでエラーになります",
"""お世話になっております。はるか食品の小松です。

BacklogからエクスポートしたCSVを「プロジェクト」>「インポート」>「Backlog（CSV）」で取り込もうとすると、
「1行目：認識できない列があります：課題の種別」というエラーになって先に進めません。
先月別のプロジェクトで試したときは問題なかったのですが…。

よろしくお願いいたします。""",
"""小松様

お世話になっております。Tsunaguサポートの中村でございます。

ご報告ありがとうございます。6月上旬にBacklog側のCSVエクスポートの列名が一部変更されており（「種別」→「課題の種別」など）、Tsunaguのインポーターが新しい列名に対応していなかったことが原因でございました。

エンジニアチームにて対応し、6月12日の2026.06.2リリースで新旧どちらの列名でも取り込めるよう修正いたしました。お手数ですが、同じCSVファイルで再度インポートをお試しください。

なお、Backlogの「種別」はTsunaguではタグとして取り込まれます。

参考：https://help.tsunagu.example/articles/import-backlog

よろしくお願いいたします。"""),

T("acct_0052", B, "email", "2026-06-16 15:00", "Full export link returns 404",
"""Hi,

I requested a full JSON export yesterday, got the "Your export is ready" email this morning, and the link gives a 404 page. It's definitely less than 7 days old. Need this for our quarterly backup.

Helen Park
Crescent Biotech""",
"""Hi Helen,

We reproduced this: for workspaces with SSO required, the download link redirected through SSO sign-in and lost part of the URL on the way back, which resulted in a 404. It only affected people who weren't already signed in when they clicked the link.

Engineering fixed the redirect in release 2026.06.3 (June 17). The link in your email works now. I tested it with a signed-out session. If you're in a hurry before then, signing in to app.tsunagu.example first and then clicking the link works too.

Best,
Priya"""),

T("acct_0043", B, "chat", "2026-06-24 11:40", None,
"""サイドバーのマイタスクの件数が「12」になってるのに、開くと3件しかないです。バグですか？""",
"""ご報告ありがとうございます。確認したところ、アーカイブ済みプロジェクトのタスクが件数に含まれてしまう不具合でした。エンジニアに報告し、次回リリース（2026.07.1）で修正予定です。実際のタスクは表示されている3件で正しいので、ご安心ください。"""),

T("acct_0014", B, "email", "2026-07-01 16:20", "iPhone app crashes on one task",
"""hey team,

the iOS app crashes (just closes) every time I open one specific task, "Venue walkthrough photos - Carriageworks". Other tasks are fine. iPhone 15, latest iOS, latest app. It has like 40 photos attached if that matters.

Lachlan""",
"""Hi Lachlan,

It does matter, thanks! We reproduced the crash: the iOS app was generating thumbnails for all attachments at once, and with 40+ high-resolution photos it ran out of memory. Engineering changed it to load thumbnails lazily, and the fix is in iOS app 4.15.0, released July 8.

Until you've updated, you can open that task on the web, or move some photos into a subtask. Sorry for the crashes!

Best,
Maya"""),

T("acct_0009", B, "email", "2026-07-09 09:15", "Timer shows 00:00 after switching to phone",
"""Hi, I started a timer on my laptop, then went into surgery prep and opened the app on my phone. The phone shows the timer at 00:00:00 and running, like it restarted. When I stopped it on the phone, the entry saved as 4 minutes instead of about 1h 20m. Kind of a problem for our billing.

Dr. Anita Shah
Oakridge Dental Group""",
"""Hi Dr. Shah,

Thanks for the clear description. We reproduced it on Android: when a timer started on the web was opened in the Android app while the phone's clock was set manually (not network time), the app used the phone's clock to calculate the start, which could reset the display and the saved duration.

The fix is in Android app 4.15.1 (July 14): the app now always uses the server's start time. For now, I've corrected your entry from July 9 to 1h 21m based on the start time recorded on the server; you can check it in the task's Time tab. We'd also recommend setting the phone to automatic date and time.

Best,
Tom"""),

T("acct_0035", B, "web_form", "2026-07-15 09:50", "",
"""Our public form creates 2 identical tasks for every submission. Started this week. We're on free plan if that matters""",
"""Hi,

Thanks for flagging! We reproduced it: on forms with a File upload field, a slow upload could cause the submit button to be clicked twice without being disabled, and both submissions went through. It isn't plan-specific.

Engineering fixed it in release 2026.07.2 (July 17): the button is now disabled while submitting, and duplicate submissions within a few seconds are ignored. You can safely delete the duplicates created this week.

Best,
Daniel"""),

T("acct_0040", B, "email", "2026-07-22 10:05", "通知メールが英語で届く",
"""お世話になっております。ユニゾンの原田です。

プロフィールの言語を「日本語」に設定しているのですが、
毎日のダイジェストメールだけ英語で届きます。
個別の通知メールは日本語です。
設定の問題でしょうか。""",
"""原田様

お世話になっております。Tsunaguサポートの佐藤でございます。

設定の問題ではなく、弊社側の不具合でございました。申し訳ございません。
7月のリリース（2026.07.1）以降、「日次」ダイジェストメールの言語がプロフィールの言語ではなくワークスペースの既定言語（御社の場合は英語）で送信されていたことを確認いたしました。

エンジニアチームにて修正し、7月24日の2026.07.3リリースで修正済みです。明日以降のダイジェストメールは日本語で届きます。

また、ワークスペースの既定言語（新しく参加するメンバーの初期値）を日本語にしたい場合は、「ワークスペース設定」>「一般」>「既定の言語」から変更いただけます。

よろしくお願いいたします。"""),

T("acct_0060", B, "chat", "2026-07-28 14:22", "",
"""Billing page says "Something went wrong" when I try to change seat count from 27 to 30""",
"""Thanks for reporting! I can reproduce it: the seat dialog errors when the billing address has no postal code (yours is blank since it was set up before that field was required). Engineering is on it. In the meantime, add a postal code under Billing > Billing details and the seat change goes through. I just tested it on a copy of your settings."""),

T("acct_0007", B, "email", "2026-08-03 11:45", "Webhook task.updated missing assignee",
"""Hi,

Our task.updated webhook payloads stopped including data.task.assignee around July 30. Before, it was always there (null if unassigned). Now the key is just missing unless the assignee itself changed. Our sync service breaks on this. Was this an intentional change? Nothing in the changelog.

Dev Patel
Kestrel Robotics""",
"""Hi Dev,

Not intentional, sorry about that. Release 2026.07.4 (July 30) started sending only changed fields in task.updated payloads as part of a performance change that was meant to be opt-in. We've reproduced it and rolled back to the full payload in release 2026.08.1 (August 4).

For the window between July 30 and August 4, the Webhooks page (Workspace settings > Integrations > Webhooks) keeps 7 days of deliveries, so you can Resend any you need reprocessed. If you'd like to fetch the full task instead, GET /v1/tasks/{id} returns the complete object.

We'll announce any future payload change in the changelog at least 30 days ahead.

Best,
Priya"""),

T("acct_0037", B, "email", "2026-08-18 13:15", "添付PDFのプレビューが真っ白になる",
"""お世話になっております。大和テクノサービスの石川でございます。

タスクに添付したPDF（図面）をクリックしてプレビューすると、真っ白な画面になります。
ダウンロードすれば問題なく開けます。
一部のPDFのみで発生しており、CADから出力したA1サイズの図面で起きているようです。

サンプルのPDFをお送りすることも可能です。
よろしくお願いいたします。""",
"""石川様

お世話になっております。Tsunaguサポートの田中でございます。

サンプルのPDFをお送りいただき、ありがとうございました。こちらで再現を確認いたしました。A1などの大判サイズで、かつ解像度の高いページを含むPDFの場合、プレビューの画像生成がメモリ上限を超えて失敗し、白紙が表示されておりました。

エンジニアチームに報告し、8月26日の2026.08.3リリースで大判PDFのプレビューに対応いたしました。既存の添付ファイルについても、再度クリックいただくとプレビューが生成されます。

修正までの間はお手数ですが、ダウンロードしてご確認いただけますと幸いです。

よろしくお願いいたします。"""),

T("acct_0045", B, "email", "2026-08-25 07:20", "ANDROID APP CRASHES ON LAUNCH",
"""SINCE THIS MORNING'S UPDATE THE ANDROID APP CRASHES IMMEDIATELY ON LAUNCH FOR OUR TEACHERS. SCHOOL STARTS TOMORROW. WE HAVE 300+ STAFF ON ANDROID TABLETS. PLEASE FIX ASAP.

Dwayne Carter
Maplewood School District""",
"""Hi Dwayne,

I completely understand the urgency with school starting tomorrow. We confirmed that Android app 4.16.0, released this morning, crashes on launch on devices running Android 10 and 11 (your district tablets are on Android 10). Newer Android versions aren't affected.

Engineering halted the rollout of 4.16.0 within the hour and released 4.16.1 at 11:40 CT with the fix. Because your tablets are managed, please have your MDM push 4.16.1 (or let Google Play auto-update). In the meantime teachers can use app.tsunagu.example in the tablet's browser.

Your CSM, Jordan, is following up personally to make sure everything is working before first bell tomorrow. I'm very sorry for the timing.

Priya"""),

T("acct_0013", B, "email", "2026-09-03 15:50", "コメントの改行が消える",
"""お世話になっております。アオバ設計の山口です。

タスクのコメントを編集して保存すると、改行がすべて消えて1行になってしまいます。
新規投稿時は問題ありません。
Chromeを使っています。""",
"""山口様

お世話になっております。Tsunaguサポートの中村でございます。

ご報告ありがとうございます。こちらでも再現を確認いたしました。コメントの編集時に、Shift+Enterで入力した改行が保存時に失われる不具合でございます。エンジニアチームに報告し、9月15日公開の2026.09リリースで修正されました。

修正前に編集したコメントについては、改行が失われた状態で保存されておりますが、コメントの「…」>「編集履歴」から編集前の内容をご確認いただけます。

ご不便をおかけし申し訳ございませんでした。

よろしくお願いいたします。"""),

T("acct_0024", B, "email", "2026-09-16 09:35", "Time report CSV uses comma decimals",
"""Hi,

Since the September release, the time report CSV export writes durations like "1,5" instead of "1.5". Our profile language is English, browser locale is de-DE. Our import script into our invoicing tool chokes on it because the comma is also the separator, so rows shift by one column.

Jonas""",
"""Hi Jonas,

Thanks, confirmed. Release 2026.09 started formatting the Duration column using the browser locale, which for de-DE produced "1,5" inside an unquoted comma-separated file, breaking the columns. The time tracking docs say Duration is decimal hours, and that's what it should be regardless of locale.

Engineering fixed it in release 2026.09.2 (September 18): the CSV always uses a dot as decimal separator again. Until you're past that, switching the browser language to English (or exporting from a browser with en-US locale) gives you the correct format.

Best,
Daniel"""),

T("acct_0053", B, "email", "2026-10-08 12:20", "Docs table text invisible in dark mode",
"""Tiny thing but annoying: in dark mode, text inside tables in docs is dark grey on a dark background, basically invisible. Outside tables it's fine. Screenshot attached.

Ollie""",
"""Hi Ollie,

Thanks for the screenshot! Reproduced: table cells in docs kept the light-mode text colour when dark mode was on. I've filed it with engineering and it's scheduled for release 2026.10.2. Until then, selecting the table text makes it readable, or you can switch to light mode from avatar menu > Profile > Appearance when editing tables.

Best,
Maya"""),

T("acct_0019", B, "email", "2026-10-14 10:40", "Outlookカレンダー連携の予定が更新されない",
"""お世話になっております。東邦精機 情報システム部の佐々木でございます。

Outlookカレンダー連携について、タスクの期日を変更してもOutlook側の予定が更新されないとの報告が複数ございます。
新規タスクは正しく反映されます。
10月10日頃から発生しているようです。

調査をお願いできますでしょうか。""",
"""佐々木様

お世話になっております。Tsunaguサポートの田中でございます。

ご報告ありがとうございます。調査の結果、10月9日のMicrosoft Graph API側の仕様変更により、既存の予定の更新リクエストが「412 Precondition Failed」で失敗していたことが判明いたしました。新規作成には影響がございませんでした。

エンジニアチームにて対応し、10月16日の2026.10.2リリースで修正いたしました。修正後、10月9日以降に変更された期日は自動的に再同期されております。Outlook側で古い日時のままの予定がある場合は、個人設定でOutlookカレンダー連携を一度解除し、再接続いただくと確実に反映されます。

なお、Googleカレンダー連携は本件の影響を受けておりません。

ご不便をおかけし申し訳ございませんでした。"""),

T("acct_0032", B, "web_form", "2026-10-20 17:25", "Mention emails sent twice",
"""Since yesterday every @mention email arrives twice, a few seconds apart. Notification settings are "Instant". Whole team is seeing it.""",
"""Hi,

Thanks for reporting. We found the cause: a deploy on October 19 ran two copies of the email notification worker for mentions, so each mention email was sent twice. The in-app Inbox and push notifications were not affected.

Engineering removed the duplicate worker at 18:05 PT on October 20, so emails from that point are single again. Sorry for the inbox clutter!

Best,
Tom"""),

T("acct_0011", B, "web_form", "2026-03-31 07:30", "",
"""スマホで写真を添付しようとすると「ファイルサイズが大きすぎます」と出ます。5MBくらいの写真です。無料プランでも25MBまで大丈夫と書いてありましたが。""",
"""高橋様

お問い合わせありがとうございます。Tsunaguサポートでございます。

ご認識のとおり、無料プランでも1ファイル25MBまで添付可能です。確認いたしましたところ、Androidアプリ（4.11.0）で、写真を選択した際にファイルサイズを誤って約5倍で計算してしまう不具合がございました。

4月3日公開のAndroidアプリ 4.11.1 で修正されておりますので、Google Playからアプリを更新してください。更新までの間は、ブラウザ版（app.tsunagu.example）から添付いただくことも可能です。

なお、ワークスペース全体のストレージ上限（無料プランは1GB）に達した場合も添付できなくなりますので、あわせてご注意ください（現在は約320MBご利用中です）。

よろしくお願いいたします。"""),

]
