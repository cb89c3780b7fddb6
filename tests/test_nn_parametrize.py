"""nn.utils.parametrize, nn.utils.parametrizations (weight_norm, spectral_norm) and the legacy
hook-based nn.utils.weight_norm / spectral_norm (src/arraygrad/nn/utils/), against PyTorch:
the same parameter names and state-dict keys (so torch checkpoints load), the same values and
gradients, PyTorch's errors."""

from __future__ import annotations

import copy
import warnings
from collections import OrderedDict

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import arraygrad as ag  # noqa: E402
from arraygrad import nn  # noqa: E402
from arraygrad.nn.utils import parametrizations, parametrize  # noqa: E402

tparametrize = torch.nn.utils.parametrize
tparametrizations = torch.nn.utils.parametrizations


def host(t):
    if isinstance(t, torch.Tensor):
        return t.detach().numpy().copy()
    return np.array(t.detach(), copy=True)


def to_ag(sd):
    out = OrderedDict((k, ag.asarray(v.detach().numpy().copy())) for k, v in sd.items())
    if hasattr(sd, "_metadata"):
        out._metadata = copy.deepcopy(sd._metadata)
    return out


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def close(a, b, rtol=1e-5, atol=1e-6):
    np.testing.assert_allclose(host(a), host(b), rtol=rtol, atol=atol)


# ----- parametrize ----------------------------------------------------------------------------------
def symmetric(lib):
    class Symmetric(lib.nn.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).transpose(-1, -2)

        def right_inverse(self, A):
            return A.triu()

    return Symmetric()


def test_register_parametrization_like_torch():
    ours, theirs = nn.Linear(3, 3), torch.nn.Linear(3, 3)
    ours.load_state_dict(to_ag(theirs.state_dict()))
    parametrize.register_parametrization(ours, "weight", symmetric(ag))
    tparametrize.register_parametrization(theirs, "weight", symmetric(torch))
    assert type(ours).__name__ == type(theirs).__name__ == "ParametrizedLinear"
    assert isinstance(ours, nn.Linear)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["bias", "parametrizations.weight.original"]
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    close(ours.weight, theirs.weight)
    close(ours.weight, ours.weight.mT)
    x = rand(2, 3)
    close(ours(ag.asarray(x)), theirs(torch.tensor(x)))
    ours(ag.asarray(x)).sum().backward()
    theirs(torch.tensor(x)).sum().backward()
    close(ours.parametrizations.weight.original.grad, theirs.parametrizations.weight.original.grad)
    assert parametrize.is_parametrized(ours) and parametrize.is_parametrized(ours, "weight")
    assert not parametrize.is_parametrized(ours, "bias")
    assert parametrize.type_before_parametrizations(ours) is nn.Linear
    assert repr(ours) == repr(theirs)


def test_assigning_a_parametrized_tensor_uses_right_inverse():
    m = parametrize.register_parametrization(nn.Linear(3, 3), "weight", symmetric(ag))
    a = ag.asarray(rand(3, 3))
    m.weight = a
    close(m.parametrizations.weight.original, ag.triu(a))
    with pytest.raises(KeyError, match="attribute 'weight' already exists"):
        m.weight = nn.Parameter(a)  # as torch: a Parameter cannot replace the property


def test_state_dict_from_torch_and_back():
    theirs = tparametrize.register_parametrization(torch.nn.Linear(3, 3), "weight", symmetric(torch))
    ours = parametrize.register_parametrization(nn.Linear(3, 3), "weight", symmetric(ag))
    assert ours.load_state_dict(to_ag(theirs.state_dict())).missing_keys == []
    close(ours.weight, theirs.weight)


def test_chained_parametrizations_and_cached():
    class Scale(nn.Module):
        def __init__(self):
            super().__init__()
            self.calls = 0

        def forward(self, X):
            self.calls += 1
            return X * 2

    m = nn.Linear(2, 2)
    w0 = host(m.weight)
    scale = Scale()
    parametrize.register_parametrization(m, "weight", scale)
    parametrize.register_parametrization(m, "weight", Scale())
    assert len(m.parametrizations.weight) == 2
    np.testing.assert_allclose(host(m.weight), 4 * w0, rtol=1e-6)
    before = scale.calls
    with parametrize.cached():
        a, b = m.weight, m.weight
        assert a is b
    assert scale.calls == before + 1
    assert m.weight is not m.weight


