"""Typed helpers for Streamlit's pickers (selectbox, radio, multiselect)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

K = TypeVar("K")


def labelled(names: Mapping[K, object]) -> Callable[[K], str]:
    """A `format_func` that shows each option's label, as `names.get` does, but typed for mypy."""
    return lambda key: str(names.get(key))
