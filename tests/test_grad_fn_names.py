"""`type(t.grad_fn).__name__` (what `print(t.grad_fn)` shows) matches PyTorch's for common
expressions; each is evaluated with `torch` bound to PyTorch and to arraygrad."""

import numpy as np
import pytest

torch_ = pytest.importorskip("torch")

import arraygrad  # noqa: E402

EXPRESSIONS = [
    # arithmetic and elementwise functions
    "x + y", "x + 2", "x - y", "x * y", "x * 3", "x / y", "-x", "x ** 2", "x.sqrt()", "x.exp()",
    "x.log()", "x.abs()", "x.log1p()", "torch.log1p(x)", "x.clamp(0, 1)", "x.clamp(min=0)",
    "torch.maximum(x, y)", "x.sigmoid()", "x.tanh()", "x.relu()", "torch.where(x > 0, x, y)",
    # reductions: without dim (…Backward0) and with it (…Backward1)
    "x.sum()", "x.sum(0)", "x.sum(dim=1)", "x.sum(1, keepdim=True)", "x.sum((0, 1))", "torch.sum(x, 1)",
    "x.mean()", "x.mean(0)", "x.mean(dim=-1, keepdim=True)", "torch.mean(x, (0, 1))",
    "x.prod()", "x.prod(0)", "x.amax(0)", "x.cumsum(0)", "x.std()", "x.var(1)",
    "torch.nn.functional.adaptive_avg_pool2d(img, 1)", "torch.nn.functional.cosine_similarity(x, y)",
    # indexing: select, slice, unsqueeze, index
    "x[0]", "x[-1]", "x[0, 1]", "x[:, 0]", "x[..., 0]", "x[1:, 0]", "x[0, :]", "x[(0,)]",
    "x[1:]", "x[:, 1:]", "x[0, 1:]", "x[::2]", "x[:]", "x[None]", "x[0, None]", "x[1:, None]",
    "x[None, 0]", "x[[0, 1]]", "x[idx]", "x[mask]",
    # views and joins
    "x.view(-1)", "x.reshape(4, 3)", "x.T", "x.permute(1, 0)", "x.unsqueeze(0)", "x.squeeze()",
    "x.expand(2, 3, 4)", "x.flatten()", "torch.cat([x, y])", "torch.stack([x, y])",
    # products and linear layers
    "x @ w", "torch.mm(x, w)", "torch.nn.functional.linear(x, wl)", "torch.nn.functional.linear(x, wl, bl)",
    "torch.nn.functional.linear(x3, wl)", "torch.nn.functional.linear(x3, wl, bl)",
    "torch.nn.functional.linear(v, wl)", "torch.nn.functional.linear(v, wl, bl)",
    # nn
    "torch.nn.functional.softmax(x, dim=1)", "torch.nn.functional.log_softmax(x, dim=1)",
    "torch.nn.functional.cross_entropy(x, lab)", "torch.nn.functional.nll_loss(x.log_softmax(1), lab)",
    "torch.nn.functional.conv2d(img, k)", "torch.nn.functional.max_pool2d(img, 2)",
    "torch.nn.functional.batch_norm(img, rm, rv, training=True)", "x.clone()", "x.to(torch.float64)",
]


def _env(lib):
    g = np.random.default_rng(0)

    def t(*shape):
        return lib.tensor(g.standard_normal(shape).astype("float32")).requires_grad_(True)

    return dict(torch=lib, x=t(3, 4), y=t(3, 4), w=t(4, 5), v=t(4), x3=t(2, 3, 4), wl=t(6, 4), bl=t(6),
                img=t(2, 3, 8, 8), k=t(4, 3, 3, 3), rm=lib.zeros(3), rv=lib.ones(3),
                lab=lib.tensor(np.array([0, 2, 1])), idx=lib.tensor(np.array([0, 2])),
                mask=lib.tensor(np.array([True, False, True])))


def _node_name(lib, expr):
    fn = eval(expr, _env(lib)).grad_fn
    return None if fn is None else type(fn).__name__


@pytest.mark.parametrize("expr", EXPRESSIONS)
def test_grad_fn_name_matches_pytorch(expr):
    expected = _node_name(torch_, expr)
    assert _node_name(arraygrad, expr) == expected
    out = eval(expr, _env(arraygrad))
    assert repr(out.grad_fn).startswith(f"<{expected} object at 0x")


def test_renamed_nodes_keep_their_gradients():
    """x[0]'s SelectBackward0 and sum(dim)'s SumBackward1 are the same rules under PyTorch's
    names: next_functions, gradients and double backward agree with PyTorch."""
    results = []
    for lib in (torch_, arraygrad):
        x = lib.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=lib.float64, requires_grad=True)
        y = x[0] * x[:, 1].sum(0) + x[None][0, 1].mean(0) * x[1:, None][0, 0]
        names = [type(n).__name__ for n, _ in y.grad_fn.next_functions]
        (g,) = lib.autograd.grad((y * y).sum(), x, create_graph=True)
        (gg,) = lib.autograd.grad((g * g).sum(), x)
        results.append((names, g.tolist(), gg.tolist()))
    assert results[1][0] == results[0][0]
    np.testing.assert_allclose(results[1][1], results[0][1], rtol=1e-12)
    np.testing.assert_allclose(results[1][2], results[0][2], rtol=1e-12)
