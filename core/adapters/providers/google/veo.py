"""Image-to-video on Google Veo through the Gemini API's REST long-running operations.

google-genai 3.x refuses Veo with an API key (providers.md section 0), so this speaks
REST: `models/{m}:predictLongRunning`, then `GET {operation name}` until `done`. The video
is then downloaded the way the SDK's `files.download` does it: the file id is taken from
the returned URI and fetched from `{configured base}/{version}/files/{id}:download`, so
the key goes only to the configured Google host (a proxy or stub included), never to
whatever host a URI names. The request id is the operation name.

Continuity (issue 18), in the request shape google-genai's converters write for
`GenerateVideosConfig.last_frame` / `reference_images` and `GenerateVideosSource.video`
(providers.md 5.3): `instances[0].lastFrame` (an image like `image`), `instances[0].referenceImages`
(`[{image, referenceType}]`, at most three) and, to extend a video Veo made, `instances[0].video`
`{uri}` with no image. Veo's extension answer is the whole, longer video (Google's video docs:
"extension of Veo-made videos"; about 7 s per extension, unconfirmed).
"""

from __future__ import annotations

import base64
import dataclasses
import logging
import re
from pathlib import Path
from typing import Any

import httpx

from core.adapters.providers.google.common import DEFAULT_GEMINI_URL, PROVIDER, GoogleRest
from core.adapters.providers.http.common import Probe, fetch_media, guess_mime, ref_of, video_file
from core.adapters.providers.http.download import GuardedDownloader
from core.domain.media import VideoFile
from core.errors import ProviderError
from core.ports import AnimatorContinuity, ImageToVideoRequest, PollResult, PredictionState, Submission

logger = logging.getLogger(__name__)

_FILE_URI = re.compile(r"/files/(?P<fid>[A-Za-z0-9_-]+)(?::download)?(?:\?|$)")
MAX_REFERENCES = 3  # providers.md 5.3: "up to 3 reference images"
EXTENSION_S = 7.0  # what one extension adds (Google's video docs; unconfirmed in providers.md)
# providers.md 5.3 documents reference images, a last frame and extension for Veo 3.1 only; an
# earlier model is sent a first frame and nothing else, not features it may answer with a 400.
CONTINUITY_MODELS = ("veo-3.1",)
_OPERATION = re.compile(r"^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*/operations/[A-Za-z0-9._-]+$|^operations/[A-Za-z0-9._-]+$")


