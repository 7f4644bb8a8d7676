"""Adapters behind the ports: database, storage, queue, media (FFmpeg, PyAV) and providers
(offline renderers and one package per cloud vendor)."""
