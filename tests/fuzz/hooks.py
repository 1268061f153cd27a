"""Schemathesis hooks for `make fuzz`: path parameters often name real seeded objects."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any

import hypothesis.strategies as st
import schemathesis

# Written by tests/fuzz/run.py: {"<path parameter name>": "<a real id>"}.
_IDS: dict[str, str] = json.loads(Path(os.environ["ARREARS_FUZZ_IDS"]).read_text())


@schemathesis.hook
def flatmap_path_parameters(
    context: schemathesis.HookContext, path_parameters: dict[str, Any] | None
) -> st.SearchStrategy[dict[str, Any] | None]:
    """Half the cases keep the generated values, half use the ids of seeded objects.

    Only a value that already is a valid id is swapped: a negative case must stay negative.
    """
    known = {
        name: _IDS[name]
        for name, value in (path_parameters or {}).items()
        if name in _IDS and _is_valid(name, value)
    }
    if not known:
        return st.just(path_parameters)
    return st.sampled_from([path_parameters, {**path_parameters, **known}])


def _is_valid(name: str, value: Any) -> bool:
    if name == "code":
        return isinstance(value, str) and bool(value)
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True
