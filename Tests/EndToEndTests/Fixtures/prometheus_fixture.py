#!/usr/bin/env python3
"""A fixture exporter for the Prometheus end-to-end test, and a remote-write capture sink.

    prometheus_fixture.py PORT STATE_DIR

GET /metrics serves kube-state-metrics and cAdvisor shaped series: three pods of `worker` in namespace `shop`,
one pod in an unmapped namespace, a network counter that resets when STATE_DIR/reset exists, and a metric no
rule takes. When STATE_DIR/gone exists the usage series are no longer exposed (Prometheus then writes staleness
markers). Every scrape is logged to STATE_DIR/scrapes.jsonl with its time and values, from which the test
computes the usage it expects.

POST /capture stores remote-write bodies as Prometheus sent them (STATE_DIR/capture/N.bin, the first 50).
"""
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT = int(sys.argv[1])
STATE = sys.argv[2]
os.makedirs(os.path.join(STATE, "capture"), exist_ok=True)
lock = threading.Lock()
counter = {"value": 0.0}
captured = {"n": 0}

PODS = [("shop", "worker-a", "worker", 0.5), ("shop", "worker-b", "worker", 1.5), ("shop", "worker-c", "worker", 0.25),
        ("kube-system", "coredns-x", "coredns", 4.0)]
EGRESS_STEP = 64 * 1024 * 1024  # bytes per scrape


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path != "/metrics":
            self.send_response(404)
            self.end_headers()
            return
        now = time.time()
        gone = os.path.exists(os.path.join(STATE, "gone"))
        lines = ["# TYPE unrelated_metric gauge", "unrelated_metric 1"]
        entry = {"t": now, "gone": gone, "cpu": {}, "egress": None}
        with lock:
            if not gone:
                lines.append("# TYPE kube_pod_container_resource_requests gauge")
                for namespace, pod, container, cores in PODS:
                    lines.append('kube_pod_container_resource_requests{namespace="%s",pod="%s",container="%s",resource="cpu",unit="core"} %s'
                                 % (namespace, pod, container, repr(cores)))
                    lines.append('kube_pod_container_resource_requests{namespace="%s",pod="%s",container="%s",resource="memory",unit="byte"} %d'
                                 % (namespace, pod, container, 1073741824))
                    entry["cpu"][namespace + "/" + pod] = cores
                reset = os.path.join(STATE, "reset")
                if os.path.exists(reset):
                    os.remove(reset)
                    counter["value"] = 0.0
                else:
                    counter["value"] += EGRESS_STEP
                lines.append("# TYPE container_network_transmit_bytes_total counter")
                lines.append('container_network_transmit_bytes_total{namespace="shop",pod="worker-a",container="worker",interface="eth0"} %d'
                             % counter["value"])
                entry["egress"] = counter["value"]
            with open(os.path.join(STATE, "scrapes.jsonl"), "a") as log:
                log.write(json.dumps(entry) + "\n")
        body = ("\n".join(lines) + "\n").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        if self.path == "/capture":
            with lock:
                if captured["n"] < 50:
                    with open(os.path.join(STATE, "capture", "%03d.bin" % captured["n"]), "wb") as out:
                        out.write(body)
                    with open(os.path.join(STATE, "capture", "%03d.headers" % captured["n"]), "w") as out:
                        out.write(json.dumps(dict(self.headers.items())))
                    captured["n"] += 1
        self.send_response(204)
        self.end_headers()


ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
