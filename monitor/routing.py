"""Which sinks get an alert: the config's ``routes:`` list applied to an alert's labels, scores, source tags
and platform.

A route matches when every condition it names holds (an empty condition holds for every alert); an alert
goes to every sink of every route it matches. With no routes at all, every alert goes to every enabled
sink. Routing is decided per sink by that sink's dispatcher, so a sink that is down delays no other."""

from __future__ import annotations

from collections.abc import Iterable

from monitor.models import Alert
from monitor.sinks.config import RouteConfig

__all__ = ["Router", "route_matches"]


def route_matches(route: RouteConfig, alert: Alert) -> bool:
    """Whether ``alert`` satisfies every condition of ``route``.

    ``min_score`` applies to the route's labels when it names some (the best score among the alert's
    labels that the route asks for), otherwise to the alert's best score among its own labels."""
    if route.labels:
        wanted = [lb for lb in alert.labels if lb in route.labels]
        if not wanted:
            return False
    else:
        wanted = list(alert.labels)
    if route.min_score > 0:
        best = max((alert.scores.get(lb, 0.0) for lb in wanted), default=0.0)
        if best < route.min_score:
            return False
    if route.tags and not set(route.tags) & set(alert.tags):
        return False
    return not (route.platforms and alert.post.get("platform") not in route.platforms)


class Router:
    """Routes from the config, bound to the set of enabled sinks."""

    def __init__(self, routes: Iterable[RouteConfig] = (), enabled: Iterable[str] | None = None) -> None:
        self.routes = list(routes)
        self.enabled = set(enabled) if enabled is not None else None

    def sinks_for(self, alert: Alert) -> set[str]:
        """Names of the sinks this alert goes to (among the enabled ones, when the router knows them)."""
        if not self.routes:
            return set(self.enabled or ())
        out: set[str] = set()
        for route in self.routes:
            if route_matches(route, alert):
                out.update(route.sinks)
        if self.enabled is not None:
            out &= self.enabled
        return out

    def accepts(self, sink: str, alert: Alert) -> bool:
        """Whether ``sink`` should deliver ``alert``."""
        if self.enabled is not None and sink not in self.enabled:
            return False
        if not self.routes:
            return True
        return any(sink in route.sinks and route_matches(route, alert) for route in self.routes)
