"""L-BFGS (limited-memory BFGS), as PyTorch's `torch.optim.LBFGS` runs it: one `step(closure)`
makes up to `max_iter` iterations, each a quasi-Newton direction from the last
`history_size` curvature pairs and a step of `lr` (the first one scaled to
min(1, 1 / |g|_1)), or one found by the 'strong_wolfe' line search (bracketing and cubic
interpolation, PyTorch's port of minFunc's).

The vectors are backend arrays (flat parameters and gradients), the scalars Python floats."""

from __future__ import annotations

import math

from .._autograd.grad_mode import enable_grad
from .._dispatch import wrap
from .optimizer import Optimizer, check_setting, lr_of, store

__all__ = ["LBFGS"]


class LBFGS(Optimizer):
    """PyTorch's L-BFGS: one parameter group; `step` needs a closure that clears the
    gradients, computes the loss, calls backward and returns the loss (it is called several
    times per step). line_search_fn: None (fixed steps of lr) or 'strong_wolfe'."""

    def __init__(self, params, lr: float = 1, max_iter: int = 20, max_eval: int | None = None,
                 tolerance_grad: float = 1e-7, tolerance_change: float = 1e-9, history_size: int = 100,
                 line_search_fn: str | None = None) -> None:
        check_setting("learning rate", lr, "LBFGS")
        if line_search_fn not in (None, "strong_wolfe"):
            raise ValueError(f"LBFGS: unknown line_search_fn {line_search_fn!r} (use None or 'strong_wolfe')")
        for name, v in (("max_iter", max_iter), ("history_size", history_size)):
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"LBFGS: {name} must be a positive int, got {v!r}")
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        super().__init__(params, dict(lr=lr, max_iter=max_iter, max_eval=max_eval,
                                      tolerance_grad=tolerance_grad, tolerance_change=tolerance_change,
                                      history_size=history_size, line_search_fn=line_search_fn))
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]
        p0 = self._params[0]
        self._backend = p0._backend
        self._xp = p0._backend.xp

    def add_param_group(self, param_group: dict) -> None:
        if self.param_groups:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        super().add_param_group(param_group)

    # The flat vectors are real: a complex parameter takes two entries per element, its real
    # and imaginary parts (PyTorch's view_as_real), so that dot products are the real ones.
    def _flat_grad(self):
        xp = self._xp
        parts = []
        for p in self._params:
            g = xp.reshape(p.grad._data if p.grad is not None else xp.zeros_like(p._data), (-1,))
            if p._dtype.kind == "c":
                g = xp.reshape(xp.stack([xp.real(g), xp.imag(g)], axis=-1), (-1,))
            parts.append(g)
        return xp.concat(parts)

    def _add_grad(self, step_size: float, update) -> None:
        xp, offset = self._xp, 0
        for p in self._params:
            n = p.size
            pd = p._data
            if p._dtype.kind == "c":
                pairs = xp.reshape(update[offset:offset + 2 * n], (n, 2))
                u = pairs[:, 0] + 1j * pairs[:, 1]
                n *= 2
            else:
                u = update[offset:offset + n]
            pd += step_size * xp.reshape(u, tuple(p.shape))
            store(p, pd)
            offset += n

    def _directional_evaluate(self, closure, x, t, d):
        """(loss, flat gradient) at x + t d; the parameters are put back to x."""
        self._add_grad(t, d)
        with enable_grad():
            loss = float(closure())
        flat_grad = self._flat_grad()
        for p, data in zip(self._params, x):
            store(p, self._xp.asarray(data, copy=True))
        return loss, flat_grad

    def _dot(self, a, b) -> float:
        return float(self._xp.sum(a * b))

    def step(self, closure=None):
        """Up to max_iter L-BFGS iterations; returns the closure's first loss."""
        if closure is None:
            raise TypeError("LBFGS.step() missing its closure (LBFGS re-evaluates the loss)")
        xp, b = self._xp, self._backend
        group = self.param_groups[0]
        lr, max_iter, max_eval = lr_of(group), group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        history_size = group["history_size"]
        state = self.state.setdefault(self._params[0], {})
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        with enable_grad():
            orig_loss = closure()
        loss = float(orig_loss)
        current_evals = 1
        state["func_evals"] += 1
        flat_grad = self._flat_grad()
        if float(xp.max(xp.abs(flat_grad))) <= tolerance_grad:
            return orig_loss

        unwrap = lambda t: None if t is None else t._data  # noqa: E731
        d, t = unwrap(state.get("d")), state.get("t")
        old_dirs = [s._data for s in state.get("old_dirs", [])]
        old_stps = [s._data for s in state.get("old_stps", [])]
        ro, H_diag = list(state.get("ro", [])), state.get("H_diag")
        prev_flat_grad, prev_loss = unwrap(state.get("prev_flat_grad")), state.get("prev_loss")

        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d = -flat_grad
                old_dirs, old_stps, ro, H_diag = [], [], [], 1.0
            else:
                y = flat_grad - prev_flat_grad
                s = d * t
                ys = self._dot(y, s)
                if ys > 1e-10:
                    if len(old_dirs) == history_size:
                        old_dirs.pop(0)
                        old_stps.pop(0)
                        ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    H_diag = ys / self._dot(y, y)
                # two-loop recursion: d = -H g
                al = [0.0] * len(old_dirs)
                q = -flat_grad
                for i in range(len(old_dirs) - 1, -1, -1):
                    al[i] = self._dot(old_stps[i], q) * ro[i]
                    q = q - al[i] * old_dirs[i]
                r = q * H_diag
                for i in range(len(old_dirs)):
                    be_i = self._dot(old_dirs[i], r) * ro[i]
                    r = r + (al[i] - be_i) * old_stps[i]  # no aliasing (immutable backends)
                d = r
            prev_flat_grad = xp.asarray(flat_grad, copy=True)
            prev_loss = loss
            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / float(xp.sum(xp.abs(flat_grad)))) * lr
            else:
                t = lr
            gtd = self._dot(flat_grad, d)  # directional derivative
            if gtd > -tolerance_change:
                break
            ls_func_evals = 0
            opt_cond = False
            if group["line_search_fn"] == "strong_wolfe":
                x_init = [xp.asarray(p._data, copy=True) for p in self._params]
                loss, flat_grad, t, ls_func_evals = _strong_wolfe(
                    lambda x, step, direction: self._directional_evaluate(closure, x, step, direction),
                    x_init, t, d, loss, flat_grad, gtd, self._dot, xp, max_ls=max_eval - current_evals)
                self._add_grad(t, d)
                opt_cond = float(xp.max(xp.abs(flat_grad))) <= tolerance_grad
            else:  # a fixed step; re-evaluate unless this was the last iteration
                self._add_grad(t, d)
                if n_iter != max_iter:
                    with enable_grad():
                        loss = float(closure())
                    flat_grad = self._flat_grad()
                    opt_cond = float(xp.max(xp.abs(flat_grad))) <= tolerance_grad
                    ls_func_evals = 1
            current_evals += ls_func_evals
            state["func_evals"] += ls_func_evals
            if n_iter == max_iter or current_evals >= max_eval or opt_cond:
                break
            if float(xp.max(xp.abs(d * t))) <= tolerance_change:
                break
            if abs(loss - prev_loss) < tolerance_change:
                break

        state.update(d=wrap(d, b), t=t, old_dirs=[wrap(a, b) for a in old_dirs],
                     old_stps=[wrap(a, b) for a in old_stps], ro=ro, H_diag=H_diag,
                     prev_flat_grad=wrap(prev_flat_grad, b), prev_loss=prev_loss)
        return orig_loss


