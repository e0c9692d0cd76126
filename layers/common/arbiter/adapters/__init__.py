"""The ports of the domain and services implemented with AWS (boto3, powertools).

Import the adapter module you need (`arbiter.adapters.dynamodb`, `.stepfunctions`, `.secrets`…): each one imports
its AWS library, and a function should load only the ones it uses. Nothing outside this package imports boto3.
"""
