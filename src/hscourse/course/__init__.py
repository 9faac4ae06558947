"""Stages 1-3 and the course model: schema, load, validate, resolve the term, forms."""
