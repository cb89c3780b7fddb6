"""nn modules (src/arraygrad/nn/): Module's registration, traversal, state dicts, devices and
printing; the layers against PyTorch with the same weights; initialization; containers; a
tiny training run."""

from __future__ import annotations

import copy
import math
from collections import OrderedDict

import numpy as np
import pytest
import torch

import arraygrad as xp
from arraygrad import nn
from arraygrad.nn import init

from _torch_oracle import recurrent_layers_agree


def host(t):
    return np.array(t.detach().to_device("cpu"), copy=True)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3, padding=1)
        self.bn = nn.BatchNorm2d(2)
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(2 * 4 * 4, 3))
        self.scale = nn.Parameter(xp.ones(()))
        self.register_buffer("steps", xp.zeros((), dtype=xp.int64))
        self.register_buffer("scratch", xp.zeros(2), persistent=False)

    def forward(self, x):
        return self.head(xp.maximum(self.bn(self.conv(x)), 0.0)) * self.scale


# ----- Parameter ---------------------------------------------------------------------------
def test_parameter_is_a_leaf_tensor_sharing_memory():
    data = xp.zeros(3)
    p = nn.Parameter(data)
    assert isinstance(p, xp.Tensor) and isinstance(p, nn.Parameter)
    assert p.requires_grad and p.is_leaf
    with xp.no_grad():
        data[0] = 5.0
    assert float(p[0]) == 5.0
    assert not nn.Parameter(xp.ones(2), requires_grad=False).requires_grad
    assert type(p * 2) is xp.Tensor  # operations give plain tensors
    assert repr(p).startswith("Parameter containing:\n")
    assert nn.Parameter().shape == (0,)


def test_parameter_rejects_non_tensors_and_integer_grads():
    with pytest.raises(TypeError, match="Tensor"):
        nn.Parameter([1.0, 2.0])
    with pytest.raises(RuntimeError, match="floating point"):
        nn.Parameter(xp.asarray([1, 2]))


def test_parameter_deepcopy():
    p = nn.Parameter(xp.ones(2))
    q = copy.deepcopy(p)
    assert type(q) is nn.Parameter and q is not p and q.requires_grad
    with xp.no_grad():
        q[0] = 3.0
    assert float(p[0]) == 1.0


# ----- registration and traversal -----------------------------------------------------------
def test_attributes_register_by_kind():
    net = Net()
    assert list(net._parameters) == ["scale"]
    assert list(net._modules) == ["conv", "bn", "head"]
    assert list(net._buffers) == ["steps", "scratch"]
    assert net.conv.weight.shape == (2, 1, 3, 3)
    names = [n for n, _ in net.named_parameters()]
    assert names == ["scale", "conv.weight", "conv.bias", "bn.weight", "bn.bias",
                     "head.1.weight", "head.1.bias"]
    assert len(list(net.parameters())) == 7
    assert [n for n, _ in net.named_buffers()] == ["steps", "scratch", "bn.running_mean",
                                                   "bn.running_var", "bn.num_batches_tracked"]
    assert [n for n, _ in net.named_children()] == ["conv", "bn", "head"]
    assert [n for n, _ in net.named_modules()] == ["", "conv", "bn", "head", "head.0", "head.1"]
    assert net.get_submodule("head.1") is net.head[1]
    assert list(net.parameters(recurse=False)) == [net.scale]


def test_shared_parameters_are_listed_once():
    lin = nn.Linear(2, 2)
    seq = nn.Sequential(lin, nn.ReLU(), lin)
    assert len(list(seq.parameters())) == 2
    assert len(list(seq.modules())) == 3


def test_reassigning_changes_kind_and_none_keeps_slot():
    m = nn.Linear(2, 3)
    m.bias = None
    assert "bias" in m._parameters and m.bias is None
    assert [n for n, _ in m.named_parameters()] == ["weight"]
    with pytest.raises(TypeError, match="cannot assign 'Tensor' as parameter 'weight'"):
        m.weight = xp.ones((3, 2))
    m.extra = 5
    m.extra = nn.Parameter(xp.ones(1))  # a plain attribute becomes a parameter
    assert "extra" in m._parameters and "extra" not in m.__dict__
    del m.extra
    assert not hasattr(m, "extra")
    with pytest.raises(AttributeError, match="has no attribute 'missing'"):
        m.missing


def test_registration_errors():
    m = nn.Module()
    with pytest.raises(KeyError, match="must be non-empty and contain no dot"):
        m.register_buffer("a.b", xp.ones(1))
    with pytest.raises(TypeError, match="Tensor or None"):
        m.register_buffer("b", [1.0])
    with pytest.raises(TypeError, match="Parameter or None"):
        m.register_parameter("p", xp.ones(1))
    with pytest.raises(KeyError, match="already exists"):
        m.register_buffer("forward", xp.ones(1))
    with pytest.raises(TypeError, match="not a Module subclass"):
        m.add_module("x", 3)

    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(xp.ones(1))

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Early()
    with pytest.raises(NotImplementedError, match="missing the required \"forward\""):
        nn.Module()(1)


