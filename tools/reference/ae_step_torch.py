"""The autoencoder training step of `training/benches/autoencoder_step.rs`, in PyTorch on the CPU.

Same network (conv 3x3 same + ReLU + max-pool 2x2 per block; conv + ReLU + nearest upsample x2 back; a final
1-filter conv), same loss (Huber delta 1 + 1e-4 * mean(first conv activation^2)), Adam lr 1e-3, batch 16 of
1 x 216 x 128. Prints the median seconds per step (after two warm-up steps) on stdout.
"""

import argparse
import statistics
import time

import torch
from torch import nn


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
            x = nn.functional.max_pool2d(h, 2, 2)
        for conv in self.decoder:
            x = nn.functional.interpolate(torch.relu(conv(x)), scale_factor=2, mode="nearest")
        return self.output(x), first


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--filters", default="32,16,8")
    parser.add_argument("--steps", type=int, default=7)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    model = Autoencoder([int(f) for f in args.filters.split(",")])
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    huber = nn.HuberLoss(delta=1.0)
    x = torch.rand(16, 1, 216, 128)
    times = []
    for step in range(args.steps + 2):
        start = time.perf_counter()
        optimizer.zero_grad()
        reconstruction, first = model(x)
        loss = huber(reconstruction, x) + 1e-4 * first.pow(2).mean()
        loss.backward()
        optimizer.step()
        if step >= 2:
            times.append(time.perf_counter() - start)
    print(statistics.median(times))


if __name__ == "__main__":
    main()
