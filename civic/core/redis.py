"""One Redis connection per process, or None when REDIS_URL is not set."""

from flask import current_app

_clients: dict = {}


def redis_client():
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    client = _clients.get(url)
    if client is None:
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2)
        _clients[url] = client
    return client
