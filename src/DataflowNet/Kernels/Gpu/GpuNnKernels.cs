using ILGPU;
using ILGPU.Runtime;
using static DataflowNet.Kernels.Gpu.GpuKernels;

using V = ILGPU.Runtime.ArrayView1D<float, ILGPU.Stride1D.Dense>;

namespace DataflowNet.Kernels.Gpu;

/// <summary>Softmax and log-softmax over the last axis.</summary>
internal static class GpuNnKernels
{
    public static void Register(KernelRegistry r, GpuDevice device)
    {
        var acc = device.Accelerator;
        r.Register("Softmax", [DataType.Float32], Softmax(acc, device, log: false));
        r.Register("LogSoftmax", [DataType.Float32], Softmax(acc, device, log: true));
    }

    // One thread per row, the row's maximum subtracted first.
    private static Kernel Softmax(Accelerator acc, GpuDevice device, bool log)
    {
        var kernel = new Lazy<Action<Index1D, V, V, int, int>>(() => acc.LoadAutoGroupedStreamKernel<Index1D, V, V, int, int>(SoftmaxKernel));
        return ctx =>
        {
            var x = ctx.Input(0);
            NnChecks.SoftmaxInput(ctx, x);
            var y = ctx.AllocateDeviceOutput(0, device, x.Dims);
            int n = x.Dims[^1];
            if (x.size > 0) kernel.Value(x.size / n, View(x, ctx, 0), View(y, ctx, 0), n, log ? 1 : 0);
        };
    }

    private static void SoftmaxKernel(Index1D row, V x, V y, int n, int log)
    {
        int start = row * n;
        float max = x[start];
        for (int j = 1; j < n; j++) max = MathF.Max(max, x[start + j]);
        float sum = 0;
        for (int j = 0; j < n; j++) sum += GpuMath.Exp(x[start + j] - max);
        float logSum = GpuMath.Log(sum);
        for (int j = 0; j < n; j++)
        {
            float shifted = x[start + j] - max;
            y[start + j] = log != 0 ? shifted - logSum : GpuMath.Exp(shifted) / sum;
        }
    }
}
