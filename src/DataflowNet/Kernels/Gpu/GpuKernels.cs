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
        // A feed goes into the frame's buffer for its edge, as a kernel's output does: a warm run allocates no device
        // memory (a new buffer per run cost an allocation, and later a free that waits for the whole device).
        r.Register(Copy.ToDevice, null, ctx =>
        {
            var host = ctx.Input(0);
            ctx.AllocateDeviceOutput(0, device, host.Dims, host.dtype).OnDevice!.CopyFromHost(host);
        });
        r.Register(Copy.ToHost, null, ctx => ctx.SetOutput(0, ctx.Input(0).Copy()));
        r.Register("NoOp", null, _ => { });
        // Shapes are read from a tensor's dims wherever its elements are: the CPU's kernels give them in host memory.
        foreach (var type in new[] { "Shape", "Size", "Rank" }) r.Register(type, null, CpuDevice.Instance.Kernels.Get(type), dimsOnly: true);
        GpuArrayKernels.Register(r, device);
        GpuElementwiseKernels.Register(r, device);
        GpuMathKernels.Register(r, device);
        GpuMatMulKernels.Register(r, device);
        GpuReductionKernels.Register(r, device);
        GpuNnKernels.Register(r, device);
        GpuLossKernels.Register(r, device);
        GpuStateKernels.Register(r, device);
        GpuTrainingKernels.Register(r, device);
        GpuConvKernels.Register(r, device);
        GpuPoolKernels.Register(r, device);
        GpuRandomKernels.Register(r, device);
        r.WrapAll(kernel => ctx =>
        {
            device.Bind();
            kernel(ctx);
        });
        return r;
    }

    /// <summary>
    /// Ops that run on the CPU even when a GPU is present, and why. Tests check that every registered op either
    /// has a float32 GPU kernel or is listed here, and the README's GPU section shows this list.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> CpuOnly = Reasons(
        (["Placeholder", "PlaceholderWithDefault"],
            "a feed (or its default) is a host value: the plan copies it once to each device that reads it"),
        (["BroadcastGradientArgs", "ConcatOffset", "InvertPermutation", "Range", "LinSpace"],
            "shape arithmetic on a few host integers (TensorFlow's GPU registrations of these keep every input and output in host memory too); a float LinSpace is made once and copied"),
        (["Switch", "Merge", "Enter", "Exit", "NextIteration", "LoopCond"],
            "a graph with tf.cond or tf.while_loop runs on the dataflow executor, which places the whole plan on the CPU"),
        (["ScalarSummary", "HistogramSummary", "MergeSummary"],
            "they make serialized Summary protocol buffers (strings) for the event file; the values they summarize are copied once"),
        (["SaveV2", "RestoreV2"],
            "file I/O: saving copies each GPU variable to the host once; restoring assigns on the variable's device"),
        (["RandomShuffle"],
            "Fisher-Yates is sequential over one Philox stream; a shuffled GPU tensor is copied to the host and back"));

    private static Dictionary<string, string> Reasons(params (string[] Ops, string Why)[] groups) =>
        groups.SelectMany(g => g.Ops.Select(op => (op, g.Why))).ToDictionary(x => x.op, x => x.Why);

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

    /// <summary>
    /// A one-int device flag set to <paramref name="initial"/>, for a kernel to report what only the data reveals (the
    /// first index out of range, a NaN seen): a kernel cannot throw, so the host reads the flag back with
    /// <see cref="ReadFlag"/> and raises the CPU's error. Counted against the device's memory cap like any buffer.
    /// </summary>
    public static GpuBuffer<int> NewFlag(GpuDevice device, KernelContext ctx, int initial)
    {
        var flag = (GpuBuffer<int>)device.Allocate(DataType.Int32, 1, ctx.Self);
        flag.View.CopyFromCPU([initial]);
        return flag;
    }

    /// <summary>The flag's value once the kernels writing it have finished (the one download, and a wait).</summary>
    public static int ReadFlag(GpuBuffer<int> flag)
    {
        flag.Device.Accelerator.Synchronize();
        return flag.Buffer.GetAsArray1D()[0];
    }
}
