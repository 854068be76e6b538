"""Insights for inquiry prevention: topics, bug clusters, knowledge gaps, content and account health."""
