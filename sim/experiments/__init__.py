"""Experiments: statistics across replications of a scenario."""

from sim.experiments.stats import (
    Interval,
    PairedDifference,
    mean_interval,
    paired_difference,
    pooled_rate,
)

__all__ = [
    "Interval",
    "PairedDifference",
    "mean_interval",
    "paired_difference",
    "pooled_rate",
]
