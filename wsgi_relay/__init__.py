"""What the provider's function proxy and the gateway's `/run` relay share: reading a WSGI
request to send it on, writing a status line or a JSON error back, the streaming HTTP server
they both run on (cheroot, with its deadlines, body pace and body limit), and a server's life
until it is signalled to stop.

Its own package because the provider and the gateway never import each other; it imports
neither of them (the standard library, urllib3, which both use to call the next hop, cheroot
and werkzeug)."""
