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


def test_stage_composition_and_concept_graph_plots(demo_records: list[dict]) -> None:
    from curriculum import example_value_graph
    from curriculum.viz import plot_concept_graph, plot_stage_composition

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


@pytest.mark.parametrize("pacing", ["geometric", "root", "step"])
def test_the_open_share_never_contradicts_the_percentiles(
    demo_scores: np.ndarray, pacing: str
) -> None:
    n = demo_scores.size
    sampler = CurriculumSampler(demo_scores, pacing=pacing, num_samples=2 * n, seed=1)
    order = np.concatenate([sampler.global_order(e) for e in range(3)])
    profile = schedule_profile(
        order, demo_scores, bins=12, epoch_size=n, ranking=sampler.ranking(), percentiles=(100,)
    )
    assert profile.opened is not None
    # The hardest sample of a slice sits inside the part of the ranking the sampler drew from.
    assert np.all(profile.rank[:, 0] <= 100 * profile.opened + 1e-9)
    np.testing.assert_allclose(profile.epoch_starts, [1 / 3, 2 / 3])
    assert profile.opened[-1] == 1.0  # the last epoch is past the curriculum: all open
    fig = plot_schedule(profile)
    boundaries = [line for line in fig.axes[0].lines if line.get_label() == "epoch boundary"]
    assert len(boundaries) == 1 and len(fig.axes[0].lines) >= 4  # median, open, two boundaries


def test_schedule_cli_reports_the_open_share_and_epochs(
    demo_scores: np.ndarray, tmp_path, capsys: pytest.CaptureFixture[str]
) -> None:
    from curriculum.cache import save_scores
    from curriculum.cli import main

    save_scores(tmp_path / "s.npy", demo_scores)
    argv = ["schedule", "--scores", str(tmp_path / "s.npy"), "--pacing", "geometric"]
    assert main([*argv, "--epochs", "2", "--bins", "4", "--plot", str(tmp_path / "p.png")]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines() if "% - " in line]
    epochs = [int(r[3]) for r in rows]
    opened = [float(r[4].rstrip("%")) for r in rows]
    p90 = [float(r[-1]) for r in rows]
    assert epochs == [1, 1, 2, 2]
    assert all(p <= o + 0.5 for p, o in zip(p90, opened, strict=True))  # printed rounded
    assert (tmp_path / "p.png").stat().st_size > 5000
