# gpucheck's PyTorch peers time their step the way gpucheck times its own: 10 warm-up steps, then the median steps/s
# of three rounds of `steps` (a step of a millisecond is at the mercy of the host's scheduling).
import time, torch

def report_steps_per_second(step, steps):
    for _ in range(10): step()
    torch.cuda.synchronize()
    rates = []
    for _ in range(3):
        t = time.perf_counter()
        for _ in range(steps): step()
        torch.cuda.synchronize()
        rates.append(steps / (time.perf_counter() - t))
    print(f"steps/s {sorted(rates)[1]:.1f}")
