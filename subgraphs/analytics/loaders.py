"""Analytics needs no dataloaders: its reports are one statement each."""

from __future__ import annotations

from dataclasses import dataclass

from subgraphs.analytics.settings import AnalyticsSettings
from subgraphs.kit.context import ServiceContext


@dataclass(frozen=True, slots=True)
class AnalyticsLoaders:
    pass


AnalyticsContext = ServiceContext[AnalyticsLoaders, AnalyticsSettings]


def make_loaders(context: AnalyticsContext) -> AnalyticsLoaders:
    return AnalyticsLoaders()