def test_remove_parametrizations():
    for leave, factor in ((True, 2.0), (False, 1.0)):
        m = nn.Linear(2, 2)
        w0 = host(m.weight)
        original = m.weight

        class Double(nn.Module):
            def forward(self, X):
                return X * 2

        parametrize.register_parametrization(m, "weight", Double())
        parametrize.remove_parametrizations(m, "weight", leave_parametrized=leave)
        assert type(m) is nn.Linear and not hasattr(m, "parametrizations")
        assert m.weight is original and isinstance(m.weight, nn.Parameter)  # the same object, as torch
        np.testing.assert_allclose(host(m.weight), factor * w0, rtol=1e-6)
        assert list(m.state_dict()) == ["bias", "weight"]


def test_parametrize_a_buffer_and_deepcopy():
    m = nn.BatchNorm1d(2)

    class Abs(nn.Module):
        def forward(self, X):
            return X.abs()

    parametrize.register_parametrization(m, "running_mean", Abs())
    assert "parametrizations.running_mean.original" in m.state_dict()
    c = copy.deepcopy(m)
    assert type(c) is type(m) and parametrize.is_parametrized(c, "running_mean")
    assert c.parametrizations.running_mean.original is not m.parametrizations.running_mean.original
    import pickle

    with pytest.raises(RuntimeError, match="Serialization of parametrized modules is only supported through "
                                           "state_dict"):
        pickle.dumps(m)


def test_parametrize_errors_like_torch():
    class Shrink(nn.Module):
        def forward(self, X):
            return X[:1]

    with pytest.raises(ValueError, match="may not change the shape of the tensor"):
        parametrize.register_parametrization(nn.Linear(2, 2), "weight", Shrink())
    m = parametrize.register_parametrization(nn.Linear(2, 2), "weight", Shrink(), unsafe=True)
    assert tuple(m.weight.shape) == (1, 2)
    with pytest.raises(ValueError, match="does not have a parameter, a buffer, or a parametrized element with "
                                         "name 'nope'"):
        parametrize.register_parametrization(nn.Linear(2, 2), "nope", Shrink())
    with pytest.raises(ValueError, match="does not have a parametrization on bias"):
        parametrize.remove_parametrizations(nn.Linear(2, 2), "bias")
    with pytest.raises(TypeError, match="parametrization must be an nn.Module, got function"):
        parametrize.register_parametrization(nn.Linear(2, 2), "weight", lambda X: X)
    with pytest.raises(ValueError, match="module.bias is None"):
        parametrize.register_parametrization(nn.Linear(2, 2, bias=False), "bias", Shrink())


def test_transfer_parametrizations_and_params():
    a = parametrize.register_parametrization(nn.Linear(3, 3), "weight", symmetric(ag))
    b = nn.Linear(3, 3)
    parametrize.transfer_parametrizations_and_params(a, b)
    assert b.parametrizations.weight.original is a.parametrizations.weight.original
    close(a.weight, b.weight)


# ----- parametrizations.weight_norm -----------------------------------------------------------------
@pytest.mark.parametrize("dim", [0, 1, None])
def test_weight_norm_like_torch(dim):
    theirs = tparametrizations.weight_norm(torch.nn.Linear(4, 3), dim=dim)
    ours = parametrizations.weight_norm(nn.Linear(4, 3), dim=dim)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == [
        "bias", "parametrizations.weight.original0", "parametrizations.weight.original1"]
    for k, v in theirs.state_dict().items():
        assert tuple(ours.state_dict()[k].shape) == tuple(v.shape), k
    ours.load_state_dict(to_ag(theirs.state_dict()))
    with torch.no_grad():
        theirs.parametrizations.weight.original0.mul_(1.5)
    ours.load_state_dict(to_ag(theirs.state_dict()))
    x = rand(2, 4)
    y, ty = ours(ag.asarray(x)), theirs(torch.tensor(x))
    close(y, ty)
    (y ** 2).sum().backward()
    (ty ** 2).sum().backward()
    close(ours.parametrizations.weight.original0.grad, theirs.parametrizations.weight.original0.grad, rtol=1e-4)
    close(ours.parametrizations.weight.original1.grad, theirs.parametrizations.weight.original1.grad, rtol=1e-4)


