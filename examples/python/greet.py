# A Quarry operator in Python: a plain function with declared fields, served over gRPC.
#   .sdk/venv/bin/python examples/python/greet.py --port 50051
from quarry_operator import Filtered, Registry, field, serve

registry = Registry()


@registry.operator(
    "greet",
    version="1.0.0",
    inputs={"name": field(str, "who to greet", max_bytes=1024)},
    outputs={"message": field(str, "the greeting")},
)
def greet(inputs, ctx):
    name = inputs["name"].strip()
    if not name:
        raise Filtered("empty-name")
    ctx.log.info("greeting", idempotency_key=ctx.idempotency_key)
    return {"message": f"Hello, {name}!"}


# A batch handler gets up to max_batch items at once (one model run) and returns one result,
# or one exception, per item, in order.
@registry.batch_operator(
    "shout",
    version="1.0.0",
    max_batch=32,
    inputs={"message": field(str, "any text", max_bytes=4096)},
    outputs={"loud": field(str, "the text in capitals")},
)
def shout(items, batch):
    return [{"loud": item.inputs["message"].upper()} for item in items]


if __name__ == "__main__":
    serve(registry)  # --port, --capacity, --tls-cert/--tls-key/--tls-client-ca, --token; SIGTERM drains
