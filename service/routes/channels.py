"""Routes for help desks and mailboxes calling in: signed webhooks, acknowledged at once.

A webhook is verified, stored in the outbox and acknowledged; channels.runner answers it in
the background (Chatwoot gives a bot 5 s, and opens the conversation for people when a
delivery fails). These routes take no API key: the channel's signature is the credential.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from channels.model import Channel, SignatureError
from channels.runner import enqueue
from errors import AuthenticationError, InputError, NotFoundError
from service.deps import ServicesDep
from service.errors import ERROR_RESPONSES
from service.wiring import in_thread

log = logging.getLogger("kotae.channels")

router = APIRouter()


def _channel(services: ServicesDep, name: str) -> Channel:
    runner = services.channels
    if runner is None or name not in runner.channels:
        raise NotFoundError(f"the {name} channel is not configured",
                            hint="see docs/CHANNELS.md for its settings")
    return runner.channels[name]


async def _receive(services: ServicesDep, request: Request, name: str) -> JSONResponse:
    channel = _channel(services, name)
    body = await request.body()
    try:
        channel.verify(request.headers, body)
    except SignatureError as exc:
        # Nothing is stored for a request that is not the channel's.
        raise AuthenticationError(str(exc), hint="check the shared secret on both sides"
                                  ) from exc
    try:
        payload: Any = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"the body is not JSON: {exc}") from exc
    if not isinstance(payload, dict):
        raise InputError("the body must be a JSON object")
    delivery = channel.delivery_id(request.headers, body)

    def store() -> bool:
        with services.db.session() as session:
            return enqueue(session, channel.name, delivery, payload)

    stored = await in_thread(store)
    assert services.channels is not None  # _channel found it
    if stored:
        services.channels.wake()
    return JSONResponse({"status": "accepted" if stored else "duplicate",
                         "delivery_id": delivery})


@router.post(
    "/v1/channels/chatwoot",
    tags=["channels"],
    responses={**ERROR_RESPONSES, 200: {"description": "stored; answered in the background"}},
)
async def chatwoot_webhook(request: Request, services: ServicesDep) -> JSONResponse:
    """Receive a Chatwoot Agent Bot event (signed with the bot's secret)."""
    return await _receive(services, request, "chatwoot")




@router.post(
    "/v1/channels/email",
    tags=["channels"],
    responses={**ERROR_RESPONSES, 200: {"description": "stored; answered in the background"}},
)
async def inbound_email(request: Request, services: ServicesDep) -> JSONResponse:
    """Receive an inbound e-mail (Postmark's JSON shape; Basic credentials in the URL)."""
    return await _receive(services, request, "email")


@router.post(
    "/v1/channels/zendesk",
    tags=["channels"],
    responses={**ERROR_RESPONSES, 200: {"description": "stored; answered in the background"}},
)
async def zendesk_webhook(request: Request, services: ServicesDep) -> JSONResponse:
    """Receive a Zendesk trigger's webhook (signed with the webhook's signing secret)."""
    return await _receive(services, request, "zendesk")
