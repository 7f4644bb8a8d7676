"""Streamlit widgets, one package per feature plus the shared ones (runtime, status chip, media,
uploads); pages compose them, and they call services only."""
