"""arraygrad.save / arraygrad.load (src/arraygrad/_serialization.py): round trips of tensors,
containers, state dicts and optimizer state; map_location; refusing wrong or corrupt files
(and never unpickling)."""

from __future__ import annotations

import io
import pickle
import zipfile

import numpy as np
import pytest

import arraygrad as xp
from arraygrad import nn, optim


def host(t):
    return np.array(t.detach().to_device("cpu"), copy=True)


def roundtrip(obj, tmp_path, **kwargs):
    path = tmp_path / "obj.npz"
    xp.save(obj, path)
    return xp.load(path, **kwargs)


@pytest.mark.parametrize("dtype", ["bool", "int8", "uint16", "int32", "int64", "float32",
                                   "float64", "complex64", "complex128"])
def test_tensor_round_trip_keeps_dtype_and_values(tmp_path, dtype):
    t = xp.astype(xp.reshape(xp.arange(6), (2, 3)), getattr(xp, dtype))
    out = roundtrip(t, tmp_path)
    assert out.dtype == t.dtype and out.shape == (2, 3)
    np.testing.assert_array_equal(host(out), host(t))


def test_nested_containers(tmp_path):
    a = xp.ones(3)
    obj = {"list": [a, 1, 2.5, None, "text", True], "tuple": (a, (1, 2)), 3: {"nested": xp.zeros(2)},
           (1, "k"): float("inf"), "nan": float("nan"), "complex": 1 + 2j, "empty": {}}
    out = roundtrip(obj, tmp_path)
    assert out["list"][1:] == [1, 2.5, None, "text", True]
    assert isinstance(out["tuple"], tuple) and out["tuple"][1] == (1, 2)
    assert out["tuple"][0] is out["list"][0]  # a tensor saved twice loads as one object
    assert host(out[3]["nested"]).tolist() == [0.0, 0.0]
    assert out[(1, "k")] == float("inf") and np.isnan(out["nan"]) and out["complex"] == 1 + 2j
    assert out["empty"] == {}


def test_parameters_and_requires_grad_survive(tmp_path):
    p = nn.Parameter(xp.ones(2))
    r = xp.ones(2, requires_grad=True)
    q, s, plain = roundtrip([p, r, xp.ones(1)], tmp_path)
    assert isinstance(q, nn.Parameter) and q.requires_grad
    assert type(s) is xp.Tensor and s.requires_grad and s.is_leaf
    assert not plain.requires_grad


def test_views_and_non_contiguous_tensors(tmp_path):
    t = xp.reshape(xp.arange(12.0), (3, 4))
    out = roundtrip({"t": t.mT, "row": t[1]}, tmp_path)
    np.testing.assert_array_equal(host(out["t"]), host(t).T)
    np.testing.assert_array_equal(host(out["row"]), host(t)[1])


def test_model_and_optimizer_checkpoint(tmp_path):
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    opt = optim.Adam(model.parameters(), lr=0.01)
    x = xp.ones((5, 3))
    for _ in range(2):
        opt.zero_grad()
        xp.sum(model(x) ** 2).backward()
        opt.step()
    ckpt = roundtrip({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 2}, tmp_path)
    model2 = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    model2.load_state_dict(ckpt["model"])
    opt2 = optim.Adam(model2.parameters(), lr=0.5)
    opt2.load_state_dict(ckpt["optimizer"])
    assert opt2.param_groups[0]["lr"] == 0.01 and ckpt["epoch"] == 2
    for m, o in ((model, opt), (model2, opt2)):
        o.zero_grad()
        xp.sum(m(x) ** 2).backward()
        o.step()
    for a, b in zip(model.parameters(), model2.parameters()):
        np.testing.assert_allclose(host(a), host(b), rtol=1e-6)


def test_file_objects(tmp_path):
    buf = io.BytesIO()
    xp.save({"w": xp.ones(2)}, buf)
    buf.seek(0)
    assert host(xp.load(buf)["w"]).tolist() == [1.0, 1.0]
    path = tmp_path / "no_suffix"  # the path is used as given (no ".npz" appended)
    xp.save(xp.ones(1), str(path))
    assert path.exists() and not (tmp_path / "no_suffix.npz").exists()
    assert not list(tmp_path.glob("*.tmp"))


