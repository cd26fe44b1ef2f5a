# The peer for gpucheck: the same MLP step (784-512-512-10, batch 128, SGD 0.1) on the same GPU; prints steps/s.
import sys, torch
from torch_timing import report_steps_per_second
steps = int(sys.argv[1]) if len(sys.argv) > 1 else 200
dev = torch.device("cuda")
model = torch.nn.Sequential(torch.nn.Linear(784, 512), torch.nn.ReLU(), torch.nn.Linear(512, 512), torch.nn.ReLU(), torch.nn.Linear(512, 10)).to(dev)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
x = torch.rand(128, 784, device=dev)
y = torch.arange(128, device=dev) % 10
loss_fn = torch.nn.CrossEntropyLoss()
def step():
    opt.zero_grad(set_to_none=True)
    loss = loss_fn(model(x), y)
    loss.backward()
    opt.step()
    return loss
report_steps_per_second(step, steps)
