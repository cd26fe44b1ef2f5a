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
            var (cell, alpha, delta) = (ctx.Variable(0), ctx.ScalarInput<float>(1), ctx.Input(2));
            var current = VariableWrites.ReadForGradient(ctx, cell, delta);
            var next = ctx.Run.StageWrite(cell, current.dtype, current.Dims, device);
            if (current.size > 0) sgd.Value(current.size, View(current, ctx, 0), View(delta, ctx, 2), View(next, ctx, 0), alpha);
            ctx.SetOutput(0, next);
        }, hostMemory: [1]);
        r.Register("ApplyMomentum", F32, ctx =>
        {
            var (cell, accumCell, lr, grad, mu) = (ctx.Variable(0), ctx.Variable(1), ctx.ScalarInput<float>(2), ctx.Input(3), ctx.ScalarInput<float>(4));
            var current = VariableWrites.ReadForGradient(ctx, cell, grad);
            var accum = ctx.Run.ReadVariable(accumCell);
            var next = ctx.Run.StageWrite(cell, current.dtype, current.Dims, device);
            var nextAccum = ctx.Run.StageWrite(accumCell, accum.dtype, accum.Dims, device);
            if (current.size > 0)
                momentum.Value(current.size, View(current, ctx, 0), View(accum, ctx, 1), View(grad, ctx, 3), View(next, ctx, 0), View(nextAccum, ctx, 1),
                               lr, mu, ctx.Attr<bool>("use_nesterov") ? 1 : 0);
            ctx.SetOutput(0, next);
        }, hostMemory: [2, 4]);

        var adam = new Lazy<Action<Index1D, V, V, V, V, V, V, V, AdamParams>>(() =>
            acc.LoadAutoGroupedStreamKernel<Index1D, V, V, V, V, V, V, V, AdamParams>(AdamKernel));
        r.Register("ApplyAdam", F32, ctx =>
        {
            // (var, m, v, beta1_power, beta2_power, lr, beta1, beta2, epsilon, grad): the scalars on the host.
            var grad = ctx.Input(9);
            var (beta1Power, beta2Power, lr, beta1, beta2, epsilon) =
                (Scalar(ctx, 3), Scalar(ctx, 4), Scalar(ctx, 5), Scalar(ctx, 6), Scalar(ctx, 7), Scalar(ctx, 8));
            var (current, next, slots) = Stage(ctx, device, grad, 2);
            var p = new AdamParams
            {
                // lr_t as the CPU computes it, in float on the host.
                LrT = lr * MathF.Sqrt(1f - beta2Power) / (1f - beta1Power),
                Beta1 = beta1, OneMinusBeta1 = 1f - beta1, OneMinusBeta2 = 1f - beta2, Epsilon = epsilon,
                Nesterov = ctx.Attr<bool>("use_nesterov") ? 1 : 0,
            };
            if (current.size > 0)
                adam.Value(current.size, View(current, ctx, 0), View(slots[0].Current, ctx, 1), View(slots[1].Current, ctx, 2), View(grad, ctx, 9),
                           View(next, ctx, 0), View(slots[0].Next, ctx, 1), View(slots[1].Next, ctx, 2), p);
            ctx.SetOutput(0, next);
        }, hostMemory: [3, 4, 5, 6, 7, 8]);

        var adagrad = new Lazy<Action<Index1D, V, V, V, V, V, float, int>>(() =>
            acc.LoadAutoGroupedStreamKernel<Index1D, V, V, V, V, V, float, int>(AdagradKernel));
        r.Register("ApplyAdagrad", F32, ctx =>
        {
            // (var, accum, lr, grad)
            var grad = ctx.Input(3);
            var (current, next, slots) = Stage(ctx, device, grad, 1);
            if (current.size > 0)
                adagrad.Value(current.size, View(current, ctx, 0), View(slots[0].Current, ctx, 1), View(grad, ctx, 3), View(next, ctx, 0), View(slots[0].Next, ctx, 1),
                              Scalar(ctx, 2), ctx.Attr<bool>("update_slots") ? 1 : 0);
            ctx.SetOutput(0, next);
        }, hostMemory: [2]);

        var rmsProp = new Lazy<Action<Index1D, V, V, V, V, V, V, V, float, float, float, float>>(() =>
            acc.LoadAutoGroupedStreamKernel<Index1D, V, V, V, V, V, V, V, float, float, float, float>(RmsPropKernel));
        r.Register("ApplyRMSProp", F32, ctx =>
        {
            // (var, ms, mom, lr, rho, momentum, epsilon, grad)
            var grad = ctx.Input(7);
            var (current, next, slots) = Stage(ctx, device, grad, 2);
            if (current.size > 0)
                rmsProp.Value(current.size, View(current, ctx, 0), View(slots[0].Current, ctx, 1), View(slots[1].Current, ctx, 2), View(grad, ctx, 7),
                              View(next, ctx, 0), View(slots[0].Next, ctx, 1), View(slots[1].Next, ctx, 2),
                              Scalar(ctx, 3), 1f - Scalar(ctx, 4), Scalar(ctx, 5), Scalar(ctx, 6));
            ctx.SetOutput(0, next);
        }, hostMemory: [3, 4, 5, 6]);
    }

    private static float Scalar(KernelContext ctx, int input) => ctx.ScalarInput<float>(input);

    /// <summary>
    /// The variable (reference input 0, checked against the gradient as the CPU does) and its slots (reference inputs
    /// 1..<paramref name="slotCount"/>): each one's current value and the staged device buffer its new value goes to.
    /// </summary>
    private static (TensorValue Current, TensorValue Next, (TensorValue Current, TensorValue Next)[] Slots) Stage(
        KernelContext ctx, GpuDevice device, TensorValue grad, int slotCount)
    {
        var cell = ctx.Variable(0);
        var current = VariableWrites.ReadForGradient(ctx, cell, grad);
        var slots = new (TensorValue, TensorValue)[slotCount];
        for (int k = 0; k < slotCount; k++)
        {
            var slotCell = ctx.Variable(k + 1);
            var value = ctx.Run.ReadVariable(slotCell);
            if (value.size != current.size)
                throw ctx.Error($"var and slot {k + 1} do not have the same shape: {TensorShape.Format(current.Dims)} {TensorShape.Format(value.Dims)}");
            slots[k] = (value, null!);
        }
        var next = ctx.Run.StageWrite(cell, current.dtype, current.Dims, device);
        for (int k = 0; k < slotCount; k++)
            slots[k].Item2 = ctx.Run.StageWrite(ctx.Variable(k + 1), slots[k].Item1.dtype, slots[k].Item1.Dims, device);
        return (current, next, slots);
    }

    private static void GradientDescentKernel(Index1D i, V var, V delta, V next, float alpha) => next[i] = var[i] - alpha * delta[i];

    /// <summary>TensorFlow's ApplyMomentum: accum = accum·μ + g; var −= lr·accum (Nesterov: lr·g + lr·μ·accum).</summary>
    private static void MomentumKernel(Index1D i, V var, V accum, V grad, V next, V nextAccum, float lr, float mu, int nesterov)
    {
        float a = accum[i] * mu + grad[i];
        nextAccum[i] = a;
        next[i] = var[i] - (nesterov != 0 ? grad[i] * lr + a * mu * lr : lr * a);
    }

    /// <summary>ApplyAdam's scalars (a kernel takes at most so many parameters).</summary>
    internal struct AdamParams
    {
        public float LrT, Beta1, OneMinusBeta1, OneMinusBeta2, Epsilon;
        public int Nesterov;
    }

    /// <summary>
    /// TensorFlow's ApplyAdam, as the CPU: m += (g − m)(1 − β1); v += (g² − v)(1 − β2);
    /// var −= lr_t·m / (√v + ε), Nesterov: lr_t·(m·β1 + (1 − β1)·g) / (√v + ε).
    /// </summary>
    private static void AdamKernel(Index1D i, V var, V m, V v, V grad, V next, V nextM, V nextV, AdamParams p)
    {
        float g = grad[i];
        float mi = m[i] + (g - m[i]) * p.OneMinusBeta1;
        float vi = v[i] + (g * g - v[i]) * p.OneMinusBeta2;
        nextM[i] = mi;
        nextV[i] = vi;
        float step = p.Nesterov != 0 ? mi * p.Beta1 + p.OneMinusBeta1 * g : mi;
        next[i] = var[i] - p.LrT * step / (MathF.Sqrt(vi) + p.Epsilon);
    }

    /// <summary>ApplyAdagrad: accum += g² (when update_slots); var −= lr·g / √accum (no ε, as TensorFlow 1).</summary>
    private static void AdagradKernel(Index1D i, V var, V accum, V grad, V next, V nextAccum, float lr, int updateSlots)
    {
        float g = grad[i];
        float a = updateSlots != 0 ? accum[i] + g * g : accum[i];
        nextAccum[i] = a;
        next[i] = var[i] - lr * g / MathF.Sqrt(a);
    }

    /// <summary>ApplyRMSProp: ms += (g² − ms)(1 − ρ); mom = mom·momentum + lr·g / √(ms + ε); var −= mom.</summary>
    private static void RmsPropKernel(Index1D i, V var, V ms, V mom, V grad, V next, V nextMs, V nextMom,
                                      float lr, float oneMinusRho, float momentum, float epsilon)
    {
        float g = grad[i];
        float msi = ms[i] + (g * g - ms[i]) * oneMinusRho;
        float momi = mom[i] * momentum + lr * g / MathF.Sqrt(msi + epsilon);
        nextMs[i] = msi;
        nextMom[i] = momi;
        next[i] = var[i] - momi;
    }
}
