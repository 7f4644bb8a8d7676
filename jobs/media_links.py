"""`GET /media/<token>`: serves a local file behind an expiring signed link (`core.services.library.links`).

Mounted in the receiver app of `python -m jobs.webhooks`; `media_base_url` says where it
runs. The signature and expiry are checked first, then the user the link was made for
must still be allowed to see the file: a link for a file of a project the user has left,
or for someone else's file, is refused like a forged one.
"""

from __future__ import annotations

import logging
import mimetypes

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from core.errors import NotFound, PermissionDenied
from core.ports_services import Services
from core.services.library import links
from core.services.talking import gallery

logger = logging.getLogger(__name__)


def media_routes(services: Services) -> list[Route]:
    async def serve(request: Request) -> Response:
        token = request.path_params["token"]
        secret = services.settings.link_signing_secret.get_secret_value()
        try:
            claims = links.read_token(token, secret=secret)
            data = await run_in_threadpool(gallery.media_bytes, claims.key, user_id=claims.user_id, services=services)
        except links.LinkExpired as exc:
            return JSONResponse({"error": exc.code, "message": exc.message}, status_code=410)
        except PermissionDenied as exc:
            logger.warning("refused a media link: %s", exc.message)
            return JSONResponse({"error": exc.code, "message": exc.message}, status_code=403)
        except NotFound as exc:
            return JSONResponse({"error": exc.code, "message": exc.message}, status_code=404)
        media_type = mimetypes.guess_type(claims.key)[0] or "application/octet-stream"
        return Response(data, media_type=media_type, headers={"Cache-Control": "private, max-age=60"})

    return [Route("/media/{token}", serve, methods=["GET"])]
