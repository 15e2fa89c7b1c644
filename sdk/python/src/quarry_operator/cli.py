"""`serve(registry)`: the few lines an operator's main needs. Flags (or QUARRY_* env):
--host --port --capacity --metrics-port --tls-cert --tls-key --tls-client-ca --token.
Prints one JSON line `{"listening": "host:port", …}` once up; SIGTERM/SIGINT stop it gracefully."""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
from typing import List, Optional

from .registry import Registry
from .server import ServeOptions, start_server


def parse_options(argv: Optional[List[str]] = None, prog: Optional[str] = None) -> ServeOptions:
    env = os.environ.get
    p = argparse.ArgumentParser(prog=prog, description="Serve Quarry operators over gRPC")
    p.add_argument("--host", default=env("HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(env("PORT", "0")), help="0 = any free port")
    p.add_argument("--capacity", type=int, default=int(env("QUARRY_CAPACITY", "16")), help="calls served at once before RESOURCE_EXHAUSTED")
    p.add_argument("--metrics-port", type=int, default=int(env("QUARRY_METRICS_PORT")) if env("QUARRY_METRICS_PORT") else None)
    p.add_argument("--default-timeout-ms", type=int, default=60_000)
    p.add_argument("--tls-cert", default=env("QUARRY_TLS_CERT"), help="PEM certificate of this server")
    p.add_argument("--tls-key", default=env("QUARRY_TLS_KEY"), help="PEM key of this server")
    p.add_argument("--tls-client-ca", default=env("QUARRY_TLS_CLIENT_CA"), help="PEM CA: require client certificates it signed (mTLS)")
    p.add_argument("--token", default=None, help="require `authorization: Bearer <token>` (env QUARRY_OPERATOR_TOKEN)")
    p.add_argument("--grace", type=float, default=30.0, help="seconds shutdown waits for calls in flight")
    a = p.parse_args(argv)
    return ServeOptions(host=a.host, port=a.port, capacity=a.capacity, default_timeout_ms=a.default_timeout_ms, metrics_port=a.metrics_port, tls_cert=a.tls_cert, tls_key=a.tls_key, tls_client_ca=a.tls_client_ca, token=a.token, grace_s=a.grace)


async def serve_async(registry: Registry, options: ServeOptions) -> None:
    # Signals are caught before the address is announced: whoever reads it may stop us at once.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    server = await start_server(registry, options)
    print(json.dumps(server.summary()), flush=True)
    await stop.wait()
    await server.stop()


def serve(registry: Registry, argv: Optional[List[str]] = None) -> None:
    """Parse flags, serve until SIGTERM or SIGINT, finish the calls in flight, exit."""
    options = parse_options(sys.argv[1:] if argv is None else argv)
    asyncio.run(serve_async(registry, options))
