"""Small helpers every blueprint uses to reach the app's shared objects."""

from __future__ import annotations

from flask import current_app

from db import Database
from settings import Settings


def database() -> Database:
    return current_app.extensions["db"]


def settings() -> Settings:
    return current_app.extensions["settings"]
