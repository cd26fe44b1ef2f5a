using ILGPU;
using ILGPU.Runtime;
using static DataflowNet.Kernels.Gpu.GpuKernels;

using V = ILGPU.Runtime.ArrayView1D<float, ILGPU.Stride1D.Dense>;

namespace DataflowNet.Kernels.Gpu;

/// <summary>
/// Losses: softmax cross-entropy (dense and sparse labels) fused with its gradient, as TensorFlow's kernels, and
/// InTopKV2. One thread per row. (L2Loss is a reduction: GpuReductionKernels.)
/// </summary>
internal static class GpuLossKernels
{
    public static void Register(KernelRegistry r, GpuDevice device)
    {
        var acc = device.Accelerator;
        r.Register("SoftmaxCrossEntropyWithLogits", F32, SoftmaxCrossEntropy(acc, device));
        r.Register("SparseSoftmaxCrossEntropyWithLogits", F32, SparseSoftmaxCrossEntropy(acc, device));
        r.Register("InTopKV2", F32, InTopK(acc, device), hostMemory: [2]);
    }

    /// <summary>TensorFlow's fused op: loss[i] = Σ labels·(log Σ e^(x−max) − (x−max)), backprop = softmax − labels.</summary>
    private static Kernel SoftmaxCrossEntropy(Accelerator acc, GpuDevice device)
    {
        var kernel = new Lazy<Action<Index1D, V, V, V, V, int>>(() => acc.LoadAutoGroupedStreamKernel<Index1D, V, V, V, V, int>(SoftmaxCrossEntropyKernel));
        return ctx =>
        {
            var (x, labels) = (ctx.Input(0), ctx.Input(1));
            NnChecks.CrossEntropyInputs(ctx, x, labels, sparse: false);
            var loss = ctx.AllocateDeviceOutput(0, device, [x.Dims[0]]);
            var backprop = ctx.AllocateDeviceOutput(1, device, x.Dims);
            if (x.Dims[1] == 0 && loss.size > 0) View(loss, ctx, 0).MemSetToZero(); // no class: nothing to lose
            if (x.size > 0) kernel.Value(x.Dims[0], View(x, ctx, 0), View(labels, ctx, 1), View(loss, ctx, 0), View(backprop, ctx, 1), x.Dims[1]);
        };
    }

    private static void SoftmaxCrossEntropyKernel(Index1D row, V x, V labels, V loss, V backprop, int n)
    {
        int start = row * n;
        float max = x[start];
        for (int j = 1; j < n; j++) max = MathF.Max(max, x[start + j]);
        float sum = 0;
        for (int j = 0; j < n; j++) sum += GpuMath.Exp(x[start + j] - max);
        float logSum = GpuMath.Log(sum), total = 0;
        for (int j = 0; j < n; j++)
        {
            float shifted = x[start + j] - max;
            total += labels[start + j] * (logSum - shifted);
            backprop[start + j] = GpuMath.Exp(shifted) / sum - labels[start + j];
        }
        loss[row] = total;
    }

    /// <summary>
    /// Sparse labels (int32 or int64, in device memory): loss[i] = log Σ e^x − x[label], backprop = softmax − onehot.
    /// A label out of [0, classes) is an error, as on the CPU: the kernel records the first bad row in a one-int flag,
    /// and only that flag comes back to the host (the labels themselves only to word the error).
    /// </summary>
    private static Kernel SparseSoftmaxCrossEntropy(Accelerator acc, GpuDevice device)
    {
        var k32 = new Lazy<Action<Index1D, V, ArrayView1D<int, Stride1D.Dense>, V, V, ArrayView1D<int, Stride1D.Dense>, int>>(() =>
            acc.LoadAutoGroupedStreamKernel<Index1D, V, ArrayView1D<int, Stride1D.Dense>, V, V, ArrayView1D<int, Stride1D.Dense>, int>(SparseKernel32));
        var k64 = new Lazy<Action<Index1D, V, ArrayView1D<long, Stride1D.Dense>, V, V, ArrayView1D<int, Stride1D.Dense>, int>>(() =>
            acc.LoadAutoGroupedStreamKernel<Index1D, V, ArrayView1D<long, Stride1D.Dense>, V, V, ArrayView1D<int, Stride1D.Dense>, int>(SparseKernel64));
        return ctx =>
        {
            var (x, labels) = (ctx.Input(0), ctx.Input(1));
            NnChecks.CrossEntropyInputs(ctx, x, labels, sparse: true);
            int n = x.Dims[0], classes = x.Dims[1];
            var loss = ctx.AllocateDeviceOutput(0, device, [n]);
            var backprop = ctx.AllocateDeviceOutput(1, device, x.Dims);
            if (n == 0) return;
            using var flag = NewFlag(device, ctx, int.MaxValue);
            if (labels.dtype == DataType.Int64) k64.Value(n, View(x, ctx, 0), View<long>(labels, ctx, 1), View(loss, ctx, 0), View(backprop, ctx, 1), flag.View, classes);
            else k32.Value(n, View(x, ctx, 0), View<int>(labels, ctx, 1), View(loss, ctx, 0), View(backprop, ctx, 1), flag.View, classes);
            var badRow = ReadFlag(flag);
            if (badRow != int.MaxValue)
            {
                var all = labels.OnDevice!.ToHost(labels.dtype, labels.Dims).ToArray<long>();
                throw ctx.Error($"Received a label value of {all[badRow]} which is outside the valid range of [0, {classes}). Label values: {string.Join(" ", all.Take(20))}");
            }
        };
    }

