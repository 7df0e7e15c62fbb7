"""The pure parts of the speed benchmarks: fits, extrapolation, percentiles, the table. Made-up
numbers only; nothing here times anything."""

import math

import pytest

from bench.growth import analyse, fastest, linear_fit
from bench.speedlib import (
    Figure,
    extrapolate,
    fit_power,
    growth_kind,
    machine_line,
    percentile,
    render_table,
    repeat_records,
    vector_extensions,
)


def test_fit_power_recovers_exponent_and_coefficient():
    xs = [100, 200, 400, 800]
    fit = fit_power(xs, [3.0 * x**0.5 for x in xs])
    assert fit is not None
    assert fit.exponent == pytest.approx(0.5)
    assert fit.coefficient == pytest.approx(3.0)
    assert fit.at(1600) == pytest.approx(3.0 * 40)
    assert fit.kind == "sub-linear"


def test_fit_power_needs_two_positive_points():
    assert fit_power([1, 2], [0.0, 5.0]) is None
    assert fit_power([4, 4], [1.0, 2.0]) is None


def test_growth_kind_words():
    assert growth_kind(0.02) == "flat"
    assert growth_kind(0.5) == "sub-linear"
    assert growth_kind(1.05) == "linear"
    assert growth_kind(1.6) == "super-linear"


def test_extrapolate_anchors_at_the_largest_point():
    xs = [1, 2, 4, 8]
    ys = [10.0, 20.0, 40.0, 80.0]  # linear
    assert extrapolate(xs, ys, 1000) == pytest.approx(10_000)
    # Flat: the estimate is the last measured value.
    assert extrapolate(xs, [5.0] * 4, 1e6) == pytest.approx(5.0)


def test_linear_fit_separates_fixed_and_per_item_parts():
    intercept, slope = linear_fit([1, 2, 4, 8], [502, 504, 508, 516])
    assert intercept == pytest.approx(500)
    assert slope == pytest.approx(2)


def test_analyse_and_fastest_part():
    rows = [
        {"articles": n, "build_s": 2.0 * n, "embed_s": 1.9 * n, "rest_s": 0.001 * n**1.5}
        for n in (100, 200, 400, 800)
    ]
    analysis = analyse(rows, target=1000)
    by_key = {a["key"]: a for a in analysis}
    assert set(by_key) == {"build_s", "embed_s", "rest_s"}  # series without values are skipped
    assert by_key["build_s"]["exponent"] == pytest.approx(1.0)
    assert by_key["build_s"]["at_target_linear"] == pytest.approx(2000)
    assert by_key["rest_s"]["kind"] == "super-linear"
    assert fastest(analysis, ["embed_s", "rest_s"])["key"] == "rest_s"


def test_percentile_nearest_rank():
    values = list(range(1, 101))
    assert percentile(values, 0.5) == 50
    assert percentile(values, 0.95) == 95
    assert percentile([7.0], 0.95) == 7.0
    with pytest.raises(ValueError):
        percentile([], 0.5)


def test_figure_ratio_and_targets():
    faster = Figure("build", 300.0, "tok/s", 150.0, "LlamaIndex", at_least=1.5)
    assert faster.ratio == pytest.approx(2.0)
    assert faster.met is True
    assert faster.target == ">= 1.50x"
    slow = Figure("one change", 2.5, "s", 100.0, "full build", at_most=2.0, on_value=True)
    assert slow.met is False
    assert slow.target == "<= 2.00 s"
    context = Figure("chunks/s", 5.0, "chunk/s")
    assert context.ratio is None and context.met is None
    assert math.isclose(Figure("x", 1, "s", 0.0).ratio or -1, -1)  # zero baseline: no ratio


def test_render_table_columns_and_verdicts():
    text = render_table(
        [
            Figure("no-change re-index", 0.1, "s", 50.0, "full build", at_most=0.01),
            Figure("build", 100.0, "tok/s", 100.0, "LlamaIndex", at_least=1.5, note="same run"),
        ]
    )
    lines = text.splitlines()
    assert lines[0].split() == ["figure", "measured", "baseline", "(same", "run)", "ratio",
                                "target", "met"]  # fmt: skip
    assert "0.20%" in lines[2] and "<= 1.00%" in lines[2] and lines[2].endswith("yes")
    assert "1.00x" in lines[3] and lines[3].endswith("NO")
    assert lines[-1] == "  build: same run"


def test_repeat_records_makes_distinct_articles():
    base = [{"id": "a", "title": "T", "text": "x"}, {"id": "b", "title": "U", "text": "y"}]
    out = repeat_records(base, 3)
    assert len(out) == 6
    assert len({r["id"] for r in out}) == 6
    assert len({(r["title"], r["text"]) for r in out}) == 6
    assert out[:2] == base


def test_vector_extensions_read_from_cpuinfo_flags():
    cpuinfo = (
        "processor\t: 0\nmodel name\t: Some CPU\n"
        "flags\t\t: fpu sse2 avx avx2 fma avx512f avx512_vnni\n\n"
        "processor\t: 1\nflags\t\t: fpu sse2\n"
    )
    assert vector_extensions(cpuinfo) == ["avx2", "avx512f", "avx512_vnni"]
    assert vector_extensions("processor\t: 0\nFeatures\t: fp asimd\n") == []


def test_machine_line_names_the_vector_extensions():
    info = {"nproc": 2, "cpu": "Some CPU", "loadavg_1m": 0.5}
    assert machine_line(info) == "machine: 2 CPUs, Some CPU, load average 0.5 at start"
    with_avx2 = machine_line({**info, "vector_extensions": ["avx2"]})
    assert with_avx2 == "machine: 2 CPUs, Some CPU (avx2), load average 0.5 at start"
    assert "(no AVX2)" in machine_line({**info, "vector_extensions": []})
