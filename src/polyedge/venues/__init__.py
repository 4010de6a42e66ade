"""Simulated venues: latency models, venue rules and the response model."""
