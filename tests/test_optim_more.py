"""More optimizers (Adadelta, Adamax, NAdam, RAdam, Rprop, ASGD, LBFGS) and schedulers
(MultiplicativeLR ... ChainedScheduler) against torch.optim: same parameters and gradients,
same updates step after step; same learning-rate sequences; state dicts and errors."""

from __future__ import annotations


import re

import numpy as np
import pytest
import torch

import arraygrad as xp
from test_optim import _run_both as _run_both_libraries
from arraygrad import optim


def _case_id(value) -> str:
    """A parameter's id without memory addresses (lambdas): xdist workers must agree on ids."""
    return re.sub(r" at 0x[0-9a-f]+", "", str(value))


def host(t):
    return np.array(t.detach().to_device("cpu"), copy=True)


@pytest.fixture
def torch_double():
    # both libraries keep some scalar state (NAdam's mu_product, ASGD's eta and mu) as tensors
    # of the default dtype; float64 in both makes their arithmetic comparable to 1e-10
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    xp.set_default_dtype(xp.float64)  # the autouse fixture restores it
    yield
    torch.set_default_dtype(old)


def _run_both(make, make_torch, steps=8, **kwargs):
    return _run_both_libraries(make, make_torch, steps, **kwargs)


CASES = [
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-5, weight_decay=0.1)),
    ("Adadelta", dict(lr=0.5, maximize=True)),
    ("Adamax", dict()),
    ("Adamax", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    ("Adamax", dict(lr=0.01, maximize=True)),
    ("NAdam", dict()),
    ("NAdam", dict(lr=0.01, betas=(0.8, 0.99), momentum_decay=0.01, weight_decay=0.1)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("RAdam", dict()),
    ("RAdam", dict(lr=0.01, betas=(0.8, 0.9), weight_decay=0.1)),  # rho_t > 5 from step 5
    ("RAdam", dict(lr=0.01, betas=(0.5, 0.6), weight_decay=0.1, decoupled_weight_decay=True)),  # rho_t <= 5
    ("RAdam", dict(lr=0.01, maximize=True)),
    ("Rprop", dict()),
    ("Rprop", dict(lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-3, 0.1))),
    ("Rprop", dict(lr=0.05, maximize=True)),
    ("ASGD", dict()),
    ("ASGD", dict(lr=0.01, lambd=0.01, alpha=0.5, t0=3, weight_decay=0.1)),
    ("ASGD", dict(lr=0.01, t0=0, maximize=True)),
]


@pytest.mark.parametrize("name, kwargs", CASES, ids=_case_id)
def test_optimizers_match_torch(backend, torch_double, name, kwargs):
    opt, ours = _run_both(lambda p: getattr(optim, name)(p, **kwargs),
                          lambda p: getattr(torch.optim, name)(p, **kwargs), backend=backend, steps=12)
    _run_both(lambda p: getattr(optim, name)(p, **kwargs),
              lambda p: getattr(torch.optim, name)(p, **kwargs), groups=True)
    assert opt.state[ours[0]]["step"] == 12


@pytest.mark.parametrize("name, kwargs", [c for c in CASES[::2] if not c[1].get("maximize")], ids=_case_id)
def test_optimizers_match_torch_float32_scalars(name, kwargs):
    # with torch's default float32 scalar state the results still agree closely
    _run_both(lambda p: getattr(optim, name)(p, **kwargs),
              lambda p: getattr(torch.optim, name)(p, **kwargs), rtol=1e-6)


def test_asgd_average_matches_torch(torch_double):
    kwargs = dict(lr=0.02, t0=4, lambd=0.001)
    rng = np.random.default_rng(3)
    init = rng.standard_normal(5)
    p, tp = xp.asarray(init, requires_grad=True), torch.tensor(init, requires_grad=True)
    opt, topt = optim.ASGD([p], **kwargs), torch.optim.ASGD([tp], **kwargs)
    for _ in range(10):
        opt.zero_grad()
        topt.zero_grad()
        xp.sum(xp.sin(p) * p).backward()
        (torch.sin(tp) * tp).sum().backward()
        opt.step()
        topt.step()
        np.testing.assert_allclose(host(opt.state[p]["ax"]), topt.state[tp]["ax"].detach().numpy(), rtol=1e-10)
        assert opt.state[p]["eta"] == pytest.approx(float(topt.state[tp]["eta"]), rel=1e-12)
        assert opt.state[p]["mu"] == pytest.approx(float(topt.state[tp]["mu"]), rel=1e-12)


