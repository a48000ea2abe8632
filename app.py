"""The order assistant: `create_app()` and the command line. Wiring only.

python app.py              serve the demo on http://127.0.0.1:5000 (SQLite by default)
python app.py --help       every other command
gunicorn 'app:create_app()'  production, beside `python app.py worker`
"""

from __future__ import annotations

import logging
import os
import secrets
import sys
from pathlib import Path

import click
from flask import Flask, jsonify, request
from flask.cli import FlaskGroup, ScriptInfo
from sqlalchemy import text
from werkzeug.exceptions import HTTPException
from werkzeug.serving import WSGIRequestHandler, run_simple

import api
import backoffice
import bot
import channels
import handoff
import store
from api.auth import create_token
from api.errors import error_response
from conversations import demo as handoff_demo
from entrypoints import worker
from entrypoints.bootstrap import Wiring, bootstrap
from entrypoints.cli import register_commands as register_channel_commands
from infra import cli_logging, heap, input_guard, migrate, security_headers
from infra.db import Database
from infra.settings import Settings, load_settings
from infra.web import NoSessionForWebhooks
from orders import demo, pickup_sweeper
from orders.csv_import import IMPORTERS
from orders.errors import DomainError

log = logging.getLogger("orders")
# HTTP clients log each request's URL and python-telegram-bot its API URL, both of which
# carry the bot token; Twilio's client logs request headers. Secrets never reach the log.
QUIET_LOGGERS = ("httpx", "httpcore", "telegram", "twilio.http_client")


def _running_in_production() -> bool:
    """gunicorn imports us: a per-process random key would break sessions across workers."""
    return "gunicorn" in sys.modules


def create_app(
    settings: Settings | None = None,
    *,
    migrate_on_start: bool = True,
    wiring: Wiring | None = None,
) -> Flask:
    """The web app on `bootstrap(settings)`, or on a `wiring` the caller made (a test that
    injects its senders or payment gateway)."""
    wiring = wiring or bootstrap(settings or load_settings())
    settings = wiring.settings
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    if not settings.secret_key:
        if _running_in_production():
            raise RuntimeError("SECRET_KEY must be set in production (any long random string).")
        settings = settings.model_copy(update={"secret_key": secrets.token_hex(32)})
    app = Flask(__name__, instance_path=str(Path.cwd() / "instance"))
    app.session_interface = NoSessionForWebhooks()
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.public_base_url.startswith("https://"),
        MAX_CONTENT_LENGTH=1024 * 1024,
    )
    database = wiring.database
    app.extensions["wiring"] = wiring
    app.extensions["db"] = database
    if migrate_on_start:
        migrate.upgrade(database)
        settings = name_the_shop(settings, database)
    use_settings(app, settings)

    app.extensions["background_tasks"] = [
        lambda: pickup_sweeper.start(database, wiring.settings),
        lambda: worker.start(wiring),
    ]
    input_guard.register(app)
    security_headers.register(app)
    api.register(app)
    _register_core_routes(app)
    _register_commands(app)
    channels.register(app)
    register_channel_commands(app)
    bot.register(app)
    handoff.register(app)
    store.register(app)
    backoffice.register(app)
    if _running_in_production():  # not in tests, whose apps come and go
        heap.freeze_startup_objects()
    return app


def use_settings(app: Flask, settings: Settings) -> None:
    """From now on the app, and everything its wiring runs (the notices), use `settings`."""
    app.extensions["wiring"].settings = settings
    app.extensions["settings"] = settings


def name_the_shop(settings: Settings, database: Database) -> Settings:
    """The settings with the shop's name: STORE_NAME, else the demo's where the demo's
    catalog is loaded; else none (the bot says "the shop", see `conversations.texts.shop_name`),
    with a warning (an empty catalog is not warned about: `python app.py` is about to
    seed the demo into it)."""
    if settings.store_name:
        return settings
    with database.reading() as session:
        if demo.installed(session):
            return settings.model_copy(update={"store_name": demo.NAME})
        if not demo.catalog_is_empty(session):
            log.warning("STORE_NAME is not set: customers are told about 'the shop'.")
    return settings


