"""DynamoDB adapters over the single Arbiter table (key layout in `keys`)."""

from arbiter.adapters.dynamodb.tenants import DynamoTenantRepository

__all__ = ["DynamoTenantRepository"]
