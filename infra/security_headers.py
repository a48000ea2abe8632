"""Security headers on every response, and the one place to adjust them per route.

- Content-Security-Policy: scripts, styles and fetches only from this site, no inline
  script or style (the templates keep theirs in static files), no plugins, forms post
  only here, and no other site may frame a page (clickjacking).
- X-Content-Type-Options: nosniff, so an upload or a reply is never run as a script.
- Referrer-Policy: console and API paths (handoff and order numbers) stay on this site.
- Cache-Control: no-store on everything but static files: console pages, API answers
  and chat hold customers' data, which no shared or browser cache should keep.

A header a view sets itself is left alone. Nothing here stops a shop's page loading
one of our scripts with a `<script src>` tag (CSP applies to documents, not to the
scripts they load; no Cross-Origin-Resource-Policy is sent). A route that is meant to
be embedded (the web chat under /chat) adjusts its policy in `policy_for`, nowhere else.
"""

from __future__ import annotations

from flask import Flask, Response, request

BASE_POLICY: dict[str, str] = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "connect-src": "'self'",
    "form-action": "'self'",
    "base-uri": "'none'",
    "object-src": "'none'",
    "frame-ancestors": "'none'",
}


def policy_for(path: str) -> dict[str, str]:
    """The CSP directives for a response to `path`: the place for per-route changes.

    E.g. a chat page shops may frame: `{**BASE_POLICY, "frame-ancestors": "https://shop.example"}`
    for paths starting with /chat.
    """
    return BASE_POLICY


def headers_for(path: str, *, static: bool) -> dict[str, str]:
    policy = "; ".join(f"{name} {value}" for name, value in policy_for(path).items())
    headers = {
        "Content-Security-Policy": policy,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
    }
    if not static:
        headers["Cache-Control"] = "no-store"
    return headers


def register(app: Flask) -> None:
    @app.after_request
    def _add_security_headers(response: Response) -> Response:
        static = (request.endpoint or "").rpartition(".")[2] == "static"
        for name, value in headers_for(request.path, static=static).items():
            response.headers.setdefault(name, value)
        return response
