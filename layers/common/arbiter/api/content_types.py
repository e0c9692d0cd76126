"""Content types the API functions answer with (powertools' `content_types`, without loading its resolvers)."""

__all__ = ["APPLICATION_JSON"]

APPLICATION_JSON = "application/json"
