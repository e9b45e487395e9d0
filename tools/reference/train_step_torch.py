"""The training steps of `training/benches/training_step.rs`, in PyTorch on the CPU, for the same nets.

One step = forward + loss + backward + Adam update on one batch of random input, as each family trains:

- `ae`: the emotion study arm's masked CNN autoencoder (conv 3x3 same + ReLU + max-pool 2x2 per block; conv +
  ReLU + nearest upsample x2 back; a 1-filter conv), Huber (delta 1) + 1e-4 * mean(first activation^2),
  1 x 216 x 128 inputs.
- `tagger`: the flat / ResAtt tagger that ships as content, emotion, genre and instruments (conv 3x3 without
  bias + batch norm + ReLU + average pool 2x2 per block, filters doubling; max + mean over time, bands
  flattened; dense embedding + ReLU; dropout; sigmoid fine tags; ResAtt: coarse = fine^T . softmax_fine(linear
  of the embedding)); BCE on the fine tags (ResAtt: lambda 0.8 fine + 0.2 coarse).
- `temporal`: Pons & Serra's O-net + P-net (1-by-n filters over time per band, ReLU, max-pool 4 bands x all
  frames; 50 % dropout; dense), cross-entropy, 250 x 40 inputs. PyTorch runs each P-net length as its own
  convolution (oneDNN handles them well); burn runs them as one banded matrix product.
- `frames`: the vocal frame stream (2 stacked LSTMs of 64, attention pooling e_t = v . tanh(W h_t + b), FC 32
  + ReLU, classifier), cross-entropy, 728 frames of 67 features.

Prints the median seconds per step (after two warm-up steps) on stdout.
"""

import argparse
import statistics
import time

import torch
from torch import nn
from torch.nn import functional as F


class Autoencoder(nn.Module):
    def __init__(self, filters):
        super().__init__()
        channels = [1] + filters
        self.encoder = nn.ModuleList(nn.Conv2d(channels[i], channels[i + 1], 3, padding=1) for i in range(len(filters)))
        back = list(reversed(filters))
        decoder_in = [filters[-1]] + back[:-1]
        self.decoder = nn.ModuleList(nn.Conv2d(decoder_in[i], back[i], 3, padding=1) for i in range(len(filters)))
        self.output = nn.Conv2d(filters[0], 1, 3, padding=1)

    def forward(self, x):
        first = None
        for conv in self.encoder:
            h = torch.relu(conv(x))
            first = h if first is None else first
            x = F.max_pool2d(h, 2, 2)
        for conv in self.decoder:
            x = F.interpolate(torch.relu(conv(x)), scale_factor=2, mode="nearest")
        return self.output(x), first


class Tagger(nn.Module):
    def __init__(self, mels, width, blocks, embedding, fine, coarse, resatt):
        super().__init__()
        channels, layers = 1, []
        for i in range(blocks):
            filters = width << i
            layers += [nn.Conv2d(channels, filters, 3, padding=1, bias=False), nn.BatchNorm2d(filters)]
            channels = filters
        self.layers = nn.ModuleList(layers)
        self.embedding = nn.Linear(channels * (mels >> blocks), embedding)
        self.dropout = nn.Dropout(0.2)
        self.fine = nn.Linear(embedding, fine)
        self.attention = nn.Linear(embedding, fine * coarse) if resatt else None
        self.coarse = coarse

    def forward(self, x):
        for conv, norm in zip(self.layers[0::2], self.layers[1::2]):
            x = F.avg_pool2d(torch.relu(norm(conv(x))), 2, 2)
        pooled = x.amax(dim=2) + x.mean(dim=2)
        z = self.dropout(torch.relu(self.embedding(pooled.flatten(1))))
        fine = torch.sigmoid(self.fine(z))
        if self.attention is None:
            return fine, None
        weights = torch.softmax(self.attention(z).view(-1, fine.shape[1], self.coarse), dim=1)
        return fine, torch.bmm(fine.unsqueeze(1), weights).squeeze(1)


ONET_LENGTHS = [6, 11, 16, 21, 26, 31, 36, 41]
PNET_LENGTHS = [46 + 5 * f for f in range(35)]


