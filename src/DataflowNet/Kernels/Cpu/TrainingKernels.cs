using System.Numerics;
using TP = System.Numerics.Tensors.TensorPrimitives;

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

    /// <summary>
    /// A variable and up to two slots, indexed as the op's reference inputs: In(k) the current values, Out(k) the
    /// staged buffer the new values go to (the same array when a run updates a variable twice). Rules are elementwise,
    /// so reading In and writing Out in one pass needs no copy first.
    /// </summary>
    internal readonly ref struct Slots<T>(T[] inA, T[]? inB, T[]? inC, T[] outA, T[]? outB, T[]? outC)
    {
        public T[] In(int i) => (i switch { 0 => inA, 1 => inB, _ => inC })!;
        public T[] Out(int i) => (i switch { 0 => outA, 1 => outB, _ => outC })!;
    }

    /// <summary>One update rule over flat arrays: refs are the variable and its slots (updated in place on fresh copies), scalars the hyper-parameters.</summary>
    private interface IRule
    {
        static abstract void Apply<T>(Slots<T> r, ReadOnlySpan<T> s, ReadOnlySpan<T> grad, KernelContext ctx) where T : unmanaged, IFloatingPointIeee754<T>;
    }

    // var -= alpha * delta
    private struct GradientDescent : IRule
    {
        public static void Apply<T>(Slots<T> r, ReadOnlySpan<T> s, ReadOnlySpan<T> g, KernelContext ctx) where T : unmanaged, IFloatingPointIeee754<T>
        {
            if (g.Length < DescentJob<T>.ParallelElements)
                TP.MultiplyAdd(g, -s[0], r.In(0), r.Out(0));
            else
                DescentJob<T>.Run(g, -s[0], r.In(0), r.Out(0));
        }
    }

    /// <summary>
    /// A large gradient-descent update split across the cores in chunks (elementwise, so the result is the serial
    /// one): it streams three weight-sized arrays and would otherwise leave the other core idle. One job per
    /// thread, reused; it holds the operands' addresses only while <see cref="CpuParallel.For"/> runs.
    /// </summary>
    internal sealed unsafe class DescentJob<T> : IRangeWork where T : unmanaged, IFloatingPointIeee754<T>
    {
        public const int ParallelElements = 1 << 16;
        private const int ChunkElements = 1 << 13;
        [ThreadStatic] private static DescentJob<T>? current;
        private T* g, x, y;
        private T alpha;
        private int length;

        /// <summary>y = g·alpha + x, as TensorPrimitives.MultiplyAdd, across the cores.</summary>
        public static void Run(ReadOnlySpan<T> grad, T alpha, ReadOnlySpan<T> x, Span<T> y)
        {
            if (x.Length != grad.Length || y.Length < grad.Length) throw new ArgumentException("Update operands differ in length.");
            var job = current ??= new DescentJob<T>();
            fixed (T* pg = grad, px = x, py = y)
            {
                job.g = pg; job.x = px; job.y = py; job.alpha = alpha; job.length = grad.Length;
                try { CpuParallel.For((grad.Length + ChunkElements - 1) / ChunkElements, job); }
                finally { job.g = job.x = job.y = null; }
            }
        }

        public void Run(int start, int end)
        {
            int from = start * ChunkElements, count = Math.Min(length, end * ChunkElements) - from;
            TP.MultiplyAdd(new ReadOnlySpan<T>(g + from, count), alpha, new ReadOnlySpan<T>(x + from, count), new Span<T>(y + from, count));
        }
    }

    // accum = accum * momentum + grad; var -= lr * accum  (Nesterov: var -= lr * (grad + momentum * accum))
    private struct Momentum : IRule
    {
        public static void Apply<T>(Slots<T> r, ReadOnlySpan<T> s, ReadOnlySpan<T> g, KernelContext ctx) where T : unmanaged, IFloatingPointIeee754<T>
        {
            var (var, accum, varOut, accumOut, lr, momentum) = (r.In(0), r.In(1), r.Out(0), r.Out(1), s[0], s[1]);
            bool nesterov = ctx.Attr<bool>("use_nesterov");
            for (int i = 0; i < var.Length; i++)
            {
                var a = accum[i] * momentum + g[i];
                accumOut[i] = a;
                varOut[i] = var[i] - (nesterov ? g[i] * lr + a * momentum * lr : lr * a);
            }
        }
    }

    // lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t); m += (g - m)(1 - beta1); v += (g² - v)(1 - beta2); var -= lr_t m / (sqrt(v) + epsilon)
    private struct Adam : IRule
    {
        public static void Apply<T>(Slots<T> r, ReadOnlySpan<T> s, ReadOnlySpan<T> g, KernelContext ctx) where T : unmanaged, IFloatingPointIeee754<T>
        {
            var (var, m, v, varOut, mOut, vOut) = (r.In(0), r.In(1), r.In(2), r.Out(0), r.Out(1), r.Out(2));
            var (beta1Power, beta2Power, lr, beta1, beta2, epsilon) = (s[0], s[1], s[2], s[3], s[4], s[5]);
            var lrT = lr * T.Sqrt(T.One - beta2Power) / (T.One - beta1Power);
            bool nesterov = ctx.Attr<bool>("use_nesterov");
            for (int i = 0; i < var.Length; i++)
            {
                var mi = m[i] + (g[i] - m[i]) * (T.One - beta1);
                var vi = v[i] + (g[i] * g[i] - v[i]) * (T.One - beta2);
                (mOut[i], vOut[i]) = (mi, vi);
                var step = nesterov ? mi * beta1 + (T.One - beta1) * g[i] : mi;
                varOut[i] = var[i] - lrT * step / (T.Sqrt(vi) + epsilon);
            }
        }
    }

    // accum += g²; var -= lr * g / sqrt(accum)   (no epsilon, as TensorFlow 1)
    private struct Adagrad : IRule
    {
        public static void Apply<T>(Slots<T> r, ReadOnlySpan<T> s, ReadOnlySpan<T> g, KernelContext ctx) where T : unmanaged, IFloatingPointIeee754<T>
        {
            var (var, accum, varOut, accumOut, lr) = (r.In(0), r.In(1), r.Out(0), r.Out(1), s[0]);
            bool update = ctx.Attr<bool>("update_slots");
            for (int i = 0; i < var.Length; i++)
            {
                var a = update ? accum[i] + g[i] * g[i] : accum[i];
                accumOut[i] = a;
                varOut[i] = var[i] - lr * g[i] / T.Sqrt(a);
            }
        }
    }

    // ms += (g² - ms)(1 - rho); mom = mom * momentum + lr g / sqrt(ms + epsilon); var -= mom
    private struct RmsProp : IRule
    {
        public static void Apply<T>(Slots<T> r, ReadOnlySpan<T> s, ReadOnlySpan<T> g, KernelContext ctx) where T : unmanaged, IFloatingPointIeee754<T>
        {
            var (var, ms, mom, varOut, msOut, momOut) = (r.In(0), r.In(1), r.In(2), r.Out(0), r.Out(1), r.Out(2));
            var (lr, rho, momentum, epsilon) = (s[0], s[1], s[2], s[3]);
            for (int i = 0; i < var.Length; i++)
            {
                var msi = ms[i] + (g[i] * g[i] - ms[i]) * (T.One - rho);
                var momi = mom[i] * momentum + lr * g[i] / T.Sqrt(msi + epsilon);
                (msOut[i], momOut[i]) = (msi, momi);
                varOut[i] = var[i] - momi;
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
            var refInputs = ctx.Self.Def.RefInputs;
            var names = ctx.Self.Def.InputNames;
            // The gradient is not always last: ApplyMomentum takes (var, accum, lr, grad, momentum), as TensorFlow.
            var gradIndex = Array.IndexOf(names, names.Contains("grad") ? "grad" : "delta");
            var grad = ctx.Input(gradIndex);
            // Hyperparameters first: a bad one fails the run before anything is staged.
            Span<T> scalars = stackalloc T[8];
            int n = 0;
            for (int i = 0; i < ctx.NumInputs; i++)
                if (i != gradIndex && Array.IndexOf(refInputs, i) < 0) scalars[n++] = ctx.ScalarInput<T>(i);
            var current = VariableWrites.ReadForGradient(ctx, ctx.Variable(refInputs[0]), grad);
            // Each variable and slot is written to its staged buffer (double-buffered, committed when the run succeeds).
            T[]? i0 = null, i1 = null, i2 = null, o0 = null, o1 = null, o2 = null;
            for (int k = 0; k < refInputs.Length; k++)
            {
                var cell = ctx.Variable(refInputs[k]);
                var value = ctx.Run.ReadVariable(cell);
                var target = ctx.Run.StageWrite(cell, value.dtype, value.Dims);
                if (k == 0) { (i0, o0) = (value.Buffer<T>(), target.Buffer<T>()); ctx.SetOutput(0, target); }
                else if (k == 1) (i1, o1) = (value.Buffer<T>(), target.Buffer<T>());
                else (i2, o2) = (value.Buffer<T>(), target.Buffer<T>());
            }
            TRule.Apply(new Slots<T>(i0!, i1, i2, o0!, o1, o2), scalars[..n], grad.Buffer<T>(), ctx);
        }
    }
}
