"""nn.Module's PyTorch API beyond the basics (src/arraygrad/nn/module.py, nn/lazy.py): forward
hooks with kwargs / prepend / always_call, full backward hooks and pre-hooks, global module
hooks, the state-dict machinery (`_version`, `_metadata`, `_load_from_state_dict`, the
state-dict and load hooks, assign=True, extra state, BatchNorm's version-1 checkpoints), and
the lazy layers; each checked against PyTorch running the same scenario."""

from __future__ import annotations

import warnings
from collections import OrderedDict

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import arraygrad as ag  # noqa: E402
from arraygrad import nn  # noqa: E402
from arraygrad.nn import module as module_mod  # noqa: E402


def host(t):
    if isinstance(t, torch.Tensor):
        return t.detach().numpy().copy()
    return np.array(t.detach(), copy=True)


def to_ag(sd):
    """A torch state dict as arraygrad tensors (keeping `_metadata`)."""
    out = OrderedDict((k, ag.asarray(v.detach().numpy().copy())) for k, v in sd.items())
    if hasattr(sd, "_metadata"):
        out._metadata = sd._metadata
    return out


def same_linear(lib, n_in=3, n_out=2):
    m = lib.nn.Linear(n_in, n_out)
    w = np.arange(n_in * n_out, dtype=np.float32).reshape(n_out, n_in) / 10 - 0.2
    b = np.linspace(-0.5, 0.5, n_out).astype(np.float32)
    m.load_state_dict({"weight": lib.asarray(w), "bias": lib.asarray(b)} if lib is ag else
                      {"weight": torch.tensor(w), "bias": torch.tensor(b)})
    return m


def ones(lib, shape, requires_grad=False):
    t = lib.ones(shape)
    return t.requires_grad_(True) if requires_grad else t


def arr(g):
    return None if g is None else host(g).round(5).tolist()


# ----- forward hooks ------------------------------------------------------------------------------
def _forward_hook_log(lib):
    m = same_linear(lib)
    log = []
    m.register_forward_pre_hook(lambda mod, args: log.append("pre-a"))
    m.register_forward_pre_hook(lambda mod, args: log.append("pre-first"), prepend=True)

    def kw_pre(mod, args, kwargs):
        log.append(("pre-kw", sorted(kwargs)))
        return (args[0] * 2,), kwargs

    m.register_forward_pre_hook(kw_pre, with_kwargs=True)

    def kw_post(mod, args, kwargs, out):
        log.append(("post-kw", tuple(out.shape)))
        return out + 1

    m.register_forward_hook(kw_post, with_kwargs=True)
    m.register_forward_hook(lambda mod, args, out: log.append("post-first"), prepend=True)
    out = m(ones(lib, (1, 3)))
    log.append(arr(out))
    return log


def test_forward_hooks_prepend_and_kwargs_like_torch():
    assert _forward_hook_log(ag) == _forward_hook_log(torch)


def _always_call_log(lib):
    class Boom(lib.nn.Module):
        def forward(self, x):
            raise ValueError("boom")

    m = Boom()
    log = []
    m.register_forward_hook(lambda mod, args, out: log.append(("always", out)), always_call=True)
    m.register_forward_hook(lambda mod, args, out: log.append("normal"))
    with pytest.raises(ValueError, match="boom"):
        m(ones(lib, (2,)))
    return log


def test_forward_hook_always_call_runs_when_forward_raises():
    assert _always_call_log(ag) == _always_call_log(torch) == [("always", None)]


def test_forward_pre_hook_non_tuple_result_and_bad_kwargs_result():
    m = same_linear(ag)
    h = m.register_forward_pre_hook(lambda mod, args: args[0] * 0)  # not a tuple: wrapped
    np.testing.assert_allclose(host(m(ag.ones((1, 3)))), host(m.bias)[None], rtol=1e-6)
    h.remove()
    m.register_forward_pre_hook(lambda mod, args, kwargs: args, with_kwargs=True)
    with pytest.raises(RuntimeError, match=r"forward pre-hook must return None or a tuple of \(new_args, new_kwargs\)"):
        m(ag.ones((1, 3)))