def test_train_eval_apply_and_requires_grad():
    net = Net()
    assert net.training and net.bn.training
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    with pytest.raises(ValueError, match="bool"):
        net.train("yes")
    seen = []
    net.apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Conv2d", "BatchNorm2d", "Flatten", "Linear", "Sequential", "Net"]
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())


def test_zero_grad():
    m = nn.Linear(3, 2)
    xp.sum(m(xp.ones((4, 3)))).backward()
    m.zero_grad(set_to_none=False)
    assert float(xp.sum(xp.abs(m.weight.grad))) == 0.0
    m.zero_grad()
    assert m.weight.grad is None and m.bias.grad is None


def test_forward_hooks():
    m = nn.Linear(2, 2)
    calls = []
    h1 = m.register_forward_pre_hook(lambda mod, args: (args[0] * 0,))
    h2 = m.register_forward_hook(lambda mod, args, out: calls.append(out.shape) or out + 1)
    out = m(xp.ones((1, 2)))
    np.testing.assert_allclose(host(out), host(m.bias)[None] + 1, rtol=1e-6)
    assert calls == [(1, 2)]
    h1.remove()
    h2.remove()
    np.testing.assert_allclose(host(m(xp.zeros((1, 2)))), host(m.bias)[None], rtol=1e-6)


# ----- state dicts ------------------------------------------------------------------------------
def test_state_dict_contents_and_sharing():
    net = Net()
    sd = net.state_dict()
    assert list(sd) == ["scale", "steps", "conv.weight", "conv.bias", "bn.weight", "bn.bias",
                        "bn.running_mean", "bn.running_var", "bn.num_batches_tracked",
                        "head.1.weight", "head.1.bias"]
    assert "scratch" not in sd  # non-persistent
    assert not sd["conv.weight"].requires_grad
    with xp.no_grad():
        sd["conv.bias"][...] = 7.0  # detached, but the same memory
    assert float(net.conv.bias[0]) == 7.0
    assert net.state_dict(keep_vars=True)["conv.weight"] is net.conv.weight
    assert list(net.state_dict(prefix="model."))[0] == "model.scale"


def test_load_state_dict_round_trip():
    a, b = Net(), Net()
    with xp.no_grad():
        a.bn.running_mean[...] = 3.0
        a.steps[...] = 4
    w_before = b.conv.weight
    result = b.load_state_dict(a.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert b.conv.weight is w_before  # copied in place: optimizers keep working
    for (k, v), (_, w) in zip(a.state_dict().items(), b.state_dict().items()):
        np.testing.assert_array_equal(host(v), host(w), err_msg=k)
    assert int(b.steps) == 4


def test_load_state_dict_converts_dtype():
    a = nn.Linear(2, 2).double()
    b = nn.Linear(2, 2)
    b.load_state_dict(a.state_dict())
    assert b.weight.dtype == xp.float32
    np.testing.assert_allclose(host(b.weight), host(a.weight), rtol=1e-6)


def test_load_state_dict_strictness_and_errors():
    m = nn.Linear(2, 3)
    sd = m.state_dict()
    partial = {"weight": sd["weight"], "extra": xp.ones(1)}
    with pytest.raises(RuntimeError, match=r"Unexpected key\(s\) in state_dict: \"extra\"") as info:
        m.load_state_dict(partial)
    assert 'Missing key(s) in state_dict: "bias"' in str(info.value)
    result = m.load_state_dict(partial, strict=False)
    assert result.missing_keys == ["bias"] and result.unexpected_keys == ["extra"]
    before = host(m.weight)
    bad = dict(sd, bias=xp.ones(4), weight=sd["weight"] + 1)
    with pytest.raises(RuntimeError, match=r"size mismatch for bias: copying a param with shape "
                                           r"arraygrad.Size\(\[4\]\) from checkpoint"):  # PyTorch's wording
        m.load_state_dict(bad)
    np.testing.assert_array_equal(host(m.weight), before)  # nothing written on error
    with pytest.raises(RuntimeError, match="expected an arraygrad Tensor"):
        m.load_state_dict(dict(sd, bias=[1.0, 2.0, 3.0]))
    with pytest.raises(TypeError, match="expected a dict"):
        m.load_state_dict([1, 2])


def test_load_state_dict_assign():
    m = nn.Linear(2, 3)
    new = {"weight": xp.ones((3, 2)), "bias": xp.zeros(3)}
    m.load_state_dict(new, assign=True)
    assert isinstance(m.weight, nn.Parameter) and m.weight.requires_grad
    assert float(xp.sum(m.weight)) == 6.0


# ----- devices, dtypes, printing ----------------------------------------------------------------
def test_to_dtype_keeps_parameter_objects():
    net = Net()
    w = net.conv.weight
    xp.sum(net(xp.ones((2, 1, 4, 4)))).backward()
    assert net.to(xp.float64) is net
    assert net.conv.weight is w and w.dtype == xp.float64 and w.grad.dtype == xp.float64
    assert net.bn.running_mean.dtype == xp.float64
    assert net.bn.num_batches_tracked.dtype == xp.int64  # integers keep their dtype
    net.float()
    assert w.dtype == xp.float32
    assert net.to("cpu", dtype=xp.float64).conv.bias.dtype == xp.float64
    assert net.cpu() is net
    with pytest.raises(TypeError, match="floating point or complex"):
        net.to(xp.int32)
    with pytest.raises(TypeError, match="unexpected keyword"):
        net.to(devic="cpu")


def test_module_to_another_backend(backend):
    m = nn.Linear(3, 2)
    m.to(backend.device)
    assert m.weight.device == backend.device
    out = m(xp.ones((1, 3), device=backend.device))
    assert out.device == backend.device


@pytest.mark.cuda
def test_module_cuda_round_trip():
    m = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2))
    m.cuda()
    assert m[0].weight.device.type == "cuda" and m[1].running_var.device.type == "cuda"
    out = m(xp.ones((2, 1, 5, 5), device="cuda"))
    xp.sum(out).backward()
    assert m[0].weight.grad.device.type == "cuda"
    m.cpu()
    assert m[0].weight.device.type == "cpu"


