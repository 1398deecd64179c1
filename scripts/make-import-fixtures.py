#!/usr/bin/env python3
"""Writes the FaceletImport test fixtures (run by hand; needs PyTorch, numpy, safetensors).

    python3 -m venv /tmp/torchenv
    /tmp/torchenv/bin/pip install torch numpy safetensors
    /tmp/torchenv/bin/python scripts/make-import-fixtures.py

(PyPI's Linux torch wheel is the CUDA build and wants the nvidia-* packages; a CPU wheel, e.g.
`pip install --no-deps torch-…+cpu-….whl typing_extensions sympy filelock networkx jinja2
fsspec`, is enough. The fixtures were made with torch 2.13.0+cpu.)

The script limits oneDNN to AVX2 kernels (ONEDNN_MAX_CPU_ISA, set before torch is imported):
its convolutions sum in an order that depends on the instruction set, so on an AVX-512
machine the pipeline outputs would otherwise differ from the committed ones in the last bits
(about 1e-5 on the outputs). With the limit, a run on an x86-64 machine with AVX2 rewrites
the committed files byte for byte, whatever the thread count (the legacy-format bank by being
left alone, see below).

Everything is narrow (channel width 1/32: 2/4/8/16 instead of 64/128/256/512) with seeded
random weights, so the files stay small. Written to Tests/FaceletImportTests/Fixtures/:

- tv_vgg19.pth         torchvision `vgg19().state_dict()` layout (features.N + classifier.*),
                       zip format; features.0.weight is a non-contiguous view and
                       features.0.bias a view at a storage offset.
- timm_vgg19.safetensors  timm layout (features.N + pre_logits.* + head.*), safetensors.
- original_encoder.pth    original release encoder (features_1.conv1_1 …), zip format.
- original_decoder.pth    original release decoder (recon5.conv.1 …, BN with running stats and
                       num_batches_tracked, unused upool* modules), zip format.
- original_facehair.pth   original release bank (w_1.model.1 …), legacy (pre-zip) format
                       (its storage keys come from storage addresses, so its bytes vary per
                       run; an existing file holding the same tensors is left as it is).
- bank_half_wrapped.pth   the same bank as float16 nn.Parameters, wrapped as
                       {"epoch": 3, "state_dict": …}, pickle protocol 4 (STACK_GLOBAL, MEMOIZE,
                       FRAME, _rebuild_parameter, HalfStorage).
- <name>.expected.safetensors  the same tensors, contiguous, under the checkpoint's own keys.
- original_pipeline.safetensors  the original pipeline on a 112x112 input: `input` (RGB in
                       [0, 1], [1, 3, 112, 112]), the features `relu3_1`/`relu4_1`/`relu5_1`,
                       and outputs `out_<bn>_s<strength>` (RGB in [0, 1], clamped, uncropped
                       since 112 is a multiple of 112) for (bn, strength) in (instance, 0),
                       (instance, 1), (running, 1).
- original_pipeline_100x90.safetensors, original_pipeline_131x117.safetensors  the same for
                       photos whose sides are not multiples of 112 (width x height), run as
                       the release runs them: normalise, zero-pad (in normalised space) to a
                       multiple of 112 with the photo at offset (floor(extra / 2)) on each axis,
                       run, crop back. `input` is the photo ([1, 3, H, W]); the features are
                       those of the padded input; the outputs are cropped back to H x W. The
                       larger photo (padded to 224x224, odd padding on both axes) carries only
                       `out_instance_s1_0` and `out_running_s1_0`, to keep the fixture small.

The networks below restate the original release's structure (module names matter: they are
the state-dict keys), with the test script's semantics: bilinear upsampling with
align_corners=True (PyTorch 0.3's only behaviour), the decoder output added to the normalised
input, and (instance) the decoder's batch norms left in training mode as the script left them.
"""
import os
from collections import OrderedDict

# Before torch is imported: oneDNN reads it once (see the docstring).
os.environ.setdefault("ONEDNN_MAX_CPU_ISA", "AVX2")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from safetensors.torch import save_file  # noqa: E402

WIDTH = 1 / 32
C64, C128, C256, C512 = (max(1, round(c * WIDTH)) for c in (64, 128, 256, 512))
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "Tests", "FaceletImportTests", "Fixtures")
MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)

