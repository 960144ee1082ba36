"""A small ensemble of regression trees, read from JSON and evaluated with numpy alone.

The answer's unit scorer is linear in its features; a few shallow trees added to the linear
score let it combine them ("the question asks a date" and "the unit states one", "the unit
holds the question's words" and "its neighbour holds the figure"). The trees are fitted
offline (``python -m bench.answer_model fit --trees N``) and shipped as data: no learning
library is needed to answer.

The JSON form: ``{"features": [names...], "trees": [{"feature": [...], "threshold": [...],
"left": [...], "right": [...], "value": [...]}, ...]}``, one array entry per node; a leaf
has ``feature`` -1 and its output in ``value``; an inner node sends a row whose feature is
``<= threshold`` to ``left``, otherwise to ``right``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class Tree:
    """One regression tree as parallel node arrays (see the module's docstring)."""

    feature: npt.NDArray[np.int64]
    threshold: npt.NDArray[np.float64]
    left: npt.NDArray[np.int64]
    right: npt.NDArray[np.int64]
    value: npt.NDArray[np.float64]

    def predict(self, x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """The leaf value each row of ``x`` reaches."""
        node = np.zeros(len(x), dtype=np.int64)
        rows = np.arange(len(x))
        # A tree of depth d settles every row in d steps; the loop stops when all are leaves.
        for _ in range(len(self.feature)):
            feat = self.feature[node]
            inner = feat >= 0
            if not inner.any():
                break
            idx = rows[inner]
            go_left = x[idx, feat[inner]] <= self.threshold[node[inner]]
            node[idx] = np.where(go_left, self.left[node[inner]], self.right[node[inner]])
        return self.value[node]

    def to_json(self) -> dict[str, list[Any]]:
        return {
            "feature": [int(v) for v in self.feature],
            "threshold": [round(float(v), 6) for v in self.threshold],
            "left": [int(v) for v in self.left],
            "right": [int(v) for v in self.right],
            "value": [round(float(v), 6) for v in self.value],
        }

    @classmethod
    def from_json(cls, data: dict[str, Sequence[Any]]) -> Tree:
        return cls(
            np.asarray(data["feature"], dtype=np.int64),
            np.asarray(data["threshold"], dtype=np.float64),
            np.asarray(data["left"], dtype=np.int64),
            np.asarray(data["right"], dtype=np.int64),
            np.asarray(data["value"], dtype=np.float64),
        )


@dataclass(frozen=True)
class TreeEnsemble:
    """Trees whose outputs add up to a correction of the linear score."""

    features: tuple[str, ...]
    trees: tuple[Tree, ...]

    def predict(self, x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """The ensemble's output for each row of ``x`` (columns in :attr:`features` order)."""
        out = np.zeros(len(x), dtype=np.float64)
        if not len(x):
            return out
        for tree in self.trees:
            out += tree.predict(x)
        return out

    def to_json(self) -> dict[str, Any]:
        return {"features": list(self.features), "trees": [t.to_json() for t in self.trees]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TreeEnsemble:
        return cls(tuple(data["features"]), tuple(Tree.from_json(t) for t in data["trees"]))

    @classmethod
    def load(cls, path: Path) -> TreeEnsemble:
        return cls.from_json(json.loads(path.read_text(encoding="utf-8")))
