"""The HTTP core: one keep-alive connection pool, bounded concurrency, retries.

Every request goes through ``AkeneoHttp._retrying``. It waits for one of ``concurrency`` slots
(Akeneo SaaS allows 4 calls in flight per connection; ``Slots``: urgent requests first), sends,
and classifies the answer (``answers.py``, the same rules for the token endpoint, whose calls
happen inside the request's auth flow): 2xx is returned, decoded inside the attempt so a JSON
body cut short is retried like a broken connection; transient statuses (408, 429, 500, 502, 503,
504) and broken connections are retried with jittered exponential backoff, honouring
``Retry-After``; anything else raises at once an error that says what failed and where. A slot
is never held while backing off, so a throttled request does not starve the others.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

import httpx
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt

from akeneo_sync.client.answers import clean_url, decode_json, status_error
from akeneo_sync.errors import ClientError, ConfigError, RetryableError

log = logging.getLogger("akeneo_sync.http")


@dataclass
class RetryPolicy:
    attempts: int = 8
    initial: float = 0.5
    max_wait: float = 30.0


@dataclass
class HttpStats:
    requests: int = 0
    retries: int = 0
    throttled: int = 0
    bytes_received: int = 0
    by_status: dict[int, int] = field(default_factory=dict)


_READ = httpx.ByteStream(b"")


class _Retry(RetryableError):
    """A transient failure to retry; ``error`` is what is raised once the tries run out."""

    def __init__(self, error: RetryableError) -> None:
        super().__init__(str(error), retry_after=error.retry_after)
        self.error = error


class Slots:
    """``n`` request slots, handed out in order of asking, urgent requests before the others.

    Urgent ones are those every later request waits for: the ``with_count`` probes that split
    the product listing into parts. Behind a queue of reference listings, each of their
    rounds would wait for the whole queue while the slots run out of other work."""

    def __init__(self, n: int) -> None:
        self._free = n
        self._waiting: tuple[deque[asyncio.Future[None]], ...] = (deque(), deque())

    @asynccontextmanager
    async def take(self, urgent: bool = False) -> AsyncIterator[None]:
        if self._free and not any(self._waiting):
            self._free -= 1
        else:
            queue = self._waiting[0 if urgent else 1]
            turn = asyncio.get_running_loop().create_future()
            queue.append(turn)
            try:
                await turn
            except asyncio.CancelledError:
                if turn.cancelled():
                    with suppress(ValueError):  # unless ``_release`` skipped it already
                        queue.remove(turn)
                else:
                    self._release()  # handed a slot as it was cancelled: pass it on
                raise
        try:
            yield
        finally:
            self._release()

    def _release(self) -> None:
        for queue in self._waiting:
            while queue:
                turn = queue.popleft()
                if not turn.done():  # its waiter was cancelled
                    turn.set_result(None)
                    return
        self._free += 1


class AkeneoHttp:
    def __init__(
        self,
        base_url: str,
        auth: httpx.Auth,
        *,
        concurrency: int = 4,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 60.0,
    ) -> None:
        if concurrency < 1:  # a semaphore of 0 would wait forever
            raise ConfigError(f"concurrency must be 1 or more, not {concurrency}")
        self.base_url = base_url.rstrip("/")
        self.retry = retry or RetryPolicy()
        self.stats = HttpStats()
        self._refused: str = getattr(auth, "refused", "the credentials were refused")
        self._slots = Slots(concurrency)
        self._connected = False
        self._http = httpx.AsyncClient(
            auth=auth,
            transport=transport,
            timeout=timeout,
            headers={"Accept": "application/json", "User-Agent": "akeneo-sync"},
            limits=httpx.Limits(max_connections=concurrency + 2),
            follow_redirects=False,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    def url(self, path: str) -> str:
        return path if "://" in path else f"{self.base_url}{path}"

    async def get_json(
        self, path: str, params: dict[str, Any] | None = None, *, urgent: bool = False
    ) -> Any:
        """``urgent``: served before the requests waiting for a slot (``Slots``)."""
        return await self._retrying("GET", path, params=params, decode=True, urgent=urgent)

    async def send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response: httpx.Response = await self._retrying(method, path, **kwargs)
        return response

    async def _retrying(self, method: str, path: str, **kwargs: Any) -> Any:
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(_Retry),
            stop=stop_after_attempt(self.retry.attempts),
            wait=self._wait,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    if attempt.retry_state.attempt_number > 1:
                        self.stats.retries += 1
                    return await self._send_once(method, self.url(path), **kwargs)
        except _Retry as exhausted:
            # Say it was retried: a failure that outlived every try is worth looking into.
            error = exhausted.error
            error.args = (f"{error}; gave up after {self.retry.attempts} attempts",)
            raise error from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _wait(self, state: Any) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, _Retry) and error.retry_after is not None:
            return min(error.retry_after, self.retry.max_wait) + random.uniform(0, 0.1)
        # Exponential with full jitter, so clients throttled together do not retry together.
        ceiling = min(self.retry.max_wait, self.retry.initial * 2 ** (state.attempt_number - 1))
        return random.uniform(ceiling / 2, ceiling)

    async def download(self, path: str, write: Callable[[bytes], object]) -> int:
        """Stream a body to ``write`` chunk by chunk (media files can be large); retried whole,
        so ``write`` must accept starting over (it is told by a call with ``b""`` first)."""
        return int(await self._retrying("GET", path, stream_to=write))

    async def _send_once(
        self,
        method: str,
        url: str,
        stream_to: Callable[[bytes], object] | None = None,
        decode: bool = False,
        urgent: bool = False,
        **kwargs: Any,
    ) -> Any:
        started = time.perf_counter()
        async with self._slots.take(urgent):
            try:
                if stream_to is None:
                    response = await self._http.request(method, url, **kwargs)
                    # Read and closed: its stream (which refers back to it) is let go, so the
                    # response and its body are freed as soon as it is dropped, not at the next
                    # full garbage collection (``run/pipeline.py``: those stop the event loop).
                    response.stream = _READ
                else:
                    async with self._http.stream(method, url, **kwargs) as response:
                        if response.is_success:
                            stream_to(b"")
                            size = 0
                            async for chunk in response.aiter_bytes():
                                stream_to(chunk)
                                size += len(chunk)
                            self.stats.requests += 1
                            self.stats.bytes_received += size
                            return size
                        await response.aread()
            except httpx.TransportError as exc:
                self.stats.requests += 1
                raise self._transport_error(method, url, exc) from exc
            except RetryableError as exc:  # from the token endpoint, in the auth flow
                raise self._retry(exc) from exc
        self._connected = True
        self.stats.requests += 1
        self.stats.bytes_received += len(response.content)
        self.stats.by_status[response.status_code] = (
            self.stats.by_status.get(response.status_code, 0) + 1
        )
        log.debug(
            "%s %s -> %s (%.0f ms)",
            method,
            clean_url(response.request.url),
            response.status_code,
            (time.perf_counter() - started) * 1000,
        )
        try:
            if not response.is_success:
                raise status_error(method, response, self._refused)
            return decode_json(method, response) if decode else response
        except RetryableError as exc:
            raise self._retry(exc) from None

    def _retry(self, error: RetryableError) -> _Retry:
        if error.status == 429:
            self.stats.throttled += 1
        return _Retry(error)

    def _transport_error(self, method: str, url: str, exc: httpx.TransportError) -> Exception:
        what = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        if isinstance(exc, httpx.ConnectError) and not self._connected:
            # Nothing ever answered: a wrong URL or a server that is down. Retrying for a
            # minute would only hide that.
            return ClientError(f"cannot connect ({what}); check the URL", method=method, url=url)
        if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
            return ClientError(f"invalid URL ({what})", method=method, url=url)
        if not self._connected:  # e.g. a port where something else than HTTP listens
            what += "; nothing has answered HTTP yet: check the URL and its port"
        return _Retry(RetryableError(what, method=method, url=clean_url(url)))
