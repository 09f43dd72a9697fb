"""Events: who did what to whom, where and when, extracted from a flagged post by rules over a gazetteer
(``gazetteer.yaml`` + ``classifiers/cues/places.yaml``) and an actor registry (``actors.yaml``). One module
per concern: ``gazetteer`` (places), ``actors`` (the registry), ``extract`` (the rules)."""

from classifiers.events.extract import Extractor, extract_event

__all__ = ["Extractor", "extract_event"]
