using ILGPU;
using ILGPU.Runtime;
using static DataflowNet.Kernels.Gpu.GpuElementwiseKernels;
using static DataflowNet.Kernels.Gpu.GpuKernels;

using V = ILGPU.Runtime.ArrayView1D<float, ILGPU.Stride1D.Dense>;

namespace DataflowNet.Kernels.Gpu;

/// <summary>Variables in device memory: a write is staged in the variable's spare device buffer and published when the run commits.</summary>
internal static class GpuStateKernels
{
    public static void Register(KernelRegistry r, GpuDevice device)
    {
        var acc = device.Accelerator;
        var copy = new Lazy<Action<Index1D, V, V, CopyOp>>(() => acc.LoadAutoGroupedStreamKernel<Index1D, V, V, CopyOp>(UnaryKernel<CopyOp>));
        var add = new Lazy<Action<Index1D, V, V, V, AddOp>>(() => acc.LoadAutoGroupedStreamKernel<Index1D, V, V, V, AddOp>(SameShapeKernel<AddOp>));
        var sub = new Lazy<Action<Index1D, V, V, V, SubOp>>(() => acc.LoadAutoGroupedStreamKernel<Index1D, V, V, V, SubOp>(SameShapeKernel<SubOp>));

        r.Register("VariableV2", F32, ctx => ctx.Outputs[0] = ctx.Run.TryReadVariable(ctx.SelfCell!));
        r.Register("Assign", F32, ctx =>
        {
            var value = ctx.Input(1);
            var cell = ctx.Variable(0);
            if (ctx.Attr<bool>("validate_shape")) VariableWrites.CheckAssign(ctx, cell, value.Dims);
            var staged = ctx.Run.StageWrite(cell, value.dtype, value.Dims, device);
            if (value.size > 0) copy.Value(value.size, View(value, ctx, 1), View(staged, ctx, 0), default);
            ctx.SetOutput(0, staged);
        });
        foreach (var type in new[] { "AssignAdd", "AssignSub" })
            r.Register(type, F32, ctx =>
            {
                var (cell, delta) = (ctx.Variable(0), ctx.Input(1));
                var old = VariableWrites.ReadForUpdate(ctx, cell, delta);
                var result = ctx.Run.StageWrite(cell, old.dtype, old.Dims, device);
                if (old.size > 0)
                {
                    if (type == "AssignAdd") add.Value(old.size, View(old, ctx, 0), View(delta, ctx, 1), View(result, ctx, 0), default);
                    else sub.Value(old.size, View(old, ctx, 0), View(delta, ctx, 1), View(result, ctx, 0), default);
                }
                ctx.SetOutput(0, result);
            });
    }
}
