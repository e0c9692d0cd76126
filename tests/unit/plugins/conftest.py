from tests.support.fixtures import serve

__all__ = ["serve"]
