"""Reference data loaders: the only I/O around the launch classifier."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from transforms.launches import Classifier

CONFIG_DIR = Path(__file__).resolve().parent
DEFAULT_GAZETTEER = CONFIG_DIR / "launch_sites.yaml"
DEFAULT_RULES = CONFIG_DIR / "launch_rules.yaml"


def _read_yaml(path: Path) -> dict[str, Any]:
    with Path(path).open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a YAML mapping at top level")
    return data


def load_classifier(gazetteer: Path = DEFAULT_GAZETTEER, rules: Path = DEFAULT_RULES) -> Classifier:
    """Read the launch-site gazetteer and the rule vocabulary and build a :class:`Classifier`."""
    return Classifier.from_config(_read_yaml(gazetteer), _read_yaml(rules))


@lru_cache(maxsize=4)
def cached_classifier(gazetteer: Path = DEFAULT_GAZETTEER, rules: Path = DEFAULT_RULES) -> Classifier:
    """Process-wide classifier (regex compilation happens once per worker)."""
    return load_classifier(Path(gazetteer), Path(rules))