def test_hook_handles_remove_and_context_manager():
    m = same_linear(ag)
    calls = []
    with m.register_forward_hook(lambda *a: calls.append(1)):
        m(ag.ones((1, 3)))
    m(ag.ones((1, 3)))
    h = m.register_forward_pre_hook(lambda *a: calls.append(2), with_kwargs=True)
    assert h.id in m._forward_pre_hooks_with_kwargs
    h.remove()
    h.remove()  # twice is harmless
    assert not m._forward_pre_hooks and not m._forward_pre_hooks_with_kwargs
    m(ag.ones((1, 3)))
    assert calls == [1]


def test_hooks_must_be_callable():
    m = nn.Linear(2, 2)
    for register in (m.register_forward_hook, m.register_forward_pre_hook, m.register_full_backward_hook,
                     m.register_full_backward_pre_hook, m.register_state_dict_pre_hook,
                     m.register_load_state_dict_post_hook):
        with pytest.raises(TypeError, match="hook must be callable, got int"):
            register(3)


def test_global_module_forward_hooks():
    seen = []
    h1 = module_mod.register_module_forward_pre_hook(lambda mod, args: seen.append(("pre", type(mod).__name__)))
    h2 = module_mod.register_module_forward_hook(lambda mod, args, out: seen.append(("post", type(mod).__name__)))
    try:
        nn.Sequential(nn.Linear(2, 2), nn.ReLU())(ag.ones((1, 2)))
    finally:
        h1.remove()
        h2.remove()
    assert seen == [("pre", "Sequential"), ("pre", "Linear"), ("post", "Linear"), ("pre", "ReLU"),
                    ("post", "ReLU"), ("post", "Sequential")]
    nn.Linear(2, 2)(ag.ones((1, 2)))
    assert len(seen) == 6


# ----- full backward hooks -------------------------------------------------------------------------
def _backward_hook_log(lib, replace=True):
    m = same_linear(lib)
    log = []

    def pre(mod, grad_output):
        log.append(("pre", [arr(g) for g in grad_output]))
        return (grad_output[0] * 2,) if replace else None

    def full(mod, grad_input, grad_output):
        log.append(("full", [arr(g) for g in grad_input], [arr(g) for g in grad_output]))
        return (grad_input[0] * 10,) if replace else None

    m.register_full_backward_pre_hook(pre)
    m.register_full_backward_hook(full)
    x = ones(lib, (2, 3), requires_grad=True)
    y = m(x)
    (y * y).sum().backward()
    log.append(("x.grad", arr(x.grad)))
    log.append(("w.grad", arr(m.weight.grad)))
    return log


@pytest.mark.parametrize("replace", [False, True])
def test_full_backward_hooks_like_torch(replace):
    ours, theirs = _backward_hook_log(ag, replace), _backward_hook_log(torch, replace)
    assert len(ours) == len(theirs) == 4
    for a, b in zip(ours, theirs):
        assert a[0] == b[0]
        np.testing.assert_allclose(np.array(a[1], dtype=float), np.array(b[1], dtype=float), rtol=1e-5)


def _multi_io_log(lib):
    class Two(lib.nn.Module):
        def forward(self, a, scale, b):
            return a * scale + b, (a * b).sum(), 7

    m = Two()
    log = []
    m.register_full_backward_hook(lambda mod, gi, go: log.append(
        ([arr(g) for g in gi], [arr(g) for g in go])))
    a = lib.asarray(np.array([1.0, 2.0], dtype=np.float32)).requires_grad_(True) if lib is ag else \
        torch.tensor([1.0, 2.0], requires_grad=True)
    b = lib.asarray(np.array([3.0, 4.0], dtype=np.float32)) if lib is ag else torch.tensor([3.0, 4.0])
    out, s, n = m(a, 3.0, b)
    (out.sum() + 2 * s).backward()
    return log, arr(a.grad), n


def test_full_backward_hook_non_tensor_and_no_grad_inputs_and_outputs():
    ours, theirs = _multi_io_log(ag), _multi_io_log(torch)
    assert ours == theirs
    (grad_input, grad_output), = ours[0]
    # a tensor input that does not require grad gets zeros, a non-tensor None (as torch)
    assert grad_input[1] is None and grad_input[2] == [0.0, 0.0] and grad_output[2] is None