def test_repr_matches_pytorchs():
    def build(m):
        return m.Sequential(m.Conv2d(1, 6, 5, padding=2), m.ReLU(), m.MaxPool2d(2),
                            m.Conv2d(6, 16, 3, stride=2, bias=False), m.Flatten(),
                            m.Linear(16, 10, bias=False), m.Dropout(0.1), m.BatchNorm1d(10),
                            m.BatchNorm2d(4, affine=False), m.BatchNorm2d(4, bias=False),
                            m.AvgPool2d(3, 2, 1, ceil_mode=True), m.MaxPool2d(3, 2, ceil_mode=True),
                            m.ModuleList([m.Tanh()]),
                            m.ModuleList([m.Linear(2, 2), m.Linear(2, 2), m.ReLU(), m.Linear(2, 2)]))

    assert repr(build(nn)) == repr(build(torch.nn))
    assert repr(nn.ReLU(inplace=True)) == "ReLU(inplace=True)"
    assert repr(nn.ModuleList()) == repr(torch.nn.ModuleList())


# ----- containers -------------------------------------------------------------------------------
def test_sequential_indexing():
    a, b, c = nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)
    seq = nn.Sequential(a, b, c)
    assert len(seq) == 3 and seq[0] is a and seq[-1] is c and list(seq) == [a, b, c]
    assert isinstance(seq[1:], nn.Sequential) and list(seq[1:]) == [b, c]
    with pytest.raises(IndexError, match="out of range"):
        seq[3]
    seq[1] = nn.Tanh()
    assert isinstance(seq[1], nn.Tanh)
    seq.append(nn.Sigmoid())
    assert len(seq) == 4 and seq(xp.ones((5, 2))).shape == (5, 1)
    del seq[0]
    assert [n for n, _ in seq.named_children()] == ["0", "1", "2"]
    named = nn.Sequential(OrderedDict(first=nn.Linear(2, 2), act=nn.ReLU()))
    assert named.first is named[0] and list(named.state_dict()) == ["first.weight", "first.bias"]
    assert not isinstance(seq, nn.ModuleList)


def test_module_list():
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    assert len(layers) == 3 and len(list(layers.parameters())) == 6
    layers.insert(0, nn.ReLU())
    layers.extend([nn.Tanh()])
    assert [type(m).__name__ for m in layers] == ["ReLU", "Linear", "Linear", "Linear", "Tanh"]
    assert isinstance(layers.pop(), nn.Tanh) and len(layers) == 4
    assert isinstance(layers[1:3], nn.ModuleList) and len(layers[1:3]) == 2
    assert len(layers + nn.ModuleList([nn.ReLU()])) == 5
    with pytest.raises(NotImplementedError):
        layers(xp.ones(2))


# ----- layers against PyTorch ---------------------------------------------------------------------
def _copy_to_torch(ours, theirs):
    with torch.no_grad():
        for (name, p), (tname, tp) in zip(ours.state_dict().items(), theirs.state_dict().items()):
            assert name == tname
            tp.copy_(torch.from_numpy(host(p)))