def test_weight_norm_conv_and_fresh_values_match_weight():
    m = nn.Conv2d(2, 4, 3)
    w = host(m.weight)
    parametrizations.weight_norm(m)
    np.testing.assert_allclose(host(m.weight), w, rtol=1e-5, atol=1e-6)  # g = ||v|| at registration
    assert tuple(m.parametrizations.weight.original0.shape) == (4, 1, 1, 1)


def test_weight_norm_loads_legacy_g_v_checkpoints():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        legacy = torch.nn.utils.weight_norm(torch.nn.Linear(3, 2))
    ours = parametrizations.weight_norm(nn.Linear(3, 2))
    assert ours.load_state_dict(to_ag(legacy.state_dict())).missing_keys == []
    x = rand(2, 3)
    close(ours(ag.asarray(x)), legacy(torch.tensor(x)))


def test_weight_norm_errors():
    with pytest.raises(ValueError, match="has no parameter or buffer with name 'kernel'"):
        parametrizations.weight_norm(nn.Linear(2, 2), name="kernel")
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-2, 1\] but got 5\)"):
        parametrizations.weight_norm(nn.Linear(2, 2), dim=5)


# ----- parametrizations.spectral_norm -------------------------------------------------------------
@pytest.mark.parametrize("make", [lambda lib: lib.nn.Linear(5, 4), lambda lib: lib.nn.Conv2d(2, 3, 3),
                                  lambda lib: lib.nn.ConvTranspose2d(2, 3, 3)])
def test_spectral_norm_like_torch(make):
    torch.manual_seed(0)
    theirs = tparametrizations.spectral_norm(make(torch))
    ours = parametrizations.spectral_norm(make(ag))
    assert list(ours.state_dict()) == list(theirs.state_dict()) == [
        "bias", "parametrizations.weight.original", "parametrizations.weight.0._u",
        "parametrizations.weight.0._v"]
    ours.load_state_dict(to_ag(theirs.state_dict()))
    ours.eval(), theirs.eval()
    close(ours.weight, theirs.weight, rtol=1e-4)
    ours.train(), theirs.train()
    close(ours.weight, theirs.weight, rtol=1e-4)  # one power-iteration step each
    close(ours.parametrizations.weight[0]._u, theirs.parametrizations.weight[0]._u, rtol=1e-4)
    x = rand(1, 5) if isinstance(ours, nn.Linear) else rand(1, 2, 5, 5)
    ours.eval(), theirs.eval()
    y, ty = ours(ag.asarray(x)), theirs(torch.tensor(x))
    close(y, ty, rtol=1e-4, atol=1e-5)
    y.sum().backward()
    ty.sum().backward()
    close(ours.parametrizations.weight.original.grad, theirs.parametrizations.weight.original.grad,
          rtol=1e-3, atol=1e-5)


def test_spectral_norm_bounds_the_largest_singular_value():
    m = parametrizations.spectral_norm(nn.Linear(6, 4), n_power_iterations=1)
    for _ in range(20):
        w = m.weight
    s = np.linalg.svd(host(w), compute_uv=False)
    assert abs(s[0] - 1) < 1e-3


def test_spectral_norm_errors():
    with pytest.raises(ValueError, match="Expected n_power_iterations to be positive, but got n_power_iterations=0"):
        parametrizations.spectral_norm(nn.Linear(2, 2), n_power_iterations=0)
    with pytest.raises(IndexError, match="Dimension out of range"):
        parametrizations.spectral_norm(nn.Linear(2, 2), dim=2)
    with pytest.raises(ValueError, match="has no parameter or buffer with name 'w'"):
        parametrizations.spectral_norm(nn.Linear(2, 2), name="w")


