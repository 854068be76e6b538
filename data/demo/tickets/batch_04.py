from common import T, Q, B, S

TICKETS = [

# ---------- KB-BUG-1: Google Calendar duplicates recurring tasks ----------

T("acct_0003", B, "email", "2026-01-26 09:30", "Recurring tasks showing twice in Google Calendar",
"""Hi,

I connected Google Calendar last week. One-off tasks are fine, but my weekly "Client status email" (every Monday) shows up twice every Monday in Google Calendar, one at 9:00 and one at 10:00?? Same for a monthly invoicing task. Am I doing something wrong?

Peter""",
"""Hi Peter,

You're not doing anything wrong: this is a known issue with Google Calendar sync (KB-BUG-1). When a recurring task's time zone differs from your Google calendar's time zone, each occurrence can be synced twice, often an hour apart like you're seeing. I checked and your recurring tasks are set to America/Chicago while your Google calendar is America/New_York.

Workaround until the fix ships:
1. Open each recurring task, click the due date > Repeat, and set Time zone to America/New_York. Save.
2. To clear the duplicates already in your calendar: Workspace settings > Integrations > Google Calendar > Disconnect, then Connect my calendar again. The "Tsunagu tasks" calendar is recreated cleanly.

Please don't delete the duplicate events by hand, they can come back on the next sync.

Details: https://help.tsunagu.example/articles/google-calendar-sync

Best,
Daniel"""),

T("acct_0022", B, "email", "2026-02-16 13:10", "Googleカレンダーに定期タスクが重複して表示される",
"""お世話になっております。ネクストリンクの池田です。

Googleカレンダー連携を使っているのですが、毎週の定例（繰り返しタスク）が
カレンダー上に2件ずつ表示されるようになってしまいました。
1件は正しい時間、もう1件は前日の同じ時間になっています。
米国出張中に設定を触ったのが原因でしょうか…？

よろしくお願いいたします。""",
"""池田様

お世話になっております。Tsunaguサポートの田中でございます。

ご推察のとおり、タイムゾーンの違いが原因でございます。現在、繰り返しタスクのタイムゾーンとGoogleカレンダーのタイムゾーンが異なる場合に、予定が重複して表示される既知の不具合（KB-BUG-1）がございます。出張中に作成された繰り返しタスクのタイムゾーンが「America/Los_Angeles」になっており、Googleカレンダーは「Asia/Tokyo」となっておりました。

現在修正を進めておりますが、それまでの回避策は以下のとおりです。
1. 該当の繰り返しタスクを開き、期日 >「繰り返し」>「タイムゾーン」を「Asia/Tokyo」に変更して保存してください
2. すでに重複している予定は、「ワークスペース設定」>「連携」>「Googleカレンダー」で一度「連携を解除」し、再度「カレンダーを接続」してください（Tsunagu用カレンダーが作り直されます）

重複した予定を手動で削除すると、次回の同期で再表示されることがございますのでご注意ください。

参考：https://help.tsunagu.example/articles/google-calendar-sync

よろしくお願いいたします。"""),

T("acct_0014", B, "chat", "2026-03-02 14:20", None,
"""my google cal is full of duplicate tsunagu events, like 3 copies of the same daily standup task. deleting them doesnt help they come back""",
"""Sorry about the clutter! That's a known issue when a recurring task's time zone doesn't match your Google calendar's. Your daily standup task is set to Australia/Perth and your calendar is Australia/Sydney. Open the task > due date > Repeat > set Time zone to Australia/Sydney and save. Then disconnect and reconnect Google Calendar in Workspace settings > Integrations > Google Calendar to wipe the existing duplicates. A proper fix is in progress."""),

T("acct_0042", B, "email", "2026-05-11 10:40", "calendar sync bug",
"""Hi, after daylight saving the recurring 1:1s I track as tasks appear twice on Google Calendar. Is this the timezone thing I've seen mentioned? Our company calendar policy sets everyone to UTC in Google but our Tsunagu profiles are America/New_York.

Thanks, Tanya""",
"""Hi Tanya,

Yes, that's the same known issue (KB-BUG-1): recurring tasks whose time zone differs from the Google calendar's time zone get duplicated, and it tends to become visible around daylight-saving changes.

Since your Google calendars are on UTC by policy, the workaround is to set the recurring tasks' time zone to UTC too (task > due date > Repeat > Time zone). New recurring tasks default to your profile time zone, so people would need to change it when creating them. Alternatively, if policy allows, set the "Tsunagu tasks" calendar's own time zone in Google (Settings for my calendars > Tsunagu tasks > Time zone) to America/New_York.

Then disconnect and reconnect Google Calendar under Workspace settings > Integrations > Google Calendar to clear the duplicates that are already there.

We're working on a fix and will update https://help.tsunagu.example/articles/known-issues when it ships.

Best,
Priya"""),

T("acct_0013", B, "web_form", "2026-06-03 15:25", "",
"""Googleカレンダーで繰り返しタスクがダブります。修正予定はいつですか？社内で10人くらい同じ状態です。""",
"""お問い合わせありがとうございます。Tsunaguサポートでございます。

ご不便をおかけしており申し訳ございません。繰り返しタスクのタイムゾーンとGoogleカレンダーのタイムゾーンが異なる場合に発生する既知の不具合（KB-BUG-1）でございます。修正は現在開発中で、具体的なリリース日はまだ確定しておりません。確定しましたらヘルプセンターの「既知の問題」ページでお知らせいたします。

確認したところ、御社の該当の繰り返しタスクは、一部のメンバーのプロフィールのタイムゾーンが「UTC」のまま作成されていたため、タスクのタイムゾーンも「UTC」になっておりました。

回避策：
1. 各メンバーのプロフィールのタイムゾーンを「Asia/Tokyo」に設定する（今後作成するタスクに反映されます）
2. 既存の繰り返しタスクの「繰り返し」設定でタイムゾーンを「Asia/Tokyo」に変更する（「マイタスク」で「繰り返し：はい」で絞り込むと一覧で確認できます）
3. 各メンバーがGoogleカレンダー連携を一度解除し、再接続する

参考：https://help.tsunagu.example/articles/google-calendar-sync

よろしくお願いいたします。"""),

T("acct_0029", B, "email", "2026-07-14 08:55", "Re: duplicate events",
"""> Set the recurring task's time zone to match your Google calendar, then reconnect.

I did exactly that for all 12 of my recurring tasks and reconnected. For a week it was fine and now I have duplicates again on two of them. What now?

Janelle""",
"""Hi Janelle,

Thanks for following up, and sorry it's back. I looked at those two tasks ("Attendance report" and "Parent newsletter"): both were edited on July 8 by a colleague in Arizona, and editing the repeat rule reset their time zone to her profile time zone (America/Phoenix). That's why the duplicates came back.

So:
1. Set those two back to America/New_York (due date > Repeat > Time zone).
2. Disconnect and reconnect Google Calendar once more to clean up.

The "edit resets the time zone" behaviour is part of the same bug our engineers are fixing (KB-BUG-1). I've added your case to the bug report. Until then, it's worth asking colleagues to double-check the Time zone field whenever they edit a repeat rule.

Best,
Priya"""),

T("acct_0057", B, "email", "2026-09-01 17:30", "カレンダー連携の重複",
"""お世話になっております。オリオン人材の松本です。

以前ご案内いただいたタイムゾーンを合わせる回避策で対応しておりますが、
海外拠点のメンバーも増えてきており、毎回タイムゾーンを揃えるのが負担になっております。
根本的な修正の時期は決まりましたでしょうか。""",
"""松本様

お世話になっております。Tsunaguサポートの佐藤でございます。

回避策のご対応によるご負担、誠に申し訳ございません。
Googleカレンダー連携での繰り返しタスク重複（KB-BUG-1）につきましては、現在も修正作業中でございます。リリース時期はまだ確定しておりませんが、確定次第ヘルプセンターの「既知の問題」ページ（https://help.tsunagu.example/articles/known-issues）で告知し、あわせて松本様にも個別にご連絡いたします。

なお、海外拠点のメンバーの方々には、以下の運用が負担が少ないかと存じます。
・Googleカレンダー側の「Tsunagu tasks」カレンダーのタイムゾーンを、繰り返しタスクのタイムゾーン（Asia/Tokyo）に合わせる
　（Googleカレンダー >「設定」>「マイカレンダーの設定」>「Tsunagu tasks」>「タイムゾーン」）
これにより、メンバーの方のメインのカレンダーのタイムゾーンを変えずに重複を防ぐことができます。

ご要望としても、修正の優先度を上げるよう開発チームに伝えております。

よろしくお願いいたします。"""),

# ---------- KB-BUG-2: CSV export > 10k tasks times out ----------

T("acct_0023", B, "email", "2026-01-30 12:10", "CSV export just spins forever",
"""Hi,

Trying to export our "Deliveries 2025" project to CSV for our finance team. The spinner goes for a minute or two and then "Export failed, please try again". Tried 5 times, 2 browsers. Other projects export fine. This project is big — about 14,000 tasks.

Bronwyn""",
"""Hi Bronwyn,

Thanks, the task count is the key detail. This is a known issue (KB-BUG-2): CSV export of a project with more than 10,000 tasks times out in the browser. Retrying won't help, unfortunately.

Two workarounds:
1. In Workspace settings > Data export > CSV per project, set a date range so each export has fewer than 10,000 tasks, for example Jan–Jun 2025 and Jul–Dec 2025 by created date, then combine the two files.
2. Or use the Full export (JSON) on the same page. It runs in the background with no task limit and emails you a link (valid 7 days). It's JSON rather than CSV though, so it depends what finance needs.

For your project, splitting into two halves of 2025 should do it. A fix is planned; status is on https://help.tsunagu.example/articles/known-issues.

Best,
Daniel"""),

T("acct_0006", Q, "chat", "2026-02-23 10:40", "",
"""export broken??""",
"""Sorry to hear that! Could you tell me what you're exporting and what you see? For example, a CSV of one project, or the full workspace export, and any error message."""),

T("acct_0019", B, "email", "2026-03-18 10:00", "【至急】CSVエクスポートができません",
"""お世話になっております。
東邦精機株式会社 品質保証部の大塚と申します。

品質不具合管理のプロジェクト（タスク数 約23,000件）をCSVでエクスポートしようとすると、
しばらく読み込み中の表示が続いた後、「エクスポートに失敗しました。もう一度お試しください」と表示されます。
月次の品質会議で使用するため、至急対応をお願いしたく存じます。

大塚 由美子
東邦精機株式会社 品質保証部
TEL: 052-681-4410（内線 2231）""",
"""大塚様

お世話になっております。Tsunaguサポートの田中でございます。
ご不便をおかけし申し訳ございません。

タスク数が10,000件を超えるプロジェクトのCSVエクスポートがブラウザ上でタイムアウトする既知の不具合（KB-BUG-2）でございます。再試行しても解消しないため、以下のいずれかの方法をお試しください。

1. 期間を指定して分割エクスポートする
　「ワークスペース設定」>「データエクスポート」>「プロジェクトごとのCSV」で「期間」を指定し、1ファイルあたり10,000件未満になるよう分けてエクスポートしてください（例：作成日で四半期ごと）。完了済みタスク・サブタスクも件数に含まれます。
2. ワークスペース全体のJSONエクスポートを利用する
　同じ画面の「フルエクスポート（JSON）」はバックグラウンドで処理されるため、件数の上限はございません。完了後にメールでダウンロードリンク（7日間有効）が届きます。

月次会議でのご利用であれば、「最終更新日」で当月分のみを指定する方法が最も簡単かと存じます。
本不具合は修正を予定しており、状況は https://help.tsunagu.example/articles/known-issues でお知らせいたします。

よろしくお願いいたします。"""),

T("acct_0032", B, "web_form", "2026-04-17 16:15", "Export CSV fails for our bug tracker project",
"""Export to CSV of project BUGS fails with "Export failed, please try again". ~11k tasks incl closed ones. Other projects OK. Need a full dump for a QA audit. JSON is fine if that works?""",
"""Hi,

Yes, JSON will work. CSV exports of projects with more than 10,000 tasks (closed ones and subtasks included) time out in the browser; it's a known issue (KB-BUG-2). The Full export (JSON) in Workspace settings > Data export runs in the background with no task limit and emails you a download link valid for 7 days. It includes every task, subtask, comment and time entry.

If your auditors need CSV specifically, export BUGS in two date ranges (e.g. created before and after 2025-07-01) and concatenate.

Best,
Tom"""),

T("acct_0004", B, "email", "2026-05-25 13:45", "RE: CSVエクスポートの件",
"""お世話になっております。三葉商事の高木です。

> 期間を指定し、1ファイルあたり10,000件未満となるよう分割してエクスポートしてください

ご案内ありがとうございます。分割で取得できました。
ただ、毎月この作業を行うのは現場の負担が大きいため、修正の見込みを教えていただけますでしょうか。
また、APIで全件取得することは可能でしょうか。""",
"""高木様

お世話になっております。Tsunaguサポートの中村でございます。
分割での取得ができたとのこと、安心いたしました。

修正時期につきましては、現時点では確定しておらず恐縮ですが、開発チームにて対応を予定しております。御社のご要望も開発チームに共有いたしました。

APIでの全件取得は可能でございます。
GET https://api.tsunagu.example/v1/tasks?project=<プロジェクトキー> を、1回あたり最大100件（limit=100）で取得し、レスポンスの cursor を使って次のページを取得してください。御社のBusinessプランではトークンあたり300リクエスト／分ですので、23,000件でも数分で取得できます。429が返った場合は Retry-After ヘッダーの秒数待ってから再試行してください。

毎月の定型作業であれば、APIでの取得を自動化いただくのがおすすめです。

参考：https://help.tsunagu.example/articles/api-tokens-and-rate-limits

よろしくお願いいたします。"""),

T("acct_0044", B, "chat", "2026-08-05 09:20", None,
"""csv export timing out on our shipments project. is this the known 10k thing? we have 31,000 tasks lol""",
"""Yep, that's the one: CSV export over 10,000 tasks times out in the browser. With 31k tasks, the Full export (JSON) under Workspace settings > Data export is the easiest route (no limit, emailed link valid 7 days). If you need CSV, split by date range into chunks under 10k each."""),

T("acct_0058", B, "email", "2026-10-06 11:50", "Export failed please try again",
"""Every time I click export on our Maintenance Requests project I get "Export failed, please try again". It's our biggest project (every work order since 2022). Our property owners want a spreadsheet of everything for the annual review, by Friday. Please help.

Carla Ruiz
Westgate Property Management""",
"""Hi Carla,

Sorry for the stress before Friday. Your Maintenance Requests project has 12,480 tasks, and CSV export of more than 10,000 tasks currently times out in the browser; it's a known issue (KB-BUG-2) with a fix planned.

To get the spreadsheet today:
1. Workspace settings > Data export > CSV per project > Maintenance Requests.
2. Set Date range: Created between 2022-01-01 and 2024-06-30 > Export CSV.
3. Then Created between 2024-07-01 and today > Export CSV.
4. Paste the second file under the first in Excel (same columns).

Each half is under 10,000 tasks, so both will download. If you'd rather have a single backup, the Full export (JSON) on the same page has no limit but isn't a spreadsheet.

Best,
Daniel"""),

# ---------- KB-BUG-3: Android 14 push stops after force-stop ----------

T("acct_0039", B, "email", "2026-02-18 07:10", "not getting notifications on phone",
"""My guys say they stopped getting any push notifications on their phones. Couple of them have the new Samsung. iPhones seem fine. Did something change?

Rick""",
"""Hi Rick,

Thanks for the detail about Samsungs vs iPhones, that narrows it down. There's a known issue on Android 14 (KB-BUG-3): if the Tsunagu app gets force-stopped, either by hand or by Samsung's battery "sleeping apps" feature, push notifications don't come back even when the app is opened again.

Workaround for each affected phone:
1. Settings > Apps > Tsunagu > Battery (or "App battery usage") > Unrestricted.
2. On Samsung also: Settings > Battery > Background usage limits > Sleeping apps, and remove Tsunagu if it's listed.
3. Open Tsunagu and leave it open for a few seconds so it re-registers for notifications.

A fix is being worked on. Article with screenshots: https://help.tsunagu.example/articles/mobile-apps

Best,
Tom"""),

T("acct_0054", B, "chat", "2026-03-24 12:05", None,
"""Androidのスマホで通知が全然来なくなりました。アプリを入れ直しても来ません。iPhoneの人は大丈夫みたいです""",
"""ご不便をおかけしております。Androidのバージョンが14の場合、アプリが強制停止されると通知が再開されない既知の不具合がございます。
回避策として、Androidの「設定」>「アプリ」>「Tsunagu」>「バッテリー」（または「アプリのバッテリー使用量」）を「制限なし」に変更し、その後Tsunaguアプリを一度開いて数秒そのままにしてください。これで通知が届くようになるはずです。"""),

T("acct_0017", B, "email", "2026-04-29 14:33", "Push notifications dead on Pixel 8",
"""Hiya,

Since I used one of those "RAM booster" apps on my Pixel 8 (Android 14) I've had zero Tsunagu notifications. Notification permission is on. Reinstalled, logged out and in. Nada. Email notifications fine.

— Jules Moreau, Copperleaf Marketing""",
"""Hi Jules,

That RAM booster is the culprit: it force-stops apps, and on Android 14 there's a known issue (KB-BUG-3) where Tsunagu's push notifications don't come back after a force-stop, even after a reinstall.

Fix:
1. Android Settings > Apps > Tsunagu > App battery usage > Unrestricted.
2. Open Tsunagu and keep it in the foreground for a few seconds so it re-registers.
3. If possible, exclude Tsunagu in the booster app (or uninstall it; Android 14 manages memory well on its own).

Then send yourself a test: assign yourself a task from the web app and the push should arrive within a few seconds. Our engineers are working on a proper fix.

Cheers,
Maya"""),

T("acct_0002", B, "email", "2026-06-08 09:25", "Android端末でプッシュ通知が届かない件",
"""お世話になっております。ミナト物流の藤井でございます。

倉庫スタッフ用に配布している業務用Android端末（Android 14）で、
Tsunaguのプッシュ通知が届かなくなったとの報告が複数上がっております。
MDM（Intune）で管理しており、夜間に端末の再起動とアプリの終了処理を行っております。
何か設定で回避できるものでしょうか。

藤井""",
"""藤井様

お世話になっております。Tsunaguサポートの田中でございます。

Android 14では、アプリが強制停止された後にプッシュ通知が再開されない既知の不具合（KB-BUG-3）がございます。夜間のアプリ終了処理が強制停止にあたるため、翌日以降通知が届かない状態になっていると考えられます。

回避策は、Tsunaguアプリのバッテリー最適化を無効にすることです（「設定」>「アプリ」>「Tsunagu」>「アプリのバッテリー使用量」>「制限なし」）。
Intuneで一括管理されている場合は、以下をご検討ください。
・端末のバッテリー最適化の除外リストにTsunaguのパッケージ（example.tsunagu.app）を追加する
・夜間処理の対象からTsunaguアプリを除外する（再起動自体は問題ございません）

設定後、各端末でTsunaguアプリを一度起動し、数秒間開いたままにすると通知が再登録されます。
本不具合は修正を進めており、状況は https://help.tsunagu.example/articles/known-issues でお知らせいたします。

よろしくお願いいたします。"""),

T("acct_0050", B, "web_form", "2026-07-20 18:40", "no notifications android",
"""galaxy s23, android 14. no push notifs since about a week. tried everything. can you fix it""",
"""Hi,

Sorry about that! On Android 14 there's a known issue where notifications stop after the app has been force-stopped, and Samsung phones often do this automatically through "Sleeping apps". Please try:

1. Settings > Battery > Background usage limits > Sleeping apps (and Deep sleeping apps): remove Tsunagu.
2. Settings > Apps > Tsunagu > Battery > Unrestricted.
3. Open Tsunagu and leave it open for a few seconds.

That should bring notifications back. Let me know if not and I'll dig further.

Best,
Tom"""),

T("acct_0046", Q, "email", "2026-08-19 10:15", "通知が来ない",
"""いつもお世話になっております。ふじみ不動産の今井です。

営業担当のスマホ（Android）で通知が来ないと言われました。
前に教えてもらったバッテリーの設定（制限なし）はやってあります。それでも来ません。
機種はXperiaで、Androidのバージョンは13です。""",
"""今井様

いつもお世話になっております。Tsunaguサポートの中村でございます。

Android 13とのことですので、既知の不具合（Android 14での強制停止後の通知停止）とは別の原因と考えられます。確認いたしましたところ、該当の営業担当の方のプロフィールで「静かな時間帯」が「終日」に設定されておりました。この設定中はプッシュ通知が保留されます。

ご本人に、アバターメニュー >「プロフィール」>「通知」>「静かな時間帯」を確認し、必要な時間帯（例：20:00〜8:00）に変更いただくようお伝えください。あわせて、同じ画面の「モバイルプッシュ」で通知の種類がオンになっているかもご確認ください。

参考：https://help.tsunagu.example/articles/notifications

よろしくお願いいたします。"""),

# ---------- KB-BUG-4: Japanese IME Enter in Safari submits title early ----------

T("acct_0008", B, "email", "2026-01-29 15:40", "タスク名の入力中に勝手に登録されてしまう",
"""お世話になっております。さくらウェブの岡田です。

Mac の Safari で、タスク名を日本語で入力していると、
変換を確定するためにEnterを押した瞬間にタスクが登録されてしまいます。
例えば「見積書作成」と入力したいのに「みつもりしょ」のような状態で登録されます。
Chromeでは起きないようです。

よろしくお願いいたします。""",
"""岡田様

お世話になっております。Tsunaguサポートの佐藤でございます。
ご不便をおかけしており申し訳ございません。

Safariで日本語入力（IME）の変換確定のEnterが、タスク名の確定として扱われてしまう既知の不具合（KB-BUG-4）でございます。現在修正に取り組んでおります。

修正までの回避策は以下のとおりです。
・Google Chrome（またはEdge、Firefox）をご利用いただく
・Safariをご利用の場合は、変換確定後にもう一度Enterを押す（変換確定のEnterの後、改めてEnterで登録）運用にしていただく
　※変換中の状態で登録されてしまった場合は、タスク名をクリックして修正いただけます

修正がリリースされましたら、ヘルプセンターの「既知の問題」ページでお知らせいたします。

よろしくお願いいたします。"""),

T("acct_0028", B, "chat", "2026-02-20 10:12", None,
"""Safariで日本語のタスク名打ってると変換途中で確定されちゃうんですけどバグですか？""",
"""はい、Safariでの既知の不具合です。申し訳ございません。修正中ですので、それまではChromeをお使いいただくか、Safariの場合は変換を確定したあともう一度Enterを押していただく形で回避できます（変換確定のEnterでは登録されないよう、Enterを2回押すイメージです）。"""),

T("acct_0043", B, "web_form", "2026-03-27 17:05", "",
"""iPadのSafariでタスクを作るとき、ひらがなの途中で保存されます。これ直りますか？""",
"""お問い合わせありがとうございます。Tsunaguサポートでございます。

iPadのSafariを含め、Safariで日本語変換の確定（Enter／改行）がタスク名の確定として扱われる既知の不具合でございます。修正に向けて開発中です。

当面の回避策は以下のとおりです。
・iPadでは、ブラウザではなくTsunaguのiPadアプリ（iPadOS 16以降）をご利用いただく（アプリでは発生しません）
・Safariの場合は、変換を確定したあとにもう一度Enterを押して登録する

ご不便をおかけしますが、よろしくお願いいたします。"""),

T("acct_0016", B, "email", "2026-05-14 11:20", "Safari IMEの件（社内展開について）",
"""お世話になっております。ひかりソフトの加藤です。

社内の約半数がMacのSafariを標準ブラウザとしており、
タスク名が変換途中で登録される件で問い合わせが多数来ています。
修正の予定時期を教えていただけますでしょうか。
社内向けに周知文を出したいと考えております。""",
"""加藤様

お世話になっております。Tsunaguサポートの田中でございます。
社内でのお問い合わせ対応のお手数をおかけし、申し訳ございません。

Safariでの日本語入力（IME）の変換確定でタスク名が途中で登録される不具合（KB-BUG-4）につきましては、現在修正中で、2026年9月のリリース（2026.09）で修正予定となっております。日程が確定しましたら改めてご連絡いたします。

社内周知用に、回避策を以下にまとめました。そのままご利用いただいて差し支えございません。

―――
【Tsunagu：Safariでタスク名が変換途中で登録される件】
Safariで日本語を入力中、変換確定のEnterでタスク名が登録されてしまう場合があります（Tsunagu社にて修正予定）。
修正までは以下のいずれかで回避してください。
・Google ChromeまたはMicrosoft Edgeを使う
・Safariでは、変換確定のEnterのあと、もう一度Enterを押して登録する
・途中で登録されてしまった場合は、タスク名をクリックして修正する
―――

よろしくお願いいたします。"""),

T("acct_0056", B, "email", "2026-06-22 13:48", "Japanese input bug in Safari",
"""Hi,

Half our team writes task titles in Japanese. On Safari, pressing Enter to pick a kanji conversion saves the task with half-converted text like 「かいぎ資料」. Chrome is fine. Known? ETA?

Thanks,
Haruto Fujimoto (Kinoko Games)""",
"""Hi Haruto,

Yes, it's a known issue (KB-BUG-4): in Safari, the Enter key that confirms an IME conversion is also treated as "submit" for task titles. It's scheduled to be fixed in release 2026.09 (September).

Until then, either use Chrome, or in Safari press Enter a second time after confirming the conversion (the first Enter confirms the kanji, the second saves the title). Titles that got saved half-converted can be fixed by clicking on them.

Best,
Maya"""),

T("acct_0034", B, "chat", "2026-08-27 16:00", "",
"""Safariの変換Enter問題、9月に直るって聞いたんですがまだですか？""",
"""お待たせしており申し訳ございません。修正は2026.09リリースに含まれており、9月上旬〜中旬の公開を予定しております。公開されましたらヘルプセンターの「既知の問題」ページでお知らせします。それまではChromeをご利用いただくか、Safariでは変換確定後にもう一度Enterを押してご登録ください。"""),

T("acct_0049", B, "email", "2026-09-24 10:30", "Safariでまだ変換途中で登録されます",
"""お世話になっております。ツバサ出版の吉田です。

9月のリリースで修正されたと伺ったのですが、
編集部のMac（Safari）でまだ変換途中でタスクが登録されてしまうそうです。
確認いただけますでしょうか。""",
"""吉田様

お世話になっております。Tsunaguサポートの佐藤でございます。

Safariでの日本語変換確定の不具合（KB-BUG-4）は、9月15日公開の2026.09リリースで修正済みでございます。
まだ発生する場合は、Safariが古いバージョンのTsunaguを読み込んだままになっている可能性がございます。以下をお試しください。

1. Tsunaguのタブをすべて閉じ、Safariを一度終了（⌘Q）してから再度開く
2. それでも改善しない場合は、Safari >「設定」>「プライバシー」>「Webサイトデータを管理」で「tsunagu.example」を削除し、再ログインする

画面右上のアバターメニュー >「ヘルプ」>「バージョン情報」で「2026.09」以降と表示されていれば、修正版が読み込まれております。
上記をお試しいただいても発生する場合は、macOSとSafariのバージョンをお知らせいただけますと幸いです。

よろしくお願いいたします。"""),

T("acct_0031", B, "email", "2026-10-02 14:10", "コメント欄でも同じ現象があります",
"""お世話になっております。ミライ教育の西村です。

Safariのタスク名の件、9月のアップデートで直ったことを確認しました。ありがとうございます。
ただ、サブタスクのタイトルを入力するときに同じ現象（変換中のEnterで登録される）が起きています。
こちらも修正いただけますでしょうか。""",
"""西村様

お世話になっております。Tsunaguサポートの中村でございます。
ご報告いただきありがとうございます。

こちらで再現を確認いたしました。2026.09の修正はタスク名の入力欄に適用されておりましたが、タスク詳細画面の「サブタスクを追加」の入力欄には適用されておりませんでした。エンジニアチームに報告済みで、10月のリリース（2026.10）で修正予定でございます。

それまでの間は、お手数ですが以下のいずれかで回避をお願いいたします。
・サブタスク入力時は、変換確定後にもう一度Enterを押して登録する
・Chromeをご利用いただく

ご不便をおかけし申し訳ございません。修正が完了しましたらご連絡いたします。

よろしくお願いいたします。"""),

]