def test_map_location(tmp_path, backend):
    t = xp.ones(2)
    path = tmp_path / "t.npz"
    xp.save(t, path)
    assert xp.load(path, map_location=backend.device).device == backend.device
    assert xp.load(path, map_location={"cpu": backend.device}).device == backend.device
    seen = []
    out = xp.load(path, map_location=lambda tensor, where: seen.append(where) or tensor * 2)
    assert seen == ["cpu"] and host(out).tolist() == [2.0, 2.0]
    with pytest.raises(TypeError, match="map_location returned"):
        xp.load(path, map_location=lambda tensor, where: 1)


def test_unknown_device_asks_for_map_location(tmp_path):
    path = tmp_path / "t.npz"
    xp.save(xp.ones(2), path)
    with pytest.raises(RuntimeError, match="map_location='cpu'"):
        xp.load(path, map_location="nosuchdevice:3")


@pytest.mark.cuda
def test_cuda_tensors_load_on_cpu(tmp_path):
    path = tmp_path / "t.npz"
    xp.save({"w": xp.ones(3, device="cuda")}, path)
    assert xp.load(path)["w"].device.type == "cuda"
    assert xp.load(path, map_location="cpu")["w"].device.type == "cpu"


def test_unsupported_objects_are_refused(tmp_path):
    with pytest.raises(TypeError, match=r"cannot store a slice \(at obj\['bad'\]\)"):
        xp.save({"bad": slice(1, 2)}, tmp_path / "x.npz")
    with pytest.raises(TypeError, match="cannot store a object"):
        xp.save([object()], tmp_path / "y.npz")
    assert not (tmp_path / "x.npz").exists()


def test_wrong_files_are_refused(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(ValueError, match=r"notes.txt.* not an arraygrad file: not an .npz"):
        xp.load(text)
    pickled = tmp_path / "model.pt"
    pickled.write_bytes(pickle.dumps({"w": [1.0]}))
    with pytest.raises(ValueError, match="looks like a pickle"):
        xp.load(pickled)
    plain = tmp_path / "plain.npz"
    np.savez(plain, a=np.ones(2))
    with pytest.raises(ValueError, match="has no manifest"):
        xp.load(plain)
    with pytest.raises(FileNotFoundError):
        xp.load(tmp_path / "missing.npz")


def test_corrupt_files_are_refused(tmp_path):
    good = tmp_path / "good.npz"
    xp.save({"w": xp.ones(100)}, good)
    data = good.read_bytes()
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="truncated.npz.* corrupt"):
        xp.load(truncated)

    def rewrite(name, entries):
        path = tmp_path / name
        with zipfile.ZipFile(path, "w") as z:
            for entry, payload in entries.items():
                z.writestr(entry, payload)
        return path

    def npy(arr):
        buf = io.BytesIO()
        np.save(buf, arr, allow_pickle=True)
        return buf.getvalue()

    manifest = np.frombuffer(b'{"format": "arraygrad", "version": 1, "object": {"$tensor": "t0", '
                             b'"dtype": "float32", "device": "cpu", "requires_grad": false, '
                             b'"parameter": false}}', dtype=np.uint8)
    with pytest.raises(ValueError, match="lacks"):
        xp.load(rewrite("missing.npz", {"manifest.npy": npy(manifest)}))
    with pytest.raises(ValueError, match="cannot be read"):  # an object array would need pickle
        xp.load(rewrite("pickle.npz", {"manifest.npy": npy(manifest),
                                       "t0.npy": npy(np.array([{"a": 1}], dtype=object))}))
    with pytest.raises(ValueError, match="has dtype int64, the manifest says 'float32'"):
        xp.load(rewrite("dtype.npz", {"manifest.npy": npy(manifest), "t0.npy": npy(np.arange(3))}))
    with pytest.raises(ValueError, match="unreadable manifest"):
        xp.load(rewrite("json.npz", {"manifest.npy": npy(np.frombuffer(b"{oops", dtype=np.uint8))}))
    with pytest.raises(ValueError, match="not in arraygrad's format"):
        xp.load(rewrite("other.npz", {"manifest.npy": npy(np.frombuffer(b'{"format": "x"}', dtype=np.uint8))}))
    newer = np.frombuffer(b'{"format": "arraygrad", "version": 99, "object": null}', dtype=np.uint8)
    with pytest.raises(ValueError, match="format version 99"):
        xp.load(rewrite("newer.npz", {"manifest.npy": npy(newer)}))
    odd = np.frombuffer(b'{"format": "arraygrad", "version": 1, "object": {"$frozenbag": [1]}}', dtype=np.uint8)
    with pytest.raises(ValueError, match="unexpected manifest entry"):
        xp.load(rewrite("odd.npz", {"manifest.npy": npy(odd)}))


