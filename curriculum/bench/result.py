"""The result of a benchmark: runs, paired summary, JSON, a markdown table and a plot."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from curriculum.bench.stats import paired_difference, steps_to_reach
from curriculum.errors import InvalidValueError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["BenchResult", "check_outputs"]


def _lower_is_better(metric: str) -> bool:
    return metric == "loss" or metric.startswith("loss/")


class BenchResult:
    """Every run of a benchmark and their paired comparison with ``random``.

    Attributes:
        info: the task, settings, seeds and machine.
        runs: one entry per (seed, schedule, arm): evaluation ``steps`` and ``metrics`` curves
            (``loss``, ``loss/<bucket>``, ``exact...`` for skills, callback metrics), seconds.
        summary: per schedule and arm: ``final`` (mean, sd, per seed, of each metric's last
            value), ``vs_random`` (:func:`~curriculum.bench.paired_difference` of each metric)
            and ``steps_to_random`` (steps to reach random's final loss, as a ratio of the
            steps random itself needs, per seed).
    """

    def __init__(self, info: dict[str, Any], runs: list[dict[str, Any]]) -> None:
        self.info = info
        self.runs = runs
        self.summary = self._summarise()

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> BenchResult:
        """A result saved by :meth:`save` (its ``bench.json``, or the directory holding it)."""
        p = Path(path)
        if p.is_dir():
            p = p / "bench.json"
        data = json.loads(p.read_text(encoding="utf-8"))
        return cls(data["info"], data["runs"])

    # -- statistics -----------------------------------------------------------------------------

    def _curve(self, schedule: str, arm: str, seed: int) -> dict[str, Any]:
        for run in self.runs:
            if (run["schedule"], run["arm"], run["seed"]) == (schedule, arm, seed):
                return run
        raise InvalidValueError(f"no run for schedule {schedule}, arm {arm}, seed {seed}")

    def _summarise(self) -> dict[str, Any]:
        seeds = self.info["seeds"]
        level = float(self.info.get("confidence", 0.95))
        method = str(self.info.get("interval", "t"))
        out: dict[str, Any] = {}
        for schedule in self.info["schedules"]:
            base = {s: self._curve(schedule, "random", s) for s in seeds}
            metrics = list(base[seeds[0]]["metrics"])
            entry: dict[str, Any] = {}
            for arm in self.info["arms"]:
                runs = {s: self._curve(schedule, arm, s) for s in seeds}
                final = {m: np.array([runs[s]["metrics"][m][-1] for s in seeds]) for m in metrics}
                item: dict[str, Any] = {
                    "final": {
                        m: {
                            "mean": float(v.mean()),
                            "sd": float(v.std(ddof=1)),
                            "per_seed": v.tolist(),
                        }
                        for m, v in final.items()
                    }
                }
                if arm != "random":
                    item["vs_random"] = {
                        m: paired_difference(
                            final[m],
                            [base[s]["metrics"][m][-1] for s in seeds],
                            confidence=level,
                            method=method,
                            lower_is_better=_lower_is_better(m),
                        )
                        for m in metrics
                    }
                ratios: list[float | None] = []
                for s in seeds:
                    target = base[s]["metrics"]["loss"][-1]
                    mine = steps_to_reach(runs[s]["steps"], runs[s]["metrics"]["loss"], target)
                    ref = steps_to_reach(base[s]["steps"], base[s]["metrics"]["loss"], target)
                    ratios.append(None if mine is None or not ref else mine / ref)
                reached = np.array([r for r in ratios if r is not None])
                item["steps_to_random"] = {
                    "per_seed": ratios,
                    "reached": int(reached.size),
                    "mean": float(reached.mean()) if reached.size else None,
                }
                entry[arm] = item
            out[schedule] = entry
        return out

    # -- output ---------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """``info``, ``summary`` and ``runs``, JSON-serialisable."""
        return {"info": self.info, "summary": self.summary, "runs": self.runs}

    def bucket_label(self, metric: str) -> str:
        """``loss/2`` -> ``loss hard`` (bucket names from the task)."""
        kind, _, b = metric.partition("/")
        names = self.info["buckets"]
        if kind in ("loss", "exact") and b.isdigit() and int(b) < len(names):
            return f"{kind} {names[int(b)]}"
        return metric

    def markdown(self) -> str:
        """Tables per schedule.

        Final values, paired differences with intervals, seeds better, steps to random's final
        loss, and the difference per difficulty bucket.
        """
        info = self.info
        pct = round(100 * float(info.get("confidence", 0.95)))
        n = len(info["seeds"])
        buckets = [f"loss/{b}" for b in range(len(info["buckets"]))]
        lines = [
            f"Task `{info['task']}`, {n} seeds, {info['steps']} steps of {info['batch_size']} x "
            f"{info['context']} tokens, {info['epochs']} pass(es), "
            f"{'packed in sampler order' if info['pack'] else 'one document per sequence'}, "
            f"{info['parameters']:,} parameters. Differences are arm minus random on the same "
            f"seed (same initial weights and data), mean [{pct}% "
            f"{'t' if info.get('interval', 't') == 't' else 'bootstrap'} interval]; negative "
            "loss is better.",
            "",
        ]
        for schedule, entry in self.summary.items():
            lines += [f"#### LR schedule `{schedule}`", ""]
            head = [
                "arm",
                "final loss",
                "Δ loss vs random",
                "seeds better",
                "steps to random's final",
            ]
            head += [f"Δ {info['buckets'][b]}" for b in range(len(buckets))]
            lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
            for arm, item in entry.items():
                fin = item["final"]["loss"]
                row = [f"`{arm}`", f"{fin['mean']:.4f} ± {fin['sd']:.4f}"]
                if arm == "random":
                    row += ["", "", _ratio(item["steps_to_random"], n)] + [""] * len(buckets)
                else:
                    d = item["vs_random"]["loss"]
                    row += [_diff(d), f"{d['better']}/{d['n']}", _ratio(item["steps_to_random"], n)]
                    row += [
                        _diff(item["vs_random"][b]) if b in item["vs_random"] else "n/a"
                        for b in buckets
                    ]
                lines.append("| " + " | ".join(row) + " |")
            lines.append("")
            others = [m for m in next(iter(entry.values()))["final"] if not _lower_is_better(m)]
            if others:
                head = ["arm"] + [self.bucket_label(m) for m in others]
                lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
                for arm, item in entry.items():
                    row = [f"`{arm}`"]
                    for m in others:
                        mean = item["final"][m]["mean"]
                        row.append(
                            f"{mean:.3f}"
                            if arm == "random"
                            else f"{mean:.3f} (Δ {_diff(item['vs_random'][m], 3)})"
                        )
                    lines.append("| " + " | ".join(row) + " |")
                lines.append("")
        return "\n".join(lines)

    def plot(self) -> Figure:
        """Per schedule: the paired loss difference against random, and by bucket.

        Left: over training (mean and t interval over seeds); middle: at the end, per
        difficulty bucket (the summary's intervals); right, for tasks with exact match: its
        final difference per bucket.
        """
        from scipy.stats import t as student

        from curriculum.viz import _figure

        info = self.info
        schedules = list(self.summary)
        arms = [a for a in info["arms"] if a != "random"]
        exact = "exact" in self.summary[schedules[0]]["random"]["final"]
        cols = 3 if exact else 2
        fig = _figure((5.5 * cols, 3.4 * len(schedules)))
        axes = fig.subplots(len(schedules), cols, squeeze=False)
        colors = {a: f"C{i}" for i, a in enumerate(arms)}
        seeds = info["seeds"]
        q = float(student.ppf(0.5 + float(info.get("confidence", 0.95)) / 2, len(seeds) - 1))
        for row, schedule in enumerate(schedules):
            left = axes[row][0]
            steps = np.asarray(info["eval_steps"])
            for arm in arms:
                d = np.array(
                    [
                        np.asarray(self._curve(schedule, arm, s)["metrics"]["loss"])
                        - np.asarray(self._curve(schedule, "random", s)["metrics"]["loss"])
                        for s in seeds
                    ]
                )
                mean = d.mean(0)
                half = q * d.std(0, ddof=1) / np.sqrt(len(seeds))
                left.plot(steps, mean, color=colors[arm], label=arm)
                left.fill_between(steps, mean - half, mean + half, color=colors[arm], alpha=0.2)
            left.axhline(0, color="black", lw=0.8)
            left.set_title(f"{schedule}: loss minus random's (same seed)", fontsize=10)
            left.set_xlabel("step")
            left.set_ylabel("Δ validation loss")
            left.legend(fontsize=8)
            self._bars(axes[row][1], schedule, arms, colors, "loss")
            axes[row][1].set_title(f"{schedule}: final Δ loss by difficulty", fontsize=10)
            if exact:
                self._bars(axes[row][2], schedule, arms, colors, "exact")
                axes[row][2].set_title(f"{schedule}: final Δ exact match", fontsize=10)
        return fig

    def _bars(
        self, ax: Any, schedule: str, arms: list[str], colors: dict[str, str], kind: str
    ) -> None:
        nb = len(self.info["buckets"])
        width = 0.8 / max(1, len(arms))
        nan = {"mean": np.nan, "low": np.nan, "high": np.nan}
        for k, arm in enumerate(arms):
            vs = self.summary[schedule][arm]["vs_random"]
            diffs = [vs.get(f"{kind}/{b}", nan) for b in range(nb)]
            means = np.array([x["mean"] for x in diffs])
            err = np.array(
                [[x["mean"] - x["low"] for x in diffs], [x["high"] - x["mean"] for x in diffs]]
            )
            ax.bar(np.arange(nb) + k * width, means, width, yerr=err, color=colors[arm], capsize=3)
        ax.axhline(0, color="black", lw=0.8)
        ax.set_xticks(np.arange(nb) + width * (len(arms) - 1) / 2, list(self.info["buckets"]))

    def save(
        self,
        directory: str | os.PathLike[str],
        *,
        plot: bool = True,
        inputs: tuple[str | os.PathLike[str] | None, ...] | list[Any] = (),
        force: bool = False,
    ) -> dict[str, Path]:
        """Write ``bench.json``, ``bench.md`` and (with matplotlib) ``bench.png``.

        Existing files in ``directory`` are refused unless ``force``, and none may be an input.
        """
        paths = check_outputs(directory, plot=plot, inputs=inputs, force=force)
        # Everything is made before anything is written.
        data = json.dumps(self.to_dict(), indent=1) + "\n"
        table = self.markdown() + "\n"
        fig = self.plot() if plot else None
        Path(directory).mkdir(parents=True, exist_ok=True)
        if fig is not None:
            fig.savefig(paths["plot"], dpi=110)
        paths["markdown"].write_text(table, encoding="utf-8")
        paths["json"].write_text(data, encoding="utf-8")
        return paths


def check_outputs(
    directory: str | os.PathLike[str],
    *,
    plot: bool = True,
    inputs: tuple[str | os.PathLike[str] | None, ...] | list[Any] = (),
    force: bool = False,
) -> dict[str, Path]:
    """The files :meth:`BenchResult.save` writes, checked before any training starts."""
    from curriculum._files import check_output

    out = Path(directory)
    if out.exists() and not out.is_dir():
        raise InvalidValueError(f"out-dir {str(out)!r} is a file; give a directory")
    names = {"json": "bench.json", "markdown": "bench.md"}
    if plot:
        names["plot"] = "bench.png"
    paths = {k: out / v for k, v in names.items()}
    for p in paths.values():
        check_output(p, what="output", inputs=inputs, force=force)
    return paths


def _diff(d: dict[str, Any], digits: int = 4) -> str:
    return f"{d['mean']:+.{digits}f} [{d['low']:+.{digits}f}, {d['high']:+.{digits}f}]"


def _ratio(item: dict[str, Any], n: int) -> str:
    if item["mean"] is None:
        return f"not reached (0/{n})"
    text = f"{item['mean']:.2f}x"
    return text if item["reached"] == n else f"{text} ({item['reached']}/{n} reached)"
