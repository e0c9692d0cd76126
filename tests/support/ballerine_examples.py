"""Ballerine's own published run requests and event bodies, transcribed as data (github.com/ballerine-io/ballerine,
commit b4dfff6925468a9f565f584f1621bce193e04548): what a Ballerine integration already sends, and what Arbiter must
take unchanged. Each says where it was copied from; where the published text is not valid JSON, the comment says
what was changed to read it.

Page URIs and webhook URLs are Ballerine's, as published: tests serve the pages from a local HTTP server
(`with_page_uris`) and point the subscriptions at a local receiver (`with_subscription_url`), except the test that
keeps the back office guide's URIs as published.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

__all__ = ["EVENT_BODIES", "RUN_EXAMPLES", "page_uris", "with_page_uris", "with_subscription_url"]

# websites/docs/src/content/docs/en/learn/back_office.mdx, "Click to see CURL command": the back office guide's run
# request; its pages carry an https `uri` with `"provider": "http"` and `"data": ""`.
BACK_OFFICE_CURL: dict[str, Any] = {
    "workflowId": "risk-score-improvement-dev",
    "context": {
        "entity": {
            "id": "fido-user-id1111111",
            "data": {
                "companyName": "McClure Inc",
                "registrationNumber": "2d92b229-626b-4f99-9a9b-2191e974e2b9",
                "legalForm": "and Sons",
                "countryOfIncorporation": "Heard Island and McDonald Islands",
                "dateOfIncorporation": "2016-04-09T03:16:42.496Z",
                "address": "7533 Lilyan Springs",
                "phoneNumber": "+7169584993",
                "email": "Macie18@yahoo.com",
                "website": "https://oily-testing.biz",
                "industry": "embrace bleeding-edge partnerships",
                "taxIdentificationNumber": "1731576041",
                "vatNumber": "VAT87025707",
                "numberOfEmployees": 453,
                "businessPurpose": "Networked transitional approach",
            },
            "type": "business",
        },
        "documents": [
            {
                "type": "drivers_license",
                "pages": [
                    {
                        "uri": "https://backoffice-demo.ballerine.app/images/mock-documents/set_1_doc_front.png",
                        "data": "",
                        "type": "jpg",
                        "metadata": {"side": "front", "pageNumber": "1"},
                        "provider": "http",
                    },
                    {
                        "uri": "https://backoffice-demo.ballerine.app/images/mock-documents/set_1_doc_back.png",
                        "data": "",
                        "type": "jpg",
                        "metadata": {"side": "back", "pageNumber": "2"},
                        "provider": "http",
                    },
                ],
                "issuer": {
                    "city": "Brockside",
                    "name": "Government",
                    "type": "government",
                    "country": "CA",
                    "additionalDetails": {},
                },
                "version": 1,
                "category": "identification",
                "properties": {"docNumber": "1234", "userAddress": "Turkey, buhgdawe"},
                "issuingVersion": 1,
            },
            {
                "type": "certificate_of_incorporation",
                "pages": [
                    {
                        "uri": "https://upload.wikimedia.org/wikipedia/commons/thumb/3/3e/Certificate_of_incorporation.png/388px-Certificate_of_incorporation.png?20110630185120",
                        "data": "",
                        "type": "jpg",
                        "metadata": {"side": "front", "pageNumber": "1"},
                        "provider": "http",
                        "ballerineFileId": "clhz0lhzd0006ru5ab3p0uf67",
                    }
                ],
                "issuer": {
                    "city": "Brockside",
                    "name": "Government",
                    "type": "government",
                    "country": "TH",
                    "additionalDetails": {},
                },
                "version": 1,
                "category": "regestration",
                "properties": {
                    "website": "https://ballerine.com",
                    "docNumber": "1234",
                    "userAddress": "Turkey, buhgdawe",
                },
                "issuingVersion": 1,
            },
        ],
    },
}

# websites/docs/src/content/docs/en/learn/back_office.mdx, "Click to see Postaman collection": the same request as
# the collection's raw body, with a Ballerine `ballerineFileId` beside every page's URI.
BACK_OFFICE_POSTMAN: dict[str, Any] = {
    "workflowId": "risk-score-improvement-dev",
    "context": {
        "entity": {
            "id": "fido-user-id1111",
            "data": {
                "companyName": "McClure Inc",
                "registrationNumber": "2d92b229-626b-4f99-9a9b-2191e974e2b9",
                "legalForm": "and Sons",
                "countryOfIncorporation": "Heard Island and McDonald Islands",
                "dateOfIncorporation": "2016-04-09T03:16:42.496Z",
                "address": "7533 Lilyan Springs",
                "phoneNumber": "+7169584993",
                "email": "Macie18@yahoo.com",
                "website": "https://oily-testing.biz",
                "industry": "embrace bleeding-edge partnerships",
                "taxIdentificationNumber": "1731576041",
                "vatNumber": "VAT87025707",
                "numberOfEmployees": 453,
                "businessPurpose": "Networked transitional approach",
            },
            "type": "business",
        },
        "documents": [
            {
                "type": "drivers_license",
                "pages": [
                    {
                        "uri": "https://backoffice-demo.ballerine.app/images/mock-documents/set_1_doc_front.png",
                        "data": "",
                        "type": "jpg",
                        "metadata": {"side": "front", "pageNumber": "1"},
                        "provider": "http",
                        "ballerineFileId": "clhz0lhy60004ru5ajduq32s2",
                    },
                    {
                        "uri": "https://backoffice-demo.ballerine.app/images/mock-documents/set_1_doc_back.png",
                        "data": "",
                        "type": "jpg",
                        "metadata": {"side": "back", "pageNumber": "2"},
                        "provider": "http",
                        "ballerineFileId": "clhz0lhxy0002ru5a53674d7b",
                    },
                ],
                "issuer": {
                    "city": "Brockside",
                    "name": "Government",
                    "type": "government",
                    "country": "CA",
                    "additionalDetails": {},
                },
                "version": 1,
                "category": "identification",
                "properties": {"docNumber": "1234", "userAddress": "Turkey, buhgdawe"},
                "issuingVersion": 1,
            },
            {
                "type": "certificate_of_incorporation",
                "pages": [
                    {
                        "uri": "https://upload.wikimedia.org/wikipedia/commons/thumb/3/3e/Certificate_of_incorporation.png/388px-Certificate_of_incorporation.png?20110630185120",
                        "data": "",
                        "type": "jpg",
                        "metadata": {"side": "front", "pageNumber": "1"},
                        "provider": "http",
                        "ballerineFileId": "clhz0lhzd0006ru5ab3p0uf67",
                    }
                ],
                "issuer": {
                    "city": "Brockside",
                    "name": "Government",
                    "type": "government",
                    "country": "TH",
                    "additionalDetails": {},
                },
                "version": 1,
                "category": "regestration",
                "properties": {
                    "website": "https://ballerine.com",
                    "docNumber": "1234",
                    "userAddress": "Turkey, buhgdawe",
                },
                "issuingVersion": 1,
            },
        ],
    },
}

# websites/docs/src/content/docs/en/learn/how_to_use_webhooks.md, "A full run request with subscription": a
# trailing comma after the only document was removed to read it as JSON; `pageNumber` is a number there.
WEBHOOKS_GUIDE: dict[str, Any] = {
    "context": {
        "documents": [
            {
                "properties": {},
                "pages": [
                    {
                        "metadata": {"pageNumber": 1},
                        "provider": "http",
                        "type": "jpg",
                        "uri": "https://upload.wikimedia.org/wikipedia/commons/s.jpg",
                    }
                ],
                "category": "proof_of_ownership",
                "type": "property_rate",
                "version": 1,
                "issuer": {"country": "US"},
            }
        ],
        "entity": {
            "data": {"companyName": "YTO CENTRE", "additionalInfo": {}, "businessType": "SMB"},
            "id": "0a5212e0-ba12422222011b7",
            "type": "business",
        },
    },
    "config": {
        "subscriptions": [
            {
                "type": "webhook",
                "url": "https://webhook.site/b58610f1-93fc-4922-96c6-87d259f245b8",
                "events": ["workflow.completed"],
            }
        ]
    },
    "workflowId": "mp0h897g68v",
}

# websites/docs/src/content/docs/en/learn/simple_kyb_guide.mdx, "Creating a New Workflow Instance": a string
# document `version`, a context field of the integrator's own (`api_config`).
SIMPLE_KYB_GUIDE: dict[str, Any] = {
    "workflowId": "dynamic_external_request_example",
    "context": {
        "entity": {
            "id": "company_id_22113243",
            "data": {
                "companyName": "ABC Company",
                "registrationNumber": "123456789",
                "legalForm": "Business Services",
                "countryOfIncorporation": "United States",
                "dateOfIncorporation": "2003-05-12T14:36:24.173Z",
                "address": "123 Main Street",
                "phoneNumber": "+1 (555) 123-4567",
                "email": "info@abccompany.com",
                "website": "http://www.abccompany.com",
                "industry": "Innovative Solutions",
                "taxIdentificationNumber": "987654321012",
                "vatNumber": "123456789",
                "numberOfEmployees": 250,
                "businessPurpose": "Cutting-edge Technology",
                "approvalState": "NEW",
                "additionalInfo": {"customParam": "customValue"},
            },
            "type": "business",
        },
        "documents": [
            {
                "category": "proof_of_address",
                "type": "water_bill",
                "issuer": {"country": "GH"},
                "pages": [
                    {
                        "provider": "http",
                        "uri": "https://www.africau.edu/images/default/sample.pdf",
                        "metadata": {"side": "front", "pageNumber": "1"},
                        "type": "pdf",
                    }
                ],
                "properties": {"docNumber": "1234", "userAddress": "Turkey, buhgdawe"},
                "version": "1",
                "issuingVersion": 1,
            }
        ],
        "api_config": {"url": "business_test_eu", "special_header": "very_special"},
    },
}

# websites/docs/src/content/docs/en/learn/invoking_a_workflow.md, "Request Body".
INVOKING_A_WORKFLOW: dict[str, Any] = {
    "workflowId": "till_basic_kyb_demo",
    "context": {
        "entity": {
            "type": "business",
            "id": "my-enduser-id111",
            "data": {
                "country": "US",
                "registrationNumber": "756OPOPOP08238",
                "companyName": "TILL COMPANY LIMITED",
                "additionalInfo": {
                    "mainRepresentative": {
                        "email": "email@ballerine.com",
                        "lastName": "Last",
                        "firstName": "First",
                    }
                },
            },
        },
        "documents": [],
    },
}

# services/workflows-service/src/workflow/workflow.controller.external.ts, POST /run, swagger example "KYB".
SWAGGER_KYB: dict[str, Any] = {
    "workflowId": "kyb-us-1",
    "context": {
        "entity": {
            "type": "business",
            "id": "my-enduser-id",
            "data": {
                "country": "US",
                "registrationNumber": "756OPOPOP08238",
                "companyName": "MOCK COMPANY LIMITED",
                "additionalInfo": {
                    "mainRepresentative": {
                        "email": "email@ballerine.com",
                        "lastName": "Last",
                        "firstName": "First",
                    }
                },
            },
        },
        "documents": [],
    },
    "config": {
        "subscriptions": [
            {
                "type": "webhook",
                "url": "https://webhook.site/f82ea191-9d64-424f-887e-f8418faf4fe9",
                "events": ["workflow.completed"],
            }
        ]
    },
}

# services/workflows-service/src/workflow/workflow.controller.external.ts, POST /run, swagger example "Merchant
# Monitoring": no documents, the website under `companyWebsite`, checks in the config.
SWAGGER_MERCHANT_MONITORING: dict[str, Any] = {
    "workflowId": "0k3j3k3g3h3i3j3k3g3h3i3",
    "context": {
        "entity": {
            "type": "business",
            "id": "432109",
            "data": {"companyWebsite": "https://example.com", "lineOfBusiness": "Retail"},
        }
    },
    "config": {
        "checks": {
            "ecosystem": {"enabled": True, "parameters": {}},
            "lineOfBusiness": {"enabled": True, "parameters": {}},
            "socialMediaReport": {"enabled": True, "parameters": {}},
            "transactionLaundering": {"enabled": True, "parameters": {}},
            "websiteCompanyAnalysis": {"enabled": True, "parameters": {}},
        }
    },
}

# services/workflows-service/src/workflow/dtos/workflow-run.ts, WorkflowRunDto.context's swagger example (its
# `value`): a page that is only a `ballerineFileId` of Ballerine's storage, and empty `data` and `properties`.
DTO_CONTEXT_EXAMPLE: dict[str, Any] = {
    "workflowId": "5f8d8e8b8c8d8e8b8c8d8e8b",
    "context": {
        "entity": {"type": "business", "id": "123456", "data": {}},
        "documents": [
            {
                "category": "businessRegistration",
                "type": "certificateOfIncorporation",
                "issuer": {"country": "US"},
                "pages": [{"ballerineFileId": "file123"}],
                "properties": {},
            }
        ],
    },
}

#: Every published run request, by a name for the test ids.
RUN_EXAMPLES: dict[str, dict[str, Any]] = {
    "back-office-curl": BACK_OFFICE_CURL,
    "back-office-postman": BACK_OFFICE_POSTMAN,
    "webhooks-guide": WEBHOOKS_GUIDE,
    "simple-kyb-guide": SIMPLE_KYB_GUIDE,
    "invoking-a-workflow": INVOKING_A_WORKFLOW,
    "swagger-kyb": SWAGGER_KYB,
    "swagger-merchant-monitoring": SWAGGER_MERCHANT_MONITORING,
    "dto-context-example": DTO_CONTEXT_EXAMPLE,
}

#: Event bodies as Ballerine's DTOs and its workflow runner read them, by a name for the test ids.
EVENT_BODIES: dict[str, dict[str, Any]] = {
    # services/workflows-service/src/workflow/dtos/workflow-event-input.ts: `payload` is optional.
    "no-payload": {"name": "UPDATE_CONTEXT"},
    # The same DTO (`@IsOptional()` lets null through class-validator).
    "null-payload": {"name": "UPDATE_CONTEXT", "payload": None},
    # packages/workflow-core/src/lib/workflow-runner.ts, updateContext: the new context under `payload.context`.
    "update-context": {
        "name": "UPDATE_CONTEXT",
        "payload": {"context": {"customerReference": {"tier": "gold"}}},
    },
    # packages/workflow-core/src/lib/workflow-runner.ts, deepMergeContext, as the external controller's hook sends
    # it: `payload.newContext` and an `arrayMergeOption`.
    "deep-merge-context": {
        "name": "DEEP_MERGE_CONTEXT",
        "payload": {"newContext": {"customerReference": {"crmId": 5}}, "arrayMergeOption": "replace"},
    },
}


def page_uris(body: dict[str, Any]) -> list[str]:
    """Every page URI of a run request, in order."""
    return [
        page["uri"]
        for document in body["context"].get("documents") or []
        for page in document.get("pages") or []
        if page.get("uri")
    ]


def with_page_uris(body: dict[str, Any], new_uri: Callable[[str], str]) -> dict[str, Any]:
    """A copy of the request whose page URIs are replaced (`new_uri(published)`); nothing else changes."""
    changed = copy.deepcopy(body)
    for document in changed["context"].get("documents") or []:
        for page in document.get("pages") or []:
            if page.get("uri"):
                page["uri"] = new_uri(page["uri"])
    return changed


def with_subscription_url(body: dict[str, Any], url: str) -> dict[str, Any]:
    """A copy of the request whose webhook subscriptions deliver to `url`."""
    changed = copy.deepcopy(body)
    for subscription in (changed.get("config") or {}).get("subscriptions") or []:
        subscription["url"] = url
    return changed
