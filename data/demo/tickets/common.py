Q, B, S = "usage_question", "bug", "success_opportunity"

def T(acct, tag, ch, at, subj, body, res, **kw):
    d = dict(acct=acct, tag=tag, ch=ch, at=at, subj=subj, body=body, res=res)
    d.update(kw)
    return d