LAYERS = [
    (lambda: nn.Linear(4, 3), lambda: torch.nn.Linear(4, 3), (5, 4)),
    (lambda: nn.Conv2d(2, 3, (3, 2), stride=(2, 1), padding=1, dilation=(1, 2)),
     lambda: torch.nn.Conv2d(2, 3, (3, 2), stride=(2, 1), padding=1, dilation=(1, 2)), (2, 2, 6, 7)),
    (lambda: nn.Conv2d(2, 3, 3, padding="same", bias=False),
     lambda: torch.nn.Conv2d(2, 3, 3, padding="same", bias=False), (1, 2, 5, 5)),
    (lambda: nn.MaxPool2d(2), lambda: torch.nn.MaxPool2d(2), (2, 3, 4, 6)),
    (lambda: nn.MaxPool2d(3, 1, 1, 2), lambda: torch.nn.MaxPool2d(3, 1, 1, 2), (2, 3, 6, 6)),
    (lambda: nn.AvgPool2d(3, 2, 1), lambda: torch.nn.AvgPool2d(3, 2, 1), (2, 3, 6, 6)),
    (lambda: nn.AvgPool2d(2, count_include_pad=False, padding=1),
     lambda: torch.nn.AvgPool2d(2, count_include_pad=False, padding=1), (1, 2, 5, 5)),
    (nn.ReLU, torch.nn.ReLU, (3, 4)),
    (nn.Tanh, torch.nn.Tanh, (3, 4)),
    (nn.Sigmoid, torch.nn.Sigmoid, (3, 4)),
    (lambda: nn.Softmax(1), lambda: torch.nn.Softmax(1), (3, 4)),
    (lambda: nn.LogSoftmax(0), lambda: torch.nn.LogSoftmax(0), (3, 4)),
    (nn.Flatten, torch.nn.Flatten, (2, 3, 4)),
    (lambda: nn.Flatten(0, 1), lambda: torch.nn.Flatten(0, 1), (2, 3, 4)),
    (nn.Identity, torch.nn.Identity, (2, 3)),
    (lambda: nn.BatchNorm1d(3), lambda: torch.nn.BatchNorm1d(3), (5, 3)),
    (lambda: nn.BatchNorm1d(3, affine=False), lambda: torch.nn.BatchNorm1d(3, affine=False), (4, 3, 2)),
    (lambda: nn.BatchNorm2d(3, momentum=None), lambda: torch.nn.BatchNorm2d(3, momentum=None), (2, 3, 2, 2)),
    (lambda: nn.BatchNorm2d(3, track_running_stats=False),
     lambda: torch.nn.BatchNorm2d(3, track_running_stats=False), (2, 3, 2, 2)),
]


@pytest.mark.parametrize("make, make_torch, shape", LAYERS,
                         ids=[repr(m()).split("(")[0] + str(i) for i, (m, _, _) in enumerate(LAYERS)])
def test_layer_matches_torch(make, make_torch, shape):
    ours, theirs = make().double(), make_torch().double()
    _copy_to_torch(ours, theirs)
    rng = np.random.default_rng(0)
    for mode in ("train", "train", "eval"):  # twice: running statistics move
        getattr(ours, mode)()
        getattr(theirs, mode)()
        x = rng.standard_normal(shape)
        xa = xp.asarray(x, requires_grad=True)
        xt = torch.tensor(x, requires_grad=True)
        out, tout = ours(xa), theirs(xt)
        np.testing.assert_allclose(host(out), tout.detach().numpy(), atol=1e-10)
        g = rng.standard_normal(tout.shape)
        xp.sum(out * xp.asarray(g)).backward()
        (tout * torch.tensor(g)).sum().backward()
        np.testing.assert_allclose(host(xa.grad), xt.grad.numpy(), atol=1e-10)
        for (name, p), tp in zip(ours.named_parameters(), theirs.parameters()):
            np.testing.assert_allclose(host(p.grad), tp.grad.numpy(), atol=1e-10, err_msg=name)
        for (name, b), tb in zip(ours.named_buffers(), theirs.buffers()):
            np.testing.assert_allclose(host(b), tb.numpy(), atol=1e-10, err_msg=name)
        ours.zero_grad()
        theirs.zero_grad()


def test_batchnorm_rank_check():
    with pytest.raises(ValueError, match=r"expected 4D input \(got 2D input\)"):
        nn.BatchNorm2d(3)(xp.ones((2, 3)))
    with pytest.raises(ValueError, match="expected 2D or 3D input"):
        nn.BatchNorm1d(3)(xp.ones((2, 3, 4, 5)))


def test_dropout_module_respects_mode():
    d = nn.Dropout(0.5)
    x = xp.ones((20, 20))
    assert float(xp.min(d(x))) == 0.0
    d.eval()
    assert d(x) is x
    with pytest.raises(ValueError):
        nn.Dropout(-0.1)


def test_layer_argument_errors():
    with pytest.raises(TypeError, match="in_features must be an int"):  # PyTorch's type: TypeError
        nn.Linear(2.5, 3)
    with pytest.raises(ValueError, match="out_channels must be an int >= 1"):
        nn.Conv2d(1, 0, 3)
    with pytest.raises(TypeError, match="kernel_size"):
        nn.Conv2d(1, 2, (3, 3, 3))
    with pytest.raises(ValueError, match="'valid', 'same'"):
        nn.Conv2d(1, 2, 3, padding="full")
    with pytest.raises(IndexError, match="Flatten"):
        nn.Flatten(2)(xp.ones((2, 3)))


# ----- initialization ------------------------------------------------------------------------------
def test_default_init_bounds_follow_pytorch():
    xp.manual_seed(0)
    lin = nn.Linear(50, 40)
    bound = 1 / math.sqrt(50)  # kaiming_uniform_(a=sqrt(5)) on the weight, and the bias
    w, b = host(lin.weight), host(lin.bias)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert np.abs(b).max() <= bound
    conv = nn.Conv2d(4, 8, 3)
    bound = 1 / math.sqrt(4 * 9)
    assert np.abs(host(conv.weight)).max() <= bound and np.abs(host(conv.bias)).max() <= bound