@pytest.mark.parametrize("name, kwargs", [c for c in CASES if not c[1]], ids=_case_id)
def test_state_dict_round_trip_continues_identically(name, kwargs):
    def make(params):
        return getattr(optim, name)(params, lr=0.05)

    init = np.random.default_rng(1).standard_normal(5)
    a = xp.asarray(init, requires_grad=True)
    opt_a = make([a])
    for _ in range(3):
        opt_a.zero_grad()
        xp.sum(a ** 3 - a).backward()
        opt_a.step()
    b = xp.asarray(host(a), requires_grad=True)
    opt_b = make([b])
    sd = opt_a.state_dict()
    assert sd["state"][0]["step"] == 3 and sd["param_groups"][0]["params"] == [0]
    opt_b.load_state_dict(sd)
    for k, v in opt_a.state[a].items():
        if isinstance(v, xp.Tensor):
            assert opt_b.state[b][k] is not v
            np.testing.assert_array_equal(host(opt_b.state[b][k]), host(v))
    for opt, p in ((opt_a, a), (opt_b, b)):
        for _ in range(2):
            opt.zero_grad()
            xp.sum(p ** 3 - p).backward()
            opt.step()
    np.testing.assert_allclose(host(a), host(b), rtol=1e-12)


def test_steps_run_in_place_and_skip_parameters_without_grad():
    for name in ("Adadelta", "Adamax", "NAdam", "RAdam", "Rprop", "ASGD"):
        a, b = xp.ones(3, requires_grad=True), xp.ones(3, requires_grad=True)
        data = a.detach()
        opt = getattr(optim, name)([a, b])
        xp.sum(a * 2).backward()
        version = a._version
        opt.step()
        assert a.grad_fn is None and a._version > version and b not in opt.state
        np.testing.assert_array_equal(host(data), host(a))
        assert float(xp.sum(b)) == 3.0


@pytest.mark.parametrize("make, match", [
    (lambda p: optim.Adadelta(p, lr=-1.0), "invalid learning rate: -1.0"),
    (lambda p: optim.Adadelta(p, rho=1.5), "rho"),
    (lambda p: optim.Adadelta(p, eps=-1.0), "epsilon"),
    (lambda p: optim.Adamax(p, betas=(1.0, 0.9)), "beta parameter at index 0"),
    (lambda p: optim.Adamax(p, weight_decay=-0.1), "weight_decay"),
    (lambda p: optim.NAdam(p, momentum_decay=-1.0), "momentum_decay"),
    (lambda p: optim.NAdam(p, betas=(0.9, 1.0)), "beta parameter at index 1"),
    (lambda p: optim.RAdam(p, lr=-0.1), "learning rate"),
    (lambda p: optim.Rprop(p, etas=(1.2, 0.5)), "eta values"),
    (lambda p: optim.Rprop(p, lr=-1), "learning rate"),
    (lambda p: optim.ASGD(p, weight_decay=-1.0), "weight_decay"),
    (lambda p: optim.LBFGS(p, lr=-1.0), "learning rate"),
    (lambda p: optim.LBFGS(p, line_search_fn="armijo"), "line_search_fn"),
])
def test_constructor_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make([xp.ones(2, requires_grad=True)])


@pytest.mark.parametrize("make, match", [
    (lambda lib, p: lib.optim.RAdam(p, betas=0.9), "betas"),
    (lambda lib, p: lib.optim.Adam(p, lr="a"), "learning rate"),
    (lambda lib, p: lib.optim.SGD(p, lr=0.1, momentum=None), "momentum"),
])
def test_settings_that_are_not_numbers_raise_type_errors_as_pytorchs(make, match):
    with pytest.raises(TypeError):
        make(torch, [torch.ones(2, requires_grad=True)])
    with pytest.raises(TypeError, match=match):
        make(xp, [xp.ones(2, requires_grad=True)])


@pytest.mark.parametrize("kwargs", [dict(), dict(lr=0.5, max_iter=5, history_size=3),
                                    dict(lr=0.1, max_iter=7, max_eval=4, tolerance_change=1e-4),
                                    dict(line_search_fn="strong_wolfe"),
                                    dict(lr=0.5, max_iter=6, history_size=2, line_search_fn="strong_wolfe"),
                                    dict(max_iter=10, max_eval=6, line_search_fn="strong_wolfe")], ids=_case_id)
