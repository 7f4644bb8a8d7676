"""Local stand-ins for the providers' HTTP APIs (providers.md), served on 127.0.0.1 in a thread.

Each stub checks auth and request shapes as documented, walks the documented statuses,
serves small real media, counts requests per endpoint and injects faults on demand::

    with FalStub(completes_after_s=0.2) as fal:
        fal.faults.add("status", "rate_limit", retry_after_s=3)
        ...
        assert fal.created_count() == 1
"""

from tests.stubs.base import Fault, FaultPlan, VendorStub
from tests.stubs.fal import FalStub
from tests.stubs.google import GoogleStub
from tests.stubs.kie import KieStub
from tests.stubs.server import DropConnection, StubRequest, StubResponse, StubServer
from tests.stubs.wavespeed import WaveSpeedStub

__all__ = [
    "DropConnection",
    "FalStub",
    "Fault",
    "FaultPlan",
    "GoogleStub",
    "KieStub",
    "StubRequest",
    "StubResponse",
    "StubServer",
    "VendorStub",
    "WaveSpeedStub",
]
