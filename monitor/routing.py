"""Which sinks get an alert: the config's ``routes:`` list applied to an alert's labels, scores, source tags
and platform.

A route matches when every condition it names holds (an empty condition holds for every alert); an alert
goes to every sink of every route it matches. With no routes at all, every alert goes to every enabled
sink. Routing is decided per sink by that sink's dispatcher, so a sink that is down delays no other."""

from __future__ import annotations

from collections.abc import Iterable

from monitor.models import Alert
from monitor.sinks.config import RouteConfig

__all__ = ["Router", "event_matches", "route_matches"]


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
    if (route.governorates or route.actors or route.event_types) and not event_matches(
            alert.event_record, governorates=route.governorates, actors=route.actors, types=route.event_types):
        return False
    return not (route.platforms and alert.post.get("platform") not in route.platforms)


def _fold(value: object) -> str:
    return str(value or "").casefold().replace("'", "").replace("’", "").strip()


def event_matches(event: dict | None, *, governorates: Iterable[str] = (), actors: Iterable[str] = (),
                  types: Iterable[str] = ()) -> bool:
    """Whether an alert's event satisfies every given list (any value of each; case, apostrophes ignored):
    ``governorates`` the event's governorate, ``actors`` its actor1/actor2 (or their associated actors;
    a value matches a name it is part of: "Hezbollah" matches "Kata'ib Hezbollah"), ``types`` its event type
    or sub-event type. An alert without an event matches none."""
    governorates, actors, types = list(governorates), list(actors), list(types)
    if not event:
        return not (governorates or actors or types)
    loc = event.get("location") or {}
    if governorates and _fold(loc.get("governorate")) not in {_fold(g) for g in governorates}:
        return False
    names = [_fold(event.get(k)) for k in ("actor1", "actor2", "assoc_actor_1", "assoc_actor_2") if event.get(k)]
    if actors and not any(_fold(a) and _fold(a) in n for a in actors for n in names):
        return False
    return not (types and not {_fold(event.get("event_type")), _fold(event.get("sub_event_type"))}
                & {_fold(t) for t in types})


class Router:
    """Routes from the config, bound to the set of enabled sinks."""

    def __init__(self, routes: Iterable[RouteConfig] = (), enabled: Iterable[str] | None = None) -> None:
        self.routes = list(routes)
        self.enabled = set(enabled) if enabled is not None else None

    def accepts(self, sink: str, alert: Alert) -> bool:
        """Whether ``sink`` should deliver ``alert``."""
        if self.enabled is not None and sink not in self.enabled:
            return False
        if not self.routes:
            return True
        return any(sink in route.sinks and route_matches(route, alert) for route in self.routes)
