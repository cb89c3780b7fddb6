"""Grad-mode context managers, PyTorch's: they double as decorators and are per thread."""

from __future__ import annotations

import contextvars
import functools
import inspect

from .._dispatch import GRAD_ENABLED

# Inside inference_mode(): read by is_inference_mode_enabled only (arraygrad has no separate
# inference tensors, so recording is all that the mode changes).
_INFERENCE_MODE = contextvars.ContextVar("arraygrad_inference_mode", default=False)

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled",
           "is_inference_mode_enabled"]


def is_grad_enabled() -> bool:
    """Whether operations record autograd history in this thread (and context)."""
    return GRAD_ENABLED.get()


class _GradModeContext:
    """Base: set the mode on enter, restore the previous one on exit; usable as a decorator."""

    _mode: bool = False

    def __init__(self):
        self._tokens = []

    def __enter__(self):
        self._tokens.append(GRAD_ENABLED.set(self._mode))
        return self

    def __exit__(self, *exc):
        GRAD_ENABLED.reset(self._tokens.pop())
        return False

    def clone(self):
        return type(self)()

    def __call__(self, fn):
        if inspect.isgeneratorfunction(fn):
            @functools.wraps(fn)
            def gen_wrapper(*args, **kwargs):
                # the mode holds while the generator's own code runs, not at the yield:
                # the caller's code between items runs in the caller's mode (PyTorch's
                # _wrap_generator); throw() and close() reach the generator, in its mode
                gen = fn(*args, **kwargs)
                try:
                    with self.clone():
                        response = gen.send(None)
                    while True:
                        try:
                            request = yield response
                        except GeneratorExit:
                            with self.clone():
                                gen.close()
                            raise
                        except BaseException as exc:
                            with self.clone():
                                response = gen.throw(exc)
                        else:
                            with self.clone():
                                response = gen.send(request)
                except StopIteration as stop:
                    return stop.value
            return gen_wrapper

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.clone():
                return fn(*args, **kwargs)
        return wrapper


class no_grad(_GradModeContext):
    """Disable gradient recording: ``with no_grad(): ...`` or ``@no_grad()``."""

    _mode = False

    # All set up in __new__: `with no_grad():` runs in every optimizer step and eval loop,
    # and one Python call is the whole construction (no __init__ chain).
    def __new__(cls, orig_func=None):
        if orig_func is not None:  # @no_grad without parentheses
            return cls()(orig_func)
        self = object.__new__(cls)
        self._tokens = []
        return self

    __init__ = object.__init__  # (C) instead of _GradModeContext's: __new__ did its work


class enable_grad(no_grad):
    """Enable gradient recording inside a no_grad region (not inside inference_mode, which
    it does not undo, as in PyTorch)."""

    _mode = True

    def __enter__(self):
        self._tokens.append(GRAD_ENABLED.set(not _INFERENCE_MODE.get()))
        return self


class inference_mode(_GradModeContext):
    """PyTorch's inference_mode: `mode=True` records nothing (like no_grad: arraygrad has no
    separate inference tensors); `mode=False` leaves inference mode and enables recording,
    even inside no_grad, as PyTorch does."""

    def __new__(cls, mode=True):
        if mode is not None and not isinstance(mode, bool) and callable(mode):
            return cls()(mode)  # @inference_mode without parentheses: the decorated function
        return object.__new__(cls)

    def __init__(self, mode: bool = True):
        super().__init__()
        self.mode = bool(mode)

    def __enter__(self):
        self._tokens.append((GRAD_ENABLED.set(not self.mode), _INFERENCE_MODE.set(self.mode)))
        return self

    def __exit__(self, *exc):
        grad_token, inference_token = self._tokens.pop()
        _INFERENCE_MODE.reset(inference_token)
        GRAD_ENABLED.reset(grad_token)
        return False

    def clone(self):
        return type(self)(self.mode)


def is_inference_mode_enabled() -> bool:
    """Whether this thread is inside inference_mode() (no_grad alone does not count)."""
    return _INFERENCE_MODE.get()


class set_grad_enabled(_GradModeContext):
    """Set grad mode: as a function call it takes effect at once; as a context manager or
    decorator it restores the previous mode afterwards."""

    def __init__(self, mode: bool):
        super().__init__()
        if not isinstance(mode, bool):
            raise TypeError(f"set_grad_enabled: mode must be a bool, got {type(mode).__name__}")
        self.mode = mode
        self._prev_token = GRAD_ENABLED.set(mode)

    def __enter__(self):
        # the mode again (PyTorch's): the object may be entered after the mode changed since
        # its construction, or a second time; the exit restores the mode from before
        if self._prev_token is None:
            self._prev_token = GRAD_ENABLED.set(self.mode)
        else:
            GRAD_ENABLED.set(self.mode)
        return self

    def __exit__(self, *exc):
        if self._prev_token is not None:
            GRAD_ENABLED.reset(self._prev_token)
            self._prev_token = None
        return False

    def clone(self):
        c = _ModeSetter(self.mode)
        return c

    def __call__(self, fn):
        # used as a decorator: undo the immediate effect of construction
        self.__exit__()
        return super().__call__(fn)


class _ModeSetter(_GradModeContext):
    def __init__(self, mode):
        super().__init__()
        self._mode = mode
