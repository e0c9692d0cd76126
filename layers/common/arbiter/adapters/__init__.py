"""Adapters: the service layer's ports implemented with boto3. Nothing outside this package imports boto3."""
