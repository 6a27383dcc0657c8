"""Closing a quarter: parks submit, the district reviews, reported figures are reconciled."""
