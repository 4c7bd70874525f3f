"""A working fake transport for the HTTP client's tests: an ordinary function answers each request."""

from __future__ import annotations

import io
from typing import Callable

import requests
from requests.adapters import BaseAdapter


def response(request: requests.PreparedRequest, status: int = 200, body: bytes = b"",
             headers: dict[str, str] | None = None) -> requests.Response:
    """The answer `status` with `body` and `headers` to `request`, as a transport hands it to requests."""
    answer = requests.Response()
    answer.status_code, answer.url, answer.request = status, request.url or "", request
    answer.headers.update(headers or {})
    answer.raw = io.BytesIO(body)
    return answer


class Transport(BaseAdapter):
    """Keeps what each request was sent with (`sent`) and answers it with `answer(request)`."""

    def __init__(self, answer: Callable[[requests.PreparedRequest], requests.Response]) -> None:
        super().__init__()
        self.answer = answer
        self.sent: list[dict] = []

    def send(self, request, **options):  # requests' adapter API
        self.sent.append({"method": request.method, "url": request.url, "headers": dict(request.headers), **options})
        return self.answer(request)

    def close(self) -> None:
        pass

    def session(self) -> requests.Session:
        """A session that sends every request through this transport."""
        session = requests.Session()
        session.mount("http://", self)
        session.mount("https://", self)
        return session
