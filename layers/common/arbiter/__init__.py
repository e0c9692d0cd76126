"""Arbiter: risk decisioning for KYC and KYB on AWS serverless.

The shared domain code every Lambda function uses, shipped as the common layer.

Packages:
- `arbiter.domain`: models, state transitions and errors; imports no AWS library.
- `arbiter.rules`: the JSON Logic engine, rule sets and scoring.
- `arbiter.plugins`: third-party and built-in checks (sanctions, registry, contact, vendors).
- `arbiter.services`: one function per use case, written against ports.
- `arbiter.adapters`: the ports implemented with boto3 (DynamoDB, S3, EventBridge, Step Functions).
"""
