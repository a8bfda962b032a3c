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
