using ILGPU;
using ILGPU.Runtime;
using static DataflowNet.Kernels.Gpu.GpuKernels;

using V = ILGPU.Runtime.ArrayView1D<float, ILGPU.Stride1D.Dense>;

namespace DataflowNet.Kernels.Gpu;

/// <summary>The optimizers' update ops on variables in device memory: each reads the current value and writes the staged one in a single pass.</summary>
internal static class GpuTrainingKernels
{
    public static void Register(KernelRegistry r, GpuDevice device)
    {
        var acc = device.Accelerator;
        var sgd = new Lazy<Action<Index1D, V, V, V, float>>(() => acc.LoadAutoGroupedStreamKernel<Index1D, V, V, V, float>(GradientDescentKernel));
        var momentum = new Lazy<Action<Index1D, V, V, V, V, V, float, float, int>>(() =>
            acc.LoadAutoGroupedStreamKernel<Index1D, V, V, V, V, V, float, float, int>(MomentumKernel));
        r.Register("ApplyGradientDescent", F32, ctx =>
        {
            var (cell, alpha, delta) = (ctx.Variable(0), ctx.Input(1).ScalarAs<float>(), ctx.Input(2));
            var current = VariableWrites.ReadForGradient(ctx, cell, delta);
            var next = ctx.Run.StageWrite(cell, current.dtype, current.Dims, device);
            if (current.size > 0) sgd.Value(current.size, View(current, ctx, 0), View(delta, ctx, 2), View(next, ctx, 0), alpha);
            ctx.SetOutput(0, next);
        }, hostMemory: [1]);
        r.Register("ApplyMomentum", F32, ctx =>
        {
            var (cell, accumCell, lr, grad, mu) = (ctx.Variable(0), ctx.Variable(1), ctx.Input(2).ScalarAs<float>(), ctx.Input(3), ctx.Input(4).ScalarAs<float>());
            var current = VariableWrites.ReadForGradient(ctx, cell, grad);
            var accum = ctx.Run.ReadVariable(accumCell);
            var next = ctx.Run.StageWrite(cell, current.dtype, current.Dims, device);
            var nextAccum = ctx.Run.StageWrite(accumCell, accum.dtype, accum.Dims, device);
            if (current.size > 0)
                momentum.Value(current.size, View(current, ctx, 0), View(accum, ctx, 1), View(grad, ctx, 3), View(next, ctx, 0), View(nextAccum, ctx, 1),
                               lr, mu, ctx.Attr<bool>("use_nesterov") ? 1 : 0);
            ctx.SetOutput(0, next);
        }, hostMemory: [2, 4]);
    }

    private static void GradientDescentKernel(Index1D i, V var, V delta, V next, float alpha) => next[i] = var[i] - alpha * delta[i];

    /// <summary>TensorFlow's ApplyMomentum: accum = accum·μ + g; var −= lr·accum (Nesterov: lr·g + lr·μ·accum).</summary>
    private static void MomentumKernel(Index1D i, V var, V accum, V grad, V next, V nextAccum, float lr, float mu, int nesterov)
    {
        float a = accum[i] * mu + grad[i];
        nextAccum[i] = a;
        next[i] = var[i] - (nesterov != 0 ? grad[i] * lr + a * mu * lr : lr * a);
    }
}