VGG_CONVS = [("conv1_1", 3, C64), ("conv1_2", C64, C64), "pool",
             ("conv2_1", C64, C128), ("conv2_2", C128, C128), "pool",
             ("conv3_1", C128, C256), ("conv3_2", C256, C256), ("conv3_3", C256, C256),
             ("conv3_4", C256, C256), "pool",
             ("conv4_1", C256, C512), ("conv4_2", C512, C512), ("conv4_3", C512, C512),
             ("conv4_4", C512, C512), "pool",
             ("conv5_1", C512, C512), ("conv5_2", C512, C512), ("conv5_3", C512, C512),
             ("conv5_4", C512, C512), "pool"]


def randomise(module, generator):
    """Seeded weights that keep activations in a sane range."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            fan_in = m.weight[0].numel()
            with torch.no_grad():
                m.weight.copy_(torch.randn(m.weight.shape, generator=generator)
                               * (2.0 / fan_in) ** 0.5 * 0.8)
                m.bias.copy_(torch.randn(m.bias.shape, generator=generator) * 0.05)
        elif isinstance(m, nn.BatchNorm2d):
            with torch.no_grad():
                m.weight.copy_(0.5 + torch.rand(m.weight.shape, generator=generator))
                m.bias.copy_(torch.randn(m.bias.shape, generator=generator) * 0.1)
                mean = torch.randn(m.running_mean.shape, generator=generator)
                m.running_mean.copy_(mean * 0.2)
                m.running_var.copy_(0.5 + torch.rand(m.running_var.shape, generator=generator))
                m.num_batches_tracked.fill_(1234)


# ---------------------------------------------------------------- the original release


class OriginalEncoder(nn.Module):
    """VGG-19 to relu5_1 in three blocks ending at relu3_1, relu4_1, relu5_1."""

    def __init__(self):
        super().__init__()
        blocks, current, names = [], [], []
        for item in VGG_CONVS[:VGG_CONVS.index(("conv5_1", C512, C512)) + 1]:
            if item == "pool":
                current.append(("pool%d" % (len(names) + 1), nn.MaxPool2d(2, 2)))
                continue
            name, cin, cout = item
            current.append((name, nn.Conv2d(cin, cout, 3, padding=1)))
            current.append(("relu" + name[4:], nn.ReLU()))
            if name in ("conv3_1", "conv4_1", "conv5_1"):
                blocks.append(nn.Sequential(OrderedDict(current)))
                current = []
            names.append(name)
        self.features_1, self.features_2, self.features_3 = blocks

    def forward(self, x):
        f1 = self.features_1(x)
        f2 = self.features_2(f1)
        return f1, f2, self.features_3(f2)


class ConvStack(nn.Module):
    """n x (conv 3x3, BN, ReLU); state-dict keys conv.i.* and norm.i.* as in the release
    (which named its modules "conv.1", a name recent PyTorch refuses, hence the dicts)."""

    def __init__(self, n, cin, cout):
        super().__init__()
        self.n = n
        self.conv = nn.ModuleDict({str(i): nn.Conv2d(cin if i == 1 else cout, cout, 3, padding=1)
                                   for i in range(1, n + 1)})
        self.norm = nn.ModuleDict({str(i): nn.BatchNorm2d(cout) for i in range(1, n + 1)})

    def forward(self, x):
        for i in range(1, self.n + 1):
            x = F.relu(self.norm[str(i)](self.conv[str(i)](x)))
        return x


class ConvNorm(nn.Module):
    def __init__(self, conv, cout):
        super().__init__()
        self.conv = conv
        self.norm = nn.BatchNorm2d(cout)

    def forward(self, x):
        return self.norm(self.conv(x))


class Interp(nn.Module):
    """Conv 3x3 then BN, no activation: keys interp.conv.*, interp.norm.*."""

    def __init__(self, cin, cout):
        super().__init__()
        self.interp = ConvNorm(nn.Conv2d(cin, cout, 3, padding=1), cout)

    def forward(self, x):
        return self.interp(x)


class Unpool(nn.Module):
    """Present in the release's state dict, never used by its forward pass."""

    def __init__(self, cin, cout):
        super().__init__()
        self.unpool = ConvNorm(nn.ConvTranspose2d(cin, cout, 4, stride=2, padding=1), cout)


def up(x):
    return F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=True)


class OriginalDecoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.recon5 = ConvStack(3, C512, C512)
        self.upool4 = Unpool(C512, C512)
        self.upsample4 = Interp(C512, C512)
        self.recon4 = ConvStack(3, C512, C512)
        self.upool3 = Unpool(C512, C256)
        self.upsample3 = Interp(C512, C256)
        self.recon3 = ConvStack(3, C256, C256)
        self.upool2 = Unpool(C256, C128)
        self.upsample2 = Interp(C256, C128)
        self.recon2 = ConvStack(2, C128, C128)
        self.upool1 = Unpool(C128, C64)
        self.upsample1 = Interp(C128, C64)
        self.recon1 = ConvStack(1, C64, C64)
        self.recon0 = nn.Conv2d(C64, 3, 3, padding=1)

    def forward(self, features):
        f1, f2, f3 = features
        x = self.upsample4(up(self.recon5(f3)))
        x = self.upsample3(up(self.recon4(x + f2)))
        x = self.upsample2(up(self.recon3(x + f1)))
        x = self.upsample1(up(self.recon2(x)))
        return self.recon0(self.recon1(x))


