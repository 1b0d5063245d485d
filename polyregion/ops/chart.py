"""The timeline chart: success rate per location over time, with the drill's moments marked."""

from __future__ import annotations

from pathlib import Path

from polyregion.ops import measure
from polyregion.ops.result import DrillResult


def timeline(result: DrillResult, path: Path) -> Path:
    """Write a PNG (matplotlib, Agg backend: no display needed) and return its path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    marks = result.marks
    t0 = marks.fault if marks.fault is not None else marks.started
    bin_s = max(0.25, result.plan.settings.tick_s * 5)
    fig, ax = plt.subplots(figsize=(10, 4.5), dpi=100)
    try:
        colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
        for i, loc in enumerate(result.locations):
            color = colors[i % len(colors)]
            mine = [s for s in result.recording.samples if s.location == loc.name]
            xs, ys = measure.success_series(mine, t0, bin_s)
            ax.plot(
                xs,
                [y * 100 for y in ys],
                label=f"{loc.name} success %",
                color=color,
                drawstyle="steps-mid",
            )
            if loc.dns_change_at is not None:
                ax.axvline(loc.dns_change_at - t0, color=color, linestyle=":", linewidth=1)
                ax.annotate(
                    f"DNS {loc.name}", (loc.dns_change_at - t0, 8 + 8 * i), color=color, fontsize=8
                )
            if loc.recovered_at is not None and loc.rto_s:
                ax.axvline(loc.recovered_at - t0, color=color, linestyle="--", linewidth=1)
                ax.annotate(
                    f"recovered {loc.name}",
                    (loc.recovered_at - t0, 40 + 8 * i),
                    color=color,
                    fontsize=8,
                )
        for when, label, color in (
            (marks.fault, "fault", "red"),
            (result.health_flip_at, "health flip", "orange"),
            (marks.rollback, "rollback", "green"),
            (marks.failback, "failback", "teal"),
        ):
            if when is not None:
                ax.axvline(when - t0, color=color, linewidth=1.5)
                ax.annotate(label, (when - t0, 102), color=color, fontsize=8, rotation=30)
        ax.set_ylim(-5, 115)
        ax.set_xlabel("seconds since the fault")
        ax.set_ylabel("success rate (%)")
        title = f"{result.plan.scenario.name} on {result.plan.target}"
        if result.rto_s is not None:
            title += f": RTO {result.rto_s:.1f}s (bound {result.plan.bound_s:g}s)"
        ax.set_title(title)
        if result.locations:
            ax.legend(loc="lower right", fontsize=8)
        ax.grid(alpha=0.3)
        fig.tight_layout()
        fig.savefig(path)
    finally:
        plt.close(fig)
    return path
