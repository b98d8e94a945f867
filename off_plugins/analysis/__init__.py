"""Benchmarking and visualisation helpers for OFF models."""