def test_lbfgs_matches_torch(backend, torch_double, kwargs):
    rng = np.random.default_rng(2)
    inits = [rng.standard_normal((3, 2)), rng.standard_normal(4)]
    ours = [xp.asarray(a, device=backend.device, requires_grad=True) for a in inits]
    theirs = [torch.tensor(a, requires_grad=True) for a in inits]
    opt, topt = optim.LBFGS(ours, **kwargs), torch.optim.LBFGS(theirs, **kwargs)
    targets = [rng.standard_normal(a.shape) for a in inits]

    def closure():  # a Rosenbrock-like coupling of the two parameters, plus a quartic
        opt.zero_grad()
        loss = (sum(xp.sum((p - xp.asarray(t, device=backend.device)) ** 4) for p, t in zip(ours, targets))
                + xp.sum((ours[0][:, 0] - ours[1][:3] ** 2) ** 2))
        loss.backward()
        return loss

    def tclosure():
        topt.zero_grad()
        loss = (sum(((p - torch.tensor(t)) ** 4).sum() for p, t in zip(theirs, targets))
                + ((theirs[0][:, 0] - theirs[1][:3] ** 2) ** 2).sum())
        loss.backward()
        return loss

    for _ in range(4):
        assert float(opt.step(closure)) == pytest.approx(float(topt.step(tclosure).detach()), rel=1e-9)
        for p, tp in zip(ours, theirs):
            np.testing.assert_allclose(host(p), tp.detach().numpy(), rtol=1e-8, atol=1e-10)
    state, tstate = opt.state[ours[0]], topt.state[theirs[0]]
    assert state["func_evals"] == tstate["func_evals"] and state["n_iter"] == tstate["n_iter"]
    assert len(state["old_dirs"]) == len(tstate["old_dirs"])
    assert state["t"] == pytest.approx(float(tstate["t"]), rel=1e-8)
    if kwargs.get("line_search_fn"):  # the line search evaluated more than once per iteration
        assert state["func_evals"] > state["n_iter"] + 1


def test_lbfgs_limits():
    p = xp.ones(2, requires_grad=True)
    with pytest.raises(ValueError, match="parameter groups"):
        optim.LBFGS([{"params": [p]}, {"params": [xp.ones(1, requires_grad=True)]}])
    with pytest.raises(TypeError, match="closure"):  # PyTorch: the missing argument's TypeError
        optim.LBFGS([p]).step()


# ----- schedulers ------------------------------------------------------------------------------
def _optimizers(name="SGD", **kwargs):
    """The same two-group optimizer in both libraries."""
    p, tp = xp.ones(1, requires_grad=True), torch.ones(1, requires_grad=True)
    q, tq = xp.ones(1, requires_grad=True), torch.ones(1, requires_grad=True)
    opt = getattr(optim, name)([{"params": [p]}, {"params": [q], "lr": 0.05}], lr=0.2, **kwargs)
    topt = getattr(torch.optim, name)([{"params": [tp]}, {"params": [tq], "lr": 0.05}], lr=0.2, **kwargs)
    return opt, topt


def _compare(opt, topt, sched, tsched, steps=30, keys=("lr",)):
    for _ in range(steps):
        assert sched.get_last_lr() == pytest.approx(tsched.get_last_lr(), rel=1e-13, abs=1e-15)
        for key in keys:
            for g, tg in zip(opt.param_groups, topt.param_groups):
                assert g[key] == pytest.approx(tg[key], rel=1e-13, abs=1e-15), key
        opt.step()
        topt.step()
        sched.step()
        tsched.step()


SCHEDULERS = [
    ("MultiplicativeLR", dict(lr_lambda=lambda e: 0.95)),
    ("MultiplicativeLR", dict(lr_lambda=[lambda e: 0.9, lambda e: 1 - 0.01 * e])),
    ("LinearLR", dict()),
    ("LinearLR", dict(start_factor=0.5, end_factor=0.1, total_iters=12)),
    ("ConstantLR", dict()),
    ("ConstantLR", dict(factor=0.5, total_iters=7)),
    ("PolynomialLR", dict()),
    ("PolynomialLR", dict(total_iters=20, power=2.0)),
    ("CosineAnnealingWarmRestarts", dict(T_0=5)),
    ("CosineAnnealingWarmRestarts", dict(T_0=3, T_mult=2, eta_min=0.01)),
    ("StepLR", dict(step_size=4, gamma=0.5)),
    ("MultiStepLR", dict(milestones=[3, 3, 10], gamma=0.5)),
    ("ExponentialLR", dict(gamma=0.9)),
    ("CosineAnnealingLR", dict(T_max=7, eta_min=0.01)),  # recursive form, beyond T_max too
    ("LambdaLR", dict(lr_lambda=lambda e: 1 / (1 + e))),
]


