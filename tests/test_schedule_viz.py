from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

from curriculum import CurriculumSampler, schedule_profile
from curriculum.viz import plot_pacing, plot_schedule


def test_profile_rises_for_a_curriculum_and_is_flat_for_shuffling(demo_scores: np.ndarray) -> None:
    curriculum = schedule_profile(
        CurriculumSampler(demo_scores).global_order(), demo_scores, bins=10
    )
    shuffled = schedule_profile(
        CurriculumSampler(demo_scores, pacing="constant").global_order(), demo_scores, bins=10
    )
    assert curriculum.rank.shape == (10, 3) and curriculum.edges[-1] == 1.0
    assert curriculum.rank[0, 1] < 25 < 60 < curriculum.rank[-1, 1]
    assert np.all(np.abs(shuffled.rank[:, 1] - 50) < 15)
    assert curriculum.mean_score[0] < curriculum.mean_score[-1]


def test_profile_errors() -> None:
    with pytest.raises(ValueError, match=r"order holds indices outside \[0, 1\]"):
        schedule_profile([0, 5], [1.0, 2.0])
    with pytest.raises(ValueError, match=r"order must be a non-empty 1-D array"):
        schedule_profile([], [1.0])


def test_plots_are_figures_headless(demo_scores: np.ndarray, tmp_path) -> None:
    fig = plot_pacing()
    assert isinstance(fig, Figure) and len(fig.axes[0].lines) == 5
    sampler = CurriculumSampler(demo_scores)
    fig = plot_schedule(schedule_profile(sampler.global_order(), demo_scores), competence="root")
    fig.savefig(tmp_path / "s.png")
    assert (tmp_path / "s.png").stat().st_size > 5000


def test_stage_composition_concept_graph_and_benchmark_plots(demo_records: list[dict]) -> None:
    from curriculum import example_value_graph
    from curriculum.viz import plot_benchmark, plot_concept_graph, plot_stage_composition

    source = [r["source"].split("/")[0] for r in demo_records]
    fig = plot_stage_composition(np.arange(len(source)), source, stages=4)
    bars = fig.axes[0].patches
    assert len(bars) == 4 * 2  # two sources, four stages
    assert sum(b.get_height() for b in bars[:4]) + sum(b.get_height() for b in bars[4:]) == (
        pytest.approx(4.0)
    )
    graph = example_value_graph()
    fig = plot_concept_graph(graph, counts=dict.fromkeys(graph.concepts, 3))
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "honesty\n3 texts" in texts and len(fig.axes[0].patches) + len(texts) >= len(graph)
    results = {
        "orderings": {
            "random": {"steps": [0, 10], "val_loss": [[5.0, 3.0], [5.0, 3.2]]},
            "readability": {"steps": [0, 10], "val_loss": [[5.0, 2.9], [5.0, 3.1]]},
        }
    }
    fig = plot_benchmark(results)
    labels = [line.get_label() for line in fig.axes[0].lines]
    assert labels == ["random (3.100)", "readability (3.000)"]
