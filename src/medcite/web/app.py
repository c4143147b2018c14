"""``medcite serve``: the JSON API and the server-rendered pages, in one ASGI app."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources

from anyio import to_thread
from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from medcite import __version__
from medcite.config import Settings
from medcite.web import api, pages
from medcite.web.engine import Engine
from medcite.web.errors import install_error_handlers
from medcite.web.middleware import BodyLimitMiddleware, SecurityHeadersMiddleware

log = logging.getLogger("medcite.web")


def create_app(settings: Settings | None = None, *, engine: Engine | None = None) -> FastAPI:
    """Build the app. The engine (store connections, composer) is opened here and loaded at
    start-up, so the first question does not pay for loading the vocabulary."""
    settings = settings or Settings()
    engine = engine or Engine(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Sync endpoints run in anyio's thread pool (40 threads by default): bounded, so memory
        # (a composer and a connection per thread) is, and waiting requests queue in order.
        to_thread.current_default_thread_limiter().total_tokens = engine.settings.server_threads
        if not engine.load():
            log.warning("the store is empty: run `medcite ingest --default`; /readyz says 503")
        yield
        engine.close()

    app = FastAPI(
        title="medcite",
        version=__version__,
        description="Evidence-backed medical answers in which every sentence is cited.",
        lifespan=lifespan,
        docs_url=None,  # Swagger UI loads from a CDN; the spec itself is at /openapi.json
        redoc_url=None,
    )
    app.state.engine = engine
    install_error_handlers(app)
    app.include_router(api.health)
    app.include_router(api.router)
    pages.install(app)
    static = resources.files("medcite.web").joinpath("static")
    icon = str(static.joinpath("favicon.svg"))

    # Pages link the icon, but browsers and tools still ask for /favicon.ico by name.
    @app.api_route("/favicon.ico", methods=["GET", "HEAD"], include_in_schema=False)
    def favicon() -> FileResponse:
        return FileResponse(
            icon, media_type="image/svg+xml", headers={"cache-control": "public, max-age=86400"}
        )

    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_request_bytes)
    app.add_middleware(SecurityHeadersMiddleware)
    return app
