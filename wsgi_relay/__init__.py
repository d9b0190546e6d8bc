"""What the provider's function proxy and the gateway's `/run` relay share: reading a WSGI
request to send it on, and writing a status line or a JSON error back.

Its own package because the local engine and the gateway never import each other; it imports
neither of them (the standard library and urllib3, which both use to call the next hop)."""
