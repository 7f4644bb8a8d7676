"""Widgets of the Library: the grid of videos and ads."""