def _cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    """The minimizer of the cubic through (x1, f1, g1) and (x2, f2, g2), clamped to bounds
    (default: the interval between x1 and x2); the midpoint where the cubic has none."""
    if bounds is not None:
        xmin_bound, xmax_bound = bounds
    else:
        xmin_bound, xmax_bound = (x1, x2) if x1 <= x2 else (x2, x1)
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1 ** 2 - g1 * g2
    if d2_square >= 0:
        d2 = math.sqrt(d2_square)
        if x1 <= x2:
            min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        else:
            min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return min(max(min_pos, xmin_bound), xmax_bound)
    return (xmin_bound + xmax_bound) / 2.0


def _strong_wolfe(obj_func, x, t, d, f, g, gtd, dot, xp, c1=1e-4, c2=0.9, tolerance_change=1e-9, max_ls=25):
    """A step t along d meeting the strong Wolfe conditions (PyTorch's `_strong_wolfe`):
    returns (loss, flat gradient, t, function evaluations)."""
    d_norm = float(xp.max(xp.abs(d)))
    f_new, g_new = obj_func(x, t, d)
    ls_func_evals = 1
    gtd_new = dot(g_new, d)
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done = False
    ls_iter = 0
    bracket_gtd = None
    # bracketing phase
    while ls_iter < max_ls:
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new], [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        if gtd_new >= 0:
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new], [gtd_prev, gtd_new]
            break
        min_step = t + 0.01 * (t - t_prev)
        max_step = t * 10
        tmp = t
        t = _cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds=(min_step, max_step))
        t_prev, f_prev, g_prev, gtd_prev = tmp, f_new, g_new, gtd_new
        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = dot(g_new, d)
        ls_iter += 1
    if ls_iter == max_ls:  # reached the maximum number of evaluations
        bracket, bracket_f, bracket_g = [0, t], [f, f_new], [g, g_new]
    # zoom phase: a point satisfying the conditions, or the bracket's best point
    insuf_progress = False
    low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = _cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0], bracket[1], bracket_f[1], bracket_gtd[1])
        # stay away from the bracket's ends unless progress was made
        eps = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < eps:
            if insuf_progress or t >= max(bracket) or t <= min(bracket):
                t = max(bracket) - eps if abs(t - max(bracket)) < abs(t - min(bracket)) else min(bracket) + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False
        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = dot(g_new, d)
        ls_iter += 1
        if f_new > (f + c1 * t * gtd) or f_new >= bracket_f[low_pos]:
            bracket[high_pos], bracket_f[high_pos] = t, f_new
            bracket_g[high_pos], bracket_gtd[high_pos] = g_new, gtd_new
            low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high_pos] - bracket[low_pos]) >= 0:
                bracket[high_pos], bracket_f[high_pos] = bracket[low_pos], bracket_f[low_pos]
                bracket_g[high_pos], bracket_gtd[high_pos] = bracket_g[low_pos], bracket_gtd[low_pos]
            bracket[low_pos], bracket_f[low_pos] = t, f_new
            bracket_g[low_pos], bracket_gtd[low_pos] = g_new, gtd_new
    return bracket_f[low_pos], bracket_g[low_pos], bracket[low_pos], ls_func_evals
