"""Output adapters: where records, dead letters, alerts and metrics leave the pipeline."""
