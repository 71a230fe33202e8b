"""Every nn layer and loss against PyTorch with identical weights: outputs, input gradients and
parameter gradients, state_dict keys, on the compiled kernels and on the reference."""
import numpy as np
import pytest

import mdlfast
from mdlfast import nn

torch = pytest.importorskip("torch")
tnn = torch.nn

X4 = (2, 3, 9, 8)   # [N, C, H, W]
X3 = (2, 3, 11)     # [N, C, L]
SEQ = (5, 2, 6)     # [T, N, features]

LAYERS = {
    "linear": (lambda m: m.Linear(6, 4), (3, 6)),
    "linear_nobias_3d": (lambda m: m.Linear(6, 4, bias=False), (2, 3, 6)),
    "conv2d": (lambda m: m.Conv2d(3, 4, 3), X4),
    "conv2d_strided_padded": (lambda m: m.Conv2d(3, 6, (3, 2), stride=2, padding=(1, 2), bias=False), X4),
    "conv2d_groups_dilation": (lambda m: m.Conv2d(3, 6, 3, dilation=2, groups=3), X4),
    "conv2d_same": (lambda m: m.Conv2d(3, 2, 3, padding="same"), X4),
    "conv1d": (lambda m: m.Conv1d(3, 5, 4, stride=2, padding=1), X3),
    "maxpool2d": (lambda m: m.MaxPool2d(2), X4),
    "maxpool2d_strided": (lambda m: m.MaxPool2d(3, stride=2, padding=1), X4),
    "maxpool1d": (lambda m: m.MaxPool1d(3, stride=2), X3),
    "avgpool2d": (lambda m: m.AvgPool2d(2, padding=1), X4),
    "avgpool2d_nopad_count": (lambda m: m.AvgPool2d(3, stride=2, padding=1, count_include_pad=False), X4),
    "avgpool1d": (lambda m: m.AvgPool1d(2), X3),
    "adaptive_avgpool2d": (lambda m: m.AdaptiveAvgPool2d((4, 3)), X4),
    "adaptive_avgpool2d_global": (lambda m: m.AdaptiveAvgPool2d(1), X4),
    "flatten": (lambda m: m.Flatten(), X4),
    "batchnorm1d": (lambda m: m.BatchNorm1d(6), (7, 6)),
    "batchnorm1d_3d": (lambda m: m.BatchNorm1d(3), X3),
    "batchnorm2d": (lambda m: m.BatchNorm2d(3), X4),
    "batchnorm2d_noaffine": (lambda m: m.BatchNorm2d(3, affine=False, momentum=None), X4),
    "layernorm": (lambda m: m.LayerNorm(8), X4),
    "layernorm_2d_shape": (lambda m: m.LayerNorm((9, 8)), X4),
    "rnn_tanh": (lambda m: m.RNN(6, 4), SEQ),
    "rnn_relu_2layers": (lambda m: m.RNN(6, 4, num_layers=2, nonlinearity="relu"), SEQ),
    "lstm": (lambda m: m.LSTM(6, 4), SEQ),
    "lstm_stacked_bidirectional_batch_first": (lambda m: m.LSTM(6, 4, num_layers=2, bidirectional=True,
                                                                batch_first=True), SEQ),
    "gru": (lambda m: m.GRU(6, 5, bias=False), SEQ),
    "gru_bidirectional": (lambda m: m.GRU(6, 3, bidirectional=True), SEQ),
    "lstm_unbatched": (lambda m: m.LSTM(6, 4), (5, 6)),
    "sequential": (lambda m: m.Sequential(m.Linear(6, 5), m.ReLU(), m.Linear(5, 3), m.Tanh(),
                                          m.Linear(3, 2), m.Sigmoid()), (4, 6)),
    "mha": (lambda m: m.MultiheadAttention(6, 2), SEQ),
    "mha_batch_first": (lambda m: m.MultiheadAttention(6, 3, batch_first=True), SEQ),
    "encoder": (lambda m: m.TransformerEncoderLayer(6, 2, 10, dropout=0.0), SEQ),
    "encoder_norm_first_gelu": (lambda m: m.TransformerEncoderLayer(6, 3, 10, dropout=0.0, activation="gelu",
                                                                     norm_first=True, batch_first=True), SEQ),
}
ACTIVATIONS = ["ReLU", "LeakyReLU", "ELU", "SELU", "GELU", "Sigmoid", "Tanh", "Softplus", "SiLU",
               "Hardtanh", "Identity"]