    private static void SparseKernel32(Index1D row, V x, ArrayView1D<int, Stride1D.Dense> labels, V loss, V backprop, ArrayView1D<int, Stride1D.Dense> badRow, int n) =>
        SparseRow(row, x, labels[row], loss, backprop, badRow, n);

    private static void SparseKernel64(Index1D row, V x, ArrayView1D<long, Stride1D.Dense> labels, V loss, V backprop, ArrayView1D<int, Stride1D.Dense> badRow, int n) =>
        SparseRow(row, x, labels[row], loss, backprop, badRow, n);

    private static void SparseRow(int row, V x, long label, V loss, V backprop, ArrayView1D<int, Stride1D.Dense> badRow, int n)
    {
        if (label < 0 || label >= n)
        {
            Atomic.Min(ref badRow[0], row);
            return;
        }
        int start = row * n;
        float max = x[start];
        for (int j = 1; j < n; j++) max = MathF.Max(max, x[start + j]);
        float sum = 0;
        for (int j = 0; j < n; j++) sum += GpuMath.Exp(x[start + j] - max);
        for (int j = 0; j < n; j++) backprop[start + j] = GpuMath.Exp(x[start + j] - max) / sum;
        backprop[start + (int)label] -= 1f;
        loss[row] = GpuMath.Log(sum) - (x[start + (int)label] - max); // x − max is exact: no cancellation of large values
    }

    /// <summary>
    /// InTopKV2(predictions, targets, k): target t of row i is in the top k when fewer than k classes score strictly
    /// higher (ties in the target's favour); false for a target out of range or a non-finite prediction, as the CPU.
    /// </summary>
    private static Kernel InTopK(Accelerator acc, GpuDevice device)
    {
        var k32 = new Lazy<Action<Index1D, V, ArrayView1D<int, Stride1D.Dense>, ArrayView1D<byte, Stride1D.Dense>, int, int>>(() =>
            acc.LoadAutoGroupedStreamKernel<Index1D, V, ArrayView1D<int, Stride1D.Dense>, ArrayView1D<byte, Stride1D.Dense>, int, int>(InTopKKernel32));
        var k64 = new Lazy<Action<Index1D, V, ArrayView1D<long, Stride1D.Dense>, ArrayView1D<byte, Stride1D.Dense>, int, int>>(() =>
            acc.LoadAutoGroupedStreamKernel<Index1D, V, ArrayView1D<long, Stride1D.Dense>, ArrayView1D<byte, Stride1D.Dense>, int, int>(InTopKKernel64));
        return ctx =>
        {
            var (p, targets) = (ctx.Input(0), ctx.Input(1));
            int k = (int)ctx.Input(2).item<long>(); // host memory
            if (p.ndim != 2) throw ctx.Error($"predictions must be a matrix, got shape {TensorShape.Format(p.Dims)}");
            int n = p.Dims[0], classes = p.Dims[1];
            if (targets.size != n) throw ctx.Error($"targets has {targets.size} entries for {n} rows of predictions.");
            var y = ctx.AllocateDeviceOutput(0, device, [n]);
            if (n == 0) return;
            if (targets.dtype == DataType.Int64) k64.Value(n, View(p, ctx, 0), View<long>(targets, ctx, 1), View<byte>(y, ctx, 0), classes, k);
            else k32.Value(n, View(p, ctx, 0), View<int>(targets, ctx, 1), View<byte>(y, ctx, 0), classes, k);
        };
    }

    private static void InTopKKernel32(Index1D row, V p, ArrayView1D<int, Stride1D.Dense> targets, ArrayView1D<byte, Stride1D.Dense> y, int classes, int k) =>
        y[row] = InTopKRow(row, p, targets[row], classes, k);

    private static void InTopKKernel64(Index1D row, V p, ArrayView1D<long, Stride1D.Dense> targets, ArrayView1D<byte, Stride1D.Dense> y, int classes, int k) =>
        y[row] = InTopKRow(row, p, targets[row], classes, k);

    private static byte InTopKRow(int row, V p, long t, int classes, int k)
    {
        if (t < 0 || t >= classes) return 0;
        int start = row * classes;
        float target = p[start + (int)t];
        if (float.IsNaN(target) || float.IsInfinity(target)) return 0;
        int higher = 0;
        for (int c = 0; c < classes; c++)
        {
            float pc = p[start + c];
            if (float.IsNaN(pc) || float.IsInfinity(pc)) return 0; // any non-finite prediction: cannot say (as the CPU)
            if (pc > target) higher++;
        }
        return higher < k ? (byte)1 : (byte)0;
    }
}