def test_init_is_reproducible_under_manual_seed():
    xp.manual_seed(5)
    a = host(nn.Linear(3, 3).weight)
    xp.manual_seed(5)
    np.testing.assert_array_equal(a, host(nn.Linear(3, 3).weight))


@pytest.mark.parametrize("fn, kwargs, std", [
    (init.kaiming_normal_, dict(nonlinearity="relu"), math.sqrt(2 / 200)),
    (init.kaiming_normal_, dict(mode="fan_out", nonlinearity="relu"), math.sqrt(2 / 300)),
    (init.kaiming_uniform_, dict(nonlinearity="relu"), math.sqrt(2 / 200)),
    (init.xavier_normal_, dict(gain=2.0), 2 * math.sqrt(2 / 500)),
    (init.xavier_uniform_, dict(), math.sqrt(2 / 500)),
    (init.normal_, dict(mean=1.0, std=0.5), 0.5),
    (init.uniform_, dict(a=-2.0, b=2.0), 4 / math.sqrt(12)),
])
def test_init_statistics(fn, kwargs, std):
    xp.manual_seed(1)
    t = xp.empty((300, 200), dtype=xp.float64)  # fan_in 200, fan_out 300
    assert fn(t, **kwargs) is t
    v = host(t)
    assert abs(v.std() - std) < 0.03 * std
    assert abs(v.mean() - kwargs.get("mean", 0.0)) < 0.03 * max(std, 0.1)


def test_init_constants_and_gain():
    t = xp.empty((2, 3), requires_grad=True)
    init.constant_(t, 2.5)
    assert float(xp.sum(t)) == 15.0 and t.requires_grad and t.grad_fn is None
    assert float(xp.sum(init.zeros_(t))) == 0.0
    assert float(xp.sum(init.ones_(t))) == 6.0
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    with pytest.raises(ValueError, match="unsupported nonlinearity"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(xp.empty(3))
    with pytest.raises(ValueError, match="mode"):
        init.kaiming_normal_(xp.empty((2, 2)), mode="fan")
    with pytest.raises(TypeError, match="floating-point"):
        init.normal_(xp.zeros(3, dtype=xp.int32))
    with pytest.warns(UserWarning, match="zero-element"):
        init.kaiming_uniform_(xp.empty((0, 3)))


# ----- training ---------------------------------------------------------------------------------------
def test_tiny_training_run_reduces_the_loss():
    xp.manual_seed(0)
    rng = np.random.default_rng(0)
    x = xp.asarray(rng.standard_normal((64, 1, 6, 6)).astype(np.float32))
    y = xp.asarray((rng.standard_normal(64) > 0).astype(np.int64))
    x = x + xp.reshape(xp.astype(y, xp.float32), (64, 1, 1, 1))  # learnable signal
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.1), nn.Linear(36, 2))
    optimizer = xp.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    losses = []
    for _ in range(30):
        loss = loss_fn(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(float(loss))
    assert losses[-1] < 0.5 * losses[0]
    model.eval()
    with xp.no_grad():
        accuracy = float(xp.mean(xp.astype(xp.argmax(model(x), axis=1) == y, xp.float32)))
    assert accuracy > 0.9


@pytest.mark.parametrize("make", [
    lambda m: m.L1Loss(), lambda m: m.SmoothL1Loss(beta=0.5), lambda m: m.HuberLoss(delta=0.7),
    lambda m: m.MSELoss(reduction="sum"), lambda m: m.BCEWithLogitsLoss(pos_weight=None),
], ids=["L1Loss", "SmoothL1Loss", "HuberLoss", "MSELoss", "BCEWithLogitsLoss"])
def test_pointwise_loss_modules_like_torch(make):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x, t = rng.standard_normal((4, 3)), (rng.standard_normal((4, 3)) > 0).astype(float)
    ours, theirs = make(nn), make(torch.nn)
    assert repr(ours) == repr(theirs)
    np.testing.assert_allclose(float(ours(xp.asarray(x), xp.asarray(t))),
                               float(theirs(torch.tensor(x), torch.tensor(t))), rtol=1e-12)


def test_logistic_regression_with_bce_loss_trains_like_torch():
    # the classic tutorial: Linear + Sigmoid + BCELoss, SGD; same start, same steps
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 2))
    y = (x[:, :1] + x[:, 1:] > 0).astype(float)
    w0, b0 = rng.standard_normal((1, 2)) * 0.1, np.zeros(1)
    losses = {}
    for lib, name in ((xp, "ours"), (torch, "torch")):
        model = lib.nn.Sequential(lib.nn.Linear(2, 1), lib.nn.Sigmoid()).double()
        with lib.no_grad():
            model[0].weight.copy_(lib.tensor(w0))
            model[0].bias.copy_(lib.tensor(b0))
        opt = lib.optim.SGD(model.parameters(), lr=0.5)
        crit = lib.nn.BCELoss()
        xs, ys = lib.tensor(x), lib.tensor(y)
        run = []
        for _ in range(20):
            opt.zero_grad()
            loss = crit(model(xs), ys)
            loss.backward()
            opt.step()
            run.append(loss.item())
        losses[name] = run
    np.testing.assert_allclose(losses["ours"], losses["torch"], rtol=1e-10)
    assert losses["ours"][-1] < 0.5 * losses["ours"][0]


