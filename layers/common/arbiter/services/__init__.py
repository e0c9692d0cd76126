"""The service layer: one function per use case, written against the ports in `ports`."""
