"""Optimizers and schedulers (src/arraygrad/optim/) against torch.optim: the same parameters
and gradients give the same updates, step after step; param groups, state dicts, errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import arraygrad as xp
from arraygrad import nn, optim


def host(t):
    return np.array(t.detach().to_device("cpu"), copy=True)


def _run_both(make, make_torch, steps=6, groups=False, backend=None, rtol=1e-10):
    """Minimize the same quartic loss with both libraries; compare every step."""
    rng = np.random.default_rng(0)
    inits = [rng.standard_normal((3, 2)), rng.standard_normal(4)]
    device = None if backend is None else backend.device
    ours = [xp.asarray(a, device=device, requires_grad=True) for a in inits]
    theirs = [torch.tensor(a, requires_grad=True) for a in inits]
    if groups:
        opt = make([{"params": [ours[0]]}, {"params": [ours[1]], "lr": 0.05}])
        topt = make_torch([{"params": [theirs[0]]}, {"params": [theirs[1]], "lr": 0.05}])
    else:
        opt, topt = make(ours), make_torch(theirs)
    targets = [rng.standard_normal(a.shape) for a in inits]
    for _ in range(steps):
        loss = sum(xp.sum((p - xp.asarray(t, device=device)) ** 4) for p, t in zip(ours, targets))
        tloss = sum(((p - torch.tensor(t)) ** 4).sum() for p, t in zip(theirs, targets))
        opt.zero_grad()
        topt.zero_grad()
        loss.backward()
        tloss.backward()
        opt.step()
        topt.step()
        for p, tp in zip(ours, theirs):
            np.testing.assert_allclose(host(p), tp.detach().numpy(), rtol=rtol, atol=1e-12)
    return opt, ours


SGD_CASES = [
    dict(lr=0.01),
    dict(lr=0.01, momentum=0.9),
    dict(lr=0.01, momentum=0.9, dampening=0.5),
    dict(lr=0.01, momentum=0.9, nesterov=True),
    dict(lr=0.01, momentum=0.5, weight_decay=0.1),
    dict(lr=0.01, weight_decay=0.1, maximize=True),
]


@pytest.mark.parametrize("kwargs", SGD_CASES, ids=str)
def test_sgd_matches_torch(backend, kwargs):
    _run_both(lambda p: optim.SGD(p, **kwargs), lambda p: torch.optim.SGD(p, **kwargs), backend=backend)


ADAM_CASES = [
    dict(),
    dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6),
    dict(lr=0.01, weight_decay=0.1),
    dict(lr=0.01, amsgrad=True),
    dict(lr=0.01, weight_decay=0.1, amsgrad=True, maximize=True),
]


@pytest.mark.parametrize("kwargs", ADAM_CASES, ids=str)
@pytest.mark.parametrize("name", ["Adam", "AdamW"])
def test_adam_matches_torch(backend, name, kwargs):
    _run_both(lambda p: getattr(optim, name)(p, **kwargs),
              lambda p: getattr(torch.optim, name)(p, **kwargs), backend=backend)


RMSPROP_CASES = [
    dict(),
    dict(lr=0.005, alpha=0.9, eps=1e-6),
    dict(lr=0.005, momentum=0.9),
    dict(lr=0.005, centered=True),
    dict(lr=0.005, centered=True, momentum=0.5, weight_decay=0.1, maximize=True),
]
ADAGRAD_CASES = [
    dict(),
    dict(lr=0.1, lr_decay=0.05),
    dict(lr=0.1, weight_decay=0.1, initial_accumulator_value=0.5),
    dict(lr=0.1, eps=1e-6, maximize=True),
]


@pytest.mark.parametrize("name, kwargs", [("RMSprop", k) for k in RMSPROP_CASES]
                         + [("Adagrad", k) for k in ADAGRAD_CASES], ids=str)
def test_rmsprop_and_adagrad_match_torch(backend, name, kwargs):
    _run_both(lambda p: getattr(optim, name)(p, **kwargs),
              lambda p: getattr(torch.optim, name)(p, **kwargs), backend=backend)
    _run_both(lambda p: getattr(optim, name)(p, **kwargs),
              lambda p: getattr(torch.optim, name)(p, **kwargs), groups=True)


def test_rmsprop_and_adagrad_state_and_errors():
    p = xp.ones(3, requires_grad=True)
    opt = optim.Adagrad([p], lr=0.1, initial_accumulator_value=0.25)
    np.testing.assert_array_equal(host(opt.state[p]["sum"]), [0.25] * 3)  # made up front, as PyTorch
    xp.sum(p * p).backward()
    opt.step()
    sd = opt.state_dict()
    assert sd["state"][0]["step"] == 1 and sd["param_groups"][0]["lr_decay"] == 0.0
    for make, match in ((lambda: optim.RMSprop([p], alpha=-0.1), "alpha"),
                        (lambda: optim.RMSprop([p], momentum=-1.0), "momentum"),
                        (lambda: optim.Adagrad([p], lr_decay=-1.0), "lr_decay"),
                        (lambda: optim.Adagrad([p], initial_accumulator_value=-1.0), "initial_accumulator_value")):
        with pytest.raises(ValueError, match=match):
            make()


def test_param_groups_have_their_own_settings():
    opt, _ = _run_both(lambda g: optim.SGD(g, lr=0.01, momentum=0.9),
                       lambda g: torch.optim.SGD(g, lr=0.01, momentum=0.9), groups=True)
    assert [g["lr"] for g in opt.param_groups] == [0.01, 0.05]
    assert opt.param_groups[1]["momentum"] == 0.9


def test_sgd_update_formula():
    p = xp.asarray([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.5)
    xp.sum(p * p).backward()
    opt.step()
    np.testing.assert_allclose(host(p), [0.0, 0.0])
    assert p.requires_grad and p.grad_fn is None


def test_step_runs_without_graph_and_in_place():
    p = nn.Parameter(xp.ones(3))
    data = p.detach()
    opt = optim.Adam([p], lr=0.1)
    xp.sum(p * 2).backward()
    version = p._version
    opt.step()
    assert p.grad_fn is None and p._version > version
    np.testing.assert_allclose(host(data), host(p))  # the same storage was updated


def test_parameters_without_grad_are_skipped():
    a, b = xp.ones(2, requires_grad=True), xp.ones(2, requires_grad=True)
    opt = optim.Adam([a, b], lr=0.1)
    xp.sum(a).backward()
    opt.step()
    assert float(xp.sum(b)) == 2.0 and b not in opt.state


def test_closure():
    p = xp.asarray([3.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = xp.sum(p * p)
        loss.backward()
        return loss

    assert float(opt.step(closure)) == 9.0
    assert float(p[0]) == pytest.approx(2.4)


def test_zero_grad_modes():
    p = xp.ones(2, requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    xp.sum(p).backward()
    opt.zero_grad(set_to_none=False)
    assert float(xp.sum(p.grad)) == 0.0
    opt.zero_grad()
    assert p.grad is None


def test_state_dict_round_trip_continues_identically():
    def make(params):
        return optim.AdamW(params, lr=0.05, amsgrad=True)

    rng = np.random.default_rng(1)
    init = rng.standard_normal(5)
    a = xp.asarray(init, requires_grad=True)
    opt_a = make([a])
    for _ in range(3):
        opt_a.zero_grad()
        xp.sum(a ** 3).backward()
        opt_a.step()
    b = xp.asarray(host(a), requires_grad=True)
    opt_b = make([b])
    sd = opt_a.state_dict()
    assert set(sd) == {"state", "param_groups"} and sd["param_groups"][0]["params"] == [0]
    assert sd["state"][0]["step"] == 3
    opt_b.load_state_dict(sd)
    assert opt_b.state[b]["exp_avg"] is not opt_a.state[a]["exp_avg"]  # copied
    for opt, p in ((opt_a, a), (opt_b, b)):
        opt.zero_grad()
        xp.sum(p ** 3).backward()
        opt.step()
    np.testing.assert_allclose(host(a), host(b), rtol=1e-12)


def test_load_state_dict_errors():
    p = xp.ones(2, requires_grad=True)
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match="'state' and 'param_groups'"):
        opt.load_state_dict({"state": {}})
    two = optim.SGD([xp.ones(1, requires_grad=True), xp.ones(1, requires_grad=True)], lr=0.1)
    with pytest.raises(ValueError, match="doesn't match the size"):
        opt.load_state_dict(two.state_dict())
    with pytest.raises(ValueError, match="parameter groups"):
        opt.load_state_dict({"state": {}, "param_groups": []})


def test_constructor_errors():
    p = xp.ones(2, requires_grad=True)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="iterable of Tensors"):
        optim.SGD(p, lr=0.1)
    with pytest.raises(ValueError, match="invalid learning rate"):
        optim.Adam([p], lr=-1.0)
    with pytest.raises(ValueError, match="beta parameter at index 1"):
        optim.Adam([p], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="Nesterov"):
        optim.SGD([p], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([p * 2], lr=0.1)
    with pytest.raises(TypeError, match="can only optimize Tensors"):
        optim.SGD([1.0], lr=0.1)


def test_repr():
    opt = optim.SGD([xp.ones(1, requires_grad=True)], lr=0.1)
    assert repr(opt).startswith("SGD (\nParameter Group 0\n") and "lr: 0.1" in repr(opt)


# ----- schedulers ------------------------------------------------------------------------------
@pytest.mark.parametrize("name, kwargs", [("StepLR", dict(step_size=3, gamma=0.5)),
                                          ("CosineAnnealingLR", dict(T_max=5, eta_min=0.01)),
                                          ("MultiStepLR", dict(milestones=[7, 2, 4], gamma=0.5)),
                                          ("ExponentialLR", dict(gamma=0.8)),
                                          ("LambdaLR", dict(lr_lambda=lambda e: 1 / (1 + e)))])
def test_schedulers_match_torch(name, kwargs):
    p, tp = xp.ones(1, requires_grad=True), torch.ones(1, requires_grad=True)
    opt = optim.SGD([{"params": [p]}], lr=0.2)
    topt = torch.optim.SGD([{"params": [tp]}], lr=0.2)
    sched = getattr(optim.lr_scheduler, name)(opt, **kwargs)
    tsched = getattr(torch.optim.lr_scheduler, name)(topt, **kwargs)
    for _ in range(12):
        assert sched.get_last_lr() == pytest.approx(tsched.get_last_lr())
        opt.step()
        topt.step()
        sched.step()
        tsched.step()
    state = sched.state_dict()
    assert "optimizer" not in state and state["last_epoch"] == 12
    again = getattr(optim.lr_scheduler, name)(opt, **kwargs, last_epoch=11)
    again.load_state_dict(state)
    assert again.get_last_lr() == sched.get_last_lr()


def test_scheduler_errors():
    opt = optim.SGD([xp.ones(1, requires_grad=True)], lr=0.1)
    with pytest.raises(ValueError, match="step_size"):
        optim.lr_scheduler.StepLR(opt, step_size=0)
    with pytest.raises(TypeError, match="not an Optimizer"):
        optim.lr_scheduler.CosineAnnealingLR(object(), T_max=3)
    with pytest.raises(KeyError, match="initial_lr"):
        optim.lr_scheduler.StepLR(optim.SGD([xp.ones(1, requires_grad=True)], lr=0.1), 2, last_epoch=4)


@pytest.mark.parametrize("kwargs", [dict(), dict(mode="max", factor=0.5, patience=1, threshold_mode="abs"),
                                    dict(patience=2, cooldown=2, min_lr=0.015, threshold=0.1)], ids=str)
def test_reduce_lr_on_plateau_matches_torch(kwargs):
    p, tp = xp.ones(1, requires_grad=True), torch.ones(1, requires_grad=True)
    opt = optim.SGD([{"params": [p]}, {"params": [xp.ones(1, requires_grad=True)], "lr": 0.05}], lr=0.2)
    topt = torch.optim.SGD([{"params": [tp]}, {"params": [torch.ones(1, requires_grad=True)], "lr": 0.05}], lr=0.2)
    sched = optim.lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
    tsched = torch.optim.lr_scheduler.ReduceLROnPlateau(topt, **kwargs)
    metrics = [1.0, 0.9, 0.95, 0.92, 0.91, 0.93, 0.899, 0.9, 0.91, 0.95, 0.97, 0.96, 0.5, 0.6, 0.7] * 2
    for m in metrics:
        sched.step(xp.asarray(m) if m < 0.6 else m)  # a 0-d tensor or a number
        tsched.step(m)
        assert sched.get_last_lr() == pytest.approx(tsched.get_last_lr())
        assert [g["lr"] for g in opt.param_groups] == pytest.approx([g["lr"] for g in topt.param_groups])
    assert "optimizer" not in sched.state_dict()
    assert sorted(sched.state_dict()) == sorted(tsched.state_dict())
    # an LRScheduler, as PyTorch's (training loops test for one)
    assert isinstance(sched, optim.lr_scheduler.LRScheduler)


def test_more_scheduler_errors():
    opt = optim.SGD([xp.ones(1, requires_grad=True)], lr=0.1)
    with pytest.raises(ValueError, match="factor should be < 1.0"):
        optim.lr_scheduler.ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match="mode"):
        optim.lr_scheduler.ReduceLROnPlateau(opt, mode="lowest")
    with pytest.raises(ValueError, match="expected 1 lr_lambdas"):
        optim.lr_scheduler.LambdaLR(opt, [lambda e: 1.0, lambda e: 2.0])
    with pytest.raises(TypeError, match="callable"):
        optim.lr_scheduler.LambdaLR(opt, 0.5)
    with pytest.raises(ValueError, match="milestones must be numbers"):
        optim.lr_scheduler.MultiStepLR(opt, ["1"])
    assert optim.lr_scheduler.LambdaLR(opt, lambda e: 0.9 ** e).state_dict()["lr_lambdas"] == [None]  # PyTorch's


def test_a_group_with_a_parameter_twice_warns_as_pytorch_does():
    p = xp.nn.Parameter(xp.ones(2))
    with pytest.warns(UserWarning, match="duplicate parameters"):
        opt = xp.optim.SGD([p, p], lr=0.1)
    xp.sum(p * 2).backward()
    opt.step()  # each entry takes its step, as PyTorch's plain SGD does
    np.testing.assert_allclose(np.asarray(p.detach()), [0.6, 0.6])