def test_full_backward_hook_keeps_namedtuple_outputs():
    from collections import namedtuple

    Pair = namedtuple("Pair", ["a", "b"])

    class Split(nn.Module):
        def forward(self, x):
            return Pair(x * 2, x * 3)

    m = Split()
    seen = []
    m.register_full_backward_hook(lambda mod, gi, go: seen.append((arr(gi[0]), [arr(g) for g in go])))
    x = ag.ones(2, requires_grad=True)
    out = m(x)
    assert type(out) is Pair
    (out.a.sum() + out.b.sum()).backward()
    assert seen == [([5.0, 5.0], [[1.0, 1.0], [1.0, 1.0]])]


def test_full_backward_hook_fires_at_outputs_when_no_input_requires_grad():
    def run(lib):
        m = same_linear(lib)
        log = []
        m.register_full_backward_hook(lambda mod, gi, go: log.append((gi, arr(go[0]))))
        with pytest.warns(UserWarning, match="no inputs require gradients"):
            m(ones(lib, (1, 3))).sum().backward()
        return log

    assert run(ag) == run(torch) == [((None,), [[1.0, 1.0]])]


def test_full_backward_hook_bad_return_length():
    m = same_linear(ag)
    m.register_full_backward_hook(lambda mod, gi, go: (gi[0], gi[0]))
    x = ag.ones((1, 3), requires_grad=True)
    with pytest.raises(RuntimeError, match="Backward hook returned an invalid number of grad_input, got 2, "
                                           "but expected 1"):
        m(x).sum().backward()
    m2 = same_linear(ag)
    m2.register_full_backward_pre_hook(lambda mod, go: ())
    with pytest.raises(RuntimeError, match="invalid number of grad_output, got 0, but expected 1"):
        m2(x).sum().backward()


def test_global_full_backward_hook_and_removal():
    seen = []
    h = module_mod.register_module_full_backward_hook(lambda mod, gi, go: seen.append(type(mod).__name__))
    try:
        net = nn.Sequential(nn.Linear(3, 2), nn.Tanh())
        net(ag.ones((1, 3), requires_grad=True)).sum().backward()
    finally:
        h.remove()
    assert seen == ["Tanh", "Linear", "Sequential"]
    net(ag.ones((1, 3), requires_grad=True)).sum().backward()
    assert len(seen) == 3


def test_backward_hooks_do_not_change_results():
    m = same_linear(ag)
    x = ag.ones((2, 3), requires_grad=True)
    (m(x) ** 2).sum().backward()
    plain = host(x.grad), host(m.weight.grad)
    m.zero_grad()
    x.grad = None
    m.register_full_backward_hook(lambda *a: None)
    m.register_full_backward_pre_hook(lambda *a: None)
    (m(x) ** 2).sum().backward()
    np.testing.assert_allclose(host(x.grad), plain[0], rtol=1e-6)
    np.testing.assert_allclose(host(m.weight.grad), plain[1], rtol=1e-6)


def test_regular_and_full_backward_hooks_do_not_mix():
    m = nn.Linear(2, 2)
    m.register_full_backward_hook(lambda *a: None)
    with pytest.raises(RuntimeError, match="Cannot use both regular backward hooks and full backward hooks"):
        m.register_backward_hook(lambda *a: None)


def test_non_full_backward_hook_sees_last_node_grads():
    m = same_linear(ag)
    seen = []
    m.register_backward_hook(lambda mod, gi, go: seen.append(arr(go[0])))
    m(ag.ones((1, 3), requires_grad=True)).sum().backward()
    assert seen == [[[1.0, 1.0]]]


# ----- state dicts: metadata, versions, _load_from_state_dict --------------------------------------
def _nested(lib):
    return lib.nn.Sequential(lib.nn.Linear(2, 3), lib.nn.BatchNorm1d(3),
                             lib.nn.Sequential(lib.nn.ReLU(), lib.nn.Linear(3, 1)))


