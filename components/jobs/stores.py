"""Where a run's records live: one tiny key-value interface (JSON text with an expiry) over the
job cache directory (diskcache, embedded mode) or Redis (Celery mode)."""

from __future__ import annotations

import time

import diskcache

from components.jobs.settings import CONNECT_TIMEOUT, REDIS_TIMEOUT, redacted
from core.i18n import _


class JobStoreUnavailable(RuntimeError):
    """The job store (Redis, or the cache directory) cannot be reached; the message says which
    in words for the page, the cause (`__cause__`) says why."""

    def detail(self) -> str:
        return f"{self} ({self.__cause__})" if self.__cause__ else str(self)


class DiskcacheStore:
    def __init__(self, cache: diskcache.Cache):
        self._cache = cache

    def get(self, key: str) -> str | None:
        return self._cache.get(key)

    def set(self, key: str, value: str, ttl: float) -> None:
        self._cache.set(key, value, expire=ttl)

    def add(self, key: str, value: str, ttl: float) -> bool:
        return self._cache.add(key, value, expire=ttl)

    def delete(self, key: str) -> None:
        self._cache.delete(key)

    def ping(self) -> None:
        try:
            self._cache.set("health", time.time(), expire=60)
        except Exception as exc:  # noqa: BLE001 - a full disk or a removed directory
            raise JobStoreUnavailable(_("the job cache cannot be written")) from exc


class RedisStore:
    PREFIX = "regression-dashboard:"

    def __init__(self, url: str):
        import redis

        self._client = redis.Redis.from_url(
            url, socket_connect_timeout=CONNECT_TIMEOUT, socket_timeout=REDIS_TIMEOUT, decode_responses=True
        )
        self._errors = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
        self._url = redacted(url)

    def _call(self, method: str, *args, **kwargs):
        try:
            return getattr(self._client, method)(*args, **kwargs)
        except self._errors as exc:
            raise JobStoreUnavailable(_("the job queue at {url} is unreachable").format(url=self._url)) from exc

    def get(self, key: str) -> str | None:
        return self._call("get", self.PREFIX + key)

    def set(self, key: str, value: str, ttl: float) -> None:
        self._call("set", self.PREFIX + key, value, px=int(ttl * 1000))

    def add(self, key: str, value: str, ttl: float) -> bool:
        return bool(self._call("set", self.PREFIX + key, value, px=int(ttl * 1000), nx=True))

    def delete(self, key: str) -> None:
        self._call("delete", self.PREFIX + key)

    def ping(self) -> None:
        self._call("ping")
