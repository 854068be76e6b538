"""Customer-facing sentences, in English and Japanese, keyed by reason code."""

from __future__ import annotations

from agent.types import ReasonCode

REASON_SENTENCE: dict[ReasonCode, dict[str, str]] = {
    ReasonCode.LOW_CONFIDENCE: {
        "en": "I could not find a reliable answer in our help centre, so I have passed your "
              "question to our team.",
        "ja": "ヘルプセンターに確実な回答が見つからなかったため、担当チームにお問い合わせを引き継ぎました。",
    },
    ReasonCode.HUMAN_REQUESTED: {
        "en": "You asked to talk to a person, so I have passed this conversation to our team.",
        "ja": "担当者との対応をご希望とのことですので、この会話をサポートチームに引き継ぎました。",
    },
    ReasonCode.BUG_REPORT: {
        "en": "This looks like a problem in the product that our engineers need to look at; "
              "I have passed it on with the details you gave.",
        "ja": "製品の不具合の可能性があるため、いただいた内容とともに担当エンジニアに引き継ぎました。",
    },
    ReasonCode.SENSITIVE_TOPIC: {
        "en": "Requests like this are handled personally by our team.",
        "ja": "このようなご依頼は担当者が個別に対応しております。",
    },
    ReasonCode.NEGATIVE_SENTIMENT: {
        "en": "I am sorry for the trouble. I have asked a member of our team to look at this "
              "personally.",
        "ja": "ご不便をおかけして申し訳ございません。担当者が直接確認いたします。",
    },
    ReasonCode.INJECTION_ATTEMPT: {
        "en": "I cannot act on this message as written, so I have passed it to our team.",
        "ja": "このメッセージにはこのままでは対応できないため、担当チームに引き継ぎました。",
    },
    ReasonCode.LLM_UNAVAILABLE: {
        "en": "Our assistant is unavailable right now, so I have passed your question to our team.",
        "ja": "現在アシスタントが利用できないため、担当チームにお問い合わせを引き継ぎました。",
    },
    ReasonCode.POLICY: {
        "en": "This kind of request is handled by our team.",
        "ja": "このご依頼は担当チームが対応いたします。",
    },
}

DRAFT_BODY: dict[ReasonCode, dict[str, str]] = {
    ReasonCode.BUG_REPORT: {
        "en": "I'm sorry you ran into this. I've reproduced the steps you described and passed "
              "them to our engineers; I'll update you here as soon as I hear back.",
        "ja": "ご不便をおかけして申し訳ございません。ご報告いただいた手順を確認し、開発チームに共有いたしました。"
              "進捗がありしだい、こちらでご連絡いたします。",
    },
    ReasonCode.SENSITIVE_TOPIC: {
        "en": "I've looked into your request and ...",
        "ja": "ご依頼の件について確認いたしました。",
    },
}

DEFAULT_DRAFT = {
    "en": "I've looked into your question and ...",
    "ja": "お問い合わせの件について確認いたしました。",
}

SEE_ALSO = {"en": "This article may help:", "ja": "次の記事が参考になる可能性があります:"}
