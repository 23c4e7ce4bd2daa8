"""Charts are drawn once per set of arguments and read back after."""

from __future__ import annotations

import numpy as np

from reports import chart_cache, charts

ROWS = [("fare", 0.31, 0.2), ("company", 0.05, 0.1)]


def counting(chart):
    calls = []

    def drawn(*args):
        calls.append(args)
        return chart(*args)

    drawn.__name__ = chart.__name__
    return drawn, calls


def test_a_kept_chart_is_the_same_svg_without_drawing_again(tmp_path):
    chart, calls = counting(charts.measurements)

    first = chart_cache.draw(tmp_path, chart, ROWS, "drift")
    again = chart_cache.draw(tmp_path, chart, ROWS, "drift")

    assert len(calls) == 1
    assert again == first == charts.measurements(ROWS, "drift")
    assert chart_cache.cache_path(tmp_path, chart, ROWS, "drift").is_file()


def test_other_arguments_draw_another_chart(tmp_path):
    chart, calls = counting(charts.measurements)
    chart_cache.draw(tmp_path, chart, ROWS, "drift")

    moved = [("fare", 0.35, 0.2), ("company", 0.05, 0.1)]
    svg = chart_cache.draw(tmp_path, chart, moved, "drift")

    assert len(calls) == 2
    assert svg == charts.measurements(moved, "drift")
    assert len(list((tmp_path / chart_cache.CACHE_DIR).iterdir())) == 2


def test_numpy_values_from_tables_key_like_python_numbers(tmp_path):
    as_numpy = [("fare", np.float32(0.5), np.int64(1))]
    as_python = [("fare", 0.5, 1)]
    assert chart_cache.cache_path(tmp_path, charts.measurements, as_numpy, "t") == (
        chart_cache.cache_path(tmp_path, charts.measurements, as_python, "t")
    )


def test_a_root_that_cannot_keep_charts_still_gets_them_drawn(tmp_path):
    # A file where the cache folder would go: mkdir fails even for root.
    (tmp_path / chart_cache.CACHE_DIR.parts[0]).write_text("not a folder")

    svg = chart_cache.draw(tmp_path, charts.measurements, ROWS, "drift")

    assert svg == charts.measurements(ROWS, "drift")
