"""The local stack: the whole of Arbiter on one machine, no AWS account and no Docker.

moto stands in for AWS, the template's functions run in this process, and an API Gateway stand-in serves
the API and the back office. `python -m arbiter_local` (what `make demo` runs) starts it.
"""

from arbiter_local.stack import LocalStack, PortInUse, StackConfig

__all__ = ["LocalStack", "PortInUse", "StackConfig"]