def test_state_dict_metadata_like_torch():
    ours, theirs = _nested(ag).state_dict(), _nested(torch).state_dict()
    assert list(ours) == list(theirs)
    assert ours._metadata == theirs._metadata
    assert ours._metadata["1"] == {"version": 2} and ours._metadata[""] == {"version": 1}
    prefixed = _nested(ag).state_dict(prefix="model.")
    assert list(prefixed._metadata)[:2] == ["model", "model.0"]


def test_batchnorm_version1_checkpoint_without_num_batches_tracked_loads_strictly():
    for lib in (ag, torch):
        src = lib.nn.BatchNorm1d(3)
        sd = src.state_dict()
        del sd["num_batches_tracked"]
        sd._metadata[""]["version"] = 1
        dst = lib.nn.BatchNorm1d(3)
        result = dst.load_state_dict(sd)  # strict=True
        assert result.missing_keys == [] and result.unexpected_keys == []
        assert int(dst.num_batches_tracked) == 0
        sd._metadata[""]["version"] = 2  # a current checkpoint must have it
        with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "num_batches_tracked"'):
            dst.load_state_dict(sd)
    # no metadata at all (e.g. a dict built by hand) counts as old, as in torch
    sd = dict(nn.BatchNorm2d(2).state_dict())
    del sd["num_batches_tracked"]
    nn.BatchNorm2d(2).load_state_dict(sd)


def test_torch_checkpoint_with_metadata_loads():
    theirs = _nested(torch)
    with torch.no_grad():
        theirs[1].running_mean.fill_(0.25)
    ours = _nested(ag)
    assert ours.load_state_dict(to_ag(theirs.state_dict())).missing_keys == []
    for k, v in theirs.state_dict().items():
        np.testing.assert_array_equal(host(ours.state_dict()[k]), host(v), err_msg=k)


class Renamed(nn.Module):
    """Version 2 calls its parameter `w`; version 1 checkpoints have `weight`."""

    _version = 2

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(ag.zeros(3))

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        if local_metadata.get("version", 1) < 2 and prefix + "weight" in state_dict:
            state_dict[prefix + "w"] = state_dict.pop(prefix + "weight")
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)


def test_load_from_state_dict_override_migrates_old_versions():
    net = nn.Sequential(Renamed())
    old = OrderedDict([("0.weight", ag.ones(3))])
    old._metadata = OrderedDict([("", {"version": 1}), ("0", {"version": 1})])
    net.load_state_dict(old)
    assert host(net[0].w).tolist() == [1.0, 1.0, 1.0]
    assert net.state_dict()._metadata["0"] == {"version": 2}
    new = OrderedDict([("0.weight", ag.ones(3))])
    new._metadata = OrderedDict([("0", {"version": 2})])
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "0.w"'):
        net.load_state_dict(new)


def test_state_dict_hooks_like_torch():
    def run(lib):
        m = lib.nn.Sequential(lib.nn.Linear(2, 2))
        log = []
        m[0].register_state_dict_pre_hook(lambda mod, prefix, keep_vars: log.append(("pre", prefix, keep_vars)))

        def post(mod, sd, prefix, local_metadata):
            log.append(("post", prefix, sorted(local_metadata)))
            sd[prefix + "note"] = sd[prefix + "bias"]

        m[0].register_state_dict_post_hook(post)
        m._register_state_dict_hook(lambda mod, sd, prefix, md: OrderedDict(
            (k, v) for k, v in sd.items() if not k.endswith("weight")))
        sd = m.state_dict(keep_vars=True)
        return log, list(sd)

    assert run(ag) == run(torch) == ([("pre", "0.", True), ("post", "0.", ["version"])], ["0.bias", "0.note"])


def test_state_dict_post_hook_must_return_none():
    m = nn.Linear(2, 2)
    m.register_state_dict_post_hook(lambda *a: {})
    with pytest.raises(RuntimeError, match="state_dict post-hook must return None"):
        m.state_dict()