@pytest.mark.parametrize("name, kwargs", SCHEDULERS, ids=_case_id)
def test_schedulers_match_torch(name, kwargs):
    opt, topt = _optimizers()
    sched = getattr(optim.lr_scheduler, name)(opt, **kwargs)
    tsched = getattr(torch.optim.lr_scheduler, name)(topt, **kwargs)
    _compare(opt, topt, sched, tsched)
    state = sched.state_dict()
    assert "optimizer" not in state and state["last_epoch"] == 30


def test_schedulers_with_explicit_epochs_use_the_closed_form():
    import warnings

    for name, kwargs in [("StepLR", dict(step_size=3)), ("LinearLR", dict(total_iters=6)),
                         ("PolynomialLR", dict(total_iters=8, power=1.5)),
                         ("CosineAnnealingWarmRestarts", dict(T_0=3, T_mult=2))]:
        opt, topt = _optimizers()
        sched = getattr(optim.lr_scheduler, name)(opt, **kwargs)
        tsched = getattr(torch.optim.lr_scheduler, name)(topt, **kwargs)
        for epoch in (4, 2, 9, 11.5 if name == "CosineAnnealingWarmRestarts" else 11, 0):
            with warnings.catch_warnings():  # PyTorch's deprecation of step(epoch), where it has one
                warnings.filterwarnings("ignore", "The epoch parameter", UserWarning)
                sched.step(epoch)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tsched.step(epoch)
            assert sched.get_last_lr() == pytest.approx(tsched.get_last_lr(), rel=1e-13)


CYCLIC = [
    dict(base_lr=0.01, max_lr=0.1, step_size_up=4),
    dict(base_lr=[0.01, 0.02], max_lr=[0.1, 0.3], step_size_up=3, step_size_down=5, mode="triangular2"),
    dict(base_lr=0.01, max_lr=0.1, step_size_up=4, mode="exp_range", gamma=0.95, base_momentum=0.7),
    dict(base_lr=0.01, max_lr=0.1, step_size_up=2, scale_fn=lambda x: 0.5 ** x, scale_mode="iterations"),
    dict(base_lr=0.01, max_lr=0.1, step_size_up=4, cycle_momentum=False),
]


@pytest.mark.parametrize("kwargs", CYCLIC, ids=_case_id)
@pytest.mark.parametrize("opt_name", ["SGD", "Adam"])
def test_cyclic_lr_matches_torch(opt_name, kwargs):
    extra = dict(momentum=0.9) if opt_name == "SGD" else {}
    opt, topt = _optimizers(opt_name, **extra)
    sched = optim.lr_scheduler.CyclicLR(opt, **kwargs)
    tsched = torch.optim.lr_scheduler.CyclicLR(topt, **kwargs)
    keys = ("lr", "momentum" if opt_name == "SGD" else "betas")
    _compare(opt, topt, sched, tsched, keys=keys)
    state = sched.state_dict()
    assert "_scale_fn_custom" in state and state["_scale_fn_custom"] is None
    again = optim.lr_scheduler.CyclicLR(opt, **kwargs)
    again.load_state_dict(state)
    assert again.last_epoch == 30 and again.get_last_lr() == sched.get_last_lr()


ONE_CYCLE = [
    dict(max_lr=0.5, total_steps=30),
    dict(max_lr=[0.5, 0.2], epochs=3, steps_per_epoch=10, pct_start=0.25, anneal_strategy="linear",
         div_factor=10.0, final_div_factor=100.0),
    dict(max_lr=0.5, total_steps=30, three_phase=True, base_momentum=0.8, max_momentum=0.9),
    dict(max_lr=0.5, total_steps=30, cycle_momentum=False),
]


@pytest.mark.parametrize("kwargs", ONE_CYCLE, ids=_case_id)
@pytest.mark.parametrize("opt_name", ["SGD", "AdamW"])
def test_one_cycle_lr_matches_torch(opt_name, kwargs):
    extra = dict(momentum=0.9) if opt_name == "SGD" else {}
    opt, topt = _optimizers(opt_name, **extra)
    sched = optim.lr_scheduler.OneCycleLR(opt, **kwargs)
    tsched = torch.optim.lr_scheduler.OneCycleLR(topt, **kwargs)
    keys = ("lr", "momentum" if opt_name == "SGD" else "betas")
    _compare(opt, topt, sched, tsched, steps=30, keys=keys)
    with pytest.raises(ValueError, match="Tried to step 31 times"):
        sched.step()


