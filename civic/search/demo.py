"""The demo's part: index every item the other loaders made (registered
last). The session listener already indexed most of them as they were
written; this catches the ones whose visibility followed a parent."""

from __future__ import annotations

from civic.demo import register_demo
from civic.search.index import reindex


@register_demo(order=9999)
def load_demo(_ctx) -> None:
    reindex()
