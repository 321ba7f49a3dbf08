"""A real gRPC server and client (grpcio) for tests/grpc.rs; raw bytes, no generated code.

server: serves demo.Files on 127.0.0.1:0, prints the port, runs until stdin closes.
  Read   - trailers-only UNAUTHENTICATED "Token expired" when the bearer token's exp has
           passed (read without verifying, as a gateway's log would), else "ok".
  Write  - answers its head first, then PERMISSION_DENIED in the trailers.
  Ok     - "ok" with a trailing metadata entry x-trailer: kept.
client TARGET METHOD TOKEN: one unary call; prints a JSON line with code, details, trailers.
"""
import base64
import json
import sys
import time
from concurrent import futures

import grpc


def token_expired(context):
    auth = dict(context.invocation_metadata()).get("authorization", "")
    try:
        payload = auth.split(" ", 1)[1].split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return claims.get("exp", 0) < time.time()
    except (IndexError, ValueError):
        return True


def read(request, context):
    if token_expired(context):
        context.abort(grpc.StatusCode.UNAUTHENTICATED, "Token expired")
    return b"ok"


def write(request, context):
    context.send_initial_metadata((("x-head", "sent"),))
    context.abort(grpc.StatusCode.PERMISSION_DENIED, "missing scope files.write")


def ok(request, context):
    context.set_trailing_metadata((("x-trailer", "kept"),))
    return b"ok"


def serve():
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    handlers = {
        name: grpc.unary_unary_rpc_method_handler(fn)
        for name, fn in (("Read", read), ("Write", write), ("Ok", ok))
    }
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("demo.Files", handlers),))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(port, flush=True)
    sys.stdin.read()
    server.stop(0)


def call(target, method, token):
    with grpc.insecure_channel(target, options=[("grpc.enable_http_proxy", 0)]) as channel:
        stub = channel.unary_unary("/demo.Files/" + method)
        try:
            _, info = stub.with_call(
                b"request", metadata=[("authorization", "Bearer " + token)], timeout=10
            )
            code, details, trailers = "OK", "", info.trailing_metadata()
        except grpc.RpcError as e:
            code, details, trailers = e.code().name, e.details(), e.trailing_metadata()
    print(json.dumps({"code": code, "details": details, "trailers": dict(trailers or ())}))


if __name__ == "__main__":
    if sys.argv[1] == "server":
        serve()
    else:
        call(*sys.argv[2:5])
