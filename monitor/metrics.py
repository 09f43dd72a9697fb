"""Prometheus metrics, one registry for the process. Stages increment these; ``monitor run`` serves them
at ``/metrics`` (stream pending/lag gauges are refreshed from Redis at each scrape, see service.py)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

POSTS_COLLECTED = Counter("monitor_posts_collected", "Posts taken in, per source (duplicates excluded)",
                          ["source"], registry=REGISTRY)
COLLECTOR_ERRORS = Counter("monitor_collector_errors", "Failed polls, per source and kind",
                           ["source", "kind"], registry=REGISTRY)
POSTS_CLASSIFIED = Counter("monitor_posts_classified", "Posts classified", registry=REGISTRY)
ALERTS = Counter("monitor_alerts", "New alerts (stories raised), per label", ["label"], registry=REGISTRY)
ALERT_UPDATES = Counter("monitor_alert_updates", "Posts merged into an existing alert", registry=REGISTRY)
STORIES_HELD = Counter("monitor_stories_held", "Doubtful posts that opened a held story (no alert until a second "
                       "report confirms it)", registry=REGISTRY)
STORIES_CONFIRMED = Counter("monitor_stories_confirmed", "Held stories confirmed by a later post (alerted then)",
                            registry=REGISTRY)
DELIVERIES = Counter("monitor_deliveries", "Alert events delivered, per sink", ["sink"], registry=REGISTRY)
DELIVERY_FAILURES = Counter("monitor_delivery_failures", "Failed delivery attempts, per sink",
                            ["sink"], registry=REGISTRY)
DEAD_LETTERED = Counter("monitor_dead_lettered", "Entries moved to the dead-letter stream, per stage",
                        ["stage"], registry=REGISTRY)
CLASSIFY_SECONDS = Histogram("monitor_classify_latency_seconds",
                             "Seconds from a post's enqueue to its classification being committed",
                             buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300), registry=REGISTRY)
STREAM_PENDING = Gauge("monitor_stream_pending", "Entries delivered to a group but not acked",
                       ["stream", "group"], registry=REGISTRY)
STREAM_LAG = Gauge("monitor_stream_lag", "Entries not yet delivered to a group", ["stream", "group"],
                   registry=REGISTRY)
