"""Shared fixtures: every CPU instruction-set path the machine supports, and thread counts.

`api` runs a test once with mdlfast.kernels (whose path to the C++ kernels is cut, so a call that
gets past validation fails) and once with mdlfast.reference. `isa` runs a test once per ISA path in mdlfast._cpu.supported_isas() (the same switch that
MDLFAST_ISA drives at import) and restores the path in use afterwards; `threads` runs it with 1
and 2 OpenMP threads and restores the count afterwards.
"""
from __future__ import annotations

import pytest

import mdlfast
from _checks import Tripwire
from mdlfast import _cpu, kernels, reference
from mdlfast._kernels import common as kernel_backends

SUPPORTED_ISAS = tuple(_cpu.supported_isas())


@pytest.fixture(params=SUPPORTED_ISAS)
def isa(request):
    previous = _cpu.active_isa()
    _cpu.set_isa(request.param)
    assert _cpu.active_isa() == request.param
    try:
        yield request.param
    finally:
        _cpu.set_isa(previous)


@pytest.fixture(params=(1, 2), ids=lambda n: f"threads{n}")
def threads(request):
    previous = mdlfast.get_num_threads()
    mdlfast.set_num_threads(request.param)
    try:
        yield request.param
    finally:
        mdlfast.set_num_threads(previous)


@pytest.fixture(params=["kernels", "reference"])
def api(request, monkeypatch):
    if request.param == "kernels":
        monkeypatch.setattr(kernel_backends, "_cpu", Tripwire())
        return kernels
    return reference
