"""Conversations: their tokens (stored hashed) and their messages."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import ConversationRow, MessageRow
from storage.repo.base import get_or_raise, sha256_hex


def new_conversation_token() -> str:
    """Return a fresh conversation token for the widget."""
    return secrets.token_urlsafe(32)


def derived_conversation_token(idempotency_key: str, conversation_id: str) -> str:
    """Return the token of a conversation created by a request with this Idempotency-Key.

    Only the token's hash is stored; deriving it lets a retried request be given the
    same token again. The key is required to be long and random, so this is as hard
    to guess as a random token.
    """
    mac = hmac.new(
        idempotency_key.encode(), f"kotae-conversation:{conversation_id}".encode(), hashlib.sha256
    )
    return mac.hexdigest()


def token_matches(conversation: ConversationRow, token: str | None) -> bool:
    """Return whether token is this conversation's token (constant-time comparison)."""
    if not token:
        return False
    return hmac.compare_digest(sha256_hex(token), conversation.token_hash)


def get_conversation(session: Session, conversation_id: str) -> ConversationRow:
    """Return a conversation or raise NotFoundError."""
    return get_or_raise(
        session,
        ConversationRow,
        conversation_id,
        "conversation",
        hint="omit conversation_id to start a new conversation",
    )


def conversation_messages(session: Session, conversation_id: str) -> list[MessageRow]:
    """Return a conversation's messages in the order they were written."""
    return list(
        session.scalars(
            select(MessageRow)
            .where(MessageRow.conversation_id == conversation_id)
            .order_by(MessageRow.id)
        )
    )
