"""Alert sinks. Each sink reads the alerts stream through its own consumer group (``sink:<name>``) and
acks an event only after it was delivered."""

from monitor.sinks.base import Dispatcher, Sink
from monitor.sinks.console import ConsoleSink

__all__ = ["ConsoleSink", "Dispatcher", "Sink"]
