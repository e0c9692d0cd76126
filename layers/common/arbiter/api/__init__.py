"""What the HTTP functions share: error mapping, authentication, request and response schemas."""
