"""Model logistics: models in safe formats with checksums, lineage, release gates, model cards.

The face of the package; the project-level operations (``register``, ``promote``, ``rollback``,
``load``) live in :mod:`candor.registering` and are re-exported here.
"""

from candor.registry._card import model_card
from candor.registry._formats import FORMATS, PickleRefused
from candor.registry._gates import GateVerdict
from candor.registry._loaded import LoadedModel
from candor.registry._package import Feature
from candor.registry._store import ModelRef, parse_ref

__all__ = [
    "FORMATS",
    "Feature",
    "GateVerdict",
    "LoadedModel",
    "ModelRef",
    "PickleRefused",
    "model_card",
    "parse_ref",
]