def test_load_state_dict_hooks_like_torch():
    def run(lib):
        m = lib.nn.Sequential(lib.nn.Linear(2, 2))
        log = []

        def rename(mod, sd, prefix, local_metadata, strict, missing, unexpected, errors):
            log.append(("pre", type(mod).__name__, prefix, strict))
            if prefix + "old_bias" in sd:
                sd[prefix + "bias"] = sd.pop(prefix + "old_bias")

        def forgive(mod, keys):
            log.append(("post", type(mod).__name__, list(keys.missing_keys)))
            keys.missing_keys.clear()

        m[0].register_load_state_dict_pre_hook(rename)
        m.register_load_state_dict_post_hook(forgive)
        sd = {"0.old_bias": lib.ones(2)}
        result = m.load_state_dict(sd)  # strict, but the post hook forgives the missing weight
        return log, list(result.missing_keys), arr(m[0].bias)

    assert run(ag) == run(torch) == ([("pre", "Linear", "0.", True), ("post", "Sequential", ["0.weight"])],
                                     [], [1.0, 1.0])


def test_load_state_dict_post_hook_must_return_none():
    m = nn.Linear(2, 2)
    m.register_load_state_dict_post_hook(lambda mod, keys: 1)
    with pytest.raises(RuntimeError, match="load_state_dict post-hook must return None"):
        m.load_state_dict(m.state_dict())


def test_load_state_dict_is_atomic_on_errors():
    m = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 3))
    before = {k: host(v) for k, v in m.state_dict().items()}
    bad = {k: v + 1 for k, v in m.state_dict().items()}
    bad["1.bias"] = ag.ones(4)
    with pytest.raises(RuntimeError, match=r"size mismatch for 1.bias: copying a param with shape "
                                           r"arraygrad.Size\(\[4\]\) from checkpoint, the shape in current "
                                           r"model is arraygrad.Size\(\[3\]\)"):
        m.load_state_dict(bad)
    del bad["1.bias"]
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "1.bias"'):
        m.load_state_dict(bad)
    for k, v in m.state_dict().items():
        np.testing.assert_array_equal(host(v), before[k])
    with pytest.raises(TypeError, match="load_state_dict: strict must be a bool, got str"):
        m.load_state_dict(bad, strict="no")


def test_load_state_dict_assign_adopts_tensors():
    for lib in (ag, torch):
        m = lib.nn.BatchNorm1d(2)
        m.weight.requires_grad_(False)
        new = {k: v.clone() + 1 for k, v in m.state_dict().items()}
        m.load_state_dict(new, assign=True)
        assert isinstance(m.weight, lib.nn.Parameter) and not m.weight.requires_grad
        assert m.running_mean is new["running_mean"]
        assert host(m.weight).tolist() == [2.0, 2.0]


def test_incompatible_keys_result():
    r = nn.Linear(2, 2).load_state_dict({"weight": ag.zeros((2, 2)), "x": ag.zeros(1)}, strict=False)
    assert r == (["bias"], ["x"]) and r.missing_keys == ["bias"] and r.unexpected_keys == ["x"]
    assert repr(nn.Linear(2, 2).load_state_dict(nn.Linear(2, 2).state_dict())) == "<All keys matched successfully>"
    tr = torch.nn.Linear(2, 2).load_state_dict({"weight": torch.zeros(2, 2), "x": torch.zeros(1)}, strict=False)
    assert repr(r) == repr(tr)


