using System.Numerics;

namespace DataflowNet.Kernels.Cpu;

/// <summary>
/// Random ops over the session's Philox stream for each op: uniform from 23 (float) or 52 (double) random bits,
/// normal by Box–Muller, truncated normal by redrawing values beyond two standard deviations, shuffle by Fisher–Yates.
/// </summary>
internal static class RandomKernels
{
    private enum Kind { Uniform, Normal, Truncated }

    public static void Register(KernelRegistry r)
    {
        r.Register("RandomUniform", null, Sample(Kind.Uniform));
        r.Register("RandomStandardNormal", null, Sample(Kind.Normal));
        r.Register("TruncatedNormal", null, Sample(Kind.Truncated));
        r.Register("RandomShuffle", null, ctx =>
        {
            var x = ctx.Input(0);
            if (x.ndim == 0) { ctx.SetOutput(0, x); return; }
            int n = x.Dims[0], row = n == 0 ? 0 : x.size / n;
            var words = new uint[Math.Max(n - 1, 0)];
            Stream(ctx).Fill(words);
            var order = Enumerable.Range(0, n).ToArray();
            for (int i = n - 1, w = 0; i > 0; i--, w++)
            {
                int j = (int)((ulong)words[w] * (ulong)(i + 1) >> 32);
                (order[i], order[j]) = (order[j], order[i]);
            }
            var result = TensorValue.Allocate(x.dtype, x.Dims);
            for (int i = 0; i < n; i++) Array.Copy(x.Data, order[i] * row, result.Data, i * row, row);
            ctx.SetOutput(0, result);
        });
    }

    private static PhiloxStream Stream(KernelContext ctx) =>
        ctx.Run.Session.RandomStream(ctx.Self, ctx.Attr<int>("seed"), ctx.Attr<int>("seed2"));

    private static Kernel Sample(Kind kind) => ctx =>
    {
        var dims = ctx.Input(0).ToArray<long>().Select(d => (int)d).ToArray();
        if (dims.Any(d => d < 0)) throw ctx.Error($"shape must be non-negative, got [{string.Join(", ", dims)}].");
        var a = new SampleAction(Stream(ctx), ctx.AllocateOutput(0, dims), kind);
        TypeSwitch.Float(ctx.OutputType(0), ref a);
    };

    private readonly struct SampleAction(PhiloxStream stream, TensorValue result, Kind kind) : IFloatAction
    {
        public void Invoke<T>() where T : unmanaged, IFloatingPointIeee754<T>
        {
            var d = result.Buffer<T>();
            if (kind == Kind.Uniform) { Uniform(d); return; }
            int filled = 0;
            while (filled < d.Length)
            {
                // Draw pairs of uniforms, turn each pair into two normals; truncation redraws the rejected ones.
                int want = Math.Max(2, (d.Length - filled + 1) & ~1);
                var u = new T[want];
                Uniform(u);
                for (int i = 0; i + 1 < want && filled < d.Length; i += 2)
                {
                    var r = T.Sqrt(T.CreateTruncating(-2.0) * T.Log(T.One - u[i]));
                    var theta = T.CreateTruncating(2 * Math.PI) * u[i + 1];
                    foreach (var z in new[] { r * T.Cos(theta), r * T.Sin(theta) })
                    {
                        if (filled >= d.Length) break;
                        if (kind == Kind.Truncated && T.Abs(z) > T.CreateTruncating(2)) continue;
                        d[filled++] = z;
                    }
                }
            }
        }

        private void Uniform<T>(T[] d) where T : unmanaged, IFloatingPointIeee754<T>
        {
            if (typeof(T) == typeof(float))
            {
                var w = new uint[d.Length];
                stream.Fill(w);
                for (int i = 0; i < d.Length; i++) d[i] = T.CreateTruncating(PhiloxStream.ToFloat(w[i]));
            }
            else
            {
                var w = new uint[2 * d.Length];
                stream.Fill(w);
                for (int i = 0; i < d.Length; i++) d[i] = T.CreateTruncating(PhiloxStream.ToDouble(w[2 * i], w[2 * i + 1]));
            }
        }
    }
}
