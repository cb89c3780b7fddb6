"""Second-pass regressions for torch.nn / torch.optim surface, each against PyTorch CPU: what a
port (`import arraygrad as torch`) hit that the first pass missed."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import arraygrad as ag
import arraygrad.nn.functional as F

TF = torch.nn.functional


def A(t, requires_grad=False):
    """An arraygrad copy of torch tensor `t`."""
    return ag.tensor(t.detach().numpy().copy(), requires_grad=requires_grad)


def N(t):
    return np.asarray(t.detach().numpy())


def copy_weights(tm, am):
    am.load_state_dict({k: ag.tensor(v.detach().numpy().copy()) for k, v in tm.state_dict().items()})


def check_module(tm, am, *inputs, tol=1e-10):
    """Same outputs, input gradients and parameter gradients for identical weights."""
    assert repr(tm) == repr(am)
    assert [(k, tuple(v.shape)) for k, v in tm.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in am.state_dict().items()]
    copy_weights(tm, am)
    ti = [x.clone().requires_grad_(x.is_floating_point()) for x in inputs]
    ai = [A(x, x.is_floating_point()) for x in inputs]
    to, ao = tm(*ti), am(*ai)
    np.testing.assert_allclose(N(ao), N(to), rtol=tol, atol=tol)
    w = torch.randn_like(to)
    (to * w).sum().backward()
    (ao * A(w)).sum().backward()
    for x, y in zip(ai, ti):
        if y.grad is not None:
            np.testing.assert_allclose(N(x.grad), N(y.grad), rtol=tol, atol=tol)
    tp, ap = dict(tm.named_parameters()), dict(am.named_parameters())
    assert list(tp) == list(ap)
    for k in tp:
        np.testing.assert_allclose(N(ap[k].grad), N(tp[k].grad), rtol=tol, atol=tol)


# ----- nn -------------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("dims, padding", [(1, 2), (2, (1, 2)), (2, "same"), (3, 1)])
def test_conv_padding_mode_matches_torch(mode, dims, padding):
    # was: NotImplementedError for any padding_mode but 'zeros'
    torch.manual_seed(0)
    cls = f"Conv{dims}d"
    kw = dict(padding=padding, padding_mode=mode, dilation=2 if padding == "same" else 1)
    tm = getattr(torch.nn, cls)(3, 4, 3, **kw).double()
    am = getattr(ag.nn, cls)(3, 4, 3, **kw).double()
    x = torch.randn((2, 3) + (7, 6, 5)[:dims], dtype=torch.float64)
    check_module(tm, am, x)
    check_module(tm, am, x[0])  # unbatched
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        ag.nn.Conv2d(3, 4, 3, padding_mode="zero")
    with pytest.raises(ValueError, match='Only "zeros" padding mode'):
        ag.nn.ConvTranspose2d(3, 4, 3, padding_mode=mode)


def test_embedding_max_norm_and_scale_grad_by_freq_match_torch():
    # was: NotImplementedError for both (nn.Embedding; F.embedding did not take them)
    idx = torch.tensor([[1, 2, 0, 4], [3, 3, 9, 1]])
    for kw in [dict(max_norm=1.0), dict(max_norm=0.5, norm_type=1.0), dict(scale_grad_by_freq=True),
               dict(max_norm=1.0, scale_grad_by_freq=True, padding_idx=3)]:
        torch.manual_seed(0)
        tm, am = torch.nn.Embedding(10, 3, **kw).double(), ag.nn.Embedding(10, 3, **kw).double()
        assert repr(tm) == repr(am)
        copy_weights(tm, am)
        for _ in range(2):  # the renormalized rows persist
            to, ao = tm(idx), am(A(idx))
            np.testing.assert_allclose(N(ao), N(to), rtol=1e-12, atol=1e-12)
            w = torch.randn_like(to)
            (to * w).sum().backward()
            (ao * A(w)).sum().backward()
            np.testing.assert_allclose(N(am.weight.grad), N(tm.weight.grad), rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(N(am.weight), N(tm.weight), rtol=1e-12, atol=1e-12)
    w = torch.randn(10, 3, dtype=torch.float64)
    wa = A(w)
    np.testing.assert_allclose(N(F.embedding(A(idx), wa, max_norm=0.7)), N(TF.embedding(idx, w, max_norm=0.7)))
    np.testing.assert_allclose(N(wa), N(w))


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_max_norm_matches_torch(mode):
    # was: NotImplementedError (and the repr left out max_norm)
    idx, offsets = torch.tensor([1, 2, 0, 4, 3, 3, 9, 1]), torch.tensor([0, 2, 2, 5])
    for kw in [dict(max_norm=1.0), dict(max_norm=0.5, norm_type=1.0, padding_idx=3)]:
        torch.manual_seed(0)
        tm = torch.nn.EmbeddingBag(10, 3, mode=mode, **kw).double()
        am = ag.nn.EmbeddingBag(10, 3, mode=mode, **kw).double()
        assert repr(tm) == repr(am)
        copy_weights(tm, am)
        for _ in range(2):
            to, ao = tm(idx, offsets), am(A(idx), A(offsets))
            np.testing.assert_allclose(N(ao), N(to), rtol=1e-12, atol=1e-12)
            w = torch.randn_like(to)
            (to * w).sum().backward()
            (ao * A(w)).sum().backward()
            np.testing.assert_allclose(N(am.weight.grad), N(tm.weight.grad), rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(N(am.weight), N(tm.weight), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("bidirectional", [False, True])
def test_lstm_proj_size_matches_torch(bidirectional):
    # was: NotImplementedError
    torch.manual_seed(0)
    kw = dict(num_layers=2, bidirectional=bidirectional, proj_size=2, batch_first=True)
    tm, am = torch.nn.LSTM(4, 5, **kw).double(), ag.nn.LSTM(4, 5, **kw).double()
    assert repr(tm) == repr(am)
    assert [(k, tuple(v.shape)) for k, v in tm.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in am.state_dict().items()]
    copy_weights(tm, am)
    d = 2 if bidirectional else 1
    x = torch.randn(3, 6, 4, dtype=torch.float64, requires_grad=True)
    h0, c0 = torch.randn(2 * d, 3, 2, dtype=torch.float64), torch.randn(2 * d, 3, 5, dtype=torch.float64)
    xa = A(x, True)
    for hx, ahx in [(None, None), ((h0, c0), (A(h0), A(c0)))]:
        to, (th, tc) = tm(x, hx)
        ao, (ah, ac) = am(xa, ahx)
        for a, t in [(ao, to), (ah, th), (ac, tc)]:
            np.testing.assert_allclose(N(a), N(t), rtol=1e-10, atol=1e-10)
    (to.sum() + th.sum() + tc.sum()).backward()
    (ao.sum() + ah.sum() + ac.sum()).backward()
    np.testing.assert_allclose(N(xa.grad), N(x.grad), rtol=1e-10, atol=1e-10)
    for (k, p), (_, q) in zip(tm.named_parameters(), am.named_parameters()):
        np.testing.assert_allclose(N(q.grad), N(p.grad), rtol=1e-10, atol=1e-10, err_msg=k)
    # packed sequences
    lens = torch.tensor([4, 6, 2])
    tp = torch.nn.utils.rnn.pack_padded_sequence(x, lens, batch_first=True, enforce_sorted=False)
    ap = ag.nn.utils.rnn.pack_padded_sequence(xa, ag.tensor(lens.numpy()), batch_first=True, enforce_sorted=False)
    (to, (th, _)), (ao, (ah, _)) = tm(tp), am(ap)
    np.testing.assert_allclose(N(ao.data), N(to.data), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(N(ah), N(th), rtol=1e-10, atol=1e-10)
    with pytest.raises(ValueError, match="smaller than hidden_size"):
        ag.nn.LSTM(4, 5, proj_size=5)


@pytest.mark.parametrize("mode, shape", [("area", (2, 3, 9)), ("area", (2, 3, 9, 8)), ("area", (1, 2, 5, 4, 6)),
                                         ("trilinear", (1, 2, 5, 4, 6)), ("nearest", (1, 2, 5, 4, 6))])
def test_interpolate_area_and_trilinear_match_torch(mode, shape):
    # was: NotImplementedError for 'area', 'trilinear' and 5-D 'nearest'
    x = torch.randn(*shape, dtype=torch.float64, requires_grad=True)
    sp = len(shape) - 2
    for kw in [dict(size=(3,) * sp), dict(size=(11,) * sp), dict(scale_factor=1.7), dict(scale_factor=0.5)]:
        xa = A(x, True)
        t, a = TF.interpolate(x, mode=mode, **kw), F.interpolate(xa, mode=mode, **kw)
        np.testing.assert_allclose(N(a), N(t), rtol=1e-12, atol=1e-12)
        w = torch.randn_like(t)
        x.grad = None
        (t * w).sum().backward()
        (a * A(w)).sum().backward()
        np.testing.assert_allclose(N(xa.grad), N(x.grad), rtol=1e-12, atol=1e-12)
    if mode == "trilinear":
        t = TF.interpolate(x, scale_factor=2, mode=mode, align_corners=True)
        np.testing.assert_allclose(N(F.interpolate(A(x), scale_factor=2, mode=mode, align_corners=True)), N(t),
                                   rtol=1e-12, atol=1e-12)
        up = ag.nn.Upsample(scale_factor=2, mode="trilinear")
        np.testing.assert_allclose(N(up(A(x))), N(torch.nn.Upsample(scale_factor=2, mode="trilinear")(x)),
                                   rtol=1e-12, atol=1e-12)
    if mode == "area":
        with pytest.raises(ValueError, match="align_corners"):
            F.interpolate(A(x), scale_factor=2, mode="area", align_corners=False)


@pytest.mark.parametrize("kw", [{}, dict(eps=1e-3), dict(elementwise_affine=False)], ids=str)
def test_rms_norm_matches_torch(kw):
    # was: no nn.RMSNorm / F.rms_norm
    for dtype, tol in [(torch.float64, 1e-10), (torch.float32, 1e-5)]:
        torch.manual_seed(0)
        tm = torch.nn.RMSNorm([4, 5], **kw).to(dtype)
        am = ag.nn.RMSNorm([4, 5], **kw).to(ag.float64 if dtype == torch.float64 else ag.float32)
        if tm.weight is not None:
            with torch.no_grad():
                tm.weight.normal_()
        check_module(tm, am, torch.randn(3, 4, 5, dtype=dtype) * 3, tol=tol)
    x = torch.randn(2, 6, dtype=torch.float64)
    np.testing.assert_allclose(N(F.rms_norm(A(x), (6,))), N(TF.rms_norm(x, (6,))), rtol=1e-12, atol=1e-12)


def test_sequential_insert_returns_self_like_torch():
    # was: Sequential.insert returned None, so PyTorch's chained building failed
    for lib in (torch, ag):
        seq = lib.nn.Sequential(lib.nn.ReLU()).append(lib.nn.Tanh()).insert(0, lib.nn.Identity())
        assert isinstance(seq, lib.nn.Sequential)
        assert [type(m).__name__ for m in seq] == ["Identity", "ReLU", "Tanh"]
        assert lib.nn.ModuleList([lib.nn.ReLU()]).insert(0, lib.nn.Tanh()) is None


# ----- optim ----------------------------------------------------------------------------------
def _net(lib):
    torch.manual_seed(3)
    tm = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2)).double()
    if lib is torch:
        return tm
    am = ag.nn.Sequential(ag.nn.Linear(4, 5), ag.nn.Tanh(), ag.nn.Linear(5, 2)).double()
    copy_weights(tm, am)
    return am


def _train(lib, make_opt, steps=4, groups=None):
    net = _net(lib)
    opt = make_opt(lib, net)
    torch.manual_seed(5)
    for i in range(steps):
        if groups is not None and i == groups:
            opt.add_param_group({"params": list(net[2].parameters()), "lr": 0.02})
        x, y = torch.randn(7, 4, dtype=torch.float64), torch.randn(7, 2, dtype=torch.float64)
        if lib is ag:
            x, y = A(x), A(y)
        opt.zero_grad()
        ((net(x) - y) ** 2).mean().backward()
        opt.step()
    return net, opt


OPTIMIZERS = [("SGD", dict(lr=0.1, momentum=0.9, foreach=False, differentiable=False, fused=None)),
              ("Adam", dict(lr=0.01, foreach=False, capturable=False, fused=None)),
              ("Adam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
              ("AdamW", dict(lr=0.01, foreach=None, fused=None)),
              ("RMSprop", dict(lr=0.01, foreach=False, capturable=False)),
              ("Adagrad", dict(lr=0.1, foreach=False, fused=None)),
              ("Adadelta", dict(foreach=False)), ("Adamax", dict(foreach=False)), ("NAdam", dict(foreach=False)),
              ("RAdam", dict(foreach=False)), ("Rprop", dict(foreach=False)), ("ASGD", dict(foreach=False))]


@pytest.mark.parametrize("name, kw", OPTIMIZERS, ids=str)
def test_optimizers_take_torch_flags_and_group_keys(name, kw):
    # was: TypeError for foreach= / fused= / capturable= / differentiable= (and Adam's
    # decoupled_weight_decay=); the groups (state_dict, repr) lacked PyTorch's keys
    def make(lib, net):
        return getattr(lib.optim, name)(net.parameters(), **kw)
    (tn, to), (an, ao) = _train(torch, make), _train(ag, make)
    for (k, p), (_, q) in zip(tn.named_parameters(), an.named_parameters()):
        np.testing.assert_allclose(N(q), N(p), rtol=1e-9, atol=1e-9, err_msg=k)
    tg, agroup = to.state_dict()["param_groups"][0], ao.state_dict()["param_groups"][0]
    assert sorted(tg) == sorted(agroup)
    assert list(agroup)[-1] == "params"  # PyTorch's order
    assert {k: agroup[k] for k in kw} == {k: tg[k] for k in kw}


def test_adam_decoupled_weight_decay_is_adamw():
    def adam(lib, net):
        return lib.optim.Adam(net.parameters(), lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)

    def adamw(lib, net):
        return lib.optim.AdamW(net.parameters(), lr=0.01, weight_decay=0.1)
    a, b = _train(ag, adam)[0], _train(ag, adamw)[0]
    for p, q in zip(a.parameters(), b.parameters()):
        np.testing.assert_allclose(N(p), N(q), rtol=1e-14)
    assert ag.optim.AdamW(list(a.parameters())).defaults["decoupled_weight_decay"] is True


@pytest.mark.parametrize("init", [0.0, 0.1])
def test_adagrad_add_param_group_steps_like_torch(init):
    # was: KeyError at the first step of a parameter added with add_param_group
    def make(lib, net):
        return lib.optim.Adagrad(net[0].parameters(), lr=0.1, initial_accumulator_value=init)
    (tn, to), (an, ao) = _train(torch, make, steps=5, groups=2), _train(ag, make, steps=5, groups=2)
    for (k, p), (_, q) in zip(tn.named_parameters(), an.named_parameters()):
        np.testing.assert_allclose(N(q), N(p), rtol=1e-10, atol=1e-10, err_msg=k)
    new = list(an[2].parameters())[0]
    np.testing.assert_allclose(N(ao.state[new]["sum"]), N(to.state[list(tn[2].parameters())[0]]["sum"]),
                               rtol=1e-10, atol=1e-10)


def test_optimizer_state_is_a_defaultdict_for_custom_optimizers():
    # was: a plain dict, so the usual custom optimizer's `state = self.state[p]` raised KeyError
    results = []
    for lib in (torch, ag):
        class MomentumSGD(lib.optim.Optimizer):
            def __init__(self, params, lr=0.1, momentum=0.9):
                super().__init__(params, dict(lr=lr, momentum=momentum))

            @lib.no_grad()
            def step(self, closure=None):
                for group in self.param_groups:
                    for p in group["params"]:
                        if p.grad is None:
                            continue
                        state = self.state[p]
                        if len(state) == 0:
                            state["buf"] = lib.zeros_like(p)
                        state["buf"].mul_(group["momentum"]).add_(p.grad)
                        p.add_(state["buf"], alpha=-group["lr"])

        w = lib.nn.Parameter(lib.ones(3, dtype=lib.float64))
        opt = MomentumSGD([w])
        for _ in range(3):
            opt.zero_grad()
            (w ** 2).sum().backward()
            opt.step()
        results.append(N(w))
        opt.load_state_dict(opt.state_dict())
        assert opt.state[w]["buf"] is not None
    np.testing.assert_allclose(results[1], results[0], rtol=1e-14)
    # a built-in optimizer copes with a state another piece of code touched first
    w = ag.nn.Parameter(ag.ones(3))
    opt = ag.optim.Adam([w])
    assert opt.state[w] == {}
    (w ** 2).sum().backward()
    opt.step()
    assert opt.state[w]["step"] == 1


def test_lambda_schedulers_state_dict_like_torch():
    # was: no "lr_lambdas" in the state dict, and loading PyTorch's (lr_lambdas: [None])
    # replaced the functions by None
    class Decay:
        def __init__(self):
            self.k = 0.5

        def __call__(self, epoch):
            return self.k ** epoch

    for cls in ("LambdaLR", "MultiplicativeLR"):
        dicts = []
        for lib in (torch, ag):
            opt = lib.optim.SGD([lib.nn.Parameter(lib.ones(2))], lr=0.1)
            fn = Decay()
            sched = getattr(lib.optim.lr_scheduler, cls)(opt, [fn])
            opt.step()
            sched.step()
            fn.k = 0.25
            sd = sched.state_dict()
            dicts.append(sd["lr_lambdas"])
            fn2 = Decay()
            sched2 = getattr(lib.optim.lr_scheduler, cls)(opt, [fn2])
            sched2.load_state_dict(sd)
            assert fn2.k == 0.25
            plain = getattr(lib.optim.lr_scheduler, cls)(opt, lambda e: 0.9)
            sd = plain.state_dict()
            assert sd["lr_lambdas"] == [None]
            plain.load_state_dict(sd)
            opt.step()
            plain.step()  # the function survives loading
            dicts.append(plain.get_last_lr())
        assert dicts[0] == dicts[2]
        np.testing.assert_allclose(dicts[3], dicts[1], rtol=1e-14)


def test_reduce_lr_on_plateau_step_takes_epoch_like_torch():
    # was: TypeError for step(metrics, epoch)
    lrs = []
    for lib in (torch, ag):
        opt = lib.optim.SGD([lib.nn.Parameter(lib.ones(2))], lr=0.1)
        sched = lib.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0)
        out = []
        for epoch in [1, 3, 2]:
            with pytest.warns(UserWarning, match="epoch parameter in `scheduler.step\\(\\)`"):
                sched.step(1.0, epoch)
            out.append((sched.last_epoch, opt.param_groups[0]["lr"]))
        lrs.append(out)
        step_lr = lib.optim.lr_scheduler.StepLR(opt, 2)
        opt.step()
        with pytest.warns(UserWarning, match="epoch parameter"):
            step_lr.step(3)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            step_lr.step()
    assert lrs[0] == pytest.approx(lrs[1], rel=1e-14)
