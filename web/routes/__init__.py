"""One router per resource: pages, auth, api, ops."""
