"""Helpers the tests share: local HTTP(S) servers and certificates made on the fly."""
