using TorchSharp;
using static TorchSharp.torch;
using TorchTensor = TorchSharp.torch.Tensor;

namespace DataflowNet.Benchmarks;

/// <summary>
/// The peer's side of each workload: TorchSharp (libtorch's CPU kernels), written idiomatically: eager tensors,
/// modules and torch.optim, with a DisposeScope per step so native tensors are freed at once as TorchSharp advises.
/// </summary>
public static class TorchWorkloads
{
    private static bool _initialised;

    /// <summary>Loads libtorch and sets its intra-op threads to the machine's cores (libtorch's default on most machines too).</summary>
    public static void Initialise(int threads)
    {
        if (_initialised) return;
        torch.set_num_threads(threads);
        _initialised = true;
    }

    public static string Describe() =>
        $"TorchSharp {typeof(torch).Assembly.GetName().Version?.ToString(3)} (libtorch {torch.__version__} CPU), {torch.get_num_threads()} intra-op threads";

    public static IBench MatMul(int n)
    {
        torch.manual_seed(1);
        var a = randn(n, n);
        var b = randn(n, n);
        return new ActionBench(() => { using var c = a.mm(b); }, () => { a.Dispose(); b.Dispose(); });
    }

    public sealed class Mlp : IBench
    {
        private readonly nn.Module<TorchTensor, TorchTensor> _model;
        private readonly optim.Optimizer _optimizer;
        private readonly TorchTensor[] _x, _y;
        private int _next;

        public Mlp(MlpData data)
        {
            const int batch = DataflowNetWorkloads.Mlp.Batch;
            torch.manual_seed(1);
            _model = nn.Sequential(
                ("hidden1", nn.Linear(DataflowNetWorkloads.Mlp.Inputs, DataflowNetWorkloads.Mlp.Hidden)), ("relu1", nn.ReLU()),
                ("hidden2", nn.Linear(DataflowNetWorkloads.Mlp.Hidden, DataflowNetWorkloads.Mlp.Hidden)), ("relu2", nn.ReLU()),
                ("output", nn.Linear(DataflowNetWorkloads.Mlp.Hidden, DataflowNetWorkloads.Mlp.Classes)));
            _optimizer = optim.SGD(_model.parameters(), 0.01);
            // The batches as a data loader would hand them over: tensors already, one-hot float targets (class probabilities).
            _x = data.ImageArrays.Select(a => tensor(a, [batch, DataflowNetWorkloads.Mlp.Inputs])).ToArray();
            _y = data.LabelArrays.Select(a => tensor(a, [batch, DataflowNetWorkloads.Mlp.Classes])).ToArray();
        }

        public void Step()
        {
            int i = _next++ % MlpData.Count;
            using var scope = NewDisposeScope();
            _optimizer.zero_grad();
            var logits = _model.forward(_x[i]);
            var loss = nn.functional.cross_entropy(logits, _y[i]);
            loss.backward();
            _optimizer.step();
        }

        public void Dispose()
        {
            foreach (var t in _x.Concat(_y)) t.Dispose();
            _optimizer.Dispose();
            _model.Dispose();
        }
    }

    /// <summary>
    /// The same CNN step as <see cref="DataflowNetWorkloads.Cnn"/>, as a TorchSharp user writes it: an nn.Sequential of
    /// Conv2d (padding 2, i.e. SAME for 5x5), ReLU, MaxPool2d(2), ..., Flatten, Linear, with optim.SGD(lr 0.01) and
    /// cross_entropy on one-hot float targets; NCHW [64, 1, 28, 28] batches, already tensors (with one channel, the
    /// same bytes as the NHWC batches fed to DataflowNet). libtorch's default initialisation, as the MLP row.
    /// </summary>
    public sealed class Cnn : IBench
    {
        private readonly nn.Module<TorchTensor, TorchTensor> _model;
        private readonly optim.Optimizer _optimizer;
        private readonly TorchTensor[] _x, _y;
        private int _next;

        public Cnn(MlpData data)
        {
            const int batch = DataflowNetWorkloads.Cnn.Batch, side = DataflowNetWorkloads.Cnn.Side;
            torch.manual_seed(1);
            _model = nn.Sequential(
                ("conv1", nn.Conv2d(1, DataflowNetWorkloads.Cnn.Conv1, 5, padding: 2)), ("relu1", nn.ReLU()), ("pool1", nn.MaxPool2d(2)),
                ("conv2", nn.Conv2d(DataflowNetWorkloads.Cnn.Conv1, DataflowNetWorkloads.Cnn.Conv2, 5, padding: 2)), ("relu2", nn.ReLU()), ("pool2", nn.MaxPool2d(2)),
                ("flatten", nn.Flatten()),
                ("fc1", nn.Linear(DataflowNetWorkloads.Cnn.Flat, DataflowNetWorkloads.Cnn.Hidden)), ("relu3", nn.ReLU()),
                ("fc2", nn.Linear(DataflowNetWorkloads.Cnn.Hidden, DataflowNetWorkloads.Cnn.Classes)));
            _optimizer = optim.SGD(_model.parameters(), 0.01);
            _x = data.ImageArrays.Select(a => tensor(a, [batch, 1, side, side])).ToArray();
            _y = data.LabelArrays.Select(a => tensor(a, [batch, DataflowNetWorkloads.Cnn.Classes])).ToArray();
        }

        public void Step()
        {
            int i = _next++ % MlpData.Count;
            using var scope = NewDisposeScope();
            _optimizer.zero_grad();
            var logits = _model.forward(_x[i]);
            var loss = nn.functional.cross_entropy(logits, _y[i]);
            loss.backward();
            _optimizer.step();
        }

        public void Dispose()
        {
            foreach (var t in _x.Concat(_y)) t.Dispose();
            _optimizer.Dispose();
            _model.Dispose();
        }
    }

    /// <summary>Eager: the 1-element input is made from a managed array (as a feed is), then <paramref name="ops"/> adds.</summary>
    public static IBench AddChain(int ops)
    {
        var input = new[] { 1f };
        return new ActionBench(() =>
        {
            using var scope = NewDisposeScope();
            var p = tensor(input);
            var t = p;
            for (int i = 0; i < ops; i++) t = t + p;
        });
    }

    /// <summary>
    /// y = relu(x * w + b) into a preallocated y. TorchSharp has no out= overloads; of the preallocated forms
    /// (y.copy_(x).mul_(w).add_(b).relu_(), y.copy_(b).addcmul_(x, w).relu_(), ...) the addcmul_ one is the fastest.
    /// </summary>
    public static IBench ReluAffine(int n)
    {
        torch.manual_seed(1);
        var x = randn(n);
        var w = randn(n);
        var b = randn(n);
        var y = zeros(n);
        return new ActionBench(
            () => { using var scope = NewDisposeScope(); y.copy_(b).addcmul_(x, w, 1).relu_(); },
            () => { x.Dispose(); w.Dispose(); b.Dispose(); y.Dispose(); });
    }
}