class Temporal(nn.Module):
    def __init__(self, frames, mels, classes, onet, pnet):
        super().__init__()
        lengths = [(n, 5 * onet) for n in ONET_LENGTHS if onet] + [(n, pnet) for n in PNET_LENGTHS if pnet]
        self.convs = nn.ModuleList(nn.Conv2d(1, f, (n, 1)) for n, f in lengths)
        self.dropout = nn.Dropout(0.5)
        self.output = nn.Linear(sum(f for _, f in lengths) * (mels // 4), classes)

    def forward(self, x):
        features = []
        for conv in self.convs:
            y = torch.relu(conv(x))
            features.append(F.max_pool2d(y, (y.shape[2], 4)).flatten(1))
        return self.output(self.dropout(torch.cat(features, 1)))


class FrameStream(nn.Module):
    def __init__(self, features, hidden, layers, attention, fc, classes):
        super().__init__()
        self.lstm = nn.LSTM(features, hidden, layers, batch_first=True)
        self.attention = nn.Linear(hidden, attention)
        self.score = nn.Linear(attention, 1, bias=False)
        self.fc = nn.Linear(hidden, fc)
        self.output = nn.Linear(fc, classes)

    def forward(self, x):
        h, _ = self.lstm(x)
        weights = torch.softmax(self.score(torch.tanh(self.attention(h))).squeeze(2), dim=1)
        pooled = torch.bmm(weights.unsqueeze(1), h).squeeze(1)
        return self.output(torch.relu(self.fc(pooled)))


def step_function(args, batch):
    """The net, its optimiser and one step's closure."""
    ints = lambda text: [int(v) for v in text.split(",")]
    if args.net == "ae":
        model = Autoencoder(ints(args.filters))
        x = torch.rand(batch, 1, 216, 128)
        huber = nn.HuberLoss(delta=1.0)

        def loss():
            reconstruction, first = model(x)
            return huber(reconstruction, x) + 1e-4 * first.pow(2).mean()

    elif args.net == "tagger":
        model = Tagger(args.mels, args.width, args.blocks, args.embedding, args.fine, args.coarse, args.resatt)
        x = torch.randn(batch, 1, args.frames, args.mels)
        fine_target = (torch.rand(batch, args.fine) < 0.2).float()
        coarse_target = (torch.rand(batch, args.coarse) < 0.3).float()

        def loss():
            fine, coarse = model(x)
            value = F.binary_cross_entropy(fine.clamp(1e-7, 1 - 1e-7), fine_target)
            if coarse is None:
                return value
            return 0.8 * value + 0.2 * F.binary_cross_entropy(coarse.clamp(1e-7, 1 - 1e-7), coarse_target)

    elif args.net == "temporal":
        model = Temporal(args.frames, args.mels, args.classes, args.onet, args.pnet)
        x = torch.randn(batch, 1, args.frames, args.mels)
        target = torch.randint(0, args.classes, (batch,))

        def loss():
            return F.cross_entropy(model(x), target)

    elif args.net == "frames":
        model = FrameStream(args.mels, args.hidden, args.layers, 32, 32, args.classes)
        x = torch.randn(batch, args.frames, args.mels)
        target = torch.randint(0, args.classes, (batch,))

        def loss():
            return F.cross_entropy(model(x), target)

    else:
        raise SystemExit(f"unknown net {args.net}")
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step():
        optimizer.zero_grad()
        loss().backward()
        optimizer.step()

    return step


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--net", default="ae", choices=["ae", "tagger", "temporal", "frames"])
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--steps", type=int, default=7)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--filters", default="32,16,8")
    parser.add_argument("--frames", type=int, default=256)
    parser.add_argument("--mels", type=int, default=64)
    parser.add_argument("--width", type=int, default=8)
    parser.add_argument("--blocks", type=int, default=4)
    parser.add_argument("--embedding", type=int, default=64)
    parser.add_argument("--fine", type=int, default=2)
    parser.add_argument("--coarse", type=int, default=2)
    parser.add_argument("--resatt", action="store_true")
    parser.add_argument("--classes", type=int, default=13)
    parser.add_argument("--onet", type=int, default=1)
    parser.add_argument("--pnet", type=int, default=1)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--layers", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    step = step_function(args, args.batch)
    times = []
    for n in range(args.steps + 2):
        start = time.perf_counter()
        step()
        if n >= 2:
            times.append(time.perf_counter() - start)
    print(statistics.median(times))


if __name__ == "__main__":
    main()
