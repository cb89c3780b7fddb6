"""`torch.nn.modules.<submodule>` import paths, as code written for PyTorch uses them
(`isinstance(m, _BatchNorm)` to skip weight decay, `_pair` in custom layers, `_Loss`)."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import arraygrad as xp

torch = pytest.importorskip("torch")

SUBMODULES = sorted(m.name for m in pkgutil.iter_modules(xp.nn.modules.__path__))


@pytest.mark.parametrize("name", SUBMODULES)
def test_each_submodule_holds_the_classes_torch_puts_there(name):
    ours = importlib.import_module(f"arraygrad.nn.modules.{name}")
    theirs = importlib.import_module(f"torch.nn.modules.{name}")
    assert set(ours.__all__) <= set(dir(theirs)), set(ours.__all__) - set(dir(theirs))
    for n in ours.__all__:
        obj = getattr(ours, n)
        if isinstance(obj, type) and hasattr(xp.nn, n):
            assert obj is getattr(xp.nn, n)  # the same class, not a copy


def test_the_private_bases_code_imports():
    from arraygrad.nn.modules.batchnorm import _BatchNorm
    from arraygrad.nn.modules.conv import _ConvNd
    from arraygrad.nn.modules.loss import _Loss, _WeightedLoss

    assert isinstance(xp.nn.BatchNorm2d(3), _BatchNorm) and isinstance(xp.nn.Conv2d(1, 1, 3), _ConvNd)
    assert isinstance(xp.nn.CrossEntropyLoss(), _WeightedLoss) and isinstance(xp.nn.MSELoss(), _Loss)
    assert xp.nn.modules.Linear is xp.nn.Linear  # reachable without an import, as in torch


def test_utils_helpers_match_torch():
    from torch.nn.modules import utils as tu

    from arraygrad.nn.modules import utils as u

    for f in ("_single", "_pair", "_triple", "_quadruple"):
        for v in (3, (1, 2)):
            assert getattr(u, f)(v) == getattr(tu, f)(v)
    assert u._reverse_repeat_tuple((1, 2), 2) == tu._reverse_repeat_tuple((1, 2), 2)
    for sd_cls in (dict,):
        ours = sd_cls({"module.a": 1, "module.b.c": 2, "x": 3})
        theirs = dict(ours)
        u.consume_prefix_in_state_dict_if_present(ours, "module.")
        tu.consume_prefix_in_state_dict_if_present(theirs, "module.")
        assert ours == theirs