def _register_core_routes(app: Flask) -> None:
    @app.get("/healthz")
    def healthz():  # type: ignore[no-untyped-def]
        try:
            with app.extensions["db"].engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception:  # any failure to reach the database means "not healthy"
            log.exception("health check failed")
            return jsonify({"status": "unavailable"}), 503
        return jsonify({"status": "ok"})

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):  # type: ignore[no-untyped-def]
        if request.path.startswith("/api/"):
            code = (exc.name or "error").lower().replace(" ", "_")
            return error_response(exc.code or 500, code, exc.description or "")
        return exc

    @app.errorhandler(DomainError)
    def _domain_error(exc: DomainError):  # type: ignore[no-untyped-def]
        return error_response(exc.http_status, exc.code, exc.message)


def _register_commands(app: Flask) -> None:
    @app.cli.group("db")
    def db_group() -> None:
        """Database schema."""

    @db_group.command("upgrade")
    def db_upgrade() -> None:
        """Apply migrations to DATABASE_URL."""
        migrate.upgrade(app.extensions["db"])
        click.echo("Database is up to date.")

    @app.cli.command("seed-demo")
    def seed_demo() -> None:
        """Load the demo store (does nothing if there are products already)."""
        if not seed(app):
            click.echo("The catalog has products; left as it is.")

    @app.cli.command("import")
    @click.argument("kind", type=click.Choice(sorted(IMPORTERS)))
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    def import_csv(kind: str, file: Path) -> None:
        """Load or update catalog, locations or stock from a CSV file."""
        try:
            with app.extensions["db"].transaction() as session:
                count = IMPORTERS[kind](session, file.read_bytes())
        except DomainError as exc:
            raise click.ClickException(exc.message) from exc
        click.echo(f"Imported {count} {kind} row(s) from {file}.")

    @app.cli.command("create-api-token")
    @click.argument("name")
    @click.option(
        "--location", "locations", multiple=True, help="Limit it to this location (repeatable)."
    )
    def create_api_token(name: str, locations: tuple[str, ...]) -> None:
        """Print a new API token (only its digest is stored)."""
        try:
            with app.extensions["db"].transaction() as session:
                token = create_token(session, name, locations=locations)
        except DomainError as exc:
            raise click.ClickException(exc.message) from exc
        click.echo(token)

    @app.cli.command("pickups-sweep")
    def pickups_sweep() -> None:
        """Remind about uncollected pickups once, cancel those past the expiry (for cron)."""
        result = pickup_sweeper.sweep_once(app.extensions["db"], app.extensions["settings"])
        click.echo(f"Reminded {len(result.reminded)}, cancelled {len(result.cancelled)}.")


def _base_url() -> str:
    return f"http://{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '5000')}"


def seed(app: Flask) -> bool:
    """Seed the demo store and its console, printing the demo logins; False if already seeded."""
    with app.extensions["db"].transaction() as session:
        if not demo.seed(session):
            return False
        logins = handoff_demo.seed(session)
    settings = app.extensions["settings"]
    if not settings.store_name:  # unnamed: the demo's name now
        use_settings(app, settings.model_copy(update={"store_name": demo.NAME}))
    click.echo(f"Seeded the demo store '{app.extensions['settings'].store_name}'.")
    if logins:
        click.echo(handoff_demo.describe(logins, _base_url()))
    return True


class QuietRequestHandler(WSGIRequestHandler):
    """The demo server's handler, without Werkzeug's and Python's versions in every answer."""

    def version_string(self) -> str:
        return "order-assistant"


def serve(app: Flask) -> None:
    seed(app)
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "5000"))
    for start in app.extensions["background_tasks"]:
        start()
    click.echo(f"Serving on http://{host}:{port}  (API at /api/v1, health at /healthz)")
    heap.freeze_startup_objects()
    # Not app.run(): Flask ignores it inside a CLI command, and this is one.
    run_simple(host, port, app, threaded=True, request_handler=QuietRequestHandler)


@click.group(
    cls=FlaskGroup, create_app=create_app, invoke_without_command=True, add_version_option=False
)
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Order assistant. With no command, serve the demo."""
    if ctx.invoked_subcommand is None:
        serve(ctx.ensure_object(ScriptInfo).load_app())


def main() -> None:
    """`python app.py …`, and the `order-assistant` command of an installed package."""
    cli_logging.configure()
    cli()


if __name__ == "__main__":
    main()