def _load_from_torch(ours, theirs):
    state = {k: v.detach().numpy() for k, v in theirs.state_dict().items()}
    assert list(ours.state_dict()) == list(state)
    result = ours.load_state_dict(state)
    assert result.missing_keys == [] and result.unexpected_keys == []


def _first(out):
    return out[0] if isinstance(out, tuple) else out


def _compare(ours, theirs, shape, backend, call=None):
    _load_from_torch(ours, theirs)
    x = np.random.default_rng(sum(shape)).standard_normal(shape).astype(np.float32)
    xo, xt = mdlfast.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    call = call or (lambda m, t: m(t))
    with mdlfast.use_backend(backend):
        yo = _first(call(ours, xo))
        weight = np.random.default_rng(1).standard_normal(yo.shape).astype(np.float32)
        (yo * mdlfast.tensor(weight)).sum().backward()
    yt = _first(call(theirs, xt))
    (yt * torch.tensor(weight)).sum().backward()
    np.testing.assert_allclose(yo.data, yt.detach().numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(xo.grad.data, xt.grad.numpy(), rtol=1e-4, atol=1e-4)
    for (name, p), (_, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(p.grad.data, tp.grad.numpy(), rtol=1e-4, atol=1e-4, err_msg=name)
    for (name, b), (_, tb) in zip(ours.named_buffers(), theirs.named_buffers()):
        np.testing.assert_allclose(b.data, tb.numpy(), rtol=1e-5, atol=1e-6, err_msg=name)


REFERENCE_GELU_FLOAT64 = pytest.mark.xfail(
    strict=True, raises=TypeError,
    reason="reference gelu backward returns float64 for float32 input (activation_functions: "
           "np.sqrt(2 * np.pi) is a float64 scalar), which layer_norm_backward then rejects")


def _cases():
    for name in sorted(LAYERS):
        for backend in ("kernels", "reference"):
            marks = REFERENCE_GELU_FLOAT64 if (backend, name) == ("reference", "encoder_norm_first_gelu") else ()
            yield pytest.param(name, backend, marks=marks, id=f"{name}-{backend}")


@pytest.mark.parametrize("name, backend", list(_cases()))
def test_layer_matches_torch(name, backend):
    factory, shape = LAYERS[name]
    call = None
    if name.startswith("mha"):
        call = lambda m, t: m(t, t, t)
    _compare(factory(nn), factory(tnn), shape, backend, call)


@pytest.mark.parametrize("name", ACTIVATIONS + ["Softmax", "LogSoftmax"])
def test_activation_modules_match_torch(name):
    args = (1,) if name in ("Softmax", "LogSoftmax") else ()
    _compare(getattr(nn, name)(*args), getattr(tnn, name)(*args), (3, 5, 4), "kernels")


def test_embedding_matches_torch():
    ours, theirs = nn.Embedding(10, 4, padding_idx=2), tnn.Embedding(10, 4, padding_idx=2)
    _load_from_torch(ours, theirs)
    idx = np.array([[1, 2, 3], [3, 3, 9]])
    yo, yt = ours(idx), theirs(torch.tensor(idx))
    (yo * yo).sum().backward()
    (yt * yt).sum().backward()
    np.testing.assert_allclose(yo.data, yt.detach().numpy())
    np.testing.assert_allclose(ours.weight.grad.data, theirs.weight.grad.numpy(), rtol=1e-6)


def test_recurrent_initial_states_and_final_states_match_torch():
    ours, theirs = nn.LSTM(3, 4, num_layers=2, bidirectional=True), tnn.LSTM(3, 4, num_layers=2, bidirectional=True)
    _load_from_torch(ours, theirs)
    rng = np.random.default_rng(0)
    x, h0, c0 = (rng.standard_normal(s).astype(np.float32) for s in [(5, 2, 3), (4, 2, 4), (4, 2, 4)])
    tensors = [mdlfast.tensor(a, requires_grad=True) for a in (x, h0, c0)]
    torch_tensors = [torch.tensor(a, requires_grad=True) for a in (x, h0, c0)]
    yo, (ho, co) = ours(tensors[0], (tensors[1], tensors[2]))
    yt, (ht, ct) = theirs(torch_tensors[0], (torch_tensors[1], torch_tensors[2]))
    (yo.sum() + (ho * ho).sum() + (co * 3).sum()).backward()
    (yt.sum() + (ht * ht).sum() + (ct * 3).sum()).backward()
    for a, b in [(yo, yt), (ho, ht), (co, ct)]:
        np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-5, atol=1e-6)
    for a, b in zip(tensors, torch_tensors):
        np.testing.assert_allclose(a.grad.data, b.grad.numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("mask", ["none", "bool", "float", "key_padding"])
@pytest.mark.parametrize("need_weights", [True, False])
def test_multihead_attention_masks_and_weights(mask, need_weights):
    ours, theirs = nn.MultiheadAttention(8, 2), tnn.MultiheadAttention(8, 2)
    _load_from_torch(ours, theirs)
    rng = np.random.default_rng(5)
    q, kv = rng.standard_normal((4, 3, 8)).astype(np.float32), rng.standard_normal((6, 3, 8)).astype(np.float32)
    kw = {}
    if mask == "bool":
        kw["attn_mask"] = rng.random((4, 6)) < 0.3
    elif mask == "float":
        kw["attn_mask"] = rng.standard_normal((4, 6)).astype(np.float32)
    elif mask == "key_padding":
        kw["key_padding_mask"] = np.zeros((3, 6), bool)
        kw["key_padding_mask"][:, 4:] = True
    qo, kvo = mdlfast.tensor(q, requires_grad=True), mdlfast.tensor(kv, requires_grad=True)
    qt, kvt = torch.tensor(q, requires_grad=True), torch.tensor(kv, requires_grad=True)
    yo, wo = ours(qo, kvo, kvo, need_weights=need_weights, **kw)
    yt, wt = theirs(qt, kvt, kvt, need_weights=need_weights, **{k: torch.tensor(v) for k, v in kw.items()})
    yo.sum().backward()
    yt.sum().backward()
    np.testing.assert_allclose(yo.data, yt.detach().numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(kvo.grad.data, kvt.grad.numpy(), rtol=1e-4, atol=1e-5)
    assert (wo is None) == (wt is None)
    if wo is not None:
        np.testing.assert_allclose(wo.data, wt.detach().numpy(), rtol=1e-4, atol=1e-6)


def test_decoder_layer_matches_torch():
    for norm_first in (False, True):
        ours = nn.TransformerDecoderLayer(8, 2, 12, dropout=0.0, norm_first=norm_first)
        theirs = tnn.TransformerDecoderLayer(8, 2, 12, dropout=0.0, norm_first=norm_first)
        _load_from_torch(ours, theirs)
        rng = np.random.default_rng(2)
        tgt, mem = rng.standard_normal((5, 2, 8)).astype(np.float32), rng.standard_normal((7, 2, 8)).astype(np.float32)
        causal = np.triu(np.ones((5, 5), bool), 1)
        to, tt = mdlfast.tensor(tgt, requires_grad=True), torch.tensor(tgt, requires_grad=True)
        mo, mt = mdlfast.tensor(mem, requires_grad=True), torch.tensor(mem, requires_grad=True)
        yo = ours(to, mo, tgt_mask=causal)
        yt = theirs(tt, mt, tgt_mask=torch.tensor(causal))
        (yo * yo).sum().backward()
        (yt * yt).sum().backward()
        np.testing.assert_allclose(yo.data, yt.detach().numpy(), rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(mo.grad.data, mt.grad.numpy(), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_losses_match_torch(reduction):
    rng = np.random.default_rng(3)
    logits = rng.standard_normal((6, 5)).astype(np.float32)
    labels = rng.integers(0, 5, 6)
    labels[2] = -100
    target = rng.standard_normal((6, 5)).astype(np.float32)
    binary = (rng.random((6, 5)) < 0.5).astype(np.float32)
    cases = [
        (nn.CrossEntropyLoss(reduction=reduction), tnn.CrossEntropyLoss(reduction=reduction), labels, torch.tensor(labels)),
        (nn.CrossEntropyLoss(reduction=reduction, label_smoothing=0.1),
         tnn.CrossEntropyLoss(reduction=reduction, label_smoothing=0.1), labels, torch.tensor(labels)),
        (nn.MSELoss(reduction=reduction), tnn.MSELoss(reduction=reduction), target, torch.tensor(target)),
        (nn.BCEWithLogitsLoss(reduction=reduction), tnn.BCEWithLogitsLoss(reduction=reduction), binary, torch.tensor(binary)),
    ]
    for ours, theirs, t_ours, t_torch in cases:
        xo, xt = mdlfast.tensor(logits, requires_grad=True), torch.tensor(logits, requires_grad=True)
        lo, lt = ours(xo, t_ours), theirs(xt, t_torch)
        (lo * lo).sum().backward()
        (lt * lt).sum().backward()
        np.testing.assert_allclose(lo.data, lt.detach().numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(xo.grad.data, xt.grad.numpy(), rtol=1e-4, atol=1e-6)
    log_probs = torch.log_softmax(torch.tensor(logits), 1).numpy()
    xo, xt = mdlfast.tensor(log_probs, requires_grad=True), torch.tensor(log_probs, requires_grad=True)
    lo = nn.NLLLoss(reduction=reduction)(xo, labels)
    lt = tnn.NLLLoss(reduction=reduction)(xt, torch.tensor(labels))
    lo.sum().backward()
    lt.sum().backward()
    np.testing.assert_allclose(lo.data, lt.detach().numpy(), rtol=1e-5)
    np.testing.assert_allclose(xo.grad.data, xt.grad.numpy(), rtol=1e-5)


def test_cross_entropy_over_spatial_dimensions():
    rng = np.random.default_rng(4)
    logits = rng.standard_normal((2, 4, 3, 3)).astype(np.float32)
    labels = rng.integers(0, 4, (2, 3, 3))
    xo, xt = mdlfast.tensor(logits, requires_grad=True), torch.tensor(logits, requires_grad=True)
    nn.functional.cross_entropy(xo, labels).backward()
    torch.nn.functional.cross_entropy(xt, torch.tensor(labels)).backward()
    np.testing.assert_allclose(xo.grad.data, xt.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_default_initialisation_statistics_follow_torch_rules():
    mdlfast.manual_seed(0)
    conv = nn.Conv2d(16, 32, 3)
    bound = 1 / np.sqrt(16 * 9)
    assert conv.weight.data.max() <= bound and conv.weight.data.min() >= -bound
    assert conv.weight.data.std() == pytest.approx(bound / np.sqrt(3), rel=0.05)
    lstm = nn.LSTM(10, 20)
    assert np.abs(lstm.weight_hh_l0.data).max() <= 1 / np.sqrt(20)
    emb = nn.Embedding(1000, 16)
    assert emb.weight.data.std() == pytest.approx(1.0, rel=0.05)
    mha = nn.MultiheadAttention(16, 4)
    assert np.all(mha.in_proj_bias.data == 0)


def test_multihead_attention_with_kdim_vdim_and_batch_first():
    ours = nn.MultiheadAttention(8, 2, kdim=5, vdim=3, batch_first=True)
    theirs = tnn.MultiheadAttention(8, 2, kdim=5, vdim=3, batch_first=True)
    _load_from_torch(ours, theirs)
    rng = np.random.default_rng(8)
    q, k, v = (rng.standard_normal(s).astype(np.float32) for s in [(2, 4, 8), (2, 6, 5), (2, 6, 3)])
    ours_in = [mdlfast.tensor(a, requires_grad=True) for a in (q, k, v)]
    torch_in = [torch.tensor(a, requires_grad=True) for a in (q, k, v)]
    yo, wo = ours(*ours_in, average_attn_weights=False)
    yt, wt = theirs(*torch_in, average_attn_weights=False)
    yo.sum().backward()
    yt.sum().backward()
    np.testing.assert_allclose(yo.data, yt.detach().numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(wo.data, wt.detach().numpy(), rtol=1e-4, atol=1e-6)
    for a, b in zip(ours_in, torch_in):
        np.testing.assert_allclose(a.grad.data, b.grad.numpy(), rtol=1e-4, atol=1e-5)
