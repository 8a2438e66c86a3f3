"""Dashboard pages: each lays out what the public API computes for the current filters."""