# ----- pickle and copy (Python's protocols, beside save/load) ------------------------------
def test_pickle_and_deepcopy_like_torch():
    """Tensors pickle (multiprocessing, joblib) as their values, device, requires_grad and
    class, and load as leaves; deepcopy copies memory and .grad and refuses non-leaves, as
    PyTorch's do (copy.deepcopy(model) keeps the best weights in the tutorials)."""
    import copy

    t = xp.asarray([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    for loaded in (pickle.loads(pickle.dumps(t)), pickle.loads(pickle.dumps(t * 2))):
        assert loaded.requires_grad and loaded.is_leaf and loaded.grad is None
    np.testing.assert_array_equal(host(pickle.loads(pickle.dumps(t[:, 1]))), [2.0, 4.0])
    t.grad = xp.ones((2, 2))
    c = copy.deepcopy(t)
    assert c.requires_grad and c.is_leaf and c is not t
    c.grad[0, 0] = 5.0
    c.detach()[0, 0] = 7.0
    assert float(t.grad[0, 0]) == 1.0 and float(t[0, 0]) == 1.0  # copies, not views
    with pytest.raises(RuntimeError, match="graph leaves"):
        copy.deepcopy(t * 2)


def test_modules_pickle_and_deepcopy():
    import copy

    model = nn.Sequential(nn.Linear(3, 2), nn.ReLU())
    for other in (copy.deepcopy(model), pickle.loads(pickle.dumps(model))):
        w, w2 = model[0].weight, other[0].weight
        assert isinstance(w2, nn.Parameter) and w2.requires_grad and w2 is not w
        np.testing.assert_array_equal(host(w2), host(w))
        x = xp.ones((1, 3))
        np.testing.assert_allclose(host(other(x)), host(model(x)))
    best = copy.deepcopy(model.state_dict())
    with xp.no_grad():
        model[0].weight.fill_(0.0)
    assert host(best["0.weight"]).any()  # the copy kept the old weights


def test_pickled_tensors_keep_their_device(backend):
    t = xp.asarray([1.0, 2.0], device=backend.device)
    loaded = pickle.loads(pickle.dumps(t))
    assert loaded.device == t.device and host(loaded).tolist() == [1.0, 2.0]


def test_checkpoint_values_of_every_kind_round_trip(tmp_path):
    # what training checkpoints hold besides tensors: NumPy scalars (an epoch counter, a
    # metric) and arrays, bytes, sets, dtypes, devices, Sizes
    obj = {"epoch": np.int64(3), "acc": np.float32(0.9), "arr": np.arange(3.0).reshape(3, 1), "blob": b"\x00xy",
           "seen": {1, 2}, "frozen": frozenset(["a"]), "dtype": xp.float16, "device": xp.device("cpu"),
           "size": xp.Size([2, 3]), "z": np.complex64(1 + 2j), "x": xp.ones(2)}
    xp.save(obj, tmp_path / "ckpt.pt")
    back = xp.load(tmp_path / "ckpt.pt")
    assert back.keys() == obj.keys()
    for k in ("epoch", "acc", "z"):
        assert type(back[k]) is type(obj[k]) and back[k] == obj[k]
    np.testing.assert_array_equal(back["arr"], obj["arr"])
    assert isinstance(back["arr"], np.ndarray) and back["arr"].dtype == np.float64
    assert back["blob"] == obj["blob"] and back["seen"] == {1, 2} and back["frozen"] == frozenset(["a"])
    assert back["dtype"] is xp.float16 and back["device"] == xp.device("cpu")
    assert isinstance(back["size"], xp.Size) and tuple(back["size"]) == (2, 3)
    with pytest.raises(TypeError, match="only numeric and bool NumPy data"):
        xp.save({"names": np.array(["a"])}, tmp_path / "bad.pt")


def test_torch_save_files_load_as_weights(tmp_path):
    torch = pytest.importorskip("torch")
    tm = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
    topt = torch.optim.Adam(tm.parameters())
    tm(torch.randn(4, 3)).sum().backward()
    topt.step()
    base = torch.arange(10.0)
    saved = {"model": tm.state_dict(), "optimizer": topt.state_dict(), "epoch": 3, "view": base[2:8:2],
             "transposed": torch.arange(6.0).reshape(2, 3).t(), "param": torch.nn.Parameter(torch.ones(2)),
             "int8": torch.tensor([1, -2], dtype=torch.int8), "half": torch.ones(2, dtype=torch.float16),
             "bf16": torch.tensor([1.5, -2.25], dtype=torch.bfloat16), "complex": torch.tensor([1 + 2j]),
             "uint16": torch.tensor([7], dtype=torch.uint16), "size": torch.Size([2, 3]),
             "device": torch.device("cpu"), "dtype": torch.float64, "bytes": b"ab", "np": np.int64(3),
             "set": {1, 2}, "grad": torch.ones(2, requires_grad=True)}
    torch.save(saved, tmp_path / "ckpt.pt")
    back = xp.load(tmp_path / "ckpt.pt", weights_only=True)
    for key in ("view", "transposed", "int8", "half", "complex", "uint16", "grad"):
        t = saved[key]
        np.testing.assert_array_equal(np.asarray(back[key].detach()), t.detach().numpy())
        assert back[key].dtype.name == str(t.dtype).split(".")[-1] and back[key].requires_grad == t.requires_grad
    np.testing.assert_array_equal(np.asarray(back["bf16"]), [1.5, -2.25])  # into float32, exactly
    assert isinstance(back["param"], nn.Parameter) and back["epoch"] == 3 and back["np"] == 3
    assert isinstance(back["size"], xp.Size) and back["device"] == xp.device("cpu") and back["dtype"] is xp.float64
    assert back["bytes"] == b"ab" and back["set"] == {1, 2}
    # the checkpoint drives arraygrad's model and optimizer
    am = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    am.load_state_dict(back["model"])
    aopt = optim.Adam(am.parameters())
    aopt.load_state_dict(back["optimizer"])
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    tm.eval()
    am.eval()
    # float32: an output near 0 (the random init's luck) differs by rounding alone, hence atol
    np.testing.assert_allclose(np.asarray(am(xp.asarray(x)).detach()), tm(torch.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)


def test_torch_save_files_holding_code_are_refused(tmp_path):
    torch = pytest.importorskip("torch")
    torch.save(torch.nn.Linear(2, 2), tmp_path / "whole.pt")  # a pickled Module
    with pytest.raises(ValueError, match="torch.nn.modules.linear.Linear, which is not data.*state_dict"):
        xp.load(tmp_path / "whole.pt")

    class Exploit:  # what a malicious file would hold: a call of os.system on load
        def __reduce__(self):
            import os
            return (os.system, ("echo owned",))

    path = tmp_path / "evil.pt"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("evil/data.pkl", pickle.dumps({"w": Exploit()}, protocol=2))
    with pytest.raises(ValueError, match="system, which is not data"):
        xp.load(path)
    torch.save({"x": torch.ones(2)}, tmp_path / "legacy.pt", _use_new_zipfile_serialization=False)
    with pytest.raises(ValueError, match="legacy format"):
        xp.load(tmp_path / "legacy.pt")
