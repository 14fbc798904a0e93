"""Marshmallow schemas: one per resource, a variant per audience (public / owner / staff)."""
