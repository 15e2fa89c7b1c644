# Generates the gRPC stubs from proto/quarry.proto into the built package (never into the source
# tree, never committed). The proto is found at $QUARRY_PROTO, else in a parent folder's proto/.
import os
import shutil
import tempfile
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

PACKAGE = "quarry_operator"


def find_proto() -> Path:
    if os.environ.get("QUARRY_PROTO"):
        return Path(os.environ["QUARRY_PROTO"]).resolve()
    here = Path(__file__).resolve().parent
    for folder in [here, *here.parents]:
        candidate = folder / "proto" / "quarry.proto"
        if candidate.is_file():
            return candidate
    raise SystemExit("quarry-operator: cannot find proto/quarry.proto (set QUARRY_PROTO)")


def generate(out_dir: Path) -> None:
    from grpc_tools import protoc  # a build requirement (pyproject.toml)

    proto = find_proto()
    with tempfile.TemporaryDirectory() as tmp:
        # Placed under the package path so the generated modules import each other as
        # `quarry_operator._pb.quarry_pb2`.
        staged = Path(tmp) / PACKAGE / "_pb"
        staged.mkdir(parents=True)
        shutil.copyfile(proto, staged / "quarry.proto")
        include = Path(protoc.__file__).parent / "_proto"
        args = ["protoc", f"-I{tmp}", f"-I{include}", f"--python_out={tmp}", f"--pyi_out={tmp}", f"--grpc_python_out={tmp}", str(staged / "quarry.proto")]
        if protoc.main(args) != 0:
            raise SystemExit(f"quarry-operator: protoc failed on {proto}")
        out_dir.mkdir(parents=True, exist_ok=True)
        for f in staged.iterdir():
            if f.suffix in (".py", ".pyi"):
                shutil.copyfile(f, out_dir / f.name)
        (out_dir / "__init__.py").write_text("# Generated from proto/quarry.proto at build time.\n")


class BuildWithStubs(build_py):
    def run(self) -> None:
        super().run()
        generate(Path(self.build_lib) / PACKAGE / "_pb")


setup(cmdclass={"build_py": BuildWithStubs})
