"""The coverage engine: states, recompute, stored figures, explanations, work queue, closing quarters."""
