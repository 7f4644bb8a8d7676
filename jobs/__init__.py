"""Durable jobs: the step engine, step context (paid calls), pipelines per job kind, the sweeper,
the provider watcher, webhook receiver and the RQ worker."""
