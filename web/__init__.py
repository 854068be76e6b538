"""Static files service/web.py serves: the chat widget, the agents' console and the demo page."""

# A package only so that a wheel installs them next to service/ (see pyproject's package-data).
