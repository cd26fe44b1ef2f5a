# The peer for gpucheck's CNN step (the benchmark's: 28x28x1, conv 5x5x32 SAME + ReLU, max-pool 2, conv 5x5x64 SAME
# + ReLU, max-pool 2, dense 3136-1024 ReLU, dense 1024-10, softmax cross-entropy, SGD 0.01, batch 64) on the same GPU,
# in PyTorch's own layout (NCHW) and default settings; prints steps/s.
import sys, torch
from torch_timing import report_steps_per_second
steps = int(sys.argv[1]) if len(sys.argv) > 1 else 200
dev = torch.device("cuda")
model = torch.nn.Sequential(
    torch.nn.Conv2d(1, 32, 5, padding=2), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
    torch.nn.Conv2d(32, 64, 5, padding=2), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
    torch.nn.Flatten(), torch.nn.Linear(7 * 7 * 64, 1024), torch.nn.ReLU(), torch.nn.Linear(1024, 10)).to(dev)
opt = torch.optim.SGD(model.parameters(), lr=0.01)
x = torch.rand(64, 1, 28, 28, device=dev)
y = torch.arange(64, device=dev) % 10
loss_fn = torch.nn.CrossEntropyLoss()
def step():
    opt.zero_grad(set_to_none=True)
    loss = loss_fn(model(x), y)
    loss.backward()
    opt.step()
    return loss
report_steps_per_second(step, steps)
