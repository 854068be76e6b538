"""Chunk, embed, index and search the knowledge base and past tickets."""
