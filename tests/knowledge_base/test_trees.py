"""The unit scorer's trees: evaluated from their JSON form with numpy, added to the linear
score, able to combine two features a weighted sum cannot."""

from __future__ import annotations

import json

import numpy as np
import pytest

from knowledge_base.answer import FEATURES, NO_TREES, _load_trees, compose, unit_scores
from knowledge_base.keyword import TextNormalizer
from knowledge_base.schemas import SearchHit
from knowledge_base.trees import Tree, TreeEnsemble

NORMALIZER = TextNormalizer()


def both_tree(a: int, b: int, value: float) -> Tree:
    """``value`` where features ``a`` and ``b`` are both above 0.5, else 0: an AND."""
    return Tree(
        feature=np.array([a, -1, b, -1, -1]),
        threshold=np.array([0.5, 0.0, 0.5, 0.0, 0.0]),
        left=np.array([1, -1, 3, -1, -1]),
        right=np.array([2, -1, 4, -1, -1]),
        value=np.array([0.0, 0.0, 0.0, 0.0, value]),
    )


def test_a_tree_sends_each_row_to_its_leaf() -> None:
    tree = both_tree(0, 1, 2.0)
    x = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    assert list(tree.predict(x)) == [0.0, 0.0, 0.0, 2.0]


def test_trees_add_up_and_survive_json() -> None:
    ensemble = TreeEnsemble(("a", "b"), (both_tree(0, 1, 2.0), both_tree(1, 0, 0.5)))
    again = TreeEnsemble.from_json(json.loads(json.dumps(ensemble.to_json())))
    x = np.array([[1.0, 1.0], [0.0, 1.0]])
    assert list(again.predict(x)) == [2.5, 0.0]
    assert list(TreeEnsemble(("a", "b"), ()).predict(x)) == [0.0, 0.0]


def test_trees_fitted_for_another_feature_list_are_not_used(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "trees.json"
    path.write_text(json.dumps(TreeEnsemble(("a", "b"), (both_tree(0, 1, 2.0),)).to_json()))
    assert _load_trees(path).trees == ()
    path.write_text(json.dumps(TreeEnsemble(FEATURES, (both_tree(0, 1, 2.0),)).to_json()))
    assert len(_load_trees(path).trees) == 1
    assert _load_trees(tmp_path / "missing.json").trees == ()


def test_the_score_is_the_linear_one_plus_the_trees() -> None:
    rows = [[1.0, 1.0], [1.0, 0.0]]
    ensemble = TreeEnsemble(("a", "b"), (both_tree(0, 1, 3.0),))
    assert unit_scores(rows, [1.0, 1.0], ensemble) == pytest.approx([5.0, 1.0])
    assert unit_scores(rows, [1.0, 1.0], TreeEnsemble(("a", "b"), ())) == pytest.approx([2.0, 1.0])


def test_compose_lets_the_trees_combine_the_asked_type_with_what_a_unit_states() -> None:
    # Linear weights that prefer the sentence repeating the question's words; a tree that
    # adds to a unit only when the question asks a time AND the unit states one.
    question = "Kapan laporan kegiatan hibah disampaikan kepada kepala daerah?"
    passage = SearchHit(
        chunk_id="c1",
        doc_id="d1",
        title="PP 2/2012 tentang Hibah Daerah",
        section=None,
        text=(
            "Laporan kegiatan hibah disampaikan kepada kepala daerah melalui kepala SKPD. "
            "Penyampaian dilakukan paling lambat tanggal 10 Januari tahun berikutnya."
        ),
        page=None,
        position=0,
        score=1.0,
        language="id",
    )
    weights = [0.0] * len(FEATURES)
    weights[FEATURES.index("coverage")] = 2.0
    linear = compose(
        question, [passage], terms=NORMALIZER.terms, idf=lambda t: 1.0, weights=weights,
        trees=NO_TREES,
    )  # fmt: skip
    assert linear.text.startswith("Laporan kegiatan hibah")
    tree = both_tree(FEATURES.index("states"), FEATURES.index("states_kapan"), 10.0)
    boosted = compose(
        question,
        [passage],
        terms=NORMALIZER.terms,
        idf=lambda t: 1.0,
        weights=weights,
        trees=TreeEnsemble(FEATURES, (tree,)),
    )
    assert boosted.text.startswith("Penyampaian dilakukan paling lambat tanggal 10 Januari")
