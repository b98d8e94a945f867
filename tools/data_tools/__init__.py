"""Data preparation of the tools: flow extraction, the generated motion datasets."""