class GoogleVeoAnimator:
    """ImageAnimator on Veo (e.g. `veo-3.1-generate-preview`)."""

    def __init__(
        self,
        api_key: str,
        *,
        http: httpx.Client,
        base_url: str = DEFAULT_GEMINI_URL,
        api_version: str = "v1beta",
        model: str,
        price_per_second: float,
        downloader: GuardedDownloader,
        probe: Probe,
        durations_s: tuple[int, ...] = (4, 6, 8),
        resolution: str = "720p",
        poll_after_s: float = 10.0,
    ) -> None:
        self.name = f"google:{model}"
        self._rest = GoogleRest(api_key, http, base_url, api_version)
        self._model = model
        self._price = price_per_second
        self._downloader = downloader
        self._probe = probe
        self._durations = tuple(sorted(durations_s))
        self._resolution = resolution
        self._poll_after_s = poll_after_s
        chains = model.startswith(CONTINUITY_MODELS)
        self.continuity = AnimatorContinuity(
            last_frame=chains,
            max_references=MAX_REFERENCES if chains else 0,
            extends=chains,
            max_clip_s=float(self._durations[-1]),
            reason=f"{model} is documented with a first frame only (Veo 3.1 also takes a last frame)",
            extension_s=EXTENSION_S if chains else 0.0,  # and charged for those seconds (cost_usd)
            clip_lengths_s=tuple(float(d) for d in self._durations),  # durationSeconds is one of these
        )

    def _duration(self, wanted: float) -> int:
        return next((d for d in self._durations if d >= wanted), self._durations[-1])

    def submit(self, request: ImageToVideoRequest) -> Submission:
        parameters: dict[str, Any] = {
            "aspectRatio": "9:16" if request.height > request.width else "16:9",
            "durationSeconds": self._duration(request.duration_s),
            "resolution": self._resolution,
            "personGeneration": "allow_adult",
            "sampleCount": 1,
        }
        body = {"instances": [instance_of(request)], "parameters": parameters}
        answer = self._rest.call("POST", f"models/{self._model}:predictLongRunning", "the video request", json=body)
        name = answer.get("name")
        if not isinstance(name, str) or not _OPERATION.match(name):
            raise ProviderError("Google accepted the video request but sent no operation name.", provider=PROVIDER)
        logger.info("veo submitted as %s", name)
        return Submission(name, poll_after_s=self._poll_after_s)

    def poll(self, request_id: str) -> PollResult:
        if not _OPERATION.match(request_id):
            raise ProviderError(f"Not a Veo operation name: {request_id!r}", provider=PROVIDER)
        operation = self._rest.call("GET", request_id, "the video status")
        if not operation.get("done"):
            return PollResult(
                PredictionState.PENDING, message="Veo is rendering", progress=0.3, poll_after_s=self._poll_after_s
            )
        error = operation.get("error")
        if isinstance(error, dict):
            return self._failed(f"Veo could not make the video: {error.get('message') or error.get('status')}")
        response = found if isinstance(found := operation.get("response"), dict) else {}
        inner = found if isinstance(found := response.get("generateVideoResponse"), dict) else {}
        samples = inner.get("generatedSamples") or []
        uri = samples[0].get("video", {}).get("uri") if samples and isinstance(samples[0], dict) else None
        if not isinstance(uri, str):
            reasons = inner.get("raiMediaFilteredReasons") or ["no video came back"]
            return self._failed(f"Veo returned no video: {'; '.join(str(r) for r in reasons)}")
        output = {"urls": [uri], "ref": ref_of(request_id)}
        return PollResult(PredictionState.DONE, output=output, progress=1.0, poll_after_s=self._poll_after_s)

    def _failed(self, message: str) -> PollResult:
        return PollResult(PredictionState.FAILED, message=message, poll_after_s=self._poll_after_s)

    def collect(self, request: ImageToVideoRequest, result: PollResult, dest_dir: Path) -> VideoFile:
        urls = result.output.get("urls") if result.state is PredictionState.DONE else None
        if not urls:
            raise ProviderError(result.message or "Veo did not finish this request.", provider=PROVIDER)
        stem = f"animate-{result.output.get('ref', 'video')}"
        found = video_file(
            *fetch_media(
                self._downloader,
                self._probe,
                self.download_url(urls[0]),
                dest_dir,
                stem,
                "video",
                headers=self._rest.auth_headers,
            )
        )
        return dataclasses.replace(found, source_uri=urls[0])  # what an extension names

    def download_url(self, uri: str) -> str:
        """The SDK's download path for a generated file, under the configured base URL."""
        found = _FILE_URI.search(uri)
        if found is None:
            raise ProviderError("Veo's answer named a video that is not a Gemini file.", provider=PROVIDER)
        return self._rest.url_of(f"files/{found['fid']}:download?alt=media")

    def cost_usd(self, request: ImageToVideoRequest, output: VideoFile) -> float:
        # An extension's answer is the whole video; only the seconds it added are new work.
        seconds = min(output.duration_s, EXTENSION_S) if request.extend_uri else output.duration_s
        return round(self._price * seconds, 6)


def _image(path: Path) -> dict[str, str]:
    # The image shape google-genai 2.x sends; third-party examples also show `inlineData`.
    return {"bytesBase64Encoded": base64.b64encode(path.read_bytes()).decode(), "mimeType": guess_mime(path)}


def instance_of(request: ImageToVideoRequest) -> dict[str, Any]:
    """One Veo instance: a first frame (and a last one), or the video to extend; references."""
    prompt = f"{request.prompt} Camera: {request.camera}." if request.camera else request.prompt
    instance: dict[str, Any] = {"prompt": prompt}
    if request.extend_uri:
        instance["video"] = {"uri": request.extend_uri}
    else:
        instance["image"] = _image(request.image)
        if request.last_frame is not None:
            instance["lastFrame"] = _image(request.last_frame)
    if request.references:
        instance["referenceImages"] = [
            {"image": _image(p), "referenceType": "asset"} for p in request.references[:MAX_REFERENCES]
        ]
    return instance
