"""A network guard for the studio's server process in the browser test.

`install()` wraps the socket calls that reach out (connect, connect_ex, sendto) and name
resolution: any attempt to reach an address that is not loopback is written to the file
named by STUDIO_NETGUARD_LOG and refused, so the test can assert that nothing left the
machine (Streamlit's external-IP lookup, a font CDN, a metrics endpoint, a provider).
"""

from __future__ import annotations

import errno
import ipaddress
import os
import socket
import threading
import traceback

_lock = threading.Lock()
LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def _is_loopback(host: object) -> bool:
    text = str(host).strip("[]")
    if text in LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(text.split("%")[0]).is_loopback
    except ValueError:
        return False


def _record(what: str, target: object) -> None:
    stack = "".join(traceback.format_stack(limit=12)[:-2])
    with _lock, open(os.environ["STUDIO_NETGUARD_LOG"], "a", encoding="utf-8") as log:
        log.write(f"{what} {target!r}\n{stack}\n---\n")


def install() -> None:
    original_connect = socket.socket.connect
    original_connect_ex = socket.socket.connect_ex
    original_sendto = socket.socket.sendto
    original_getaddrinfo = socket.getaddrinfo

    def outside(sock: socket.socket, address: object) -> bool:
        return sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address[0])  # type: ignore[index]

    def connect(self: socket.socket, address: object) -> None:
        if outside(self, address):
            _record("connect", address)
            raise OSError(errno.ENETUNREACH, "refused by the browser test's network guard")
        return original_connect(self, address)  # type: ignore[arg-type]

    def connect_ex(self: socket.socket, address: object) -> int:
        if outside(self, address):
            _record("connect_ex", address)
            return errno.ENETUNREACH
        return original_connect_ex(self, address)  # type: ignore[arg-type]

    def sendto(self: socket.socket, data: bytes, *args: object) -> int:
        address = args[-1]
        if outside(self, address):
            _record("sendto", address)
            raise OSError(errno.ENETUNREACH, "refused by the browser test's network guard")
        return original_sendto(self, data, *args)  # type: ignore[arg-type]

    def getaddrinfo(host: object, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        if host is not None and not _is_loopback(host) and str(host) != "0.0.0.0":
            _record("resolve", host)
            raise socket.gaierror(socket.EAI_NONAME, "refused by the browser test's network guard")
        return original_getaddrinfo(host, *args, **kwargs)  # type: ignore[arg-type]

    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
    socket.socket.sendto = sendto  # type: ignore[method-assign]
    socket.getaddrinfo = getaddrinfo  # type: ignore[assignment]


def serve_streamlit() -> None:
    """`python -c 'from tests.browser.netguard import serve_streamlit; serve_streamlit()' run app.py ...`"""
    import sys

    install()
    from streamlit.web.cli import main

    sys.argv = ["streamlit", *sys.argv[1:]]
    main()
