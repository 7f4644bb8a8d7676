"""Provider resilience (issue 18): fallback chains, provider health, pooled keys."""
