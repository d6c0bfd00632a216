"""The README's code runs as shown (against the local exchange instead of the testnet)."""

from __future__ import annotations

import re
from pathlib import Path

from .typecheck import mypy

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()
BLOCKS = re.findall(r"```python\n(.*?)```", README, flags=re.S)


def localize(code: str, exchange) -> str:
    """Point a README snippet at the local exchange and its key pair."""
    code = re.sub(r"base_path=DERIVATIVES_\w+", f"base_path={exchange.ws_api_url!r}", code)
    code = code.replace('api_key="..."', f"api_key={exchange.api_key!r}")
    return code.replace('api_secret="..."', f"api_secret={exchange.api_secret!r}")


def test_quickstart_and_order_example_run(exchange):
    """The quickstart runs start to finish, then the new_order example on the same client."""
    namespace: dict = {}
    exec(compile(localize(BLOCKS[0], exchange), "README quickstart", "exec"), namespace)
    assert namespace["resp"].typed.result.listen_key
    client = namespace["client"]
    client.websocket_api.connect()
    try:
        exec(compile(BLOCKS[1], "README order example", "exec"), namespace)
        assert namespace["order"].client_order_id == "my-order-1"
    finally:
        client.close()
    methods = [r.method for r in exchange.requests]
    assert methods[:4] == [
        "userDataStream.start",
        "userDataStream.ping",
        "userDataStream.stop",
        "userDataStream.start",
    ]
    assert "order.place" in methods


def test_readme_code_type_checks(tmp_path, tmp_path_factory):
    """The README's python blocks, in order as one file, pass ``mypy --strict`` untouched.

    A copy with one wrong attribute access must fail, so the check is not vacuous.
    """
    code = "\n".join(BLOCKS)
    lines = mypy(
        {"readme.py": code, "control.py": code + "\nresp.typed.result.no_such_field\n"},
        tmp_path,
        tmp_path_factory.getbasetemp() / "mypy-cache",
    )
    assert [line for line in lines if line.startswith("readme.py")] == []
    control = [line for line in lines if line.startswith("control.py")]
    assert len(control) == 1 and '"ListenKeyResult" has no attribute' in control[0], lines
