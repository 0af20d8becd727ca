"""The soak's pure pieces: the RSS slope, the request mix, the summary, wrk's non-2xx count.

No timing is asserted: these check the arithmetic and parsing the soak's report relies on.
"""

from __future__ import annotations

import json

import pytest

from bench import load
from bench.soak import RssSamples, Slice, mixed_requests, summarize


def test_rss_slope_is_least_squares_in_mb_per_minute() -> None:
    flat = RssSamples([(t, 100.0) for t in range(0, 120, 2)])
    assert flat.slope_mb_per_minute() == 0.0
    growing = RssSamples([(float(t), 100.0 + t / 60) for t in range(0, 600, 2)])
    assert growing.slope_mb_per_minute() == pytest.approx(1.0)
    noisy = RssSamples([(0.0, 100.0), (60.0, 104.0), (120.0, 102.0), (180.0, 106.0)])
    assert noisy.slope_mb_per_minute() == pytest.approx(1.6)
    assert RssSamples([(0.0, 5.0)]).slope_mb_per_minute() == 0.0


def test_the_mix_asks_every_kind_of_query_and_each_product() -> None:
    ids = [str(n) for n in range(1, 11)]
    mix = mixed_requests(ids)
    bodies = [json.loads(body) for _path, body in mix]
    kinds = {body["query"].split("{", 1)[0].split()[1].split("(")[0] for body in bodies}
    assert kinds == {"Listing", "Product", "Me", "Categories"}
    asked = {body["variables"]["id"] for body in bodies if "variables" in body}
    assert asked == set(ids)
    assert {path for path, _ in mix} == {"/graphql"}


def test_summary_reports_drift_and_totals() -> None:
    slices = [
        Slice(1, 60.0, 6000, 0, 0, 2, 5.0, 20.0, 150.0),
        Slice(2, 60.0, 5400, 3, 1, 0, 6.0, 30.0, 151.0),
    ]
    samples = RssSamples([(0.0, 150.0), (60.0, 150.5), (120.0, 151.0)])
    report = summarize(slices, samples, duration=120, connections=20)
    assert report["requests"] == 11400
    assert (report["non_200"], report["socket_errors"], report["graphql_errors"]) == (3, 1, 2)
    assert report["p99_drift_ratio"] == pytest.approx(1.5)
    assert report["rss_slope_mb_per_min"] == pytest.approx(0.5)
    assert report["slices"][0]["rps"] == pytest.approx(100.0)


def test_wrk_result_separates_non_2xx_from_socket_errors() -> None:
    line = (
        'BENCH_RESULT {"requests":100,"duration_us":1000000,"bytes":1,'
        '"errors":{"connect":1,"read":0,"write":0,"status":4,"timeout":2},'
        '"latency_us":{"mean":1.0,"max":9,"p50":1000,"p90":2000,"p95":3000,"p99":4000}}'
    )
    result = load.parse_result(line)
    assert (result.errors, result.non_2xx) == (7, 4)
