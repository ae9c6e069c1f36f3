"""Validates an RO-Crate with roc-validator (rocrate-validator) offline.

Usage: python validate.py CRATE_DIR PROFILE [PROFILE ...]

The crate's two JSON-LD contexts are not fetched from w3id.org: this script serves the copies
vendored beside it (contexts/, see README.md) from a local HTTP server on 127.0.0.1, and every
request the validator makes for one of them goes there; any other request fails, so a crate that
needed the network would not pass. Prints each profile's verdict and its issues; exits 1 when any
profile fails at REQUIRED level, 2 on a usage error.
"""
import functools
import http.server
import os
import sys
import threading

import requests
from requests.adapters import HTTPAdapter

HERE = os.path.dirname(os.path.abspath(__file__))
CONTEXTS = {
    "https://w3id.org/ro/crate/1.1/context": "ro-crate-1.1-context.jsonld",
    "https://w3id.org/ro/terms/workflow-run/context": "workflow-run-context.json",
}


class ContextHandler(http.server.SimpleHTTPRequestHandler):
    def end_headers(self):
        self.send_header("Content-Type", "application/ld+json")
        super().end_headers()

    def log_message(self, *args):
        pass


def serve_contexts():
    handler = functools.partial(ContextHandler, directory=os.path.join(HERE, "contexts"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def route_requests(port, served):
    original = HTTPAdapter.send

    def send(self, request, **kwargs):
        url = request.url.rstrip("/")
        if url in CONTEXTS:
            served.append(url)
            request.url = f"http://127.0.0.1:{port}/{CONTEXTS[url]}"
            return original(self, request, **kwargs)
        if request.url.startswith(f"http://127.0.0.1:{port}/"):
            return original(self, request, **kwargs)
        raise requests.ConnectionError(f"offline: the validator asked for {request.url}")

    HTTPAdapter.send = send


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    crate, profiles = sys.argv[1], sys.argv[2:]
    server = serve_contexts()
    served = []
    route_requests(server.server_address[1], served)
    from rocrate_validator import services
    from rocrate_validator.models import Severity

    failed = False
    for profile in profiles:
        settings = services.ValidationSettings(
            rocrate_uri=crate,
            profile_identifier=profile,
            requirement_severity=Severity.REQUIRED,
            no_cache=True,
        )
        result = services.validate(settings)
        issues = result.get_issues(min_severity=Severity.REQUIRED)
        verdict = "valid" if result.passed() and not issues else "INVALID"
        print(f"{profile}: {verdict}")
        for issue in issues:
            check = issue.check
            print(f"  [{check.identifier}] {check.name}: {issue.message}")
        failed = failed or verdict != "valid"
    print("contexts served locally: " + ", ".join(sorted(set(served))))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
