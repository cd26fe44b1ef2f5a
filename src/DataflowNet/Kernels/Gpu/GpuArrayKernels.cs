using ILGPU;
using ILGPU.Runtime;
using static DataflowNet.Kernels.Gpu.GpuKernels;

using V = ILGPU.Runtime.ArrayView1D<float, ILGPU.Stride1D.Dense>;

namespace DataflowNet.Kernels.Gpu;

/// <summary>Sources, identities, views and fills: the ops that move or make values rather than compute them.</summary>
internal static class GpuArrayKernels
{
    public static void Register(KernelRegistry r, GpuDevice device)
    {
        var acc = device.Accelerator;
        r.Register("Identity", F32, ctx => ctx.SetOutput(0, ctx.Input(0)));
        // A constant is uploaded once per device and kept with its op.
        var constants = new System.Runtime.CompilerServices.ConditionalWeakTable<Operation, TensorValue>();
        r.Register("Const", F32, ctx => ctx.SetOutput(0, constants.GetValue(ctx.Self, op => device.Upload(op.get_attr<TensorValue>("value"), op))));
        // Views change only dims, so the CPU's kernels serve: they never touch the elements.
        r.Register("Reshape", F32, CpuDevice.Instance.Kernels.Get("Reshape"), hostMemory: [1]);
        r.Register("ExpandDims", F32, CpuDevice.Instance.Kernels.Get("ExpandDims"), hostMemory: [1]);
        r.Register("Squeeze", F32, CpuDevice.Instance.Kernels.Get("Squeeze"));
        var fill = new Lazy<Action<Index1D, V, float>>(() => acc.LoadAutoGroupedStreamKernel<Index1D, V, float>(FillKernel));
        foreach (var (type, value) in new[] { ("ZerosLike", 0f), ("OnesLike", 1f) })
            r.Register(type, F32, ctx =>
            {
                var y = ctx.AllocateDeviceOutput(0, device, ctx.Input(0).Dims);
                if (y.size > 0) fill.Value(y.size, View(y, ctx, 0), value);
            });
    }

    private static void FillKernel(Index1D i, V y, float value) => y[i] = value;
}
