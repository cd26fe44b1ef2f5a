using System.Numerics;

namespace DataflowNet.Kernels.Cpu;

/// <summary>
/// The optimizers' update rules, exactly as TensorFlow 1's kernels apply them. Each reads its variable and slots,
/// and stages the new values in the run (committed when the run succeeds).
/// </summary>
internal static class TrainingKernels
{
    public static void Register(KernelRegistry r)
    {
        r.Register("ApplyGradientDescent", DataTypeExtensions.Floating, Update<GradientDescent>());
        r.Register("ApplyMomentum", DataTypeExtensions.Floating, Update<Momentum>());
        r.Register("ApplyAdam", DataTypeExtensions.Floating, Update<Adam>());
        r.Register("ApplyAdagrad", DataTypeExtensions.Floating, Update<Adagrad>());
        r.Register("ApplyRMSProp", DataTypeExtensions.Floating, Update<RmsProp>());
    }

    /// <summary>One update rule over flat arrays: refs are the variable and its slots (updated in place on fresh copies), scalars the hyper-parameters.</summary>
    private interface IRule
    {
        static abstract void Apply<T>(T[][] refs, T[] scalars, ReadOnlySpan<T> grad, KernelContext ctx) where T : unmanaged, IFloatingPointIeee754<T>;
    }

    // var -= alpha * delta
    private struct GradientDescent : IRule
    {
        public static void Apply<T>(T[][] r, T[] s, ReadOnlySpan<T> g, KernelContext ctx) where T : unmanaged, IFloatingPointIeee754<T>
        {
            var (var, alpha) = (r[0], s[0]);
            for (int i = 0; i < var.Length; i++) var[i] -= alpha * g[i];
        }
    }

    // accum = accum * momentum + grad; var -= lr * accum  (Nesterov: var -= lr * (grad + momentum * accum))
    private struct Momentum : IRule
    {
        public static void Apply<T>(T[][] r, T[] s, ReadOnlySpan<T> g, KernelContext ctx) where T : unmanaged, IFloatingPointIeee754<T>
        {
            var (var, accum, lr, momentum) = (r[0], r[1], s[0], s[1]);
            bool nesterov = ctx.Attr<bool>("use_nesterov");
            for (int i = 0; i < var.Length; i++)
            {
                accum[i] = accum[i] * momentum + g[i];
                var[i] -= nesterov ? g[i] * lr + accum[i] * momentum * lr : lr * accum[i];
            }
        }
    }

    // lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t); m += (g - m)(1 - beta1); v += (g² - v)(1 - beta2); var -= lr_t m / (sqrt(v) + epsilon)
    private struct Adam : IRule
    {
        public static void Apply<T>(T[][] r, T[] s, ReadOnlySpan<T> g, KernelContext ctx) where T : unmanaged, IFloatingPointIeee754<T>
        {
            var (var, m, v) = (r[0], r[1], r[2]);
            var (beta1Power, beta2Power, lr, beta1, beta2, epsilon) = (s[0], s[1], s[2], s[3], s[4], s[5]);
            var lrT = lr * T.Sqrt(T.One - beta2Power) / (T.One - beta1Power);
            bool nesterov = ctx.Attr<bool>("use_nesterov");
            for (int i = 0; i < var.Length; i++)
            {
                m[i] += (g[i] - m[i]) * (T.One - beta1);
                v[i] += (g[i] * g[i] - v[i]) * (T.One - beta2);
                var step = nesterov ? m[i] * beta1 + (T.One - beta1) * g[i] : m[i];
                var[i] -= lrT * step / (T.Sqrt(v[i]) + epsilon);
            }
        }
    }

    // accum += g²; var -= lr * g / sqrt(accum)   (no epsilon, as TensorFlow 1)
    private struct Adagrad : IRule
    {
        public static void Apply<T>(T[][] r, T[] s, ReadOnlySpan<T> g, KernelContext ctx) where T : unmanaged, IFloatingPointIeee754<T>
        {
            var (var, accum, lr) = (r[0], r[1], s[0]);
            bool update = ctx.Attr<bool>("update_slots");
            for (int i = 0; i < var.Length; i++)
            {
                if (update) accum[i] += g[i] * g[i];
                var[i] -= lr * g[i] / T.Sqrt(accum[i]);
            }
        }
    }

    // ms += (g² - ms)(1 - rho); mom = mom * momentum + lr g / sqrt(ms + epsilon); var -= mom
    private struct RmsProp : IRule
    {
        public static void Apply<T>(T[][] r, T[] s, ReadOnlySpan<T> g, KernelContext ctx) where T : unmanaged, IFloatingPointIeee754<T>
        {
            var (var, ms, mom) = (r[0], r[1], r[2]);
            var (lr, rho, momentum, epsilon) = (s[0], s[1], s[2], s[3]);
            for (int i = 0; i < var.Length; i++)
            {
                ms[i] += (g[i] * g[i] - ms[i]) * (T.One - rho);
                mom[i] = mom[i] * momentum + lr * g[i] / T.Sqrt(ms[i] + epsilon);
                var[i] -= mom[i];
            }
        }
    }

    private static Kernel Update<TRule>() where TRule : struct, IRule => ctx =>
    {
        var a = new UpdateAction<TRule>(ctx);
        TypeSwitch.Float(ctx.OutputType(0), ref a);
    };

    private readonly struct UpdateAction<TRule>(KernelContext context) : IFloatAction where TRule : struct, IRule
    {
        private readonly KernelContext ctx = context;
        public void Invoke<T>() where T : unmanaged, IFloatingPointIeee754<T>
        {
            var ctx = this.ctx;
            var refInputs = ctx.Self.Def.RefInputs;
            // Copy-on-write: the variable and each slot get fresh buffers, so values already read stay unchanged.
            var updated = refInputs.Select(i =>
            {
                var current = ctx.Run.ReadVariable(ctx.VariableKey(i));
                return new TensorValue(current.dtype, current.Dims, (T[])current.Data.Clone());
            }).ToArray();
            // The gradient is not always last: ApplyMomentum takes (var, accum, lr, grad, momentum), as TensorFlow.
            var inputNames = ctx.Self.Def.InputNames;
            var gradIndex = Array.IndexOf(inputNames, inputNames.Contains("grad") ? "grad" : "delta");
            var grad = ctx.Input(gradIndex);
            if (!grad.Dims.AsSpan().SequenceEqual(updated[0].Dims))
                throw ctx.Error($"var and grad do not have the same shape: {TensorShape.Format(updated[0].Dims)} vs {TensorShape.Format(grad.Dims)}.");
            var scalars = Enumerable.Range(0, ctx.NumInputs)
                .Where(i => i != gradIndex && Array.IndexOf(refInputs, i) < 0)
                .Select(i => ctx.Input(i).item<T>()).ToArray();
            var spans = updated.Select(u => u.Buffer<T>()).ToArray();
            TRule.Apply(spans, scalars, grad.Buffer<T>(), ctx);
            for (int k = 0; k < refInputs.Length; k++) ctx.Run.WriteVariable(ctx.VariableKey(refInputs[k]), updated[k]);
            ctx.SetOutput(0, updated[0]);
        }
    }
}
