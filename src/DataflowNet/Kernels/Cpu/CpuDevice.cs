using DataflowNet.Kernels.Cpu;

namespace DataflowNet;

/// <summary>The CPU device: managed buffers and the kernels of Kernels/Cpu, vectorized with TensorPrimitives.</summary>
public sealed class CpuDevice : Device
{
    public static CpuDevice Instance { get; } = new();

    private CpuDevice()
    {
        var r = new KernelRegistry();
        SourceKernels.Register(r);
        StateKernels.Register(r);
        ElementwiseKernels.Register(r);
        ReductionKernels.Register(r);
        MatMulKernels.Register(r);
        NnKernels.Register(r);
        ConvKernels.Register(r);
        PoolKernels.Register(r);
        ArrayKernels.Register(r);
        RandomKernels.Register(r);
        GradientKernels.Register(r);
        LossKernels.Register(r);
        TrainingKernels.Register(r);
        SummaryKernels.Register(r);
        ControlFlowKernels.Register(r);
        IoKernels.Register(r);
        Kernels = r;
        BuiltinOpTypes = r.Entries.Select(e => e.OpType).ToHashSet();
    }

    /// <summary>The op types this library ships kernels for (users may register more).</summary>
    internal IReadOnlySet<string> BuiltinOpTypes { get; }

    public override string Name => "/device:CPU:0";
    public override KernelRegistry Kernels { get; }
}