def test_sequential_lr_matches_torch():
    def build(lib, opt):
        s = lib.optim.lr_scheduler
        warm = s.LinearLR(opt, start_factor=0.1, total_iters=4)
        const = s.ConstantLR(opt, factor=0.5, total_iters=3)
        cos = s.CosineAnnealingLR(opt, T_max=10, eta_min=0.001)
        return s.SequentialLR(opt, [warm, const, cos], milestones=[5, 12])

    opt, topt = _optimizers()
    sched, tsched = build(xp, opt), build(torch, topt)
    _compare(opt, topt, sched, tsched, steps=30)
    state = sched.state_dict()
    assert len(state["_schedulers"]) == 3 and "optimizer" not in state["_schedulers"][0]
    sched.load_state_dict(state)
    assert sched.last_epoch == 30


def test_chained_scheduler_matches_torch():
    def build(lib, opt):
        s = lib.optim.lr_scheduler
        return s.ChainedScheduler([s.ConstantLR(opt, factor=0.1, total_iters=2), s.ExponentialLR(opt, gamma=0.9),
                                   s.StepLR(opt, step_size=5, gamma=0.5),
                                   s.CosineAnnealingLR(opt, T_max=8)])

    opt, topt = _optimizers()
    sched, tsched = build(xp, opt), build(torch, topt)
    _compare(opt, topt, sched, tsched, steps=30)
    assert len(sched.state_dict()["_schedulers"]) == 4


def test_new_scheduler_errors():
    opt = optim.SGD([xp.ones(1, requires_grad=True)], lr=0.1)
    adagrad = optim.Adagrad([xp.ones(1, requires_grad=True)], lr=0.1)
    s = optim.lr_scheduler
    for make, err, match in [
        (lambda: s.LinearLR(opt, start_factor=0), ValueError, "Starting multiplicative factor"),
        (lambda: s.LinearLR(opt, end_factor=1.5), ValueError, "Ending multiplicative factor"),
        (lambda: s.ConstantLR(opt, factor=2.0), ValueError, "between 0 and 1"),
        (lambda: s.MultiplicativeLR(opt, [lambda e: 1.0] * 2), ValueError, "expected 1 lr_lambdas"),
        (lambda: s.MultiplicativeLR(opt, 0.9), TypeError, "callable"),
        (lambda: s.CosineAnnealingWarmRestarts(opt, T_0=0), ValueError, "T_0"),
        (lambda: s.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=0), ValueError, "T_mult"),
        (lambda: s.CyclicLR(opt, 0.01, 0.1, mode="sawtooth"), ValueError, "mode is invalid"),
        (lambda: s.CyclicLR(adagrad, 0.01, 0.1), ValueError, "momentum or beta1"),
        (lambda: s.CyclicLR(opt, [0.01, 0.02], 0.1, cycle_momentum=False), ValueError, "same length"),
        (lambda: s.OneCycleLR(opt, 0.1), ValueError, "total_steps OR"),
        (lambda: s.OneCycleLR(opt, 0.1, total_steps=0), ValueError, "total_steps"),
        (lambda: s.OneCycleLR(opt, 0.1, total_steps=10, pct_start=1.5), ValueError, "pct_start"),
        (lambda: s.OneCycleLR(opt, 0.1, total_steps=10, anneal_strategy="exp"), ValueError, "anneal_strategy"),
        (lambda: s.SequentialLR(opt, [], []), ValueError, "at least one"),
        (lambda: s.SequentialLR(opt, [s.StepLR(opt, 2)], [3]), ValueError, "one more"),
        (lambda: s.SequentialLR(opt, [s.StepLR(adagrad, 2)], []), ValueError, "same optimizer"),
        (lambda: s.ChainedScheduler([s.ReduceLROnPlateau(opt)]), ValueError, "ReduceLROnPlateau"),
        (lambda: s.ChainedScheduler([]), ValueError, "at least one"),
    ]:
        with pytest.raises(err, match=match):
            make()


def test_lbfgs_state_dict_round_trip_continues_identically():
    def run(opt, p, steps):
        def closure():
            opt.zero_grad()
            loss = xp.sum((p - 1.0) ** 4 + p[:1] * p)
            loss.backward()
            return loss
        for _ in range(steps):
            opt.step(closure)

    init = np.random.default_rng(4).standard_normal(4)
    a = xp.asarray(init, requires_grad=True)
    opt_a = optim.LBFGS([a], max_iter=3, line_search_fn="strong_wolfe")
    run(opt_a, a, 2)
    b = xp.asarray(host(a), requires_grad=True)
    opt_b = optim.LBFGS([b], max_iter=3, line_search_fn="strong_wolfe")
    opt_b.load_state_dict(opt_a.state_dict())
    run(opt_a, a, 2)
    run(opt_b, b, 2)
    np.testing.assert_allclose(host(a), host(b), rtol=1e-12)
