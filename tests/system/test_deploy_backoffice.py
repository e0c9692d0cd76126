"""Publishing the back office to the stack's site bucket, against the local stack's S3 and CloudFormation."""

from __future__ import annotations

import json
import secrets

import pytest

from arbiter_local import deploy_backoffice
from arbiter_local.deploy_backoffice import DeployError


def _built(folder, files):
    """A built site: these files (relative path -> text) in `folder`."""
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return folder


@pytest.fixture
def built_site(tmp_path):
    return _built(
        tmp_path / "dist",
        {
            "index.html": '<!doctype html><script src="/assets/app-1a2b.js"></script>',
            "assets/app-1a2b.js": "console.log('arbiter')",
            "assets/app-1a2b.css": "body{}",
        },
    )


@pytest.fixture
def built_collection_site(tmp_path):
    return _built(
        tmp_path / "collection-dist",
        {
            "index.html": '<!doctype html><script src="./assets/form-9f8e.js"></script>',
            "assets/form-9f8e.js": "console.log('collect')",
        },
    )


def _objects(s3, bucket):
    return {o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])}


def _arbiter_like_stack(stack, outputs):
    """A CloudFormation stack in moto whose outputs are those an Arbiter stack has."""
    name = f"bo-{secrets.token_hex(4)}"
    template = {
        "Resources": {"Placeholder": {"Type": "AWS::SQS::Queue"}},
        "Outputs": {key: {"Value": value} for key, value in outputs.items()},
    }
    stack.client("cloudformation").create_stack(StackName=name, TemplateBody=json.dumps(template))
    return name


def test_deploy_uploads_the_site_and_its_config_and_removes_stale_files(
    stack, built_site, built_collection_site
):
    s3 = stack.client("s3")
    bucket = stack.physical_id("BackofficeBucket")
    s3.put_object(Bucket=bucket, Key="assets/app-old.js", Body=b"old build")
    outputs = {**stack.provisioned.outputs, "ApiUrl": "https://api.example.com/prod/"}
    config = deploy_backoffice.site_config(outputs, "eu-west-1")

    result = deploy_backoffice.deploy(s3, bucket, config, built_site, built_collection_site)

    assert _objects(s3, bucket) == {
        "index.html",
        "assets/app-1a2b.js",
        "assets/app-1a2b.css",
        "config.json",
        # the collection site, which the distribution serves at /collect/, reading its own config.json
        "collect/index.html",
        "collect/assets/form-9f8e.js",
        "collect/config.json",
    }
    assert result.removed == ["assets/app-old.js"]
    assert result.uploaded[2:4] == ["index.html", "config.json"]  # the page after the assets it loads
    assert result.uploaded[-2:] == ["collect/index.html", "collect/config.json"]
    assert json.loads(s3.get_object(Bucket=bucket, Key="collect/config.json")["Body"].read()) == config
    index = s3.get_object(Bucket=bucket, Key="index.html")
    assert (index["ContentType"], index["CacheControl"]) == ("text/html", "no-cache")
    script = s3.get_object(Bucket=bucket, Key="assets/app-1a2b.js")
    assert script["ContentType"] == "text/javascript"
    assert "immutable" in script["CacheControl"]
    written = json.loads(s3.get_object(Bucket=bucket, Key="config.json")["Body"].read())
    assert written == {
        "apiUrl": "https://api.example.com/prod",
        "region": "eu-west-1",
        "cognito": {
            "endpoint": None,
            "userPoolId": stack.physical_id("ReviewerPool"),
            "clientId": stack.physical_id("ReviewerPoolClient"),
        },
        "environment": "aws",
    }
    assert set(written) == set(stack.site_config())  # the keys the app reads locally, too


def test_the_command_reads_the_stack_outputs(stack, built_site, built_collection_site, capsys):
    bucket = stack.physical_id("BackofficeBucket")
    name = _arbiter_like_stack(
        stack,
        {
            "ApiUrl": "https://abc.execute-api.us-east-1.amazonaws.com/prod",
            "BackofficeBucketName": bucket,
            "UserPoolId": "us-east-1_pool",
            "UserPoolClientId": "client123",
            "BackofficeUrl": "https://d111.cloudfront.net",
            "CollectionSiteUrl": "https://d111.cloudfront.net/collect/",
        },
    )
    sites = ["--site-dir", str(built_site), "--collection-dir", str(built_collection_site)]
    code = deploy_backoffice.main(["--stack-name", name, "--region", "us-east-1", *sites])
    assert code == 0
    printed = capsys.readouterr().out
    assert "Back office: https://d111.cloudfront.net" in printed
    assert "Collection site: https://d111.cloudfront.net/collect/" in printed
    config = json.loads(stack.client("s3").get_object(Bucket=bucket, Key="config.json")["Body"].read())
    assert config["cognito"] == {"endpoint": None, "userPoolId": "us-east-1_pool", "clientId": "client123"}


def test_an_unknown_stack_is_named(stack, built_site, capsys):
    code = deploy_backoffice.main(
        ["--stack-name", "no-such-stack", "--region", "us-east-1", "--site-dir", str(built_site)]
    )
    assert code == 1
    assert "stack 'no-such-stack' not found" in capsys.readouterr().err


def test_a_stack_without_the_outputs_is_refused_before_uploading(stack, built_site, capsys):
    bucket = stack.physical_id("BackofficeBucket")
    before = _objects(stack.client("s3"), bucket)
    name = _arbiter_like_stack(stack, {"BackofficeBucketName": bucket, "ApiUrl": "https://x"})
    code = deploy_backoffice.main(
        ["--stack-name", name, "--region", "us-east-1", "--site-dir", str(built_site)]
    )
    assert code == 1
    assert "no output UserPoolId, UserPoolClientId" in capsys.readouterr().err
    assert _objects(stack.client("s3"), bucket) == before


def test_an_unbuilt_site_is_refused(stack, tmp_path):
    bucket = stack.physical_id("BackofficeBucket")
    config = deploy_backoffice.site_config(
        {"ApiUrl": "https://x", "BackofficeBucketName": bucket, "UserPoolId": "p", "UserPoolClientId": "c"},
        "us-east-1",
    )
    before = _objects(stack.client("s3"), bucket)
    with pytest.raises(DeployError, match=r"no index\.html: build the back office first"):
        deploy_backoffice.deploy(stack.client("s3"), bucket, config, tmp_path)
    assert _objects(stack.client("s3"), bucket) == before
