using ILGPU;
using ILGPU.Runtime;

namespace DataflowNet.Kernels.Gpu;

/// <summary>
/// The GPU device's kernel table, one family per file as on the CPU (Kernels/Cpu). Kernels are float32, with index
/// tensors (int32/int64) and bool masks on the device where an op takes or gives them; shape-like inputs (axes,
/// shapes, scalars of the optimizers) are read on the host, as TensorFlow's HostMemory inputs. Ops without a kernel
/// here are placed on the CPU: <see cref="CpuOnly"/> lists them with the reason.
/// </summary>
internal static class GpuKernels
{
    public static KernelRegistry Registry(GpuDevice device)
    {
        var r = new KernelRegistry();
        // The copies the plan inserts where an edge crosses between the CPU and this device.
        r.Register(Copy.ToDevice, null, ctx => ctx.SetOutput(0, device.Upload(ctx.Input(0), ctx.Self)));
        r.Register(Copy.ToHost, null, ctx => ctx.SetOutput(0, ctx.Input(0).Copy()));
        GpuArrayKernels.Register(r, device);
        GpuElementwiseKernels.Register(r, device);
        GpuMatMulKernels.Register(r, device);
        GpuReductionKernels.Register(r, device);
        GpuNnKernels.Register(r, device);
        GpuLossKernels.Register(r, device);
        GpuStateKernels.Register(r, device);
        GpuTrainingKernels.Register(r, device);
        GpuRandomKernels.Register(r, device);
        return r;
    }

    /// <summary>
    /// Ops that run on the CPU even when a GPU is present, and why. Tests check that every registered op either
    /// has a float32 GPU kernel or is listed here, and the README's GPU section shows this list.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> CpuOnly = new Dictionary<string, string>();

    /// <summary>The op types of the copy steps a plan inserts between devices.</summary>
    public static class Copy
    {
        public const string ToDevice = "_CopyToDevice";
        public const string ToHost = "_CopyToHost";
    }

    /// <summary>The device memory of a value (input or output <paramref name="index"/> of the kernel), as a view of <typeparamref name="T"/>.</summary>
    public static ArrayView1D<T, Stride1D.Dense> View<T>(TensorValue v, KernelContext ctx, int index) where T : unmanaged =>
        v.OnDevice is GpuBuffer<T> b ? b.View
            : throw ctx.Error($"value {index} is not a {typeof(T).Name} tensor in GPU memory (it is {v.dtype.Name()}{(v.OnDevice is null ? " in host memory" : "")})");

    /// <summary>The float32 device memory of a value.</summary>
    public static ArrayView1D<float, Stride1D.Dense> View(TensorValue v, KernelContext ctx, int index) => View<float>(v, ctx, index);

    public static readonly DataType[] F32 = [DataType.Float32];
}
