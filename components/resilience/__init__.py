"""Settings views of provider resilience (issue 18)."""
