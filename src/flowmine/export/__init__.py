"""Exports of a stored event log: XES (.xes, .xes.gz), CSV and Parquet."""
