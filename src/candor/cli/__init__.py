"""The ``candor`` command line: thin. Parse, call one library function, render."""

from candor.cli._app import app, main

__all__ = ["app", "main"]
