"""A tiny app that is not the blog: stdlib http.server + plain boto3, configured only by the
contract's environment (docs/your-app.md). The sandbox tests run it through `polyregion up`.

    GET  /health          200 when its global table answers, else 503
    GET  /env             the contract variables it received (JSON)
    PUT  /notes/<id>      body -> global table `notes` (no stamps, key "id")
    GET  /notes/<id>      read from this region's replica
    PUT  /visits/<id>     body -> regional table `visits`
    GET  /visits/<id>
    POST /crash           exits with code 3 (a crash mid-run)
    POST /crash-loop      writes the marker file `crash-loop-<region>` next to itself, then
                          exits with code 3: every later start finds the marker and exits with
                          code 5 before listening (a crash loop), until the marker is removed

`--mode never-listen` never binds; `--mode exit` exits with code 4 at once.
"""

from __future__ import annotations

import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3

CONTRACT = ("HOST", "PORT", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL")
CRASH_LOOP_EXIT = 5


def crash_loop_marker() -> str:
    """Per region, so a crash loop in one region leaves the others' restarts alone."""
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.join(here, f"crash-loop-{os.environ['POLYREGION_REGION']}")


def main() -> None:
    mode = sys.argv[2] if sys.argv[1:2] == ["--mode"] else "serve"
    print(f"notes app starting in {os.environ['POLYREGION_REGION']} ({mode})", flush=True)
    if mode == "exit":
        print("notes app: giving up on purpose", flush=True)
        sys.exit(4)
    if os.path.exists(crash_loop_marker()):
        print(f"notes app: {crash_loop_marker()} exists, exiting (crash loop)", flush=True)
        sys.exit(CRASH_LOOP_EXIT)
    if mode == "never-listen":
        print("notes app: not listening on purpose", flush=True)
        time.sleep(3600)
    # No endpoint or region passed: boto3 takes AWS_ENDPOINT_URL and AWS_REGION from the env.
    ddb = boto3.client("dynamodb")
    tables = {
        "notes": os.environ["POLYREGION_TABLE_NOTES"],
        "visits": os.environ["POLYREGION_TABLE_VISITS"],
    }

    class Handler(BaseHTTPRequestHandler):
        def answer(self, code: int, body: object) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.send_header("x-region", os.environ["POLYREGION_REGION"])
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path == "/health":
                try:
                    ddb.describe_table(TableName=tables["notes"])
                except Exception as exc:  # any failure: degraded
                    return self.answer(503, {"healthy": False, "error": type(exc).__name__})
                return self.answer(200, {"healthy": True})
            if self.path == "/env":
                keys = [k for k in os.environ if k.startswith("POLYREGION_") or k in CONTRACT]
                return self.answer(200, {k: os.environ[k] for k in keys})
            kind, _, key = self.path.strip("/").partition("/")
            if kind in tables and key:
                item = ddb.get_item(
                    TableName=tables[kind], Key={"id": {"S": key}}, ConsistentRead=True
                ).get("Item")
                return self.answer(404, {}) if item is None else self.answer(200, item)
            return self.answer(200 if self.path == "/" else 404, {"app": "notes"})

        def do_PUT(self) -> None:
            kind, _, key = self.path.strip("/").partition("/")
            text = self.rfile.read(int(self.headers.get("content-length") or 0)).decode()
            if kind not in tables or not key:
                return self.answer(404, {})
            item = {"id": {"S": key}, "text": {"S": text}}
            ddb.put_item(TableName=tables[kind], Item=item)
            return self.answer(200, item)

        def do_POST(self) -> None:
            if self.path == "/crash-loop":
                with open(crash_loop_marker(), "w") as marker:
                    marker.write("remove me to end the crash loop\n")
            if self.path in ("/crash", "/crash-loop"):
                os._exit(3)
            return self.answer(404, {})

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer((os.environ["HOST"], int(os.environ["PORT"])), Handler)
    print(f"notes app listening on {os.environ['HOST']}:{os.environ['PORT']}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
