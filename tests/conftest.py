"""Suite-wide fixtures. Tests never reach a real AWS account: credentials are fake and regions fixed."""

from __future__ import annotations

import os

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ["AWS_ACCESS_KEY_ID"] = "testing"
os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"  # moto's fake credentials
os.environ.pop("AWS_PROFILE", None)