def test_extra_state_round_trip():
    class WithExtra(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(1, 1)
            self.counter = 0

        def get_extra_state(self):
            return {"counter": self.counter}

        def set_extra_state(self, state):
            self.counter = state["counter"]

    a, b = WithExtra(), WithExtra()
    a.counter = 5
    sd = a.state_dict()
    assert list(sd) == ["_extra_state", "lin.weight", "lin.bias"]  # own state first, as torch
    b.load_state_dict(sd)
    assert b.counter == 5
    del sd["_extra_state"]
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "_extra_state"'):
        b.load_state_dict(sd)


def test_state_dict_positional_args_are_deprecated():
    with pytest.warns(FutureWarning, match="Positional args are being deprecated"):
        sd = nn.Linear(1, 1).state_dict(None, "p.")
    assert list(sd) == ["p.weight", "p.bias"]


def test_pickled_module_keeps_working():
    import pickle

    m = pickle.loads(pickle.dumps(nn.Linear(2, 2)))
    m.register_forward_hook(lambda *a: None)
    assert m(ag.ones((1, 2))).shape == (1, 2)


# ----- lazy modules --------------------------------------------------------------------------------
@pytest.fixture(autouse=False)
def quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        yield


def test_lazy_linear_like_torch(quiet):
    ours, theirs = nn.LazyLinear(4), torch.nn.LazyLinear(4)
    assert repr(ours) == repr(theirs) == "LazyLinear(in_features=0, out_features=4, bias=True)"
    assert isinstance(ours.weight, nn.UninitializedParameter) and repr(ours.weight) == "<UninitializedParameter>"
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight", "bias"]
    y = ours(ag.ones((2, 5)))
    theirs(torch.ones(2, 5))
    assert type(ours) is nn.Linear and type(ours.weight) is nn.Parameter
    assert ours.in_features == theirs.in_features == 5
    assert tuple(ours.weight.shape) == tuple(theirs.weight.shape) and tuple(y.shape) == (2, 4)
    assert repr(ours) == repr(theirs)
    assert not ours._forward_pre_hooks and not ours._load_state_dict_pre_hooks
    bound = 1 / np.sqrt(5)
    assert float(ag.max(ag.abs(ours.weight))) <= bound  # initialized as Linear(5, 4)
    xp_grad = ours(ag.ones((1, 5))).sum()
    xp_grad.backward()
    assert ours.weight.grad is not None


def test_lazy_linear_loads_checkpoint_before_first_call(quiet):
    src = torch.nn.Linear(3, 4)
    ours = nn.LazyLinear(4)
    ours.load_state_dict(to_ag(src.state_dict()))
    assert tuple(ours.weight.shape) == (4, 3) and type(ours.weight) is nn.Parameter
    x = np.random.default_rng(0).standard_normal((2, 3)).astype(np.float32)
    np.testing.assert_allclose(host(ours(ag.asarray(x))), host(src(torch.tensor(x))), rtol=1e-5, atol=1e-6)
    assert type(ours) is nn.Linear


def test_lazy_linear_no_bias_dtype_and_to(quiet):
    m = nn.LazyLinear(2, bias=False, dtype=ag.float64)
    assert m.bias is None and m.weight.dtype == ag.float64
    m.float()
    m(ag.ones((1, 3)))
    assert m.weight.dtype == ag.float32 and tuple(m.weight.shape) == (2, 3)


@pytest.mark.parametrize("name, shape, kwargs", [
    ("LazyConv1d", (2, 3, 8), {}), ("LazyConv2d", (2, 4, 6, 6), {"groups": 2, "padding": 1}),
    ("LazyConv3d", (1, 2, 4, 4, 4), {"stride": 2}), ("LazyConv2d", (3, 6, 6), {}),
    ("LazyConvTranspose1d", (2, 3, 5), {}), ("LazyConvTranspose2d", (1, 4, 5, 5), {"groups": 2, "stride": 2}),
    ("LazyConvTranspose3d", (1, 2, 3, 3, 3), {}),
])
def test_lazy_convs_like_torch(quiet, name, shape, kwargs):
    ours, theirs = getattr(nn, name)(6, 3, **kwargs), getattr(torch.nn, name)(6, 3, **kwargs)
    assert ours.in_channels == theirs.in_channels == 0
    assert isinstance(ours.weight, nn.UninitializedParameter)
    y = ours(ag.ones(shape))
    ty = theirs(torch.ones(shape))
    assert type(ours).__name__ == type(theirs).__name__ == name[4:]
    assert tuple(ours.weight.shape) == tuple(theirs.weight.shape)
    assert tuple(ours.bias.shape) == tuple(theirs.bias.shape) and tuple(y.shape) == tuple(ty.shape)
    assert repr(ours) == repr(theirs)
    ours.load_state_dict(to_ag(theirs.state_dict()))
    np.testing.assert_allclose(host(ours(ag.ones(shape))), host(ty), rtol=1e-4, atol=1e-5)


def test_lazy_input_errors(quiet):
    with pytest.raises(ValueError, match="LazyLinear: expected an input tensor with at least 1 dimension to infer "
                                         "in_features, got a 0-D tensor"):
        nn.LazyLinear(3)(ag.asarray(1.0))
    with pytest.raises(ValueError, match=r"LazyBatchNorm1d: expected an input tensor with a channel axis \(at least "
                                         r"2-D\) to infer num_features, got \(3,\)"):
        nn.LazyBatchNorm1d()(ag.ones(3))
    with pytest.raises(ValueError, match="out_features must be an int >= 0, got -1"):
        nn.LazyLinear(-1)


def test_lazy_conv_errors(quiet):
    with pytest.raises(RuntimeError, match=r"Expected 3D \(unbatched\) or 4D \(batched\) input to LazyConv2d, "
                                           r"but got input of size: \(2, 3\)"):
        nn.LazyConv2d(4, 3)(ag.ones((2, 3)))
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.LazyConv2d(4, 3, groups=2)(ag.ones((1, 3, 5, 5)))
    with pytest.raises(ValueError, match="out_channels must be divisible by groups"):
        nn.LazyConv2d(3, 3, groups=2)


@pytest.mark.parametrize("name, shape", [("LazyBatchNorm1d", (4, 3)), ("LazyBatchNorm1d", (4, 3, 5)),
                                         ("LazyBatchNorm2d", (2, 3, 4, 4)), ("LazyBatchNorm3d", (2, 3, 2, 2, 2))])
def test_lazy_batchnorm_like_torch(quiet, name, shape):
    ours, theirs = getattr(nn, name)(), getattr(torch.nn, name)()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert isinstance(ours.running_mean, nn.UninitializedBuffer)
    x = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    y, ty = ours(ag.asarray(x)), theirs(torch.tensor(x))
    assert type(ours).__name__ == type(theirs).__name__ == name[4:]
    np.testing.assert_allclose(host(y), host(ty), rtol=1e-4, atol=1e-5)
    for k, v in theirs.state_dict().items():
        np.testing.assert_allclose(host(ours.state_dict()[k]), host(v), rtol=1e-5, atol=1e-6, err_msg=k)


def test_lazy_batchnorm_without_affine_or_stats(quiet):
    for lib in (ag, torch):  # nothing to infer: num_features stays 0, as in torch
        m = lib.nn.LazyBatchNorm2d(affine=False, track_running_stats=False)
        m(lib.ones((2, 3, 2, 2)))
        assert m.weight is None and m.running_mean is None and m.num_features == 0
        assert type(m) is lib.nn.BatchNorm2d


def test_uninitialized_parameter_materialize_and_deepcopy():
    import copy

    p = nn.UninitializedParameter(requires_grad=False, dtype=ag.float64)
    q = copy.deepcopy(p)
    assert type(q) is nn.UninitializedParameter and q.dtype == ag.float64 and not q.requires_grad
    p.materialize((2, 3))
    assert type(p) is nn.Parameter and tuple(p.shape) == (2, 3) and p.dtype == ag.float64
    b = nn.UninitializedBuffer()
    b.materialize(4)
    assert type(b) is ag.Tensor and tuple(b.shape) == (4,)


def test_memory_format_hints_and_stateless_call():
    import arraygrad as ag
    import arraygrad.nn.utils.stateless as stateless

    conv = ag.nn.Conv2d(3, 4, 3)
    assert conv.to(memory_format=ag.channels_last) is conv  # a layout hint: tensors stay C-ordered
    assert ag.nn.utils.convert_conv2d_weight_memory_format(conv, ag.channels_last) is conv
    assert ag.nn.utils.convert_conv3d_weight_memory_format(conv, ag.channels_last_3d) is conv
    with pytest.raises(TypeError, match="memory_format must be a memory format"):
        conv.to(memory_format="channels_last")
    lin = ag.nn.Linear(2, 1)
    out = stateless.functional_call(lin, {"weight": ag.ones(1, 2), "bias": ag.zeros(1)}, (ag.ones(1, 2),))
    assert out.tolist() == [[2.0]]