@pytest.mark.parametrize("max_norm", [0.5, 100.0])
@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf, 3])
def test_clip_grad_norm_like_torch(max_norm, norm_type):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    shapes = [(3, 4), (4,), (2, 2)]
    grads = [rng.standard_normal(s) for s in shapes]
    ours = [xp.zeros(s, dtype=xp.float64, requires_grad=True) for s in shapes]
    theirs = [torch.zeros(s, dtype=torch.float64, requires_grad=True) for s in shapes]
    for p, tp, g in zip(ours, theirs, grads):
        p.grad, tp.grad = xp.asarray(g), torch.tensor(g)
    total = nn.utils.clip_grad_norm_(ours + [xp.zeros(2, requires_grad=True)], max_norm, norm_type)
    want = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    np.testing.assert_allclose(float(total), float(want), rtol=1e-12)  # parameters without grad skipped
    for p, tp in zip(ours, theirs):
        np.testing.assert_allclose(host(p.grad), tp.grad.numpy(), rtol=1e-12)


def test_clip_grad_value_and_edge_cases():
    w = xp.zeros(3, dtype=xp.float64, requires_grad=True)
    w.grad = xp.asarray([-2.0, 0.5, 3.0], dtype=xp.float64)
    nn.utils.clip_grad_value_(w, 1.0)  # a single tensor is accepted, as PyTorch
    np.testing.assert_array_equal(host(w.grad), [-1.0, 0.5, 1.0])
    assert float(nn.utils.clip_grad_norm_([xp.zeros(2, requires_grad=True)], 1.0)) == 0.0
    w.grad = xp.asarray([math.inf, 0.0, 1.0], dtype=xp.float64)
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_([w], 1.0, error_if_nonfinite=True)
    with pytest.raises(TypeError, match="parameters must be Tensors"):
        nn.utils.clip_grad_norm_([np.zeros(2)], 1.0)
    with pytest.raises(ValueError, match="nan"):
        nn.utils.clip_grad_value_([w], math.nan)


@pytest.mark.parametrize("spec", ["LeakyReLU()", "LeakyReLU(0.2, inplace=True)", "ELU(alpha=0.5)", "SiLU()",
                                  "Softplus(beta=2.0)", "LogSigmoid()", "Hardtanh(-2.0, 2.0)", "ReLU6()"])
def test_activation_modules_like_torch(spec):
    torch = pytest.importorskip("torch")
    ours, theirs = eval("nn." + spec), eval("torch.nn." + spec)
    assert repr(ours) == repr(theirs)
    x = np.linspace(-7.0, 7.0, 15)
    want = theirs(torch.tensor(x)).numpy()  # before ours: an inplace module writes into x's memory
    np.testing.assert_allclose(host(ours(xp.asarray(x.copy()))), want, rtol=1e-12)


def test_batch_norm_without_bias_like_torch():
    torch = pytest.importorskip("torch")
    ours, theirs = nn.BatchNorm2d(3, bias=False), torch.nn.BatchNorm2d(3, bias=False)
    assert ours.bias is None and theirs.bias is None and ours.weight is not None
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()] == ["weight"]
    x = np.random.default_rng(0).standard_normal((4, 3, 2, 2))
    np.testing.assert_allclose(host(ours(xp.asarray(x, dtype=xp.float32))),
                               theirs(torch.tensor(x, dtype=torch.float32)).detach().numpy(), rtol=1e-5, atol=1e-6)
    ours.reset_parameters()


def test_embedding_and_layer_norm_modules_like_torch():
    torch = pytest.importorskip("torch")
    for spec in ("Embedding(10, 3)", "Embedding(10, 3, padding_idx=0)", "LayerNorm(4)",
                 "LayerNorm([3, 4], elementwise_affine=False)", "LayerNorm(4, bias=False)"):
        assert repr(eval("nn." + spec)) == repr(eval("torch.nn." + spec))
    emb = nn.Embedding(6, 2, padding_idx=-2)
    assert emb.padding_idx == 4 and host(emb.weight)[4].tolist() == [0.0, 0.0]
    pre = nn.Embedding.from_pretrained(xp.reshape(xp.arange(6.0), (3, 2)))
    assert not pre.weight.requires_grad and host(pre(xp.asarray([2])))[0].tolist() == [4.0, 5.0]
    assert nn.Embedding.from_pretrained(xp.ones((3, 2)), freeze=False).weight.requires_grad
    ln = nn.LayerNorm(3)
    assert [n for n, _ in ln.named_parameters()] == ["weight", "bias"]
    x = np.random.default_rng(0).standard_normal((2, 3))
    np.testing.assert_allclose(host(ln.double()(xp.asarray(x))),
                               torch.nn.LayerNorm(3).double()(torch.tensor(x)).detach().numpy(), rtol=1e-12, atol=1e-12)
    with pytest.raises(NotImplementedError, match="sparse"):
        nn.Embedding(3, 2, sparse=True)
    with pytest.raises(ValueError, match="padding_idx"):
        nn.Embedding(3, 2, padding_idx=3)


