# The peer for gpucheck: the same MLP step (784-512-512-10, batch 128, SGD 0.1) on the same GPU; prints steps/s.
import sys, time, torch
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
for _ in range(10): step()
torch.cuda.synchronize()
rates = []
for _ in range(3):  # the median of three rounds, as gpucheck reports its own
    t = time.perf_counter()
    for _ in range(steps): step()
    torch.cuda.synchronize()
    rates.append(steps / (time.perf_counter() - t))
print(f"steps/s {sorted(rates)[1]:.1f}")
