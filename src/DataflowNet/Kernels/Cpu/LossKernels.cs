using System.Numerics;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace DataflowNet.Kernels.Cpu;

/// <summary>
/// Softmax cross-entropy computed from the log-sum-exp of max-shifted logits, so logits of ±1e4 give finite
/// losses; the backprop output (softmax - labels) is produced in the same pass.
/// </summary>
internal static class LossKernels
{
    public static void Register(KernelRegistry r)
    {
        r.Register("SoftmaxCrossEntropyWithLogits", DataTypeExtensions.Floating, ctx => { var a = new CrossEntropyAction(ctx, sparse: false); TypeSwitch.Float(ctx.Input(0).dtype, ref a); });
        r.Register("SparseSoftmaxCrossEntropyWithLogits", DataTypeExtensions.Floating, ctx => { var a = new CrossEntropyAction(ctx, sparse: true); TypeSwitch.Float(ctx.Input(0).dtype, ref a); });
        r.Register("L2Loss", DataTypeExtensions.Floating, ctx => { var a = new L2Action(ctx); TypeSwitch.Float(ctx.Input(0).dtype, ref a); });
        r.Register("Floor", DataTypeExtensions.Floating, ctx => { var a = new FloorAction(ctx); TypeSwitch.Float(ctx.Input(0).dtype, ref a); });
        r.Register("CheckNumerics", DataTypeExtensions.Floating, ctx => { var a = new CheckAction(ctx); TypeSwitch.Float(ctx.Input(0).dtype, ref a); });
        r.Register("InTopKV2", [DataType.Float32], ctx =>
        {
            var p = ctx.Input(0);
            var targets = ctx.Input(1).ToArray<long>();
            int k = (int)ctx.Input(2).item<long>();
            int n = p.Dims[0], classes = p.Dims[1];
            if (targets.Length != n) throw ctx.Error($"targets has {targets.Length} entries for {n} rows of predictions.");
            var v = p.Buffer<float>();
            var d = ctx.AllocateOutput(0, [n]).Buffer<bool>();
            for (int i = 0; i < n; i++)
            {
                long t = targets[i];
                if (t < 0 || t >= classes || !float.IsFinite(v[i * classes + t])) { d[i] = false; continue; }
                // In the top k when fewer than k classes score strictly higher (ties count in the target's favour); a
                // non-finite prediction anywhere in the row makes it false ("cannot say"), as TensorFlow's kernel.
                float target = v[i * classes + t];
                int higher = 0;
                bool cannotSay = false;
                for (int c = 0; c < classes && !cannotSay; c++)
                {
                    float pc = v[i * classes + c];
                    cannotSay = !float.IsFinite(pc);
                    if (pc > target) higher++;
                }
                d[i] = !cannotSay && higher < k;
            }
        });
    }

    private readonly struct CrossEntropyAction(KernelContext ctx, bool sparse) : IFloatAction
    {
        public void Invoke<T>() where T : unmanaged, IFloatingPointIeee754<T>
        {
            var logits = ctx.Input(0);
            var labelsValue = ctx.Input(1);
            Kernels.NnChecks.CrossEntropyInputs(ctx, logits, labelsValue, sparse);
            int n = logits.Dims[0], classes = logits.Dims[1];
            var x = logits.Buffer<T>();
            var loss = ctx.AllocateUninitializedOutput(0, [n]).Buffer<T>();
            var backprop = ctx.AllocateUninitializedOutput(1, logits.Dims).Buffer<T>();
            var labels = sparse ? null : labelsValue.Buffer<T>();
            if (classes == 0)
            {
                // No class: every sparse label is out of range; dense rows have nothing to lose.
                if (sparse && n > 0) throw LabelOutOfRange(ctx, labelsValue, labelsValue.LongAt(0), classes);
                loss.AsSpan().Clear();
                return;
            }
            for (int i = 0; i < n; i++)
            {
                var row = x.AsSpan(i * classes, classes);
                var prob = backprop.AsSpan(i * classes, classes);
                // −log softmax(x)[c] = log Σ exp(x − max) − (x[c] − max): finite for logits of any size, and x[c] − max
                // is exact, where log Σ exp(x) − x[c] would cancel two large values (logits near 1000 lose 1e-4).
                var max = TP.Max<T>(row);
                TP.Subtract(row, max, prob);
                TP.Exp<T>(prob, prob);
                var sum = TP.Sum<T>(prob);
                var logSum = T.Log(sum);
                TP.Divide(prob, sum, prob);
                T l = T.Zero;
                if (sparse)
                {
                    long label = labelsValue.LongAt(i);
                    if (label < 0 || label >= classes) throw LabelOutOfRange(ctx, labelsValue, label, classes);
                    l = logSum - (row[(int)label] - max);
                    prob[(int)label] -= T.One;
                }
                else
                {
                    var lab = labels!.AsSpan(i * classes, classes);
                    for (int c = 0; c < classes; c++)
                    {
                        if (!T.IsZero(lab[c])) l += lab[c] * (logSum - (row[c] - max));
                        prob[c] -= lab[c];
                    }
                }
                loss[i] = l;
            }
        }
    }

    private static InvalidArgumentException LabelOutOfRange(KernelContext ctx, TensorValue labels, long label, int classes) =>
        ctx.Error($"Received a label value of {label} which is outside the valid range of [0, {classes}). Label values: {string.Join(" ", labels.ToArray<long>().Take(20))}");

    private readonly struct L2Action(KernelContext ctx) : IFloatAction
    {
        public void Invoke<T>() where T : unmanaged, IFloatingPointIeee754<T> =>
            ctx.SetOutput(0, TensorValue.Scalar(TP.SumOfSquares<T>(ctx.Input(0).Buffer<T>()) / (T.One + T.One)));
    }

    private readonly struct FloorAction(KernelContext ctx) : IFloatAction
    {
        public void Invoke<T>() where T : unmanaged, IFloatingPointIeee754<T> =>
            TP.Floor<T>(ctx.Input(0).Buffer<T>(), ctx.AllocateOutput(0, ctx.Input(0).Dims).Buffer<T>());
    }

    private readonly struct CheckAction(KernelContext ctx) : IFloatAction
    {
        public void Invoke<T>() where T : unmanaged, IFloatingPointIeee754<T>
        {
            var x = ctx.Input(0);
            var span = x.Buffer<T>().AsSpan();
            bool nan = TP.IsNaNAny<T>(span), inf = TP.IsInfinityAny<T>(span);
            if (nan || inf)
                throw ctx.Error($"{ctx.Attr<string>("message")} : Tensor had {(nan && inf ? "NaN and Inf" : nan ? "NaN" : "Inf")} values");
            ctx.SetOutput(0, x);
        }
    }
}
