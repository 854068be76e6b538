"""The HTTP service api.py builds: routes by resource, their dependencies, schemas, guards and wiring."""