# ----- recurrent layers -------------------------------------------------------------------------
def _copy_from_torch(ours, theirs):
    ours.double().load_state_dict({k: xp.asarray(v.detach().numpy().astype(np.float64))
                                   for k, v in theirs.state_dict().items()})


RNN_CASES = [("RNN", {}), ("RNN", dict(nonlinearity="relu", bias=False)), ("LSTM", {}),
             ("LSTM", dict(num_layers=2, bidirectional=True, batch_first=True)), ("GRU", dict(num_layers=2)),
             ("GRU", dict(bidirectional=True)), ("LSTM", dict(bias=False)), ("GRU", dict(bias=False, batch_first=True))]


@pytest.mark.parametrize("unbatched", [False, True])
@pytest.mark.parametrize("name, kwargs", RNN_CASES, ids=str)
def test_recurrent_layers_match_torch(name, kwargs, unbatched):
    # the same weights (PyTorch's names, shapes and gate order), the same outputs, final
    # states and gradients for the input, the initial states and every weight
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    ours, theirs = getattr(nn, name)(3, 4, **kwargs), getattr(torch.nn, name)(3, 4, **kwargs).double()
    assert repr(ours) == repr(theirs)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    _copy_from_torch(ours, theirs)
    seq, batch = 5, 2
    shape = (seq, 3) if unbatched else ((batch, seq, 3) if kwargs.get("batch_first") else (seq, batch, 3))
    layers = kwargs.get("num_layers", 1) * (2 if kwargs.get("bidirectional") else 1)
    state_shape = (layers, 4) if unbatched else (layers, batch, 4)
    x, h0, c0 = rng.standard_normal(shape), rng.standard_normal(state_shape), rng.standard_normal(state_shape)
    recurrent_layers_agree(ours, theirs, [x, h0, c0], name == "LSTM", state_term=lambda s: s,
                           value_tol=(1e-10, 1e-12), grad_tol=(1e-9, 1e-12))

@pytest.mark.parametrize("name, kwargs", [("RNNCell", {}), ("RNNCell", dict(nonlinearity="relu", bias=False)),
                                          ("LSTMCell", {}), ("GRUCell", {})], ids=str)
