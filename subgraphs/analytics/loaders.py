"""Analytics needs no dataloaders: its reports are one statement each."""

from __future__ import annotations

from dataclasses import dataclass

from subgraphs.kit.context import ServiceContext


@dataclass(frozen=True, slots=True)
class AnalyticsLoaders:
    pass


AnalyticsContext = ServiceContext[AnalyticsLoaders]


def make_loaders(context: ServiceContext[AnalyticsLoaders]) -> AnalyticsLoaders:
    return AnalyticsLoaders()
