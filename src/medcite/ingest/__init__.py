"""Ingest: loaders per format, chunking, named sources, the resumable runner."""