def test_recurrent_cells_match_torch(name, kwargs):
    torch = pytest.importorskip("torch")
    ours, theirs = getattr(nn, name)(3, 4, **kwargs), getattr(torch.nn, name)(3, 4, **kwargs).double()
    assert repr(ours) == repr(theirs)
    _copy_from_torch(ours, theirs)
    x = np.random.default_rng(1).standard_normal((2, 3))
    a, t = xp.asarray(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, tout = ours(a), theirs(t)
    if name == "LSTMCell":
        out, tout = out[0] + 2 * out[1], tout[0] + 2 * tout[1]
        assert tuple(ours(a[0])[0].shape) == (4,)  # unbatched
    np.testing.assert_allclose(host(out), tout.detach().numpy(), rtol=1e-10)
    xp.sum(out * out).backward()
    (tout * tout).sum().backward()
    np.testing.assert_allclose(host(a.grad), t.grad.numpy(), rtol=1e-9)


@pytest.mark.parametrize("mode", ["LSTM", "GRU"])
def test_fused_recurrent_cells_differentiate_twice_in_every_input(mode):
    """The fused LSTM/GRU steps: first and second derivatives in the input, the initial
    states and the weights, against finite differences."""
    rng = np.random.default_rng(1)
    layer = getattr(nn, mode)(2, 3).double()
    x = xp.asarray(rng.standard_normal((3, 2, 2)), requires_grad=True)
    h0 = xp.asarray(rng.standard_normal((1, 2, 3)), requires_grad=True)
    c0 = xp.asarray(rng.standard_normal((1, 2, 3)), requires_grad=True)
    w = layer.weight_hh_l0.detach().requires_grad_()

    def f(x, h0, c0, w):
        hx = (h0, c0) if mode == "LSTM" else h0
        return xp.func.functional_call(layer, {"weight_hh_l0": w}, (x, hx))[0]

    args = (x, h0, c0, w)
    assert xp.autograd.gradcheck(f, args)
    assert xp.autograd.gradgradcheck(f, args)


def test_recurrent_layers_train_differentiate_twice_and_check_shapes():
    xp.manual_seed(0)
    lstm = nn.LSTM(2, 3, num_layers=2, dropout=0.5).double()
    x = xp.asarray(np.random.default_rng(0).standard_normal((4, 1, 2)), requires_grad=True)
    lstm.eval()
    a, b = lstm(x)[0], lstm(x)[0]
    np.testing.assert_array_equal(host(a), host(b))  # no dropout in evaluation
    lstm.train()
    assert tuple(lstm(x)[0].shape) == (4, 1, 3)
    gru = nn.GRU(2, 2).double()
    assert xp.autograd.gradgradcheck(lambda t: gru(t)[0], (x,))
    with pytest.raises(ValueError, match="input_size"):
        gru(xp.ones((4, 1, 3), dtype=xp.float64))
    with pytest.raises(ValueError, match="h_0"):
        gru(x, xp.zeros((2, 1, 2), dtype=xp.float64))
    with pytest.raises(TypeError, match=r"\(h_0, c_0\)"):
        lstm(x, xp.zeros((2, 1, 3), dtype=xp.float64))
    with pytest.raises(ValueError, match="proj_size"):
        nn.LSTM(2, 3, proj_size=3)
    with pytest.raises(ValueError, match="nonlinearity"):
        nn.RNN(2, 3, nonlinearity="sigmoid")


def test_module_and_parameter_containers():
    torch = pytest.importorskip("torch")
    d = nn.ModuleDict({"a": nn.Linear(2, 3), "b": nn.ReLU()})
    assert repr(d) == repr(torch.nn.ModuleDict({"a": torch.nn.Linear(2, 3), "b": torch.nn.ReLU()}))
    assert [n for n, _ in d.named_parameters()] == ["a.weight", "a.bias"] and "a" in d and len(d) == 2
    d["c"] = nn.Tanh()
    assert list(d.keys()) == ["a", "b", "c"] and isinstance(d.pop("b"), nn.ReLU)
    pl = nn.ParameterList([xp.ones((2, 3)), nn.Parameter(xp.zeros(4))])
    assert [n for n, _ in pl.named_parameters()] == ["0", "1"] and all(p.requires_grad for p in pl)
    assert "(0): Parameter containing: [arraygrad.float32 of size 2x3]" in repr(pl)
    pl.append(xp.ones(1))
    assert len(pl) == 3 and tuple(pl[-1].shape) == (1,)
    pd = nn.ParameterDict({"w": xp.ones(2)})
    assert [n for n, _ in pd.named_parameters()] == ["w"] and isinstance(pd["w"], nn.Parameter)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.heads = nn.ModuleDict({"x": nn.Linear(2, 1)})
            self.scales = nn.ParameterList([xp.ones(1)])

    assert sorted(Net().state_dict()) == ["heads.x.bias", "heads.x.weight", "scales.0"]


def test_adaptive_pool_unflatten_dropout2d_modules_like_torch():
    torch = pytest.importorskip("torch")
    for spec in ("AdaptiveAvgPool2d(1)", "AdaptiveAvgPool2d((2, None))", "Unflatten(1, (2, 3))", "Dropout2d(0.3)"):
        assert repr(eval("nn." + spec)) == repr(eval("torch.nn." + spec))
    x = np.random.default_rng(0).standard_normal((2, 6, 5, 4))
    np.testing.assert_allclose(host(nn.AdaptiveAvgPool2d((2, 3))(xp.asarray(x))),
                               torch.nn.AdaptiveAvgPool2d((2, 3))(torch.tensor(x)).numpy(), rtol=1e-12)
    assert tuple(nn.Unflatten(1, (2, 3))(xp.ones((4, 6))).shape) == (4, 2, 3)
    assert nn.Dropout2d().eval()(xp.asarray(x)) is not None


@pytest.mark.parametrize("spec", ["Conv1d(4, 6, 3)", "Conv1d(4, 6, 3, stride=2, padding=1, dilation=2, groups=2, bias=False)",
                                  "Conv1d(4, 6, 3, padding='same')", "Conv2d(4, 8, 3, groups=2)",
                                  "Conv2d(1, 1, 3, padding='same')",
                                  "ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1)",
                                  "ConvTranspose2d(4, 6, 3, groups=2, bias=False, dilation=2)"])
def test_conv_modules_like_torch(spec):
    torch = pytest.importorskip("torch")
    ours, theirs = eval("nn." + spec), eval("torch.nn." + spec)
    assert repr(ours) == repr(theirs)
    assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in theirs.named_parameters()]
    ours.double().load_state_dict({k: xp.asarray(v.detach().double().numpy()) for k, v in theirs.state_dict().items()})
    shape = (2, ours.in_channels, 9) if spec.startswith("Conv1d") else (2, ours.in_channels, 8, 7)
    x = np.random.default_rng(0).standard_normal(shape)
    np.testing.assert_allclose(host(ours(xp.asarray(x))), theirs.double()(torch.tensor(x)).detach().numpy(),
                               rtol=1e-10, atol=1e-12)


def test_conv_transpose2d_output_size_like_torch():
    torch = pytest.importorskip("torch")
    ours, theirs = nn.ConvTranspose2d(2, 2, 3, stride=2), torch.nn.ConvTranspose2d(2, 2, 3, stride=2)
    x = xp.zeros((1, 2, 3, 3))
    for size in ([7, 7], [8, 8], [1, 2, 8, 7]):
        assert tuple(ours(x, output_size=size).shape) == tuple(theirs(torch.zeros(1, 2, 3, 3), output_size=size).shape)
    with pytest.raises(ValueError, match="valid sizes"):
        ours(x, output_size=[10, 10])


def test_hardtanh_bounds_are_checked_when_built():
    with pytest.raises(ValueError, match="must not exceed"):
        nn.Hardtanh(2.0, 1.0)
