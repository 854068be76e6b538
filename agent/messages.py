"""Customer-facing sentences, in English and Japanese, keyed by reason code."""

from __future__ import annotations

from agent.types import ReasonCode

#: How Japanese drafts are signed when nothing else is configured (settings.signature_ja).
DEFAULT_SIGNATURE_JA = "サポートチーム"

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
        "en": "I am sorry for the trouble. I have asked our team to look at this personally.",
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
    ReasonCode.REPEATED_QUESTION: {
        "en": "My answers do not seem to have helped, so I have passed this conversation to "
              "a person on our team.",
        "ja": "これまでのご案内では解決できていないようですので、この会話を担当者に引き継ぎました。",
    },
}

#: What a low-confidence hand-over tells a customer who asked to buy more (an expansion signal
#: was raised): their request went to the team, not "no answer was found".
REQUEST_SENTENCE = {
    "en": "I have passed your request to our team.",
    "ja": "ご依頼の内容を担当チームに引き継ぎました。",
}

#: What a draft says for each reason, before the passage that may answer the question. A draft
#: is a reply an agent can send after checking it: it says nothing the agent has not done
#: ("I've reproduced the steps") and leaves no gap to fill ("I've looked into ... and ...").
DRAFT_BODY: dict[ReasonCode, dict[str, str]] = {
    ReasonCode.LOW_CONFIDENCE: {
        "en": "Thank you for your question. Here is what I found that may help.",
        "ja": "お問い合わせいただきありがとうございます。関連する案内をお送りいたします。",
    },
    ReasonCode.HUMAN_REQUESTED: {
        "en": "Thank you for getting in touch; I'm happy to help with this personally.",
        "ja": "お問い合わせいただきありがとうございます。担当者よりご案内いたします。",
    },
    ReasonCode.BUG_REPORT: {
        "en": "Thank you for reporting this, and I'm sorry for the trouble. I've passed the "
              "details to our engineers. To help them reproduce it, could you tell us the steps "
              "you took, what you expected to happen and what happened instead, any error "
              "message you saw, and which browser or app version you use? We'll update you "
              "here as soon as we know more.",
        "ja": "ご報告いただきありがとうございます。ご不便をおかけして申し訳ございません。"
              "いただいた内容を開発チームに共有いたしました。再現のため、操作の手順、期待した動作と"
              "実際の動作、表示されたエラーメッセージ、ご利用のブラウザまたはアプリのバージョンを"
              "お知らせいただけますでしょうか。進捗がありしだい、こちらでご連絡いたします。",
    },
    ReasonCode.SENSITIVE_TOPIC: {
        "en": "Thank you for your message. A member of our team will look at your request "
              "personally. Could you confirm your workspace name so that we can find your "
              "account?",
        "ja": "ご連絡いただきありがとうございます。ご依頼の内容は担当者が個別に確認いたします。"
              "お手数ですが、ワークスペース名をお知らせいただけますでしょうか。",
    },
    ReasonCode.NEGATIVE_SENTIMENT: {
        "en": "I'm sorry for the frustration this has caused, and thank you for telling us.",
        "ja": "お問い合わせいただきありがとうございます。ご不便とご心配をおかけしており、大変申し訳ございません。",
    },
    ReasonCode.POLICY: {
        "en": "Thank you for your message. This is handled by our account team, who will "
              "reply to you directly.",
        "ja": "ご連絡いただきありがとうございます。本件はアカウント担当チームより直接ご連絡いたします。",
    },
}

#: A draft for a reason without its own text.
DEFAULT_DRAFT = {
    "en": "Thank you for your message. Could you tell me a little more about what you are "
          "trying to do, so that I can help?",
    "ja": "ご連絡いただきありがとうございます。状況をもう少し詳しくお知らせいただけますでしょうか。",
}

#: The draft of a low-confidence escalation when nothing found is about the question: a reply
#: the agent completes, not an unrelated article to send by mistake.
NOTHING_FOUND_DRAFT = {
    "en": "Thank you for your question. I could not find this in our help centre, so I am "
          "checking it with the team and will reply here as soon as I can.",
    "ja": "お問い合わせいただきありがとうございます。ヘルプセンターに該当するご案内が見つからなかったため、"
          "担当者が確認のうえ、こちらでご回答いたします。",
}

#: Before a passage quoted into a draft.
FOUND_IN = {"en": "From our help centre article \"{title}\":",
            "ja": "ヘルプセンターの記事「{title}」より:"}


def draft_body(reason: ReasonCode, language: str, *, found: bool) -> str:
    """Return the opening of an escalation's draft for a reason, in a language; a
    low-confidence escalation with nothing to quote gets NOTHING_FOUND_DRAFT (not "here is
    what I found" followed by nothing)."""
    if reason == ReasonCode.LOW_CONFIDENCE and not found:
        return NOTHING_FOUND_DRAFT[language]
    return DRAFT_BODY.get(reason, DEFAULT_DRAFT)[language]
