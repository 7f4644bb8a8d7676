"""A chart with its numbers beside it: the chart, the table behind it, and a CSV download.

Built on streamlit-extras' `chart_container` (tabs, a dataframe and a download button, all
drawn by Streamlit itself: nothing is fetched from outside the machine).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pandas as pd
from streamlit_extras.chart_container import chart_container

TABS = (":material/bar_chart: Chart", ":material/table: Numbers", ":material/download: Export")


@contextmanager
def chart_with_data(data: pd.DataFrame) -> Iterator[None]:
    """Draw the chart inside the block; a team can read its numbers and export them as CSV."""
    with chart_container(data, tabs=TABS, export_formats=["CSV"]):
        yield