class BankLevel(nn.Module):
    """Reflect-pad conv, ReLU, zero-pad conv, ReLU, reflect-pad conv (indices 1, 3, 6)."""

    def __init__(self, c):
        super().__init__()
        self.model = nn.Sequential(nn.ReflectionPad2d(1), nn.Conv2d(c, c, 3), nn.ReLU(),
                                   nn.Conv2d(c, c, 3, padding=1), nn.ReLU(),
                                   nn.ReflectionPad2d(1), nn.Conv2d(c, c, 3))

    def forward(self, x):
        return self.model(x)


class OriginalBank(nn.Module):
    def __init__(self):
        super().__init__()
        self.w_1, self.w_2, self.w_3 = BankLevel(C256), BankLevel(C512), BankLevel(C512)

    def forward(self, features):
        return [w(f) for w, f in zip((self.w_1, self.w_2, self.w_3), features)]


QUANTUM = 112


def fit_to_quantum(x):
    """The release's FitToQuantum on a normalised [1, 3, H, W] tensor: zeros up to a multiple
    of 112 on each axis, the photo at offset floor(extra / 2). Returns the padded tensor and
    the offsets (top, left)."""
    _, c, h, w = x.shape
    top = 0 if h % QUANTUM == 0 else (QUANTUM - h % QUANTUM) // 2
    left = 0 if w % QUANTUM == 0 else (QUANTUM - w % QUANTUM) // 2
    padded = torch.zeros(1, c, -(-h // QUANTUM) * QUANTUM, -(-w // QUANTUM) * QUANTUM)
    padded[:, :, top:top + h, left:left + w] = x
    return padded, (top, left)


def original_pipeline(image, encoder, bank, decoder, strength):
    """The release's test: normalise, pad to a multiple of 112, encode, add strength x bank,
    decode, add the (padded) input, denormalise, clamp, and centre-crop back to the photo
    (util.center_crop starts at floor(extra / 2), where the padding put the photo). Returns
    the output and the features of the padded input."""
    h, w = image.shape[2:]
    x, (top, left) = fit_to_quantum((image - MEAN) / STD)
    features = encoder(x)
    delta = bank(features)
    edited = [f + strength * d for f, d in zip(features, delta)]
    y = decoder(edited) + x
    out = (y * STD + MEAN).clamp(0, 1)
    return out[:, :, top:top + h, left:left + w], features


def smooth_photo(width, height, seed):
    """A smooth photo with noise whose values are exact multiples of 1/255, [1, 3, H, W]."""
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float64)
    rgb = np.stack([128 + 100 * np.sin(xs / 9.0) * np.cos(ys / 13.0),
                    128 + 90 * np.cos((xs + ys) / 17.0),
                    128 + 80 * np.sin(ys / 7.0 + 1.0)])
    rng = np.random.default_rng(seed)
    rgb = np.clip(np.round(rgb + rng.normal(0, 6, rgb.shape)), 0, 255) / 255.0
    return torch.tensor(rgb, dtype=torch.float32).unsqueeze(0)


def save_pipeline(name, image, cases, encoder, bank, decoder):
    """Runs the pipeline for each (bn mode, strength) in `cases` and saves the input, the
    features and the outputs `out_<bn>_s<strength>` to <name>.safetensors."""
    outputs = OrderedDict(input=image.clone())
    encoder.eval()
    bank.eval()
    with torch.no_grad():
        for mode, strength in cases:
            decoder.train(mode == "instance")
            saved = {k: v.clone() for k, v in decoder.state_dict().items()}
            out, feats = original_pipeline(image, encoder, bank, decoder, strength)
            decoder.load_state_dict(saved)  # training-mode BN moved the running stats
            outputs["out_%s_s%s" % (mode, str(strength).replace(".", "_"))] = out
        for level, f in zip(("relu3_1", "relu4_1", "relu5_1"), feats):
            outputs[level] = f
    save_file(contiguous(outputs), os.path.join(OUT, name + ".safetensors"))


def save_legacy(state, name):
    """torch.save in the legacy format, unless the file already holds exactly these tensors:
    its storage keys are storage addresses, so a rewrite would change bytes, not content."""
    path = os.path.join(OUT, name)
    if os.path.exists(path):
        old = torch.load(path, weights_only=True)
        if list(old) == list(state) and all(torch.equal(old[k], state[k]) for k in state):
            return
    torch.save(state, path, _use_new_zipfile_serialization=False)


# ---------------------------------------------------------------- torchvision / timm layouts


def torchvision_features(generator):
    layers = []
    for item in VGG_CONVS:
        if item == "pool":
            layers.append(nn.MaxPool2d(2, 2))
        else:
            layers += [nn.Conv2d(item[1], item[2], 3, padding=1), nn.ReLU()]
    features = nn.Sequential(*layers)
    randomise(features, generator)
    return features


def contiguous(state):
    return OrderedDict((k, v.detach().clone().contiguous()) for k, v in state.items())


def save_expected(name, state):
    save_file(contiguous(state), os.path.join(OUT, name + ".expected.safetensors"))


def main():
    os.makedirs(OUT, exist_ok=True)
    generator = torch.Generator().manual_seed(20180618)

    # torchvision VGG-19 with a small classifier; a strided view and an offset view.
    features = torchvision_features(generator)
    state = OrderedDict(("features." + k, v.detach().clone())
                        for k, v in features.state_dict().items())
    state["classifier.0.weight"] = torch.randn(8, C512 * 49, generator=generator)
    state["classifier.0.bias"] = torch.randn(8, generator=generator)
    state["classifier.6.weight"] = torch.randn(10, 8, generator=generator)
    state["classifier.6.bias"] = torch.randn(10, generator=generator)
    w0 = state["features.0.weight"]
    state["features.0.weight"] = w0.permute(3, 2, 1, 0).contiguous().permute(3, 2, 1, 0)
    assert not state["features.0.weight"].is_contiguous()
    padded = torch.cat([torch.randn(5, generator=generator), state["features.0.bias"]])
    state["features.0.bias"] = padded[5:]
    assert state["features.0.bias"].storage_offset() == 5
    torch.save(state, os.path.join(OUT, "tv_vgg19.pth"))
    save_expected("tv_vgg19", state)

    timm = OrderedDict((k, v.detach().clone().contiguous()) for k, v in state.items()
                       if not k.startswith("classifier."))
    timm["pre_logits.fc1.weight"] = torch.randn(8, C512, 7, 7, generator=generator)
    timm["pre_logits.fc1.bias"] = torch.randn(8, generator=generator)
    timm["head.fc.weight"] = torch.randn(10, 8, generator=generator)
    timm["head.fc.bias"] = torch.randn(10, generator=generator)
    save_file(timm, os.path.join(OUT, "timm_vgg19.safetensors"))

    # The original release: encoder, decoder, one bank.
    encoder, decoder, bank = OriginalEncoder(), OriginalDecoder(), OriginalBank()
    for module in (encoder, decoder, bank):
        randomise(module, generator)
    torch.save(encoder.state_dict(), os.path.join(OUT, "original_encoder.pth"))
    save_expected("original_encoder", encoder.state_dict())
    torch.save(decoder.state_dict(), os.path.join(OUT, "original_decoder.pth"))
    save_expected("original_decoder", decoder.state_dict())
    save_legacy(bank.state_dict(), "original_facehair.pth")
    save_expected("original_facehair", bank.state_dict())
    half = OrderedDict((k, nn.Parameter(v.detach().half(), requires_grad=True))
                       for k, v in bank.state_dict().items())
    torch.save({"epoch": 3, "state_dict": half}, os.path.join(OUT, "bank_half_wrapped.pth"),
               pickle_protocol=4)

    # The pipeline on smooth photos: 112x112 (no padding), 100x90 (padded to 112x112) and
    # 131x117 (padded to 224x224, 46/47 columns and 53/54 rows: odd on both axes).
    all_cases = [("instance", 0.0), ("instance", 1.0), ("running", 1.0)]
    save_pipeline("original_pipeline", smooth_photo(112, 112, seed=7), all_cases,
                  encoder, bank, decoder)
    save_pipeline("original_pipeline_100x90", smooth_photo(100, 90, seed=8), all_cases,
                  encoder, bank, decoder)
    save_pipeline("original_pipeline_131x117", smooth_photo(131, 117, seed=9), all_cases[1:],
                  encoder, bank, decoder)
    for name in sorted(os.listdir(OUT)):
        print("%8d  %s" % (os.path.getsize(os.path.join(OUT, name)), name))


if __name__ == "__main__":
    main()
