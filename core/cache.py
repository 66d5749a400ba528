"""Django's Redis cache, with one ``redis.Redis`` client per server and process instead of one per operation.

Django's ``RedisCacheClient.get_client`` builds a new ``redis.Redis`` for every cache call; each builds its table
of response callbacks (about 170 entries): 0.17 ms of CPU a call here, five calls a widget message, which made it
the largest single cost of the hot paths after the database (docs/performance.md).

Django also keeps its cache objects per thread, and the ASGI server runs every request in a thread of its own
(asgiref's thread-sensitive context): with the client kept on the cache object, every request built a new
connection pool and opened a new TCP connection to Redis, with its HELLO handshake and client-info commands
(profiled at 13 % of a widget message's time). The clients therefore live in this module, one per server URL and
pool options, shared by every thread of the process. A client is thread-safe (its connection pool is); a forked
child's pool reconnects by itself (redis-py checks the process id).
"""

from __future__ import annotations

import threading

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient

_clients: dict[tuple[str, str], object] = {}
_clients_lock = threading.Lock()


class SharedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        options = repr(sorted(self._pool_options.items()))
        self._shared_keys = [(server, options) for server in self._servers]

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = _clients.get(self._shared_keys[index])
        if client is None:
            with _clients_lock:
                client = _clients.get(self._shared_keys[index])
                if client is None:
                    pool = self._pool_class.from_url(self._servers[index], **self._pool_options)
                    client = _clients[self._shared_keys[index]] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = SharedClientRedisCacheClient
