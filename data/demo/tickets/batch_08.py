from common import T, Q, B, S

TICKETS = [

# ---- language ----
T("acct_0008", Q, "chat", "2026-01-07 10:02", None,
"""画面が英語になっているのですが、日本語にできますか？""",
"""はい、できます！画面右上のアバターメニュー >「Profile」>「Language」で「日本語」を選ぶと、ページが再読み込みされて日本語表示になります。設定は個人ごとなので、他のメンバーの方もそれぞれ変更してください。"""),

T("acct_0046", Q, "email", "2026-01-16 15:30", "表示言語の変更",
"""お世話になっております。ふじみ不動産の今井と申します。

先日登録したのですが、全部英語で表示されていて社員が使いづらいと言っています。
日本語表示に切り替える方法を教えてください。
新しく入る人も最初から日本語にしたいです。""",
"""今井様

お世話になっております。Tsunaguサポートの中村でございます。

表示言語は以下の手順で日本語に変更いただけます。
アバターメニュー（画面右上）>「Profile」>「Language」>「日本語」

言語設定は個人単位のため、既存の社員の皆様にはそれぞれ上記の操作をお願いいたします。通知メールやモバイルアプリも日本語に切り替わります。

今後参加される方の初期設定を日本語にするには、オーナーまたは管理者の方が「ワークスペース設定」>「一般」>「既定の言語」を「日本語」に変更してください（既存メンバーの設定は変わりません）。

参考：https://help.tsunagu.example/articles/language-and-time-zone

よろしくお願いいたします。"""),

T("acct_0056", Q, "web_form", "2026-02-27 12:30", "switch UI to japanese for some staff",
"""Some of our artists prefer Japanese UI. Can individuals switch or is it workspace-wide? Also will task titles get translated? (hope not lol)""",
"""Hi,

It's per person: each artist can go to avatar menu > Profile > Language and choose 日本語. It changes the interface, notification emails and the mobile app just for them. Content like task titles, comments and docs is never translated, so everyone sees exactly what was typed.

Best,
Maya"""),

T("acct_0059", Q, "chat", "2026-04-13 09:15", "",
"""日付の表示を2026年4月13日みたいにできますか""",
"""できます！アバターメニュー >「プロフィール」>「言語」で、日付の形式を「2026年4月13日」に変更してください。週の始まり（日曜／月曜）も同じ画面で選べます。"""),

# ---- recurring tasks ----
T("acct_0027", Q, "email", "2026-01-20 11:22", "weekly task",
"""Hi, how do I make a task repeat every Monday? I have to send the same report every week and keep recreating it.

Imogen""",
"""Hi Imogen,

Open the task, set a due date (next Monday), then click the due date > Repeat > Weekly and tick Monday. Choose "On schedule" so a new task appears every Monday even if last week's isn't ticked off yet, then Save. You'll see a ↻ icon next to the date.

Each new occurrence copies the title, description, assignee, tags and subtasks, so your report checklist comes along every week.

https://help.tsunagu.example/articles/recurring-tasks

Best,
Tom"""),

T("acct_0054", Q, "web_form", "2026-02-03 16:05", "",
"""毎月25日に締め処理のタスクを自動で作りたいです。繰り返し設定はどこですか？""",
"""お問い合わせありがとうございます。Tsunaguサポートでございます。

タスクを開いて期日を設定し、期日をクリック >「繰り返し」>「毎月」で日付を「25日」に指定して保存してください。
「スケジュール通り」を選ぶと、前月のタスクが未完了でも毎月25日に新しいタスクが作成されます。「完了時」を選ぶと、完了した時点で次のタスクが作成されます。

なお、次のタスクは1件ずつ作成されるため、プロジェクトに未来のタスクが大量に並ぶことはございません。

参考：https://help.tsunagu.example/articles/recurring-tasks

よろしくお願いいたします。"""),

T("acct_0038", Q, "chat", "2026-02-09 08:40", None,
"""recurring task keeps making a new one even though i didnt finish the old one. can it wait until i'm done?""",
"""Yes! Open the latest occurrence, click the due date > Repeat, and change "On schedule" to "When completed". Then the next one is only created when you complete the current one, dated from when you completed it."""),

T("acct_0031", Q, "email", "2026-03-11 13:40", "繰り返しタスクの停止方法",
"""お世話になっております。ミライ教育の西村です。

春期講習用に毎日繰り返すタスクを作っていたのですが、講習が終わったので止めたいです。
過去のタスクは残したいのですが、どうすればよいでしょうか。""",
"""西村様

お世話になっております。Tsunaguサポートの中村でございます。

一番新しい（最新の）タスクを開き、期日をクリック >「繰り返し」>「繰り返さない」を選択して保存してください。
変更は今後の繰り返しにのみ適用され、過去に作成されたタスクはそのまま残ります。

参考：https://help.tsunagu.example/articles/recurring-tasks

よろしくお願いいたします。"""),

T("acct_0012", Q, "email", "2026-04-27 10:10", "Recurring task on last Friday of month",
"""Is it possible to set a task to recur on the last Friday of every month? Our invoicing run is always then. I only see day numbers.

Mark""",
"""Hi Mark,

Yes: due date > Repeat > Monthly, then switch from "On day" to "On the" and choose "last" + "Friday". If you only see day numbers, click the small dropdown next to the date in the Monthly options.

Best,
Daniel"""),

# ---- imports ----
T("acct_0014", Q, "email", "2026-01-11 20:40", "Moving from Trello",
"""Hi there, we have 6 Trello boards with years of stuff. What's the best way to bring them across? Do checklists and labels come over? And attachments?

Lachlan""",
"""Hi Lachlan,

The Trello importer handles this well, one board at a time:

1. In Trello, open the board > Menu > Print, export and share > Export as JSON, and save the file.
2. In Tsunagu: Projects > Import > Trello (JSON), upload the file.
3. Check the member matching (Trello's export has no emails, so we suggest matches by name) and choose whether to bring archived cards (they come in as completed tasks).

What comes over: lists become board columns, cards become tasks, checklist items become subtasks, labels become tags (colours kept), comments and due dates too. Attachments come across as links to the original Trello files, not copies, so download anything important before closing Trello. Power-Ups and Butler rules don't transfer.

https://help.tsunagu.example/articles/import-trello

Best,
Maya"""),

T("acct_0022", Q, "email", "2026-01-18 10:35", "Backlogからの移行について",
"""お世話になっております。ネクストリンクの池田です。

現在Backlogで課題管理をしており、Tsunaguへの移行を検討しています。
課題のコメントや添付ファイルも移行できますでしょうか。
また、担当者の紐付けはどのように行われますか。""",
"""池田様

お世話になっております。Tsunaguサポートの田中でございます。

BacklogからはCSVでの移行となります。
1. Backlogの課題一覧で、「完了」を含むすべての状態を対象にして「CSVエクスポート」を行います（UTF-8・Shift_JISどちらも可）
2. Tsunaguの「プロジェクト」>「インポート」>「Backlog（CSV）」でファイルをアップロードします
3. BacklogのCSVにはメールアドレスが含まれないため、画面上でBacklogのユーザーとTsunaguのメンバーを対応付けます（未設定の場合は担当者なしで取り込まれます）
4. 状態（未対応／処理中／処理済み／完了）をTsunaguのステータスに対応付けて「インポート開始」をクリックします

恐れ入りますが、BacklogのCSVにはコメント、添付ファイル、Wiki、実績時間が含まれないため、これらは移行されません。必要なものは事前にダウンロードいただくか、Wikiはドキュメントに貼り付けてご利用ください。

参考：https://help.tsunagu.example/articles/ja-import-backlog

よろしくお願いいたします。"""),

T("acct_0029", Q, "web_form", "2026-02-06 14:50", "Asana import missing comments",
"""Imported 3 projects from Asana via CSV. Tasks came over great but no comments or attachments. Did I do something wrong?""",
"""Hi,

You didn't do anything wrong: Asana's CSV export doesn't include comments, attachments or dependencies, so there's nothing for us to import. If you need them, you'd have to export them from Asana separately (e.g. Asana's JSON export or API) and add the important ones to the tasks by hand.

Tip: if you want to re-run an import with a different mapping, Projects > Import > History has "Undo import" for 7 days.

https://help.tsunagu.example/articles/import-asana

Best,
Priya"""),

T("acct_0040", Q, "email", "2026-03-16 11:00", "CSVインポートで文字化けします",
"""お世話になっております。ユニゾンの原田です。

Excelで作ったタスク一覧をCSVでインポートしたところ、日本語がすべて文字化けしてしまいました。
どうすればよいでしょうか。""",
"""原田様

お世話になっております。Tsunaguサポートの佐藤でございます。

インポートはUTF-8（BOM有無どちらも可）とShift_JISに対応しております。文字化けする場合、ファイルが別の文字コード（EUC-JPなど）で保存されている可能性がございます。

Excelで「名前を付けて保存」>ファイルの種類で「CSV UTF-8（コンマ区切り）」を選んで保存し直し、再度インポートをお試しください。

文字化けした状態で取り込まれたタスクは、「プロジェクト」>「インポート」>「履歴」の「インポートを取り消す」（7日間有効）で一括削除できます。

参考：https://help.tsunagu.example/articles/import-csv

よろしくお願いいたします。"""),

T("acct_0018", Q, "chat", "2026-04-06 07:50", "",
"""trying to import a csv on free plan and it says it would create a 4th project. we only have 3?""",
"""On Free you can have 3 active projects, and an import into a new project would make a 4th, so it's blocked. Choose "existing project" as the destination in the import dialog, or archive one project first (archived ones don't count)."""),

T("acct_0013", Q, "email", "2026-04-20 14:00", "Excelからのインポートで日付がずれる",
"""お世話になっております。アオバ設計の木下です。

Excelの工程表をCSVでインポートしたところ、期限日が月と日が逆になっているタスクがありました（4月3日が3月4日になるなど）。
どのような形式で書けばよいでしょうか。""",
"""木下様

お世話になっております。Tsunaguサポートの中村でございます。

期限日は「2026-04-03」または「2026/04/03」の形式（年・月・日の順）でご記入ください。「03/04/2026」のような形式は月日の判別ができないため、正しく取り込めない場合がございます。

Excelでは、日付の列を選択 >「セルの書式設定」>「ユーザー定義」で「yyyy-mm-dd」を指定してからCSV UTF-8で保存すると確実です。

誤った日付で取り込まれたタスクは、「プロジェクト」>「インポート」>「履歴」から「インポートを取り消す」で一括削除のうえ、再インポートいただけます（取り込み後7日間有効）。

参考：https://help.tsunagu.example/articles/import-csv

よろしくお願いいたします。"""),

# ---- export ----
T("acct_0033", Q, "email", "2026-02-02 09:05", "Backing up everything",
"""Our compliance policy requires a monthly backup of all client-related systems. What's the easiest way to get a complete backup of our Tsunagu workspace?

Greg Hollowell""",
"""Hi Greg,

Use the Full export (JSON): Workspace settings > Data export > Full export (JSON) > Request export. You'll get an email when it's ready (a few minutes for a workspace your size) with a download link valid for 7 days. The zip includes projects, tasks, subtasks, comments, docs (as Markdown), time entries, members and roles; attachments are included as download links that are also valid for 7 days, so download them within that window.

Only Owners and Admins can request it, and only one export can run at a time. If you'd like to automate the monthly backup, everything in the export is also available through the API.

https://help.tsunagu.example/articles/export-data

Best,
Tom"""),

T("acct_0002", Q, "web_form", "2026-03-09 17:20", "",
"""エクスポートのダウンロードリンクの期限が切れてしまいました。再発行できますか。""",
"""お問い合わせありがとうございます。Tsunaguサポートでございます。

ダウンロードリンクの有効期限は7日間で、期限切れのリンクを延長することはできかねます。お手数ですが、「ワークスペース設定」>「データエクスポート」>「フルエクスポート（JSON）」から再度「エクスポートをリクエスト」を実行してください。完了するとメールで新しいリンクが届きます。

なお、エクスポート内の添付ファイルのリンクも7日間有効ですので、必要な添付ファイルは期間内にダウンロードをお願いいたします。

よろしくお願いいたします。"""),

T("acct_0009", Q, "chat", "2026-05-06 12:20", None,
"""how do i get one project into excel""",
"""Workspace settings > Data export > CSV per project, pick the project and click Export CSV. It downloads straight away and opens fine in Excel (it's UTF-8 with BOM). You need to be an Owner or Admin; otherwise ask one of your admins to run it."""),

T("acct_0039", Q, "email", "2026-05-19 06:30", "export attachments",
"""Does the CSV export include the photos attached to tasks? We need all job photos for an insurance claim.

Rick""",
"""Hi Rick,

The CSV export doesn't include attachments, only task data. For the photos, use the Full export (JSON) in Workspace settings > Data export: attachments are included as download links (valid 7 days) alongside each task, so you can grab the ones for the claim. If it's just one or two jobs, opening the task and downloading the photos from the attachments list may be quicker.

Tom"""),

# ---- time tracking ----
T("acct_0003", Q, "email", "2026-02-19 13:50", "Time tracking how-to",
"""We want to start tracking hours per client. Where's the timer, and can people add time after the fact if they forgot to start it?

Peter""",
"""Hi Peter,

Open any task and click Timer in the task panel (or press T); click again to stop. Only one timer runs at a time per person, and it keeps running even if you close the tab.

If someone forgot, they can click the arrow next to Timer > Add time and type a duration like "1h 30m", pick the date and add a note. Entries can be marked Billable.

For per-client reporting, go to Reports > Time, filter by project (or tag, if you tag tasks by client), group by project or person, and Export CSV.

https://help.tsunagu.example/articles/time-tracking

Best,
Daniel"""),

T("acct_0043", Q, "web_form", "2026-03-05 18:30", "",
"""他のメンバーの作業時間がレポートに表示されません。私はメンバー権限です。""",
"""お問い合わせありがとうございます。Tsunaguサポートでございます。

「レポート」>「時間」では、メンバー権限の方はご自身の記録のみ表示される仕様でございます。全員分の時間を確認できるのは、管理者とオーナーの方です（Businessプラン以上ではプロジェクト管理者も自分のプロジェクト分を確認できます）。

全員分の集計が必要な場合は、管理者の方にレポートのCSVエクスポートを依頼いただくか、ロールの変更をご相談ください。

よろしくお願いいたします。"""),

T("acct_0017", Q, "chat", "2026-04-15 16:20", "",
"""timer stopped by itself after 12 hours?? i forgot it overnight""",
"""That's intentional: a timer that runs for 12 hours stops automatically so forgotten timers don't rack up days. You should have got a notification. Open the task > Time tab and edit the entry to the real duration. Happens to all of us!"""),

T("acct_0016", Q, "email", "2026-05-20 10:40", "工数の修正権限について",
"""お世話になっております。ひかりソフトの野口です。

部下が入力した作業時間に誤りがあったのですが、上長（私）が修正することはできますか？
私はプロジェクト管理者の権限を持っています。""",
"""野口様

お世話になっております。Tsunaguサポートの佐藤でございます。

御社のBusinessプランでは、プロジェクト管理者の方は、担当プロジェクト内のメンバーの時間記録を編集・削除いただけます。
タスクを開き、「時間」タブから該当の記録を選んで修正してください。

なお、本人以外による時間記録の編集・削除は、監査ログに記録されます（「ワークスペース設定」>「セキュリティ」>「監査ログ」）。

参考：https://help.tsunagu.example/articles/time-tracking

よろしくお願いいたします。"""),

T("acct_0050", Q, "email", "2026-06-12 09:50", "billable hours report",
"""Can I get a report of only billable time for last month, per vet, to send to our accountant?

Connie""",
"""Hi Connie,

Yes: Reports > Time, set the date range to Last month, group by person, and export CSV. The CSV has a Billable column (true/false) for every entry, so your accountant can filter it in Excel.

(A Billable filter directly in Reports > Time is coming in an upcoming release, which will make this one click.)

Best,
Maya"""),

T("acct_0024", Q, "chat", "2026-10-12 11:15", None,
"""is there a billable filter in time reports now? saw something in release notes""",
"""Yes, since release 2026.09: Reports > Time > Filter > Billable. The CSV export includes the Billable column too."""),

# ---- forms ----
T("acct_0020", Q, "email", "2026-03-25 11:30", "Public form for client requests",
"""Hi,

We'd like clients to submit change requests via a web form that lands in our "Client changes" project. Does the client need a Tsunagu account? Can they attach drawings?

Nadia""",
"""Hi Nadia,

Forms are perfect for this. Project menu > Forms > + New form, add fields (map one to the task title), add a File upload field for drawings (saved as task attachments, up to 250 MB each), and under Task settings choose the section and default assignee. Then Publish and share the public link.

Clients don't need an account to submit. If you add an Email field, they get a confirmation email. You can also embed the form on your website, or regenerate the link if it's ever shared too widely.

https://help.tsunagu.example/articles/forms

Best,
Priya"""),

T("acct_0034", Q, "email", "2026-04-23 10:50", "フォームを社内限定にしたい",
"""お世話になっております。カワセミ広告の長谷川です。

社内の備品申請用にフォームを作成しました。
リンクを知っていれば社外の人でも送信できてしまうと思うのですが、社内のメンバーだけに限定することはできますか？""",
"""長谷川様

お世話になっております。Tsunaguサポートの田中でございます。

可能でございます。フォームを開き、「フォーム設定」>「アクセス」で「ワークスペースのメンバーのみ（ログイン必須）」を選択してください。以降はTsunaguにログインしているメンバーのみが送信できるようになります。

すでに社外にリンクが共有されている可能性がある場合は、「リンクを再生成」を行うと、旧リンクは即時に無効になります。

参考：https://help.tsunagu.example/articles/forms

よろしくお願いいたします。"""),

T("acct_0021", Q, "web_form", "2026-05-27 13:20", "form says made with tsunagu",
"""Our volunteer sign-up form shows "Made with Tsunagu" at the bottom. Can we remove that?""",
"""Hi,

The "Made with Tsunagu" footer appears on forms on the Free plan. It's removed automatically on Team and above. There isn't a way to hide it on Free, sorry!

Best,
Maya"""),

T("acct_0055", Q, "chat", "2026-09-21 10:30", None,
"""can a form field only show up if they pick "Hardware" in the request type dropdown?""",
"""Yes, since release 2026.09! Open the form, click the field > Logic > "Show this field when..." and pick Request type is Hardware. Works on all plans."""),

# ---- automations ----
T("acct_0001", Q, "email", "2026-03-02 10:15", "auto assign new bugs",
"""Hi, can we auto-assign tasks created in our BUGS project to whoever is on triage duty? Ideally rotating between 3 people.

Ken""",
"""Hi Ken,

Yes: project menu > Automations > + New automation.
1. Trigger: Task created.
2. Action: Assign > Round-robin, and pick your 3 triagers.
3. Optionally add a second action: Notify Slack > #bugs.
4. Name it and click Turn on.

Each assignment counts as one run (Team has 5,000 per month for the whole workspace). Tasks brought in with Projects > Import don't trigger it, so a bulk import won't use up your runs.

https://help.tsunagu.example/articles/automations

Best,
Daniel"""),

T("acct_0057", Q, "email", "2026-04-08 15:15", "自動化が動かない",
"""お世話になっております。オリオン人材の松本です。

「タスクが完了に移動したら Slack の #求人-完了 チャンネルに通知」という自動化を設定していますが、
昨日から通知が来なくなりました。
自動化の履歴を見ると「失敗」になっています。""",
"""松本様

お世話になっております。Tsunaguサポートの中村でございます。

自動化の履歴でエラー内容を確認いたしましたところ、「channel_not_found」となっておりました。昨日、#求人-完了 チャンネルが非公開チャンネルに変更されており、TsunaguのボットがSlackチャンネルにアクセスできなくなったことが原因と考えられます。

Slack側で該当チャンネルを開き、「/invite @Tsunagu」でボットを招待してください。以降の通知は再開されます。
なお、失敗した実行も実行回数にカウントされますので、ご留意ください。

参考：https://help.tsunagu.example/articles/slack-integration

よろしくお願いいたします。"""),

T("acct_0011", Q, "chat", "2026-06-15 12:00", "",
"""自動化が途中から動かなくなりました。無料プランです。""",
"""無料プランの自動化の実行回数は、ワークスペース全体で月100回までとなっております。上限に達すると、その月の残りは自動化がスキップされ、毎月1日（UTC 0時）にリセットされます。使用状況は「ワークスペース設定」>「請求」>「使用状況」でご確認いただけます。条件を設定して対象を絞ると、実行回数を節約できますよ。"""),

T("acct_0044", Q, "email", "2026-07-13 08:10", "Automation loop detected",
"""Automation history shows "Failed: loop detected" on a bunch of tasks in our Shipments project. What does this mean?

Wei Ling""",
"""Hi Wei Ling,

It means two automations were moving the same task back and forth. In your Shipments project, "Delayed" moves tasks to "At risk" when they're due, and "At risk" has an action that moves tasks back to "Delayed" when a tag is present. Tsunagu stops chains like this after 10 steps and logs "Failed: loop detected" so they can't run forever (failed runs still count toward your monthly runs).

Fix: add a condition to one of them, e.g. only move back to Delayed if "Tag does not contain at-risk", or remove the move action from one side.

Best,
Priya"""),

# ---- notifications ----
T("acct_0029", Q, "email", "2026-01-27 16:30", "Too many emails",
"""Our teachers are complaining they get an email for every single comment. Can I turn that off for everyone?

Janelle""",
"""Hi Janelle,

Notification settings are personal, so Admins can't change them for others, but each teacher can switch to a summary in a minute: avatar menu > Profile > Notifications > Email > choose Hourly or Daily digest (Daily arrives at 9:00 in their time zone). They can also mute busy projects with the bell icon on the project. Everything still lands in their in-app Inbox.

A short "how to tame Tsunagu emails" note to staff usually does the trick; feel free to copy from https://help.tsunagu.example/articles/notifications

Best,
Priya"""),

T("acct_0025", Q, "email", "2026-02-12 10:25", "夜間の通知を止めたい",
"""お世話になっております。みどり会 事務局の井上です。

夜勤のない職員から、夜中にスマホの通知が来て困るという声がありました。
時間帯によって通知を止める設定はありますか。""",
"""井上様

お世話になっております。Tsunaguサポートの中村でございます。

「静かな時間帯」の設定で、指定した時間帯のプッシュ通知と即時のメール通知を止めることができます。
各職員の方に、アバターメニュー >「プロフィール」>「通知」>「静かな時間帯」で、例えば「20:00〜8:00」や「週末は終日」などを設定いただくようご案内ください。
静かな時間帯に届いた通知は、時間帯の終了後にまとめて配信されます。

なお、通知設定は個人ごとのため、管理者の方が他の職員の設定を変更することはできません。

参考：https://help.tsunagu.example/articles/notifications

よろしくお願いいたします。"""),

T("acct_0047", Q, "chat", "2026-03-10 19:45", None,
"""i don't get any emails when someone assigns me a task. checked spam""",
"""Let's check a couple of things: avatar menu > Profile > Notifications, make sure "Task assigned to you" has Email on and the digest isn't set to Off. Also, if you're active in the web app at the time, you'll still see it in your Inbox. If settings look right, ask your email provider to allow notifications@tsunagu.example. Want me to check our delivery logs for your address?"""),

T("acct_0052", Q, "email", "2026-08-13 09:20", "Daily digest arrives at wrong time",
"""Hi, since the clocks... wait no, we haven't changed clocks. Our daily digest arrives at 5am instead of 9am for a few people in our Boston office. Their profile time zones look right (America/New_York).

Helen""",
"""Hi Helen,

Thanks for flagging. I checked those accounts: their profile time zone is America/New_York, but their digest was scheduled at 9:00 UTC, which is 5:00 in Boston. It's a bug where the digest schedule wasn't recalculated for some people after a time zone change; engineering has it and it's scheduled for the September release (2026.09).

Workaround until then: have each affected person open avatar menu > Profile > Time zone, switch to any other zone, save, and switch back to America/New_York. That recalculates the schedule.

Best,
Maya"""),

# ---- mobile ----
T("acct_0058", Q, "web_form", "2026-03-30 15:10", "old iphone",
"""One of our maintenance techs has an iPhone 8 and can't install the app. Any old version we can use?""",
"""Hi,

The current app needs iOS 16 or later. The iPhone 8 can be updated to iOS 16 (its last supported version), so please have him update in Settings > General > Software Update and the app should install. If for some reason the update isn't possible, he can use app.tsunagu.example in Safari on the phone (the layout is more limited, but tasks, comments and photos work). We don't offer older app versions.

Best,
Daniel"""),

T("acct_0019", Q, "email", "2026-05-12 13:00", "モバイルアプリの動作環境",
"""お世話になっております。東邦精機 情報システム部の佐々木です。

工場向けに業務用スマートフォンを一括調達する予定です。
Tsunaguアプリの対応OSバージョンを教えてください。
また、オフラインでも利用可能でしょうか（工場内に電波の弱いエリアがあります）。""",
"""佐々木様

お世話になっております。Tsunaguサポートの田中でございます。

対応OSは以下のとおりです。
・iOS／iPadOS 16以降
・Android 10以降

オフライン利用につきましては、最近開いたタスクやドキュメントはオフラインでも閲覧可能で、オフライン中の変更（タスク作成、コメント、ステータス変更、写真の添付）は、オンラインに戻った時点で同期されます。電波の弱いエリアに入る前に、当日の作業タスクを一度開いておく運用をおすすめいたします。

なお、御社ではIP許可リストを設定されておりますので、業務用スマートフォンからは社内Wi-FiまたはVPN経由でのご利用となる点にご注意ください。
また、Android 14の端末では、アプリの強制停止後にプッシュ通知が届かなくなる既知の不具合がございます。MDMでバッテリー最適化の対象からTsunaguを除外していただくと回避できます。

参考：https://help.tsunagu.example/articles/mobile-apps

よろしくお願いいたします。"""),

T("acct_0041", Q, "chat", "2026-06-05 09:00", None,
"""can techs start a timer from the phone app""",
"""Yes, open the task in the app and tap Timer; tap again to stop. A timer started on the phone can be stopped on the web and vice versa. Time tracking is included on your Business plan."""),

# ---- tasks / projects misc ----
T("acct_0060", Q, "email", "2026-02-17 14:30", "Recover deleted task",
"""Hi, a translator accidentally deleted a task with a lot of client comments yesterday. Can it be restored?

Kaori""",
"""Hi Kaori,

Yes! Deleted tasks go to the project's trash for 30 days. Open the project menu > Trash, find the task and click Restore. Comments, attachments and time entries come back with it. After 30 days it's gone permanently, so do it soon.

Best,
Tom"""),

T("acct_0028", Q, "email", "2026-05-25 17:20", "タスクを別のプロジェクトに移動したい",
"""お世話になっております。カケハシの村上です。

間違ったプロジェクトにタスクを作ってしまいました。
コメントも多いので、作り直さずに移動したいのですが可能ですか。""",
"""村上様

お世話になっております。Tsunaguサポートでございます。

タスクを開き、「…」>「プロジェクトに移動」から移動先を選択してください。コメント・添付ファイル・時間記録もそのまま移動します。
移動後はタスクIDが移動先のプロジェクトの番号に変わりますが、旧IDのリンクも引き続き有効です。

複数のタスクをまとめて移動する場合は、リスト表示でShiftを押しながらタスクを選択し、ツールバーから移動できます（1回あたり最大500件）。

よろしくお願いいたします。"""),

T("acct_0026", Q, "chat", "2026-03-26 11:05", "",
"""can we change a project's key? we named it WEBSITE and task ids are super long""",
"""Yes, project key can be changed (2 to 6 letters) in the project's settings. Old IDs like WEBSITE-12 keep redirecting to the new ones, so existing links and GitHub references won't break."""),

T("acct_0023", Q, "email", "2026-08-10 13:55", "Shift all due dates",
"""A client pushed our whole rollout back 2 weeks. Is there a way to shift all due dates in a project by 14 days without editing 300 tasks?

Bronwyn""",
"""Hi Bronwyn,

Yes. In List view, select the tasks (click the first, Shift+click the last; up to 500 per action), then click Due date in the toolbar and choose "Shift by" +14 days. Start dates can be shifted the same way. Dependencies won't move automatically, but Tsunagu will warn you if anything ends up out of order.

https://help.tsunagu.example/articles/due-dates

Best,
Priya"""),

T("acct_0037", Q, "email", "2026-09-01 11:10", "サブタスクの階層について",
"""お世話になっております。大和テクノサービスの石川です。

工事案件を「案件＞工程＞作業＞チェック項目＞詳細」のように5階層で管理したいのですが、
サブタスクは何階層まで作れますか。""",
"""石川様

お世話になっております。Tsunaguサポートの中村でございます。

サブタスクは4階層までとなっております（1つのタスクに直接作成できるサブタスクは200件まで）。
5階層目の「詳細」については、以下の方法をおすすめいたします。
・4階層目のサブタスクの説明欄に「[] 」（半角の角括弧とスペース）と入力してチェックリストとして管理する
・「案件」をプロジェクトまたはセクションとして扱い、工程以下をタスク・サブタスクで管理する

チェックリスト項目は担当者や期日を持たず、レポートにも表示されませんが、細かい確認項目の管理には適しております。

参考：https://help.tsunagu.example/articles/subtasks

よろしくお願いいたします。"""),

# ---- bugs ----
T("acct_0032", B, "email", "2026-02-11 10:30", "Board view: tasks disappear after filter",
"""When I filter the board by assignee and then clear the filter, about half the cards don't come back until I reload. Chrome 121 on Mac. Reproducible every time in our ART project.

Chris""",
"""Hi Chris,

Thanks for the precise steps, we reproduced it in a project with more than 500 open tasks: clearing the filter only re-rendered the first page of cards. Engineering fixed it in release 2026.02.3 (February 17). Nothing was ever hidden or deleted, it was purely a display issue.

Best,
Daniel"""),

T("acct_0042", B, "web_form", "2026-06-29 15:15", "recurring task created twice",
"""Our weekly "Payroll check" recurring task got created twice this Monday. Never happened before. Not using Google Calendar.""",
"""Hi,

Thanks for the report. This isn't the known calendar issue: we found that on June 29, a delayed job retried the creation of "On schedule" occurrences for a few workspaces, creating a second copy. Engineering added a duplicate check the same day (release 2026.06.4), so it won't recur. Please delete the extra copy; the ↻ recurrence continues from either one.

Best,
Priya"""),

T("acct_0004", B, "email", "2026-09-28 14:45", "タスク一覧のCSV出力でカスタムフィールドが空になる",
"""お世話になっております。三葉商事の高木です。

プロジェクトのCSVエクスポートで、カスタムフィールド（ドロップダウン型）の列がすべて空欄になっています。
画面上では値が入っています。タスク数は3,000件程度です。""",
"""高木様

お世話になっております。Tsunaguサポートの田中でございます。

ご報告ありがとうございます。こちらで再現を確認いたしました。2026.09リリース以降、ドロップダウン型のカスタムフィールドの選択肢名に全角括弧などの記号が含まれる場合、CSVエクスポートで値が空欄になる不具合でございます（10,000件超のエクスポートの既知の問題とは別の不具合です）。

エンジニアチームにて修正し、10月1日の2026.09.4リリースで修正済みでございます。お手数ですが、再度エクスポートをお試しください。
修正までの間、ワークスペース全体のJSONエクスポートではカスタムフィールドの値が正しく出力されておりました。

ご不便をおかけし申し訳ございませんでした。"""),

T("acct_0027", B, "chat", "2026-08-31 14:40", None,
"""the Reports > Time page shows 'Something went wrong' when I group by tag""",
"""Thanks for telling us! I can reproduce it: grouping by tag fails when a tag was deleted after time was logged on tasks that had it. I've escalated it to engineering. Grouping by project or person works in the meantime. I'll update you here when it's fixed.

Update: fixed in release 2026.09 (September 15)."""),

T("acct_0059", B, "web_form", "2026-07-02 10:00", "",
"""フォームから送信された内容の改行がタスクの説明で消えて1行になってしまいます。""",
"""お問い合わせありがとうございます。Tsunaguサポートでございます。

こちらで再現を確認いたしました。フォームの「長文テキスト」欄を説明に割り当てた場合に、改行が反映されない不具合でございます。エンジニアチームに報告し、7月8日の2026.07.1リリースで修正いたしました。修正以降に送信された内容は改行が保持されます。

ご不便をおかけし申し訳ございませんでした。"""),

]
