"""schemathesis hooks for scripts/schemathesis (SCHEMATHESIS_HOOKS=scripts.schemathesis_hooks).

Prometheus remote write bodies are `application/x-protobuf` (snappy-compressed protobuf): the document
describes them as binary, and generated binary values are sent as they are.
"""
import schemathesis


@schemathesis.serializer("application/x-protobuf")
def protobuf(ctx, value):
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    return bytes(str(value), "utf-8")
