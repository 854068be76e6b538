"""Static files api.py serves: the chat widget, the agents' console and the demo page.

A package only so that a wheel installs them next to api.py (see pyproject's package-data).
"""
