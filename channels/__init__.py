"""Channels: where customers already write (a help desk, e-mail) and how Kotae answers there."""

# One internal conversation model (channels.model), one set of hand-over rules for every
# channel including the widget (channels.handoff), one runner that works channel events off
# the durable outbox (channels.runner), and one module per channel (channels.chatwoot): a new
# channel is one file that parses its events and speaks its API.
