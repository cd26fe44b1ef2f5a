using System.Numerics;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace DataflowNet.Kernels.Cpu;

/// <summary>Sum, Mean, Max, Min, Prod, All, Any over any axes, and ArgMax/ArgMin. Reduced axes are moved last so each output element reduces one contiguous row.</summary>
internal static class ReductionKernels
{
    internal enum Kind { Sum, Mean, Max, Min, Prod }

    public static void Register(KernelRegistry r)
    {
        r.Register("Sum", DataTypeExtensions.Numeric, Reduce(Kind.Sum));
        r.Register("Mean", DataTypeExtensions.Numeric, Reduce(Kind.Mean));
        r.Register("Max", DataTypeExtensions.Numeric, Reduce(Kind.Max));
        r.Register("Min", DataTypeExtensions.Numeric, Reduce(Kind.Min));
        r.Register("Prod", DataTypeExtensions.Numeric, Reduce(Kind.Prod));
        r.Register("All", [DataType.Bool], ReduceBool(all: true));
        r.Register("Any", [DataType.Bool], ReduceBool(all: false));
        r.Register("ArgMax", DataTypeExtensions.Numeric, Arg(max: true));
        r.Register("ArgMin", DataTypeExtensions.Numeric, Arg(max: false));
    }

    /// <summary>Input rearranged as [outer, reduced] rows, plus the output dims.</summary>
    private static (T[] Rows, int Outer, int Row, int[] OutDims) Prepare<T>(KernelContext ctx, TensorValue x)
    {
        var axesValue = ctx.Input(1).ToArray<long>();
        int rank = x.ndim;
        var reduce = new bool[rank];
        foreach (var a in axesValue) reduce[ShapeUtil.NormalizeAxis((int)a, rank, ctx.Error)] = true;
        bool keep = ctx.Attr<bool>("keep_dims");
        var kept = Enumerable.Range(0, rank).Where(i => !reduce[i]).ToArray();
        var red = Enumerable.Range(0, rank).Where(i => reduce[i]).ToArray();
        int outer = kept.Aggregate(1, (p, i) => p * x.Dims[i]);
        int row = red.Aggregate(1, (p, i) => p * x.Dims[i]);
        var outDims = keep ? x.Dims.Select((d, i) => reduce[i] ? 1 : d).ToArray() : kept.Select(i => x.Dims[i]).ToArray();
        var perm = kept.Concat(red).ToArray();
        var rows = perm.Select((p, i) => p == i).All(b => b) ? x.Buffer<T>() : Layout.Permute(x.Buffer<T>(), x.Dims, perm);
        return (rows, outer, row, outDims);
    }

    private static Kernel Reduce(Kind kind) => ctx =>
    {
        var action = new ReduceAction(ctx, kind);
        TypeSwitch.Numeric(ctx.Input(0).dtype, ref action);
    };

    private readonly struct ReduceAction(KernelContext ctx, Kind kind) : INumericAction
    {
        public void Invoke<T>() where T : unmanaged, INumber<T>
        {
            var (rows, outer, row, outDims) = Prepare<T>(ctx, ctx.Input(0));
            var d = ctx.AllocateOutput(0, outDims).Buffer<T>();
            for (int o = 0; o < outer; o++)
            {
                var span = rows.AsSpan(o * row, row);
                d[o] = kind switch
                {
                    Kind.Sum => TP.Sum<T>(span),
                    Kind.Mean => row == 0 ? T.CreateTruncating(double.NaN) : TP.Sum<T>(span) / T.CreateTruncating(row),
                    Kind.Prod => row == 0 ? T.One : TP.Product<T>(span),
                    Kind.Max => row == 0 ? T.CreateSaturating(double.NegativeInfinity) : TP.Max<T>(span),
                    _ => row == 0 ? T.CreateSaturating(double.PositiveInfinity) : TP.Min<T>(span),
                };
            }
        }
    }

    private static Kernel ReduceBool(bool all) => ctx =>
    {
        var (rows, outer, row, outDims) = Prepare<bool>(ctx, ctx.Input(0));
        var d = ctx.AllocateOutput(0, outDims).Buffer<bool>();
        for (int o = 0; o < outer; o++)
        {
            var span = rows.AsSpan(o * row, row);
            d[o] = all ? !span.Contains(false) : span.Contains(true);
        }
    };

    private static Kernel Arg(bool max) => ctx =>
    {
        var action = new ArgAction(ctx, max);
        TypeSwitch.Numeric(ctx.Input(0).dtype, ref action);
    };

    private readonly struct ArgAction(KernelContext ctx, bool max) : INumericAction
    {
        public void Invoke<T>() where T : unmanaged, INumber<T>
        {
            var x = ctx.Input(0);
            int axis = ShapeUtil.NormalizeAxis((int)ctx.Input(1).item<long>(), x.ndim, ctx.Error);
            var (outer, n, inner) = Layout.Around(x.Dims, axis);
            if (n == 0) throw ctx.Error($"Reduction axis {axis} is empty in shape {TensorShape.Format(x.Dims)}.");
            var perm = Enumerable.Range(0, x.ndim).Where(i => i != axis).Append(axis).ToArray();
            var rows = inner == 1 ? x.Buffer<T>() : Layout.Permute(x.Buffer<T>(), x.Dims, perm);
            var outDims = x.Dims.Where((_, i) => i != axis).ToArray();
            var result = new long[outer * inner];
            for (int o = 0; o < result.Length; o++)
            {
                var span = rows.AsSpan(o * n, n);
                result[o] = max ? TP.IndexOfMax<T>(span) : TP.IndexOfMin<T>(span);
            }
            var outType = ctx.OutputType(0);
            ctx.SetOutput(0, outType == DataType.Int64
                ? new TensorValue(DataType.Int64, outDims, result)
                : new TensorValue(DataType.Int32, outDims, result.Select(v => (int)v).ToArray()));
        }
    }
}
