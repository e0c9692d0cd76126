"""`make deploy-backoffice`: publish backoffice/dist to the stack's site bucket with the config.json it reads, and
the collection site (collection/dist) under `collect/` with its own copy (the distribution serves it at /collect/).

The build holds nothing environment-specific: the API URL and the Cognito pool come from the stack's outputs
(`ApiUrl`, `BackofficeBucketName`, `UserPoolId`, `UserPoolClientId`) and are written to `config.json` beside the
site. `index.html` and `config.json` are served uncached so a new deployment is seen at once; the hashed
assets are cached for a year. Files of an earlier deployment that the new build no longer has are removed.

    python -m arbiter_local.deploy_backoffice --stack-name arbiter [--region eu-west-1] [--site-dir DIR]
        [--collection-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import mimetypes
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError

__all__ = ["DeployError", "Deployment", "deploy", "site_config", "stack_outputs"]

SITE_DIR = Path(__file__).resolve().parents[2] / "backoffice" / "dist"
COLLECTION_DIR = Path(__file__).resolve().parents[2] / "collection" / "dist"
#: Where the collection site lives in the bucket (and on the distribution: template.yaml's /collect/* behaviour).
COLLECTION_PREFIX = "collect/"
REQUIRED_OUTPUTS = ("ApiUrl", "BackofficeBucketName", "UserPoolId", "UserPoolClientId")
NO_CACHE = "no-cache"
IMMUTABLE = "public, max-age=31536000, immutable"


class DeployError(Exception):
    """The deployment cannot go ahead; the message says what to fix."""


@dataclass
class Deployment:
    bucket: str
    uploaded: list[str]
    removed: list[str]
    config: dict[str, Any]


def stack_outputs(cloudformation: Any, stack_name: str) -> dict[str, str]:
    """The stack's outputs by key; DeployError when the stack does not exist."""
    try:
        stacks = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    except ClientError as exc:
        raise DeployError(f"stack {stack_name!r} not found: deploy it first (sam deploy)") from exc
    return {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}


def site_config(outputs: Mapping[str, Any], region: str, environment: str = "aws") -> dict[str, Any]:
    """config.json: the same keys the local stack serves (see LocalStack.site_config)."""
    missing = [key for key in REQUIRED_OUTPUTS if not outputs.get(key)]
    if missing:
        raise DeployError(f"the stack has no output {', '.join(missing)}: is it an Arbiter stack?")
    return {
        "apiUrl": str(outputs["ApiUrl"]).rstrip("/"),
        "region": region,
        "cognito": {
            "endpoint": None,
            "userPoolId": outputs["UserPoolId"],
            "clientId": outputs["UserPoolClientId"],
        },
        "environment": environment,
    }


def _content_type(path: Path) -> str:
    return mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def _upload_site(s3: Any, bucket: str, site_dir: Path, prefix: str, config: dict[str, Any]) -> list[str]:
    """Upload one built site under `prefix`, then its config.json; the keys written."""
    files = sorted(p for p in site_dir.rglob("*") if p.is_file() and p.name != "config.json")
    uploaded: list[str] = []
    # Assets first, index.html last: a browser never gets a page whose scripts are not there yet.
    for path in sorted(files, key=lambda p: p.name == "index.html"):
        key = prefix + path.relative_to(site_dir).as_posix()
        cache = NO_CACHE if path.name == "index.html" else IMMUTABLE
        s3.put_object(
            Bucket=bucket,
            Key=key,
            Body=path.read_bytes(),
            ContentType=_content_type(path),
            CacheControl=cache,
        )
        uploaded.append(key)
    s3.put_object(
        Bucket=bucket,
        Key=f"{prefix}config.json",
        Body=json.dumps(config, indent=2).encode(),
        ContentType="application/json",
        CacheControl=NO_CACHE,
    )
    return [*uploaded, f"{prefix}config.json"]


def deploy(
    s3: Any,
    bucket: str,
    config: dict[str, Any],
    site_dir: Path = SITE_DIR,
    collection_dir: Path | None = None,
) -> Deployment:
    """Upload the built back office (and the collection site, when given) with their config.json; remove what an
    earlier deployment left behind."""
    if not (site_dir / "index.html").is_file():
        raise DeployError(f"{site_dir} has no index.html: build the back office first (make backoffice)")
    if collection_dir is not None and not (collection_dir / "index.html").is_file():
        raise DeployError(
            f"{collection_dir} has no index.html: build the collection site first (make collection)"
        )
    uploaded = _upload_site(s3, bucket, site_dir, "", config)
    if collection_dir is not None:
        uploaded += _upload_site(s3, bucket, collection_dir, COLLECTION_PREFIX, config)
    keep = set(uploaded)
    stale: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        stale += [o["Key"] for o in page.get("Contents", []) if o["Key"] not in keep]
    for start in range(0, len(stale), 1000):
        s3.delete_objects(
            Bucket=bucket,
            Delete={"Objects": [{"Key": k} for k in stale[start : start + 1000]], "Quiet": True},
        )
    return Deployment(bucket=bucket, uploaded=uploaded, removed=stale, config=config)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="deploy_backoffice", description=__doc__.split("\n")[0])
    parser.add_argument("--stack-name", required=True, help="the CloudFormation stack (sam deploy's name)")
    parser.add_argument("--region", default=None, help="default: the AWS CLI's configured region")
    parser.add_argument("--site-dir", type=Path, default=SITE_DIR, help="the built site (backoffice/dist)")
    parser.add_argument(
        "--collection-dir",
        type=Path,
        default=COLLECTION_DIR,
        help="the built collection site (collection/dist)",
    )
    args = parser.parse_args(argv)
    session = boto3.session.Session(region_name=args.region)
    if not session.region_name:
        print("no AWS region: pass --region or set AWS_REGION", file=sys.stderr)
        return 2
    try:
        outputs = stack_outputs(session.client("cloudformation"), args.stack_name)
        config = site_config(outputs, session.region_name)
        result = deploy(
            session.client("s3"), outputs["BackofficeBucketName"], config, args.site_dir, args.collection_dir
        )
    except DeployError as exc:
        print(f"deploy-backoffice: {exc}", file=sys.stderr)
        return 1
    print(
        f"Uploaded {len(result.uploaded)} files to s3://{result.bucket} (removed {len(result.removed)} stale)"
    )
    if outputs.get("BackofficeUrl"):
        print(f"Back office: {outputs['BackofficeUrl']}")
    if outputs.get("CollectionSiteUrl"):
        print(f"Collection site: {outputs['CollectionSiteUrl']} (collection links open it)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