# ----- parametrizations.orthogonal ------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (3, 5)])
@pytest.mark.parametrize("orthogonal_map", ["matrix_exp", "cayley", "householder"])
def test_orthogonal_like_torch(shape, orthogonal_map):
    torch.manual_seed(0)
    theirs = tparametrizations.orthogonal(torch.nn.Linear(shape[1], shape[0]), orthogonal_map=orthogonal_map)
    ours = parametrizations.orthogonal(nn.Linear(shape[1], shape[0]), orthogonal_map=orthogonal_map)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == [
        "bias", "parametrizations.weight.original", "parametrizations.weight.0.base"]
    W = host(ours.weight)
    gram = W.T @ W if shape[0] >= shape[1] else W @ W.T
    np.testing.assert_allclose(gram, np.eye(min(shape)), atol=1e-5)
    with torch.no_grad():
        theirs.parametrizations.weight.original.add_(0.3 * torch.randn(shape))
    ours.load_state_dict(to_ag(theirs.state_dict()))
    close(ours.weight, theirs.weight, atol=1e-5)
    x = rand(2, shape[1])
    y, ty = ours(ag.asarray(x)), theirs(torch.tensor(x))
    (y ** 2).sum().backward()
    (ty ** 2).sum().backward()
    close(ours.parametrizations.weight.original.grad, theirs.parametrizations.weight.original.grad,
          rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("orthogonal_map", ["matrix_exp", "householder"])
def test_orthogonal_without_trivialization_like_torch(orthogonal_map):
    theirs = torch.nn.Linear(3, 5)
    ours = nn.Linear(3, 5)
    ours.load_state_dict(to_ag(theirs.state_dict()))
    tparametrizations.orthogonal(theirs, orthogonal_map=orthogonal_map, use_trivialization=False)
    parametrizations.orthogonal(ours, orthogonal_map=orthogonal_map, use_trivialization=False)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["bias", "parametrizations.weight.original"]
    close(ours.parametrizations.weight.original, theirs.parametrizations.weight.original, atol=1e-5)
    close(ours.weight, theirs.weight, atol=1e-5)


def test_orthogonal_assignment_and_errors():
    m = parametrizations.orthogonal(nn.Linear(4, 4))
    Q = np.linalg.qr(rand(4, 4))[0].astype(np.float32)
    m.weight = ag.asarray(Q)
    np.testing.assert_allclose(host(m.weight), Q, atol=1e-5)
    with pytest.raises(ValueError, match="Expected a matrix or batch of matrices. Got a tensor of 1 dimensions."):
        parametrizations.orthogonal(nn.Linear(2, 2), name="bias")
    with pytest.raises(ValueError, match='orthogonal_map has to be one of "matrix_exp", "cayley", "householder". '
                                         'Got: qr'):
        parametrizations.orthogonal(nn.Linear(2, 2), orthogonal_map="qr")
    m = parametrizations.orthogonal(nn.Linear(4, 4), use_trivialization=False)
    with pytest.raises(NotImplementedError, match="not possible to assign to the matrix exponential"):
        m.weight = ag.asarray(Q)


# ----- legacy nn.utils.weight_norm / spectral_norm ------------------------------------------------
def test_legacy_weight_norm_like_torch():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        theirs = torch.nn.utils.weight_norm(torch.nn.Linear(3, 2))
    with pytest.warns(FutureWarning, match="weight_norm is deprecated"):
        ours = nn.utils.weight_norm(nn.Linear(3, 2))
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["bias", "weight_g", "weight_v"]
    ours.load_state_dict(to_ag(theirs.state_dict()))
    x = rand(4, 3)
    y, ty = ours(ag.asarray(x)), theirs(torch.tensor(x))
    close(y, ty)
    y.sum().backward()
    ty.sum().backward()
    close(ours.weight_g.grad, theirs.weight_g.grad, rtol=1e-4)
    close(ours.weight_v.grad, theirs.weight_v.grad, rtol=1e-4)
    with pytest.raises(RuntimeError, match="Cannot register two weight_norm hooks on the same parameter weight"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            nn.utils.weight_norm(ours)
    nn.utils.remove_weight_norm(ours)
    torch.nn.utils.remove_weight_norm(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["bias", "weight"]
    close(ours.weight, theirs.weight)
    assert isinstance(ours.weight, nn.Parameter) and not ours._forward_pre_hooks
    with pytest.raises(ValueError, match="weight_norm of 'weight' not found in"):
        nn.utils.remove_weight_norm(ours)


def test_legacy_spectral_norm_like_torch():
    torch.manual_seed(0)
    theirs = torch.nn.utils.spectral_norm(torch.nn.Linear(5, 3))
    ours = nn.utils.spectral_norm(nn.Linear(5, 3))
    tsd = theirs.state_dict()
    sd = ours.state_dict()
    assert list(sd) == list(tsd) == ["bias", "weight_orig", "weight_u", "weight_v"]
    assert sd._metadata == tsd._metadata == OrderedDict([("", {"version": 1, "spectral_norm": {"weight.version": 1}})])
    ours.load_state_dict(to_ag(tsd))
    x = rand(2, 5)
    for train in (True, False, True):
        ours.train(train), theirs.train(train)
        close(ours(ag.asarray(x)), theirs(torch.tensor(x)), rtol=1e-4, atol=1e-5)
        close(ours.weight_u, theirs.weight_u, rtol=1e-4, atol=1e-6)
    torch.nn.utils.remove_spectral_norm(theirs)
    nn.utils.remove_spectral_norm(ours)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["bias", "weight"]
    close(ours.weight, theirs.weight, rtol=1e-4)
    assert not ours._state_dict_hooks and not ours._load_state_dict_pre_hooks
    with pytest.raises(ValueError, match="spectral_norm of 'weight' not found in"):
        nn.utils.remove_spectral_norm(ours)


def test_legacy_spectral_norm_loads_version0_checkpoints_like_torch():
    torch.manual_seed(1)
    theirs = torch.nn.utils.spectral_norm(torch.nn.Linear(4, 3))
    theirs(torch.ones(1, 4))
    old = theirs.state_dict()
    old["weight"] = theirs.weight.detach().clone()  # version 0 saved the normalized weight, no v
    del old["weight_v"]
    old._metadata[""]["spectral_norm"]["weight.version"] = 0
    fresh = torch.nn.utils.spectral_norm(torch.nn.Linear(4, 3))
    fresh.load_state_dict(copy.deepcopy(old))
    ours = nn.utils.spectral_norm(nn.Linear(4, 3))
    ours.load_state_dict(to_ag(old))
    # v is solved from W and u (least squares; torch's pinverse(rcond=1e-15) also inverts W^T W's
    # float32 noise eigenvalue, so its v differs): ours recovers the v the checkpoint came from
    close(ours.weight_v, theirs.weight_v, rtol=1e-3, atol=1e-4)
    ours.eval(), fresh.eval()
    close(ours(ag.ones((1, 4))), fresh(torch.ones(1, 4)), rtol=1e-4, atol=1e-5)


def test_legacy_norms_refuse_uninitialized_parameters():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lazy = nn.LazyLinear(3)
        with pytest.raises(ValueError, match="can't have uninitialized parameters"):
            nn.utils.weight_norm(lazy)
        with pytest.raises(ValueError, match="can't have uninitialized parameters"):
            nn.utils.spectral_norm(lazy)


# ----- the utilities already there ---------------------------------------------------------------
def test_clip_and_vector_utils_exist_like_torch():
    for name in ("clip_grad_norm_", "clip_grad_value_", "parameters_to_vector", "vector_to_parameters",
                 "weight_norm", "remove_weight_norm", "spectral_norm", "remove_spectral_norm"):
        assert callable(getattr(nn.utils, name)), name
    m, tm = nn.Linear(3, 2), torch.nn.Linear(3, 2)
    m.load_state_dict(to_ag(tm.state_dict()))
    m(ag.ones((1, 3))).sum().backward()
    tm(torch.ones(1, 3)).sum().backward()
    close(nn.utils.clip_grad_norm_(m.parameters(), 0.5), torch.nn.utils.clip_grad_norm_(tm.parameters(), 0.5))
    close(m.weight.grad, tm.weight.grad)
