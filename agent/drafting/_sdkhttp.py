"""The HTTP library the installed openai SDK is built on: httpx, or its fork httpx2 (openai 3).

Transports, hooks and error checks must use the SDK's own library, or requests fail the SDK's
type checks; this module finds it once.
"""

from __future__ import annotations

import importlib
from types import ModuleType

import openai


def _sdk_httpx() -> ModuleType:
    for base in openai.DefaultAsyncHttpxClient.__mro__[1:]:
        root = base.__module__.split(".")[0]
        if root.startswith("httpx"):
            return importlib.import_module(root)
    return importlib.import_module("httpx")


httpx = _sdk_httpx()
