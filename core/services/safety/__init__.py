"""Safety checks run before any provider call: the content guard's block list."""
