"""The `recap` command: the one place that wires the library (agent/), the review page (ui/) and
the eval harness (evals/) together. Nothing below imports it."""
