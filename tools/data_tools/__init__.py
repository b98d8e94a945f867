"""Data preparation of the tools: flow extraction, the generated motion
datasets, and the fake datasets in the real layouts of the full-size smoke."""
