using ILGPU;
using ILGPU.Runtime;
using static DataflowNet.Kernels.Gpu.GpuKernels;

using V = ILGPU.Runtime.ArrayView1D<float, ILGPU.Stride1D.Dense>;

namespace DataflowNet.Kernels.Gpu;

/// <summary>Losses: softmax cross-entropy fused with its gradient, as TensorFlow's kernel.</summary>
internal static class GpuLossKernels
{
    public static void Register(KernelRegistry r, GpuDevice device)
    {
        var acc = device.Accelerator;
        r.Register("SoftmaxCrossEntropyWithLogits", [DataType.Float32], SoftmaxCrossEntropy(acc, device));
    }

    /// <summary>TensorFlow's fused op: loss[i] = Σ labels·(log Σ e^(x−max) − (x−max)), backprop = softmax − labels.</summary>
    private static Kernel SoftmaxCrossEntropy(Accelerator acc, GpuDevice device)
    {
        var kernel = new Lazy<Action<Index1D, V, V, V, V, int>>(() => acc.LoadAutoGroupedStreamKernel<Index1D, V, V, V, V, int>(SoftmaxCrossEntropyKernel));
        return ctx =>
        {
            var (x, labels) = (ctx.Input(0), ctx.Input(1));
            if (x.ndim != 2 || !x.Dims.AsSpan().SequenceEqual(labels.Dims))
                throw ctx.Error($"logits and labels must be matrices of one shape, got {TensorShape.Format(x.Dims)} and {TensorShape.Format(labels.Dims)}");
            var loss = ctx.AllocateDeviceOutput(0, device, [x.Dims[0]]);
            var backprop = ctx.AllocateDeviceOutput(1, device, x.Dims);
            if (x.size > 0) kernel.Value(x.Dims[0], View(x, ctx, 0), View(labels, ctx, 1), View(loss, ctx, 0), View(backprop, ctx, 1), x.Dims[1]);
        };
    }

    private static void SoftmaxCrossEntropyKernel(Index1D row, V x, V labels, V loss, V backprop, int n)
    {
        int start = row * n;
        float max = x[start];
        for (int j = 1; j < n; j++) max = MathF.Max(max, x[start + j]);
        float sum = 0;
        for (int j = 0; j < n; j++) sum += MathF.Exp(x[start + j] - max);
        float logSum = MathF.Log(sum), total = 0;
        for (int j = 0; j < n; j++)
        {
            float shifted = x[start + j] - max;
            total += labels[start + j] * (logSum - shifted);
            backprop[start + j] = MathF.Exp(shifted) / sum - labels[start + j];
        }
        loss[row] = total;
    }
}
