import glob, importlib.util, json, os, re, sys
from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from accounts import ACCOUNTS

# en tickets whose resolution legitimately contains a Japanese term
MIXED_OK = {("acct_0056", "2026-09-16 10:05"), ("acct_0060", "2026-05-19 10:02"), ("acct_0030", "2026-05-13 10:20"), ("acct_0056", "2026-02-27 12:30")}
JA = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
all_t = []
for f in sorted(glob.glob(os.path.join(HERE, "batch_*.py"))):
    spec = importlib.util.spec_from_file_location(os.path.basename(f)[:-3], f)
    m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
    for t in m.TICKETS:
        t["_src"] = os.path.basename(f)
        all_t.append(t)

errs = []
def key(t):
    return t["at"]
all_t.sort(key=key)
out = []
for i, t in enumerate(all_t):
    acct = t["acct"]
    company, plan, lang, seats, tz = ACCOUNTS[acct]
    dt = datetime.strptime(t["at"], "%Y-%m-%d %H:%M").replace(tzinfo=ZoneInfo(tz))
    if not (datetime(2026,1,1,tzinfo=ZoneInfo(tz)) <= dt < datetime(2026,11,1,tzinfo=ZoneInfo(tz))):
        errs.append(("date", t["_src"], t["at"]))
    if t["tag"] not in ("bug", "usage_question", "success_opportunity"):
        errs.append(("tag", t["_src"], t["tag"]))
    if t["ch"] not in ("email", "chat", "web_form"):
        errs.append(("ch", t["_src"], t["ch"]))
    has_ja_body = bool(JA.search(t["body"])); has_ja_res = bool(JA.search(t["res"]))
    if lang == "ja" and not (has_ja_body and has_ja_res):
        errs.append(("lang-ja", t["_src"], t["body"][:40]))
    if lang == "en" and has_ja_res and (acct, t["at"]) not in MIXED_OK:
        errs.append(("lang-en", t["_src"], t["body"][:40]))
    rec = {"id": f"T-{10001+i}"}
    if t.get("subj") is not None:
        rec["subject"] = t["subj"]
    rec.update({"body": t["body"].strip("\n"), "resolution": t["res"].strip("\n"), "tag": t["tag"],
                "created_at": dt.isoformat(timespec="minutes") if False else dt.strftime("%Y-%m-%dT%H:%M:00%z")[:-2] + ":" + dt.strftime("%z")[-2:],
                "account_id": acct, "plan": plan, "language": lang, "channel": t["ch"]})
    out.append(rec)

if errs:
    for e in errs: print("ERR", e)
dup = [k for k, v in Counter(r["body"] for r in out).items() if v > 1]
if dup: print("DUP bodies", len(dup))
with open(os.path.join(HERE, "..", "tickets.jsonl"), "w", encoding="utf-8") as fh:
    for r in out:
        fh.write(json.dumps(r, ensure_ascii=False) + "\n")
used = sorted({r["account_id"] for r in out})
with open(os.path.join(HERE, "..", "accounts.json"), "w", encoding="utf-8") as fh:
    json.dump([{"account_id": a, "company": ACCOUNTS[a][0], "plan": ACCOUNTS[a][1], "language": ACCOUNTS[a][2], "seats": ACCOUNTS[a][3]} for a in used], fh, ensure_ascii=False, indent=2)
    fh.write("\n")
print("total", len(out))
print("tags", Counter(r["tag"] for r in out))
print("lang", Counter(r["language"] for r in out))
print("chan", Counter(r["channel"] for r in out))
print("accounts", len(used), "missing", sorted(set(ACCOUNTS) - set(used)))
print("per-month", sorted(Counter(r["created_at"][:7] for r in out).items()))
print("per-file", Counter(t["_src"] for t in all_t))
print("acct counts", sorted(Counter(r["account_id"] for r in out).items(), key=lambda x: -x[1])[:10])
