using System.Numerics;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace DataflowNet.Kernels.Cpu;

/// <summary>Softmax, log-softmax (both subtract the row maximum first, so large logits do not overflow), leaky ReLU and bias_add.</summary>
internal static class NnKernels
{
    public static void Register(KernelRegistry r)
    {
        r.Register("Softmax", DataTypeExtensions.Floating, ctx => { var a = new SoftmaxAction(ctx, log: false); TypeSwitch.Float(ctx.Input(0).dtype, ref a); });
        r.Register("LogSoftmax", DataTypeExtensions.Floating, ctx => { var a = new SoftmaxAction(ctx, log: true); TypeSwitch.Float(ctx.Input(0).dtype, ref a); });
        r.Register("LeakyRelu", DataTypeExtensions.Floating, ctx => { var a = new LeakyReluAction(ctx); TypeSwitch.Float(ctx.Input(0).dtype, ref a); });
        r.Register("BiasAdd", DataTypeExtensions.Numeric, ctx =>
        {
            var x = ctx.Input(0);
            var bias = ctx.Input(1);
            int channel = Kernels.NnChecks.BiasAddChannel(ctx, x, bias);
            var action = new BiasAction(x, bias, channel, ctx.AllocateUninitializedOutput(0, x.Dims));
            TypeSwitch.Numeric(x.dtype, ref action);
        });
    }

    private readonly struct SoftmaxAction(KernelContext ctx, bool log) : IFloatAction
    {
        public void Invoke<T>() where T : unmanaged, IFloatingPointIeee754<T>
        {
            var x = ctx.Input(0);
            Kernels.NnChecks.SoftmaxInput(ctx, x);
            var src = x.Buffer<T>();
            var dst = ctx.AllocateUninitializedOutput(0, x.Dims).Buffer<T>();
            int n = x.Dims[^1];
            if (n == 0) return;
            for (int o = 0; o < src.Length; o += n)
            {
                var row = src.AsSpan(o, n);
                var d = dst.AsSpan(o, n);
                var max = TP.Max<T>(row);
                TP.Subtract(row, max, d);
                if (log)
                {
                    // log softmax = (x - max) - log Σ exp(x - max); the sum is taken one element at a time, without a scratch row.
                    var sum = T.Zero;
                    foreach (var v in d) sum += T.Exp(v);
                    TP.Subtract(d, T.Log(sum), d);
                }
                else
                {
                    TP.Exp<T>(d, d);
                    TP.Divide(d, TP.Sum<T>(d), d);
                }
            }
        }
    }

    private readonly struct LeakyReluAction(KernelContext ctx) : IFloatAction
    {
        public void Invoke<T>() where T : unmanaged, IFloatingPointIeee754<T>
        {
            var x = ctx.Input(0).Buffer<T>();
            var alpha = T.CreateTruncating(ctx.Attr<float>("alpha"));
            var d = ctx.AllocateOutput(0, ctx.Input(0).Dims).Buffer<T>();
            for (int i = 0; i < x.Length; i++) d[i] = x[i] < T.Zero ? alpha * x[i] : x[i];
        }
    }

    /// <summary>value + bias along the channel axis: each run of the channel's inner block adds one bias value (NCHW) or the whole bias row (NHWC).</summary>
    private readonly struct BiasAction(TensorValue x, TensorValue bias, int channel, TensorValue d) : INumericAction
    {
        public void Invoke<T>() where T : unmanaged, INumber<T>
        {
            var (outer, c, inner) = Layout.Around(x.Dims, channel);
            var src = x.Buffer<T>();
            var b = bias.Buffer<T>();
            var dst = d.Buffer<T>();
            for (int o = 0; o < outer; o++)
            {
                if (inner == 1) { TP.Add<T>(src.AsSpan(o * c, c), b, dst.AsSpan(o * c, c)); continue; }
                for (int k = 0; k < c; k++)
                {
                    int at = (o * c + k) * inner;
                    TP.Add(src.AsSpan(at, inner), b[k], dst.AsSpan(at, inner));
                }
            }
        }
    }
}
